// QEMU ACPI loader/RSDP derivation over every table blob in
// ../shared/vectors/measure/tdx/acpi_tables, and the malformed blobs it refuses.
#include "attest/measure/tdx_acpi.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "attest/measure/tdx_le.h"
#include "tests/testing/vectors.h"

namespace attest::measure {
namespace {

using testing::ReadVector;

constexpr char kDir[] = "measure/tdx/acpi_tables/";

size_t FindTable(const Bytes& b, const char* sig) {
  for (size_t at = 0; at + 8 <= b.size();) {
    if (std::string(b.begin() + at, b.begin() + at + 4) == sig) {
      return at;
    }
    const uint32_t len = LoadLe<uint32_t>(b, at + 4);
    if (len == 0) {
      break;
    }
    at += len;
  }
  return SIZE_MAX;
}

TEST(QemuAcpi, EveryFixture) {
  const struct {
    const char* file;
    uint32_t cpus;
    uint32_t rsdt_entries;
  } cases[] = {
      {"fortanix/canonical-defaults/acpi_tables.bin", 4, 4},
      {"fortanix/q35-with-hpet/acpi_tables.bin", 8, 5},
      {"fortanix/runtime-capture/acpi_tables.bin", 8, 5},
      {"quex_generated/acpi_c1_m40000000_d1.bin", 1, 4},
      {"quex_generated/acpi_c2_m80000000_d1.bin", 2, 4},
      {"quex_generated/acpi_c4_mb0000000_d2.bin", 4, 4},
      {"quex_generated/acpi_c8_m100000000_d0.bin", 8, 4},
      {"quex_generated/acpi_c16_m400000000_d4.bin", 16, 4},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.file);
    const Bytes tables = ReadVector(std::string(kDir) + c.file);
    auto blobs = BuildQemuAcpiBlobs(tables);
    ASSERT_TRUE(blobs.ok()) << blobs.status().ToString();
    EXPECT_EQ(blobs->madt_enabled_cpus, c.cpus);
    EXPECT_EQ(blobs->table_loader.size(), 4096u);
    ASSERT_EQ(blobs->rsdp.size(), 20u);
    const size_t rsdt = FindTable(tables, "RSDT");
    ASSERT_NE(rsdt, SIZE_MAX);
    EXPECT_EQ(LoadLe<uint32_t>(blobs->rsdp, 16), rsdt);
    // One 4-byte ADD_POINTER per RSDT entry.
    uint32_t rsdt_pointers = 0;
    for (size_t at = 0; at + 128 <= blobs->table_loader.size(); at += 128) {
      const uint32_t offset = LoadLe<uint32_t>(blobs->table_loader, at + 116);
      if (LoadLe<uint32_t>(blobs->table_loader, at) == 2 && offset >= rsdt + 36 &&
          offset < rsdt + 36 + size_t{4} * c.rsdt_entries + 4) {
        ++rsdt_pointers;
      }
    }
    EXPECT_EQ(rsdt_pointers, c.rsdt_entries);
  }
}

TEST(QemuAcpi, EveryTruncationIsSafe) {
  const Bytes tables = ReadVector(std::string(kDir) + "fortanix/q35-with-hpet/acpi_tables.bin");
  const size_t used = FindTable(tables, "RSDT") + 56;
  for (size_t n = 0; n < used; ++n) {
    auto blobs = BuildQemuAcpiBlobs(ByteSpan(tables).first(n));
    ASSERT_FALSE(blobs.ok()) << n;
    EXPECT_EQ(blobs.status().reason_id(), reasons::kMeasureAcpiMalformed.id) << n;
  }
  EXPECT_TRUE(BuildQemuAcpiBlobs(ByteSpan(tables).first(used)).ok());
}

TEST(QemuAcpi, Mutations) {
  const Bytes good = ReadVector(std::string(kDir) + "fortanix/runtime-capture/acpi_tables.bin");
  const size_t facp = FindTable(good, "FACP");
  const size_t rsdt = FindTable(good, "RSDT");
  const size_t apic = FindTable(good, "APIC");
  ASSERT_NE(apic, SIZE_MAX);
  const struct {
    const char* name;
    std::function<void(Bytes&)> mutate;
  } cases[] = {
      {"junk after padding", [](Bytes& b) { b[b.size() - 1] = 1; }},
      {"non-printable signature", [](Bytes& b) { b[0] = 0x01; }},
      {"length under header", [](Bytes& b) { PutLe32(b, 4, 8); }},
      {"length past the blob", [](Bytes& b) { PutLe32(b, 4, 0x7fffffff); }},
      {"no FACP", [&](Bytes& b) { b[facp] = 'X'; }},
      {"FACP too short for X_DSDT",
       [&](Bytes& b) {
         // Shrink FACP and move nothing: the next table is then misread or the FACP rejected.
         PutLe32(b, facp + 4, 116);
       }},
      {"RSDT length not 36+4n", [&](Bytes& b) { PutLe32(b, rsdt + 4, 55); }},
      {"MADT entry past the table", [&](Bytes& b) { b[apic + 44 + 1] = 0xff; }},
      {"MADT entry length zero", [&](Bytes& b) { b[apic + 44 + 1] = 0; }},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Bytes tables = good;
    c.mutate(tables);
    auto blobs = BuildQemuAcpiBlobs(tables);
    ASSERT_FALSE(blobs.ok());
    EXPECT_EQ(blobs.status().reason_id(), reasons::kMeasureAcpiMalformed.id)
        << blobs.status().ToString();
  }
}

}  // namespace
}  // namespace attest::measure
