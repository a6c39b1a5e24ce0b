// The facts a verified legacy SEV platform chain establishes (SevChainClaims), and those of a
// launch (LaunchClaims: step three of ParseLaunchMeasurement -> VerifyLaunch -> ToClaims), for
// policy and for output. No JSON here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "attest/core/digest.h"
#include "attest/sev/launch.h"
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

// GuestPolicy: the SEV guest policy bits (SEV API spec 55766, "Guest Policy").
struct GuestPolicy {
  uint32_t raw = 0;
  bool no_debug = false;        // bit 0 NODBG
  bool no_key_sharing = false;  // bit 1 NOKS
  bool es = false;              // bit 2 ES
  bool no_send = false;         // bit 3 NOSEND
  bool domain = false;          // bit 4 DOMAIN
  bool sev = false;             // bit 5 SEV
};
GuestPolicy DecodeGuestPolicy(uint32_t policy);

// LaunchClaims: what a verified launch establishes. launch_digest is the expected digest MEASURE
// proves (nullopt: none of num_expected_digests); measure and mnonce are as reported.
struct LaunchClaims {
  std::optional<Sha256Digest> launch_digest;
  size_t num_expected_digests = 0;
  Sha256Digest measure{};
  std::array<uint8_t, 16> mnonce{};
  GuestPolicy policy;
  uint8_t api_major = 0;  // platform: firmware API version and build
  uint8_t api_minor = 0;
  uint8_t build = 0;
};

// ToClaims returns the claims of a verified launch.
LaunchClaims ToClaims(const VerifiedLaunch& launch);

}  // namespace attest::sev
