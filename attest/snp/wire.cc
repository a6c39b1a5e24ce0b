#include "attest/snp/wire.h"

#include <algorithm>
#include <string>

#include "attest/core/byte_reader.h"

namespace attest::snp {
namespace {

constexpr uint64_t kPolicyReservedMustBeOne = 1ull << 17;
// GUEST_POLICY bits 63:26 are reserved (SNP ABI Table 9).
constexpr uint64_t kPolicyReservedMask = ~((1ull << 26) - 1);
// Report offset 0x48: bit 0 AUTHOR_KEY_EN, bit 1 MASK_CHIP_KEY, bits 4:2 SIGNING_KEY, rest
// reserved.
constexpr uint32_t kKeyInfoReservedMask = ~uint32_t{0x1F};

// ReadLeSignatureComponent reads a 72-byte little-endian integer whose top 24 bytes must be zero
// and returns it as a 48-byte big-endian value.
Result<std::array<uint8_t, 48>> ReadLeSignatureComponent(ByteReader& r, const char* name) {
  ATTEST_ASSIGN_OR_RETURN(auto le, r.ReadBytes(48));
  std::array<uint8_t, 48> be{};
  std::reverse_copy(le.begin(), le.end(), be.begin());
  ATTEST_RETURN_IF_ERROR(r.SkipZeros(kSignatureComponentSize - 48, name));
  return be;
}

}  // namespace

Result<SnpReport> ParseSnpReport(ByteSpan bytes) {
  if (bytes.size() != kReportSize) {
    return Status(reasons::kSnpBadSize, "snp report: " + std::to_string(bytes.size()) +
                                            " bytes, want " + std::to_string(kReportSize));
  }
  SnpReport rep;
  ByteReader r(bytes, reasons::kSnpReservedNotZero, "snp report");
  ATTEST_ASSIGN_OR_RETURN(rep.version, r.ReadU32Le());
  if (rep.version != 2 && rep.version != 3 && rep.version != 5) {
    return Status(
        reasons::kSnpUnsupportedVersion,
        "snp report: version " + std::to_string(rep.version) + " not supported (2, 3, 5)");
  }
  ATTEST_ASSIGN_OR_RETURN(rep.guest_svn, r.ReadU32Le());
  ATTEST_ASSIGN_OR_RETURN(rep.policy, r.ReadU64Le());
  if ((rep.policy & kPolicyReservedMustBeOne) == 0) {
    return Status(reasons::kSnpMalformed, "snp report: policy bit 17 (reserved, must be 1) is 0");
  }
  if ((rep.policy & kPolicyReservedMask) != 0) {
    return Status(reasons::kSnpReservedNotZero, "snp report: policy reserved bits 63:26 not zero");
  }
  ATTEST_ASSIGN_OR_RETURN(rep.family_id, r.ReadArray<16>());
  ATTEST_ASSIGN_OR_RETURN(rep.image_id, r.ReadArray<16>());
  ATTEST_ASSIGN_OR_RETURN(rep.vmpl, r.ReadU32Le());
  ATTEST_ASSIGN_OR_RETURN(rep.signature_algo, r.ReadU32Le());
  if (rep.signature_algo != kSigAlgoEcdsaP384Sha384) {
    return Status(reasons::kSnpUnsupportedAlgorithm, "snp report: signature_algo " +
                                                         std::to_string(rep.signature_algo) +
                                                         ", want 1 (ECDSA P-384 SHA-384)");
  }
  ATTEST_ASSIGN_OR_RETURN(rep.current_tcb, r.ReadU64Le());
  ATTEST_ASSIGN_OR_RETURN(rep.platform_info, r.ReadU64Le());
  ATTEST_ASSIGN_OR_RETURN(const uint32_t key_info, r.ReadU32Le());
  if ((key_info & kKeyInfoReservedMask) != 0) {
    return Status(reasons::kSnpReservedNotZero, "snp report: reserved bits 31:5 at 0x48 not zero");
  }
  rep.author_key_en = (key_info & 1) != 0;
  rep.mask_chip_key = (key_info & 2) != 0;
  const uint32_t signing_key = (key_info >> 2) & 7;
  if (signing_key != 0 && signing_key != 1 && signing_key != 7) {
    return Status(reasons::kSnpMalformed,
                  "snp report: signing_key " + std::to_string(signing_key) + " is reserved");
  }
  rep.signing_key = static_cast<SigningKey>(signing_key);
  ATTEST_RETURN_IF_ERROR(r.SkipZeros(4, "0x4c..0x4f"));
  ATTEST_ASSIGN_OR_RETURN(rep.report_data, r.ReadArray<64>());
  ATTEST_ASSIGN_OR_RETURN(rep.measurement, r.ReadArray<48>());
  ATTEST_ASSIGN_OR_RETURN(rep.host_data, r.ReadArray<32>());
  ATTEST_ASSIGN_OR_RETURN(rep.id_key_digest, r.ReadArray<48>());
  ATTEST_ASSIGN_OR_RETURN(rep.author_key_digest, r.ReadArray<48>());
  ATTEST_ASSIGN_OR_RETURN(rep.report_id, r.ReadArray<32>());
  ATTEST_ASSIGN_OR_RETURN(rep.report_id_ma, r.ReadArray<32>());
  ATTEST_ASSIGN_OR_RETURN(rep.reported_tcb, r.ReadU64Le());
  if (rep.version >= 3) {
    rep.has_cpuid = true;
    ATTEST_ASSIGN_OR_RETURN(rep.cpuid_fam_id, r.ReadU8());
    ATTEST_ASSIGN_OR_RETURN(rep.cpuid_mod_id, r.ReadU8());
    ATTEST_ASSIGN_OR_RETURN(rep.cpuid_step, r.ReadU8());
    ATTEST_RETURN_IF_ERROR(r.SkipZeros(0x1A0 - 0x18B, "0x18b..0x19f"));
  } else {
    ATTEST_RETURN_IF_ERROR(r.SkipZeros(0x1A0 - 0x188, "0x188..0x19f"));
  }
  ATTEST_ASSIGN_OR_RETURN(rep.chip_id, r.ReadArray<64>());
  ATTEST_ASSIGN_OR_RETURN(rep.committed_tcb, r.ReadU64Le());
  ATTEST_ASSIGN_OR_RETURN(rep.current_build, r.ReadU8());
  ATTEST_ASSIGN_OR_RETURN(rep.current_minor, r.ReadU8());
  ATTEST_ASSIGN_OR_RETURN(rep.current_major, r.ReadU8());
  ATTEST_RETURN_IF_ERROR(r.SkipZeros(1, "0x1eb"));
  ATTEST_ASSIGN_OR_RETURN(rep.committed_build, r.ReadU8());
  ATTEST_ASSIGN_OR_RETURN(rep.committed_minor, r.ReadU8());
  ATTEST_ASSIGN_OR_RETURN(rep.committed_major, r.ReadU8());
  ATTEST_RETURN_IF_ERROR(r.SkipZeros(1, "0x1ef"));
  ATTEST_ASSIGN_OR_RETURN(rep.launch_tcb, r.ReadU64Le());
  if (rep.version >= 5) {
    rep.has_mit_vectors = true;
    ATTEST_ASSIGN_OR_RETURN(rep.launch_mit_vector, r.ReadU64Le());
    ATTEST_ASSIGN_OR_RETURN(rep.current_mit_vector, r.ReadU64Le());
    ATTEST_RETURN_IF_ERROR(r.SkipZeros(kSignatureOffset - 0x208, "0x208..0x29f"));
  } else {
    ATTEST_RETURN_IF_ERROR(r.SkipZeros(kSignatureOffset - 0x1F8, "0x1f8..0x29f"));
  }
  ATTEST_ASSIGN_OR_RETURN(rep.signature_r, ReadLeSignatureComponent(r, "signature r[48..71]"));
  ATTEST_ASSIGN_OR_RETURN(rep.signature_s, ReadLeSignatureComponent(r, "signature s[48..71]"));
  ATTEST_RETURN_IF_ERROR(r.SkipZeros(kReportSize - 0x330, "signature 0x330..0x49f"));
  ATTEST_RETURN_IF_ERROR(r.ExpectEnd());
  std::copy_n(bytes.begin(), kSignedSize, rep.signed_bytes.begin());
  return rep;
}

}  // namespace attest::snp
