#include "attest/measure/snp_gctx.h"

#include <algorithm>
#include <cassert>

#include "attest/measure/sev_firmware.h"

namespace attest::measure {

void SnpLaunchDigest::UpdatePage(SnpPageType type, uint64_t gpa, const Sha384Digest& contents) {
  constexpr size_t kPageInfoSize = 0x70;
  std::array<uint8_t, kPageInfoSize> info{};
  std::copy(ld_.begin(), ld_.end(), info.begin());
  std::copy(contents.begin(), contents.end(), info.begin() + 48);
  info[96] = kPageInfoSize;  // u16 length, little-endian
  info[98] = static_cast<uint8_t>(type);
  // 99: is_imi, 100..102: VMPL3..1 permissions, 103: reserved; all zero for a launch.
  for (size_t i = 0; i < 8; ++i) {
    info[104 + i] = static_cast<uint8_t>(gpa >> (8 * i));
  }
  ld_ = Sha384(info);
}

void SnpLaunchDigest::UpdateNormalPages(uint64_t gpa, ByteSpan data) {
  assert(data.size() % kPageSize == 0);
  for (size_t offset = 0; offset < data.size(); offset += kPageSize) {
    UpdatePage(SnpPageType::kNormal, gpa + offset, Sha384(data.subspan(offset, kPageSize)));
  }
}

void SnpLaunchDigest::UpdateContentlessPages(SnpPageType type, uint64_t gpa, uint64_t size) {
  for (uint64_t offset = 0; offset < size; offset += kPageSize) {
    UpdatePage(type, gpa + offset, Sha384Digest{});
  }
}

void SnpLaunchDigest::UpdateVmsaPage(ByteSpan page) {
  assert(page.size() == kPageSize);
  UpdatePage(SnpPageType::kVmsa, kSnpVmsaGpa, Sha384(page));
}

}  // namespace attest::measure
