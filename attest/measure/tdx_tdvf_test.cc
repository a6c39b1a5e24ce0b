// TDVF metadata reader: the synthetic and Debian images, every truncation, and one mutation per
// check (../shared/vectors/measure/tdx/inputs).
#include "attest/measure/tdx_tdvf.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "attest/measure/tdx_le.h"
#include "tests/testing/vectors.h"

namespace attest::measure {
namespace {

using testing::ReadVector;

Bytes Synthetic() { return ReadVector("measure/tdx/inputs/synthetic_tdvf_64k.fd"); }

// DescriptorAt finds the "TDVF" descriptor the way a reader of the raw image would.
size_t DescriptorAt(const Bytes& fw) {
  for (size_t i = fw.size() - 4; i > 0; --i) {
    if (fw[i] == 'T' && fw[i + 1] == 'D' && fw[i + 2] == 'V' && fw[i + 3] == 'F') {
      return i;
    }
  }
  return 0;
}

TEST(TdvfMetadata, ParsesSyntheticAndDebian) {
  const Bytes fw = Synthetic();
  auto meta = ParseTdvfMetadata(fw);
  ASSERT_TRUE(meta.ok()) << meta.status().ToString();
  ASSERT_EQ(meta->sections.size(), 5u);
  EXPECT_EQ(meta->sections[0].type, TdvfSectionType::kBfv);
  EXPECT_TRUE(meta->sections[0].extend_mr());
  EXPECT_EQ(meta->sections[0].memory_address, 0xffff4000u);
  EXPECT_EQ(meta->sections[1].type, TdvfSectionType::kCfv);
  EXPECT_FALSE(meta->sections[1].extend_mr());
  EXPECT_EQ(meta->sections[2].type, TdvfSectionType::kTdHob);
  EXPECT_EQ(meta->sections[3].type, TdvfSectionType::kTempMem);

  auto debian = ParseTdvfMetadata(ReadVector("measure/tdx/inputs/debian12_OVMF.fd"));
  ASSERT_TRUE(debian.ok()) << debian.status().ToString();
  EXPECT_EQ(debian->sections.size(), 6u);
}

TEST(TdvfMetadata, EveryTruncationFails) {
  const Bytes fw = Synthetic();
  for (size_t n = 0; n < fw.size(); ++n) {
    auto meta = ParseTdvfMetadata(ByteSpan(fw).first(n));
    ASSERT_FALSE(meta.ok()) << n;
  }
}

TEST(TdvfMetadata, Mutations) {
  const Bytes good = Synthetic();
  const size_t d = DescriptorAt(good);
  ASSERT_NE(d, 0u);
  const size_t s0 = d + 16;  // first section entry
  const auto section = [s0](size_t i, size_t field) { return s0 + 32 * i + field; };
  const struct {
    const char* name;
    std::function<void(Bytes&)> mutate;
    Reason want;
  } cases[] = {
      {"signature", [&](Bytes& b) { b[d] = 'X'; }, reasons::kMeasureTdvfMalformed},
      {"guid before descriptor", [&](Bytes& b) { b[d - 1] ^= 1; }, reasons::kMeasureTdvfMalformed},
      {"length", [&](Bytes& b) { PutLe32(b, d + 4, 177); }, reasons::kMeasureTdvfMalformed},
      {"version 2", [&](Bytes& b) { PutLe32(b, d + 8, 2); }, reasons::kMeasureTdvfUnsupported},
      {"no sections", [&](Bytes& b) { PutLe32(b, d + 12, 0); }, reasons::kMeasureTdvfMalformed},
      {"section count above 64",
       [&](Bytes& b) {
         PutLe32(b, d + 12, 65);
         PutLe32(b, d + 4, 16 + 65 * 32);
       },
       reasons::kMeasureTdvfMalformed},
      {"type PERM_MEM", [&](Bytes& b) { PutLe32(b, section(3, 24), 4); },
       reasons::kMeasureTdvfUnsupported},
      {"type unknown", [&](Bytes& b) { PutLe32(b, section(3, 24), 99); },
       reasons::kMeasureTdvfUnsupported},
      {"attribute PAGE.AUG", [&](Bytes& b) { PutLe32(b, section(0, 28), 3); },
       reasons::kMeasureTdvfUnsupported},
      {"raw data past the file", [&](Bytes& b) { PutLe32(b, section(0, 0), 0x8000); },
       reasons::kMeasureTdvfSectionOutsideFile},
      {"raw offset huge", [&](Bytes& b) { PutLe32(b, section(1, 0), 0xffffffff); },
       reasons::kMeasureTdvfSectionOutsideFile},
      {"address not page-aligned", [&](Bytes& b) { PutLe64(b, section(2, 8), 0x809010); },
       reasons::kMeasureTdvfSectionInvalid},
      {"size not page multiple", [&](Bytes& b) { PutLe64(b, section(2, 16), 0x2001); },
       reasons::kMeasureTdvfSectionInvalid},
      {"size zero", [&](Bytes& b) { PutLe64(b, section(2, 16), 0); },
       reasons::kMeasureTdvfSectionInvalid},
      {"raw larger than memory", [&](Bytes& b) { PutLe64(b, section(0, 16), 0x1000); },
       reasons::kMeasureTdvfSectionInvalid},
      {"TD_HOB measured", [&](Bytes& b) { PutLe32(b, section(2, 28), 1); },
       reasons::kMeasureTdvfSectionInvalid},
      {"TEMP_MEM with data", [&](Bytes& b) { PutLe32(b, section(3, 4), 0x1000); },
       reasons::kMeasureTdvfSectionInvalid},
      {"two TD_HOBs", [&](Bytes& b) { PutLe32(b, section(4, 24), 2); },
       reasons::kMeasureTdvfSectionInvalid},
      {"overlap", [&](Bytes& b) { PutLe64(b, section(4, 8), 0x804000); },
       reasons::kMeasureTdvfSectionInvalid},
      {"address wraps", [&](Bytes& b) { PutLe64(b, section(4, 8), 0xfffffffffffff000); },
       reasons::kMeasureTdvfTooLarge},
      {"section larger than 1 GiB", [&](Bytes& b) { PutLe64(b, section(3, 16), 1ull << 31); },
       reasons::kMeasureTdvfTooLarge},
      {"sections larger than 1 GiB together",
       [&](Bytes& b) {
         PutLe64(b, section(3, 16), 1ull << 29);
         PutLe64(b, section(4, 8), 1ull << 32);
         PutLe64(b, section(4, 16), 1ull << 30);
       },
       reasons::kMeasureTdvfTooLarge},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Bytes fw = good;
    c.mutate(fw);
    auto meta = ParseTdvfMetadata(fw);
    ASSERT_FALSE(meta.ok());
    EXPECT_EQ(meta.status().reason_id(), c.want.id) << meta.status().ToString();
  }
}

// Pointing the footer's TDX entry outside the image is refused, whatever the value.
TEST(TdvfMetadata, DescriptorOffsetOutsideImage) {
  const Bytes good = Synthetic();
  const size_t d = DescriptorAt(good);
  const uint32_t from_end = static_cast<uint32_t>(good.size() - d);
  size_t entry = 0;
  for (size_t i = good.size() - 0x1000; i < good.size() - 4; ++i) {
    if (LoadLe<uint32_t>(good, i) == from_end) {
      entry = i;
    }
  }
  ASSERT_NE(entry, 0u);
  for (uint32_t bad :
       {uint32_t{0}, uint32_t{8}, static_cast<uint32_t>(good.size() + 1), uint32_t{0xffffffff}}) {
    Bytes fw = good;
    PutLe32(fw, entry, bad);
    auto meta = ParseTdvfMetadata(fw);
    ASSERT_FALSE(meta.ok()) << bad;
    EXPECT_EQ(meta.status().reason_id(), reasons::kMeasureTdvfMalformed.id) << bad;
  }
}

}  // namespace
}  // namespace attest::measure
