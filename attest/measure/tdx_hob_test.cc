// q35 memory split and the TD HOB built from the Debian OVMF's TDVF sections
// (../shared/vectors/measure/tdx/inputs/debian12_OVMF.fd), and its refusals.
#include "attest/measure/tdx_hob.h"

#include <gtest/gtest.h>

#include "attest/measure/tdx_le.h"
#include "tests/testing/vectors.h"

namespace attest::measure {
namespace {

TdvfMetadata Debian() {
  auto meta = ParseTdvfMetadata(testing::ReadVector("measure/tdx/inputs/debian12_OVMF.fd"));
  EXPECT_TRUE(meta.ok());
  return meta.ok() ? *meta : TdvfMetadata{};
}

TEST(Q35GuestMemory, Split) {
  const struct {
    uint64_t memory, below, above;
  } cases[] = {
      {1ull << 30, 1ull << 30, 0},
      {0xaffff000, 0xaffff000, 0},
      {0xb0000000, 0x80000000, 0x30000000},
      {16ull << 30, 0x80000000, (16ull << 30) - 0x80000000},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.memory);
    auto m = Q35GuestMemory(c.memory);
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->below_4g_bytes, c.below);
    EXPECT_EQ(m->above_4g_bytes, c.above);
  }
  for (const uint64_t bad : {0ull, 4097ull, (1ull << 30) + 8, 1ull << 47}) {
    auto m = Q35GuestMemory(bad);
    ASSERT_FALSE(m.ok()) << bad;
    EXPECT_EQ(m.status().reason_id(), reasons::kMeasureMemoryInvalid.id);
  }
}

TEST(TdHob, DebianLayout) {
  const TdvfMetadata meta = Debian();
  const struct {
    uint64_t memory;
    size_t ranges;
  } cases[] = {{1ull << 30, 8}, {16ull << 30, 9}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.memory);
    auto hob = BuildTdHobMeasured(meta, *Q35GuestMemory(c.memory));
    ASSERT_TRUE(hob.ok()) << hob.status().ToString();
    ASSERT_EQ(hob->size(), 56 + 48 * c.ranges);
    EXPECT_EQ(LoadLe<uint16_t>(*hob, 0), 1);  // handoff info table
    EXPECT_EQ(LoadLe<uint64_t>(*hob, 48), 0x809000 + hob->size() + 8);
    uint64_t next = 0;
    for (size_t i = 0; i < c.ranges; ++i) {
      const size_t at = 56 + 48 * i;
      EXPECT_EQ(LoadLe<uint16_t>(*hob, at), 3);  // resource descriptor
      const uint64_t start = LoadLe<uint64_t>(*hob, at + 32);
      if (start != 1ull << 32) {
        EXPECT_EQ(start, next);  // contiguous below 4 GiB
      }
      next = start + LoadLe<uint64_t>(*hob, at + 40);
    }
    EXPECT_EQ(next, c.memory > 0xb0000000 ? (1ull << 32) + c.memory - 0x80000000 : c.memory);
  }
}

TEST(TdHob, Refusals) {
  const TdvfMetadata good = Debian();
  TdvfMetadata no_hob = good;
  for (TdvfSection& s : no_hob.sections) {
    if (s.type == TdvfSectionType::kTdHob) {
      s.type = TdvfSectionType::kTempMem;
    }
  }
  TdvfMetadata crowded = good;
  for (uint64_t i = 0; i < 100; ++i) {  // 201 ranges: 9712 bytes, the section has 8192
    crowded.sections.push_back(
        {0, 0, 0x1000000 + i * 0x2000, 0x1000, TdvfSectionType::kTempMem, 0});
  }
  const struct {
    const char* name = "";
    TdvfMetadata meta;
    uint64_t memory = 0;
    Reason want;
  } cases[] = {
      {"no TD_HOB", no_hob, 1ull << 30, reasons::kMeasureTdvfSectionInvalid},
      {"list larger than the TD_HOB section", crowded, 1ull << 30,
       reasons::kMeasureTdvfHobOverflow},
      {"TEMP_MEM above RAM", good, 4ull << 20, reasons::kMeasureMemoryInvalid},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto hob = BuildTdHobMeasured(c.meta, *Q35GuestMemory(c.memory));
    ASSERT_FALSE(hob.ok());
    EXPECT_EQ(hob.status().reason_id(), c.want.id) << hob.status().ToString();
  }
}

}  // namespace
}  // namespace attest::measure
