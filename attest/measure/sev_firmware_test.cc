#include "attest/measure/sev_firmware.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "attest/measure/test_images.h"
#include "tests/testing/vectors.h"

namespace attest::measure {
namespace {

using ::attest::testing::ReadVector;

const std::string kSnp = "measure/snp/";

// PutU32 overwrites a little-endian u32 of a test image.
void PutU32(Bytes& image, size_t offset, uint32_t v) {
  for (size_t i = 0; i < 4; ++i) {
    image[offset + i] = static_cast<uint8_t>(v >> (8 * i));
  }
}

// MetadataOffset is where the "ASEV" header of the AmdSev fixture starts (its footer entry holds
// 0x554, the distance from the end of the 4 KiB image).
constexpr size_t kAmdSevMetadata = 4096 - 0x554;

TEST(SevFirmware, RealImages) {
  struct Case {
    std::string name;
    std::string path;
    size_t num_sections;
    std::optional<uint32_t> reset_eip;
    std::optional<uint32_t> hash_table_gpa;
    std::optional<uint32_t> svsm_entry;
  } cases[] = {
      {"AmdSev", kSnp + "fixtures/ovmf_AmdSev_suffix.bin", 7, 0x80b004, 0x810c00, std::nullopt},
      {"OvmfX64", kSnp + "fixtures/ovmf_OvmfX64_suffix.bin", 6, 0x80b004, std::nullopt,
       std::nullopt},
      {"Debian 12 OVMF", kSnp + "inputs/debian12_OVMF.fd", 5, 0x80b004, std::nullopt, std::nullopt},
      {"SVSM's OVMF", kSnp + "fixtures/svsm_ovmf.fd", 6, 0x80b004, std::nullopt, std::nullopt},
      {"COCONUT-SVSM", kSnp + "fixtures/svsm.bin", 3, 0xfffffff0, std::nullopt, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const Bytes image = ReadVector(c.path);
    auto fw = ParseSevFirmware(image);
    ASSERT_TRUE(fw.ok()) << fw.status().ToString();
    ASSERT_TRUE(fw->sections.has_value());
    EXPECT_EQ(fw->sections->size(), c.num_sections);
    EXPECT_EQ(fw->sev_es_reset_eip, c.reset_eip);
    EXPECT_EQ(fw->sev_hashes_table_gpa, c.hash_table_gpa);
    EXPECT_EQ(fw->svsm_entry_offset, c.svsm_entry);
  }
}

TEST(SevFirmware, AmdSevSectionsInFileOrder) {
  auto fw = ParseSevFirmware(ReadVector(kSnp + "fixtures/ovmf_AmdSev_suffix.bin"));
  ASSERT_TRUE(fw.ok());
  const std::vector<std::pair<uint32_t, SevSectionType>> want = {
      {0x800000, SevSectionType::kSnpSecMem},  {0x80a000, SevSectionType::kSnpSecMem},
      {0x80d000, SevSectionType::kSnpSecrets}, {0x80e000, SevSectionType::kCpuid},
      {0x80f000, SevSectionType::kSvsmCaa},    {0x810000, SevSectionType::kSnpKernelHashes},
      {0x811000, SevSectionType::kSnpSecMem},
  };
  ASSERT_EQ(fw->sections->size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ((*fw->sections)[i].gpa, want[i].first);
    EXPECT_EQ((*fw->sections)[i].type, want[i].second);
  }
  EXPECT_EQ((*fw->sections)[0].size, 0x9000u);
}

TEST(SevFirmware, NoMetadataIsReportedAbsent) {
  // No footer table at all, or a table without the metadata entry: the parse succeeds and says
  // so; SEV-SNP then refuses (sev_launch_test).
  const Bytes amd = ReadVector(kSnp + "fixtures/ovmf_AmdSev_suffix.bin");
  for (const Bytes& image : {Bytes(8192, 0), testing::WithoutSevMetadata(amd), Bytes{}}) {
    auto fw = ParseSevFirmware(image);
    ASSERT_TRUE(fw.ok()) << fw.status().ToString();
    EXPECT_FALSE(fw->sections.has_value());
  }
}

TEST(SevFirmware, MalformedImagesRejected) {
  const Bytes amd = ReadVector(kSnp + "fixtures/ovmf_AmdSev_suffix.bin");
  ASSERT_EQ(amd.size(), 4096u);
  const size_t m = kAmdSevMetadata;
  const size_t first = m + 16;  // the first section descriptor; each is 12 bytes, SECRETS the third
  struct Case {
    std::string name;
    std::function<void(Bytes&)> mutate;
    std::string_view want;
  } cases[] = {
      {"signature", [&](Bytes& b) { b[m] = 'X'; }, "measure.ovmf_sev_metadata_malformed"},
      {"version 2", [&](Bytes& b) { PutU32(b, m + 8, 2); }, "measure.ovmf_sev_metadata_malformed"},
      {"no items", [&](Bytes& b) { PutU32(b, m + 12, 0); }, "measure.ovmf_sev_metadata_malformed"},
      {"65 items", [&](Bytes& b) { PutU32(b, m + 12, 65); }, "measure.ovmf_sev_metadata_malformed"},
      {"header size 0 (dstack's synthetic image)", [&](Bytes& b) { PutU32(b, m + 4, 0); },
       "measure.ovmf_sev_metadata_malformed"},
      {"header size one item short", [&](Bytes& b) { PutU32(b, m + 4, 88); },
       "measure.ovmf_sev_metadata_malformed"},
      {"more items than the header", [&](Bytes& b) { PutU32(b, m + 12, 8); },
       "measure.ovmf_sev_metadata_malformed"},
      {"unknown section type", [&](Bytes& b) { PutU32(b, first + 8, 5); },
       "measure.ovmf_sev_metadata_malformed"},
      {"unaligned gpa", [&](Bytes& b) { PutU32(b, first, 0x800800); },
       "measure.ovmf_sev_metadata_malformed"},
      {"size 0", [&](Bytes& b) { PutU32(b, first + 4, 0); }, "measure.ovmf_sev_metadata_malformed"},
      {"partial page", [&](Bytes& b) { PutU32(b, first + 4, 0x8fff); },
       "measure.ovmf_sev_metadata_malformed"},
      {"past 4 GiB", [&](Bytes& b) { PutU32(b, first, 0xfffff000); },
       "measure.ovmf_sev_metadata_malformed"},
      {"sections over 64 MiB", [&](Bytes& b) { PutU32(b, first + 4, 0x4001000); },
       "measure.ovmf_sev_metadata_malformed"},
      {"two-page SECRETS", [&](Bytes& b) { PutU32(b, first + 28, 0x2000); },
       "measure.ovmf_sev_metadata_malformed"},
      {"metadata offset past the start",
       [&](Bytes& b) { PutU32(b, testing::SevMetadataEntryOffset(b), 0x2000); },
       "measure.ovmf_sev_metadata_malformed"},
      {"metadata offset inside the header",
       [&](Bytes& b) { PutU32(b, testing::SevMetadataEntryOffset(b), 8); },
       "measure.ovmf_sev_metadata_malformed"},
      {"footer table size past the start",
       [&](Bytes& b) {
         b[4096 - 50] = 0xff;
         b[4096 - 49] = 0xff;
       },
       "measure.ovmf_malformed"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Bytes image = amd;
    c.mutate(image);
    auto fw = ParseSevFirmware(image);
    ASSERT_FALSE(fw.ok());
    EXPECT_EQ(fw.status().reason_id(), c.want);
  }
}

TEST(SevFirmware, DstackSyntheticHeaderSizeZeroRejected) {
  // sev-snp-measure refuses this image too (MANIFEST); dstack's parser accepts it.
  auto fw = ParseSevFirmware(ReadVector(kSnp + "inputs/dstack_synthetic_snp_ovmf.bin"));
  ASSERT_FALSE(fw.ok());
  EXPECT_EQ(fw.status().reason_id(), "measure.ovmf_sev_metadata_malformed");
}

TEST(SevFirmware, OversizedImageRejected) {
  auto fw = ParseSevFirmware(Bytes(kMaxFirmwareBytes + 1, 0));
  ASSERT_FALSE(fw.ok());
  EXPECT_EQ(fw.status().reason_id(), "measure.ovmf_too_large");
}

TEST(SevFirmware, EveryTruncationAndExtensionIsSafe) {
  // Cutting the image from the front keeps the footer but moves the metadata out of reach; cutting
  // from the back or appending loses the footer. Every outcome is a value or a measure.* reason.
  const Bytes amd = ReadVector(kSnp + "fixtures/ovmf_AmdSev_suffix.bin");
  for (size_t n = 0; n <= amd.size(); ++n) {
    for (const ByteSpan image : {ByteSpan(amd).subspan(n), ByteSpan(amd).first(n)}) {
      auto fw = ParseSevFirmware(image);
      if (!fw.ok()) {
        EXPECT_EQ(fw.status().reason_id().rfind("measure.ovmf_", 0), 0u)
            << n << ": " << fw.status().ToString();
      }
    }
  }
  Bytes longer = amd;
  longer.push_back(0);
  auto fw = ParseSevFirmware(longer);
  ASSERT_TRUE(fw.ok());
  EXPECT_FALSE(fw->sections.has_value());
}

}  // namespace
}  // namespace attest::measure
