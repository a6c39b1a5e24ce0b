#include "attest/sev/session.h"

#include <algorithm>

namespace attest::sev {
namespace {

template <size_t N>
void Put(Bytes& out, const std::array<uint8_t, N>& a) {
  out.insert(out.end(), a.begin(), a.end());
}

template <size_t N>
void Take(ByteSpan& in, std::array<uint8_t, N>& a) {
  std::copy(in.begin(), in.begin() + N, a.begin());
  in = in.subspan(N);
}

Key128 ToKey(const Bytes& b) {
  Key128 k{};
  std::copy(b.begin(), b.begin() + 16, k.begin());
  return k;
}

}  // namespace

Bytes SerializeSessionBlob(const SessionBlob& blob) {
  Bytes out;
  out.reserve(kSessionBlobSize);
  Put(out, blob.nonce);
  Put(out, blob.wrap_tk);
  Put(out, blob.wrap_iv);
  Put(out, blob.wrap_mac);
  Put(out, blob.policy_mac);
  return out;
}

Result<SessionBlob> ParseSessionBlob(ByteSpan bytes) {
  if (bytes.size() != kSessionBlobSize) {
    return Status(reasons::kSevSessionMalformed,
                  "session: " + std::to_string(bytes.size()) + " bytes, want 128");
  }
  SessionBlob blob;
  Take(bytes, blob.nonce);
  Take(bytes, blob.wrap_tk);
  Take(bytes, blob.wrap_iv);
  Take(bytes, blob.wrap_mac);
  Take(bytes, blob.policy_mac);
  return blob;
}

SessionKeys DeriveSessionKeys(ByteSpan z, const std::array<uint8_t, 16>& nonce) {
  const Bytes master = SevKdf(z, "sev-master-secret", nonce, 16);
  SessionKeys keys;
  keys.kek = ToKey(SevKdf(master, "sev-kek", {}, 16));
  keys.kik = ToKey(SevKdf(master, "sev-kik", {}, 16));
  return keys;
}

SessionBlob WrapTransportKeys(ByteSpan z, const std::array<uint8_t, 16>& nonce,
                              const std::array<uint8_t, 16>& iv, const TransportKeys& keys,
                              uint32_t policy) {
  const SessionKeys session_keys = DeriveSessionKeys(z, nonce);
  Bytes tk(keys.tek.begin(), keys.tek.end());
  tk.insert(tk.end(), keys.tik.begin(), keys.tik.end());
  SessionBlob blob;
  blob.nonce = nonce;
  blob.wrap_iv = iv;
  const Bytes wrapped = Aes128Ctr(session_keys.kek, iv, tk);
  std::copy(wrapped.begin(), wrapped.end(), blob.wrap_tk.begin());
  blob.wrap_mac = HmacSha256(session_keys.kik, {blob.wrap_tk});
  const uint8_t policy_le[4] = {static_cast<uint8_t>(policy), static_cast<uint8_t>(policy >> 8),
                                static_cast<uint8_t>(policy >> 16),
                                static_cast<uint8_t>(policy >> 24)};
  blob.policy_mac = HmacSha256(keys.tik, {policy_le});
  return blob;
}

Result<OwnerSession> CreateOwnerSession(const SevCert& pdh, uint32_t policy) {
  if (pdh.pubkey_usage != static_cast<uint32_t>(Usage::kPdh)) {
    return Status(reasons::kSevBadUsage, "owner session: platform key is not a PDH");
  }
  ATTEST_ASSIGN_OR_RETURN(EvpPkeyPtr platform_key, SevCertPublicKey(pdh));
  ATTEST_ASSIGN_OR_RETURN(EvpPkeyPtr owner_key, GenerateP384Key());
  ATTEST_ASSIGN_OR_RETURN(auto coords, P384Coordinates(owner_key.get()));
  ATTEST_ASSIGN_OR_RETURN(Bytes z, EcdhSharedSecret(owner_key.get(), platform_key.get()));
  ATTEST_ASSIGN_OR_RETURN(Bytes random, RandomBytes(16 + 16 + 16 + 16));

  OwnerSession out;
  out.policy = policy;
  std::array<uint8_t, 16> nonce{};
  std::array<uint8_t, 16> iv{};
  std::copy(random.begin(), random.begin() + 16, out.keys.tek.begin());
  std::copy(random.begin() + 16, random.begin() + 32, out.keys.tik.begin());
  std::copy(random.begin() + 32, random.begin() + 48, nonce.begin());
  std::copy(random.begin() + 48, random.begin() + 64, iv.begin());
  out.session = SerializeSessionBlob(WrapTransportKeys(z, nonce, iv, out.keys, policy));

  // The owner's certificate: usage PDH, ECDH, both signature slots empty, as virtee/sev builds it
  // for real launches (src/session/mod.rs); the firmware uses it as the ECDH peer key.
  SevCert owner;
  owner.version = 1;
  owner.pubkey_usage = static_cast<uint32_t>(Usage::kPdh);
  owner.pubkey_algo = static_cast<uint32_t>(Algo::kEcdhSha256);
  owner.curve = kCurveP384;
  owner.qx_be = coords.first;
  owner.qy_be = coords.second;
  out.dh_cert = SerializeSevCert(owner);
  std::fill(z.begin(), z.end(), 0);
  std::fill(random.begin(), random.end(), 0);
  return out;
}

}  // namespace attest::sev
