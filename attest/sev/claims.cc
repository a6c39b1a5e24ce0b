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

}  // namespace attest::sev
