// The host's own credential, as host enrollment establishes it (service/README.md, "Host
// enrollment"). attestd draws a random activation secret and sends it to the host only through
// TPM2_MakeCredential (attest/tpm/credential.h), so only the TPM holding the enrolled EK, with the
// enrolled AK loaded, recovers it. Both sides then derive from it the host's SigV4 secret access
// key; the host proves it has that key with an HMAC and never sends the key or the secret.
#pragma once

#include <string>
#include <string_view>

#include "attest/core/bytes.h"
#include "attest/core/status.h"

namespace attest::protocol {

// kHostActivationSecretBytes is the size of the activation secret (the EK nameAlg's digest size,
// SHA-256, bounds what TPM2_MakeCredential carries).
inline constexpr size_t kHostActivationSecretBytes = 32;

// DeriveHostSecretKey returns the host's SigV4 secret access key: the base64 of 30 bytes of
// HKDF-SHA256 (RFC 5869) with the activation secret as input keying material, no salt, and info
// "attestd host credential v1" || 0x00 || host_id, so a secret recovered for one host id yields
// nothing for another. Fails with core.invalid_argument when the secret is not 32 bytes.
Result<std::string> DeriveHostSecretKey(ByteSpan activation_secret, std::string_view host_id);

// HostActivationProof is the lower-case hex HMAC-SHA256 keyed with the secret access key over
// "attestd host activation v1" || 0x00 || host_id: what the host sends to show it derived the key.
std::string HostActivationProof(std::string_view secret_access_key, std::string_view host_id);

// CheckHostActivationProof compares a received proof with the expected one in constant time.
bool CheckHostActivationProof(std::string_view secret_access_key, std::string_view host_id,
                              std::string_view proof);

}  // namespace attest::protocol
