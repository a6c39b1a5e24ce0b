// SnpReport: a parsed AMD SEV-SNP ATTESTATION_REPORT.
//
// Layout: AMD SEV-SNP Firmware ABI Specification (pub. 56860), Table 23 "ATTESTATION_REPORT
// Structure" (rev 1.55 for version 2/3, rev 1.58 for version 5). All integers little-endian.
#pragma once

#include <array>
#include <cstdint>

#include "attest/core/bytes.h"

namespace attest::snp {

inline constexpr size_t kReportSize = 0x4A0;           // 1184 bytes
inline constexpr size_t kSignedSize = 0x2A0;           // bytes 0x000..0x29F are signed
inline constexpr size_t kSignatureOffset = 0x2A0;      // SIGNATURE (Table 141 ECDSA P-384 format)
inline constexpr size_t kSignatureComponentSize = 72;  // R and S, little-endian, zero-padded

// SignatureAlgo: SNP ABI Table 140; only ECDSA P-384 with SHA-384 exists.
inline constexpr uint32_t kSigAlgoEcdsaP384Sha384 = 1;

enum class SigningKey : uint8_t { kVcek = 0, kVlek = 1, kNone = 7 };

struct SnpReport {
  uint32_t version = 0;
  uint32_t guest_svn = 0;
  uint64_t policy = 0;
  std::array<uint8_t, 16> family_id{};
  std::array<uint8_t, 16> image_id{};
  uint32_t vmpl = 0;
  uint32_t signature_algo = 0;
  uint64_t current_tcb = 0;
  uint64_t platform_info = 0;
  bool author_key_en = false;
  bool mask_chip_key = false;
  SigningKey signing_key = SigningKey::kVcek;
  std::array<uint8_t, 64> report_data{};
  std::array<uint8_t, 48> measurement{};
  std::array<uint8_t, 32> host_data{};
  std::array<uint8_t, 48> id_key_digest{};
  std::array<uint8_t, 48> author_key_digest{};
  std::array<uint8_t, 32> report_id{};
  std::array<uint8_t, 32> report_id_ma{};
  uint64_t reported_tcb = 0;
  // CPUID family/model/stepping of the chip: present from version 3 (zero in version 2).
  bool has_cpuid = false;
  uint8_t cpuid_fam_id = 0;
  uint8_t cpuid_mod_id = 0;
  uint8_t cpuid_step = 0;
  std::array<uint8_t, 64> chip_id{};
  uint64_t committed_tcb = 0;
  uint8_t current_build = 0;
  uint8_t current_minor = 0;
  uint8_t current_major = 0;
  uint8_t committed_build = 0;
  uint8_t committed_minor = 0;
  uint8_t committed_major = 0;
  uint64_t launch_tcb = 0;
  // Launch mitigation vectors: present from version 5.
  bool has_mit_vectors = false;
  uint64_t launch_mit_vector = 0;
  uint64_t current_mit_vector = 0;
  // Signature R and S as big-endian 48-byte integers (converted from the report's little-endian).
  std::array<uint8_t, 48> signature_r{};
  std::array<uint8_t, 48> signature_s{};
  // The exact signed bytes 0x000..0x29F, for signature verification.
  std::array<uint8_t, kSignedSize> signed_bytes{};
};

}  // namespace attest::snp
