// SnpClaims: the typed facts a policy reads from an SNP report.
#pragma once

#include <optional>
#include <string>

#include "attest/snp/endorsement.h"
#include "attest/snp/product.h"
#include "attest/snp/report.h"
#include "attest/snp/verify.h"

namespace attest::snp {

// GuestPolicy: SNP ABI Table 9 (GUEST_POLICY).
struct GuestPolicy {
  uint64_t raw = 0;
  uint8_t abi_minor = 0;
  uint8_t abi_major = 0;
  bool smt = false;
  bool migrate_ma = false;
  bool debug = false;
  bool single_socket = false;
  bool cxl_allow = false;
  bool mem_aes_256_xts = false;
  bool rapl_dis = false;
  bool ciphertext_hiding = false;
  bool page_swap_disable = false;
};

// PlatformInfo: SNP ABI Table 24 (PLATFORM_INFO).
struct PlatformInfo {
  uint64_t raw = 0;
  bool smt_en = false;
  bool tsme_en = false;
  bool ecc_en = false;
  bool rapl_dis = false;
  bool ciphertext_hiding_en = false;
  bool alias_check_complete = false;
  bool tio_en = false;
};

struct TcbClaim {
  uint64_t raw = 0;
  std::optional<TcbParts> parts;  // decoded when the product is known
};

struct SnpClaims {
  bool verified = false;  // made from a VerifiedSnpReport
  std::optional<Product> product;
  std::optional<EndorsementKind> signing_key;  // the certificate kind that verified the report
  SnpReport report;
  GuestPolicy policy;
  PlatformInfo platform_info;
  TcbClaim current_tcb, reported_tcb, committed_tcb, launch_tcb;
};

GuestPolicy DecodeGuestPolicy(uint64_t policy);
PlatformInfo DecodePlatformInfo(uint64_t info);

// ToClaims returns the claims of a verified report.
SnpClaims ToClaims(const VerifiedSnpReport& verified);

// UnverifiedClaims returns what a parsed but unverified (or rejected) report says, for display
// only; verified is false. The product comes from CPUID when the report has it.
SnpClaims UnverifiedClaims(const SnpReport& report);

}  // namespace attest::snp
