// The guest owner's side of LAUNCH_START (SEV API spec 55766, sections "LAUNCH_START", "Key
// Derivation Function", "Transport Keys"): a fresh P-384 ECDH key (its public half is the dhCert),
// the shared secret with the platform's PDH, the master secret and KEK/KIK derived from it, and the
// session blob that carries the transport keys TEK/TIK wrapped under KEK/KIK plus the policy MAC.
// libvirt passes both as <launchSecurity type='sev'><dhCert>, <session> (base64).
#pragma once

#include <array>
#include <cstdint>

#include "attest/core/bytes.h"
#include "attest/core/status.h"
#include "attest/sev/crypto.h"
#include "attest/sev/reasons.h"
#include "attest/sev/wire.h"

namespace attest::sev {

// TransportKeys are the TEK (encryption, AES-128) and TIK (integrity, HMAC-SHA256 key) the guest
// owner shares with the firmware; the TIK later checks the launch measurement and MACs secrets.
struct TransportKeys {
  Key128 tek{};
  Key128 tik{};
};

inline constexpr size_t kSessionBlobSize = 128;

// SessionBlob is the LAUNCH_START session buffer: NONCE(16) WRAP_TK(32) WRAP_IV(16) WRAP_MAC(32)
// POLICY_MAC(32).
struct SessionBlob {
  std::array<uint8_t, 16> nonce{};
  std::array<uint8_t, 32> wrap_tk{};
  std::array<uint8_t, 16> wrap_iv{};
  std::array<uint8_t, 32> wrap_mac{};
  std::array<uint8_t, 32> policy_mac{};
};

Bytes SerializeSessionBlob(const SessionBlob& blob);
// ParseSessionBlob fails with sev.session_malformed unless bytes is exactly 128 bytes.
Result<SessionBlob> ParseSessionBlob(ByteSpan bytes);

// SessionKeys are the keys derived from the ECDH shared secret z and the session nonce.
struct SessionKeys {
  Key128 kek{};
  Key128 kik{};
};

// DeriveSessionKeys: master = KDF(z, "sev-master-secret", nonce), KEK = KDF(master, "sev-kek"),
// KIK = KDF(master, "sev-kik"), all 16 bytes.
SessionKeys DeriveSessionKeys(ByteSpan z, const std::array<uint8_t, 16>& nonce);

// WrapTransportKeys builds the session blob deterministically from its inputs: WRAP_TK =
// AES-128-CTR(KEK, IV, TEK || TIK), WRAP_MAC = HMAC(KIK, WRAP_TK), POLICY_MAC = HMAC(TIK, policy
// as u32 LE).
SessionBlob WrapTransportKeys(ByteSpan z, const std::array<uint8_t, 16>& nonce,
                              const std::array<uint8_t, 16>& iv, const TransportKeys& keys,
                              uint32_t policy);

// OwnerSession is what the guest owner hands to the launcher (dhCert, session) and keeps (keys).
struct OwnerSession {
  Bytes dh_cert;  // 2084-byte SEV-format certificate of the owner's ECDH key (usage PDH, unsigned)
  Bytes session;  // 128-byte session blob
  TransportKeys keys;
  uint32_t policy = 0;
};

// CreateOwnerSession makes fresh keys, nonce and IV for a launch with the given policy to the
// platform whose PDH is pdh. The caller must have verified pdh's chain (VerifySevChain) first:
// this function trusts it. Fails with sev.bad_usage (pdh is not a PDH), sev.cert_malformed (its
// point is invalid) or core.internal.
Result<OwnerSession> CreateOwnerSession(const SevCert& pdh, uint32_t policy);

}  // namespace attest::sev
