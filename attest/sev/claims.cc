#include "attest/sev/claims.h"

#include "attest/core/digest.h"
#include "attest/core/encoding.h"

namespace attest::sev {

SevChainClaims ToClaims(const VerifiedSevChain& chain) {
  SevChainClaims claims;
  claims.product = chain.product();
  claims.api_major = chain.certs().pdh.api_major;
  claims.api_minor = chain.certs().pdh.api_minor;
  claims.pdh_sha256 = HexEncode(Sha256(SerializeSevCert(chain.certs().pdh)));
  claims.cek_sha256 = HexEncode(Sha256(SerializeSevCert(chain.certs().cek)));
  claims.ask_key_id = HexEncode(chain.ask().key_id);
  claims.ark_key_id = HexEncode(chain.ark().key_id);
  return claims;
}

GuestPolicy DecodeGuestPolicy(uint32_t policy) {
  GuestPolicy p;
  p.raw = policy;
  p.no_debug = (policy & kPolicyNoDebug) != 0;
  p.no_key_sharing = (policy & kPolicyNoKeySharing) != 0;
  p.es = (policy & kPolicyEs) != 0;
  p.no_send = (policy & kPolicyNoSend) != 0;
  p.domain = (policy & kPolicyDomain) != 0;
  p.sev = (policy & kPolicySev) != 0;
  return p;
}

LaunchClaims ToClaims(const VerifiedLaunch& launch) {
  const LaunchEvidence& e = launch.evidence();
  LaunchClaims c;
  c.launch_digest = launch.proven_digest();
  c.num_expected_digests = launch.num_expected_digests();
  c.measure = e.measurement.measure;
  c.mnonce = e.measurement.mnonce;
  c.policy = DecodeGuestPolicy(e.policy);
  c.api_major = e.api_major;
  c.api_minor = e.api_minor;
  c.build = e.build;
  return c;
}

}  // namespace attest::sev
