#include "attest/sev/ovmf.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "attest/core/encoding.h"
#include "attest/core/file_io.h"

namespace attest::sev {
namespace {

Bytes AmdSev() {
  auto bytes = ReadFileBytes("tests/sev/data/ovmf_AmdSev_suffix.bin");
  EXPECT_TRUE(bytes.ok());
  return bytes.ok() ? *bytes : Bytes();
}

TEST(SevOvmf, AmdSevFooterTable) {
  const Bytes fw = AmdSev();
  auto table = ParseOvmfFooterTable(fw);
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  EXPECT_EQ(table->size(), 5u);
  EXPECT_TRUE(FindOvmfTableEntry(*table, kOvmfSevHashTableGuid).has_value());
  auto reset = OvmfSevEsResetAddress(fw);
  ASSERT_TRUE(reset.ok());
  EXPECT_EQ(*reset, 0x0080b004u);
  EXPECT_TRUE(OvmfSupportsKernelHashes(fw));
}

TEST(SevOvmf, PlainOvmfHasNoHashTable) {
  auto fw = ReadFileBytes("tests/sev/data/ovmf_OvmfX64_suffix.bin");
  ASSERT_TRUE(fw.ok());
  auto table = ParseOvmfFooterTable(*fw);
  ASSERT_TRUE(table.ok()) << table.status().ToString();
  EXPECT_FALSE(OvmfSupportsKernelHashes(*fw));
}

TEST(SevOvmf, MalformedTablesRejected) {
  const Bytes good = AmdSev();
  const size_t footer = good.size() - 32 - 18;
  struct Case {
    std::string name;
    size_t offset;
    uint8_t value;
  };
  const std::vector<Case> cases = {
      {"footer guid", footer + 2, 0x00},
      {"table size below header", footer, 0x05},
      {"table size beyond image", footer + 1, 0xff},
      {"last entry size below header", footer - 18, 0x03},
      {"last entry size beyond table", footer - 18 + 1, 0x7f},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Bytes fw = good;
    fw[c.offset] = c.value;
    if (c.offset == footer) {
      fw[footer + 1] = 0;
    }
    EXPECT_EQ(ParseOvmfFooterTable(fw).status().reason_id(), "sev.firmware_malformed");
  }
  EXPECT_EQ(ParseOvmfFooterTable(Bytes(49)).status().reason_id(), "sev.firmware_malformed");
  EXPECT_EQ(OvmfSevEsResetAddress(Bytes(4096)).status().reason_id(), "sev.firmware_malformed");
  // Cutting bytes off the end moves the footer: never a crash, never a table.
  for (size_t n = 0; n < good.size(); n += 7) {
    EXPECT_FALSE(ParseOvmfFooterTable(ByteSpan(good.data(), n)).ok()) << n;
  }
}

}  // namespace
}  // namespace attest::sev
