// The facts a verified legacy SEV platform chain establishes, for policy and for output.
#pragma once

#include <cstdint>
#include <string>

#include "attest/sev/verify.h"

namespace attest::sev {

struct SevChainClaims {
  std::string product;    // which built-in or supplied root signed the CEK
  uint8_t api_major = 0;  // firmware API version in the PDH certificate
  uint8_t api_minor = 0;
  std::string pdh_sha256;  // hex SHA-256 of the PDH certificate's 2084 bytes: the ECDH peer
  std::string cek_sha256;  // hex SHA-256 of the CEK certificate: identifies the chip
  std::string ask_key_id;  // hex key ids of the AMD keys used
  std::string ark_key_id;
};

// ToClaims summarises a verified chain.
SevChainClaims ToClaims(const VerifiedSevChain& chain);

}  // namespace attest::sev
