#include "attest/measure/tdx_mrtd.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "attest/measure/tdx_sha384.h"

namespace attest::measure {
namespace {

constexpr size_t kChunkBytes = 256;

void AddOperation(Sha384Stream& mrtd, const char* name, uint64_t gpa) {
  std::array<uint8_t, 128> block{};
  std::memcpy(block.data(), name, std::strlen(name));
  for (int i = 0; i < 8; ++i) {
    block[16 + i] = static_cast<uint8_t>(gpa >> (8 * i));
  }
  mrtd.Update(block);
}

void AddPage(Sha384Stream& mrtd, uint64_t gpa) { AddOperation(mrtd, "MEM.PAGE.ADD", gpa); }

// ExtendPage measures one page of a section: offset is the page's offset in the section.
void ExtendPage(Sha384Stream& mrtd, ByteSpan firmware, const TdvfSection& s, uint64_t offset) {
  const ByteSpan raw = firmware.subspan(s.data_offset, s.raw_data_size);
  for (uint64_t chunk = offset; chunk < offset + kTdvfPageBytes; chunk += kChunkBytes) {
    AddOperation(mrtd, "MR.EXTEND", s.memory_address + chunk);
    std::array<uint8_t, kChunkBytes> data{};
    if (chunk < raw.size()) {
      const size_t n = std::min<size_t>(kChunkBytes, raw.size() - chunk);
      std::copy_n(raw.begin() + static_cast<ptrdiff_t>(chunk), n, data.begin());
    }
    mrtd.Update(data);
  }
}

}  // namespace

Sha384Digest ComputeMrtd(ByteSpan firmware, const TdvfMetadata& metadata, MrtdPageOrder order) {
  Sha384Stream mrtd;
  for (const TdvfSection& s : metadata.sections) {
    for (uint64_t offset = 0; offset < s.memory_data_size; offset += kTdvfPageBytes) {
      AddPage(mrtd, s.memory_address + offset);
      if (order == MrtdPageOrder::kSinglePass && s.extend_mr()) {
        ExtendPage(mrtd, firmware, s, offset);
      }
    }
    if (order == MrtdPageOrder::kTwoPass && s.extend_mr()) {
      for (uint64_t offset = 0; offset < s.memory_data_size; offset += kTdvfPageBytes) {
        ExtendPage(mrtd, firmware, s, offset);
      }
    }
  }
  return mrtd.Finish();
}

}  // namespace attest::measure
