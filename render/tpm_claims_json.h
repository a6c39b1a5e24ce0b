// JSON forms of the TPM claims (attest/tpm/claims.h), as `attestctl verify tpm --json` prints
// them under "claims" and the host quote API returns them under "claims".
#pragma once

#include <nlohmann/json.hpp>

#include "attest/tpm/claims.h"

namespace attest::render {

// ClaimsToJson(QuoteClaims): nonce, nonce_checked, clock, reset_count, restart_count, safe,
// firmware_version, qualified_signer, pcrs (tpm::PcrBanksToJson), in that order.
nlohmann::ordered_json ClaimsToJson(const tpm::QuoteClaims& claims);
// ClaimsToJson(BootClaims): replayed_pcrs, digest_alg, [scrtm_version], firmware_blob_digests,
// [secure_boot], secure_boot_variables, boot_application_digests, [kernel_cmdline], efi_actions,
// separator_pcrs, separator_error and the event counts.
nlohmann::ordered_json ClaimsToJson(const tpm::BootClaims& claims);
// ClaimsToJson(DrtmClaims): replayed_pcrs, digest_alg, [sinit_digest], [mle_digest],
// lcp_digests, num_events.
nlohmann::ordered_json ClaimsToJson(const tpm::DrtmClaims& claims);
// ClaimsToJson(HostClaims): {"quote":{... ak_attributes_checked},"eventlog":{...},"drtm":{...}},
// each member present when its claims are.
nlohmann::ordered_json ClaimsToJson(const tpm::HostClaims& claims);

}  // namespace attest::render
