// AsRefusal: a verifier's failure on fetched or imported collateral, as the collateral.* reason
// an operator's alert matches on, keeping the verifier's own reason and message in the text.
#pragma once

#include <string_view>

#include "attest/core/status.h"
#include "service/collateral/reasons.h"

namespace attest::service::collateral {

// AsRefusal maps status by its ErrorCode: kSignatureInvalid -> collateral.signature_invalid,
// kChainUntrusted -> chain_untrusted, kExpired -> expired, kRevoked -> revoked, kMismatch ->
// mismatch, anything else -> malformed. The message is "<what>: <verifier reason>: <message>".
// An OK status stays OK; a status that already has a collateral.* reason is returned unchanged.
Status AsRefusal(const Status& status, std::string_view what);

}  // namespace attest::service::collateral
