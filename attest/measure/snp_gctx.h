// The SEV-SNP launch digest as the firmware extends it on every SNP_LAUNCH_UPDATE (SEV-SNP
// firmware ABI spec 56860, section 8.17 and table 67, PAGE_INFO):
//
//   LD' = SHA-384(LD || contents || u16 0x70 || u8 page_type || u8 is_imi (0) ||
//                 u8 vmpl3_perms || u8 vmpl2_perms || u8 vmpl1_perms (all 0) || u8 0 || u64 gpa)
//
// contents is SHA-384 of the page for NORMAL and VMSA pages and 48 zero bytes otherwise. LD starts
// at 48 zero bytes, or at a digest of pages measured earlier (a precomputed OVMF hash).
#pragma once

#include <cstdint>

#include "attest/core/bytes.h"
#include "attest/core/digest.h"

namespace attest::measure {

enum class SnpPageType : uint8_t {
  kNormal = 1,
  kVmsa = 2,
  kZero = 3,
  kUnmeasured = 4,
  kSecrets = 5,
  kCpuid = 6,
};

// The RMP records a VMSA at GPA 2^64 - 1, page-aligned and cut to 52 bits.
inline constexpr uint64_t kSnpVmsaGpa = 0xFFFFFFFFF000;

// SnpLaunchDigest accumulates the launch digest page by page.
class SnpLaunchDigest {
 public:
  explicit SnpLaunchDigest(const Sha384Digest& seed = {}) : ld_(seed) {}

  // UpdatePage extends the digest with one page whose contents digest is given.
  void UpdatePage(SnpPageType type, uint64_t gpa, const Sha384Digest& contents);
  // UpdateNormalPages measures data (a whole number of pages; the caller checks) from gpa on.
  void UpdateNormalPages(uint64_t gpa, ByteSpan data);
  // UpdateContentlessPages extends size / 4096 pages of a type whose contents are not hashed
  // (ZERO, UNMEASURED, SECRETS, CPUID).
  void UpdateContentlessPages(SnpPageType type, uint64_t gpa, uint64_t size);
  // UpdateVmsaPage measures one 4096-byte VMSA page.
  void UpdateVmsaPage(ByteSpan page);

  const Sha384Digest& digest() const { return ld_; }

 private:
  Sha384Digest ld_;
};

}  // namespace attest::measure
