#include "attest/snp/wire.h"

#include <gtest/gtest.h>

#include "tests/testing/vectors.h"

namespace attest::snp {
namespace {

using testing::ReadVector;

struct ReportVector {
  const char* path;
  uint32_t version;
};
const ReportVector kReports[] = {
    {"snp/gsg-milan-v2/report.bin", 2},
    {"snp/virtee-milan-v2/report.bin", 2},
    {"snp/trustee-milan-vlek-v3/report.bin", 3},
    {"snp/azure-genoa-v3/report.bin", 3},
};

TEST(SnpWireTest, ParsesEveryVector) {
  for (const auto& v : kReports) {
    SCOPED_TRACE(v.path);
    auto report = ParseSnpReport(ReadVector(v.path));
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_EQ(report->version, v.version);
    EXPECT_EQ(report->has_cpuid, v.version >= 3);
  }
}

TEST(SnpWireTest, TruncatedOrExtendedAtEveryLengthIsBadSize) {
  const Bytes good = ReadVector("snp/gsg-milan-v2/report.bin");
  for (size_t len = 0; len < good.size(); ++len) {
    auto r = ParseSnpReport(ByteSpan(good).first(len));
    ASSERT_FALSE(r.ok());
    ASSERT_EQ(r.status().reason_id(), "snp.bad_size") << len;
  }
  Bytes longer = good;
  longer.push_back(0);
  EXPECT_EQ(ParseSnpReport(longer).status().reason_id(), "snp.bad_size");
}

TEST(SnpWireTest, FieldLevelRejections) {
  const Bytes good = ReadVector("snp/trustee-milan-vlek-v3/report.bin");
  struct Case {
    const char* name;
    size_t offset;
    uint8_t value;
    std::string_view want;
  } cases[] = {
      {"version 0", 0x00, 0, "snp.unsupported_version"},
      {"version 1", 0x00, 1, "snp.unsupported_version"},
      {"version 4", 0x00, 4, "snp.unsupported_version"},
      {"version 6", 0x00, 6, "snp.unsupported_version"},
      {"version high byte", 0x03, 1, "snp.unsupported_version"},
      {"policy bit 17 clear", 0x0A, 0x01, "snp.malformed_report"},
      {"policy bit 26", 0x0B, 0x04, "snp.reserved_not_zero"},
      {"policy bit 63", 0x0F, 0x80, "snp.reserved_not_zero"},
      {"signature algo 0", 0x34, 0, "snp.unsupported_signature_algo"},
      {"signature algo 2", 0x34, 2, "snp.unsupported_signature_algo"},
      {"key info reserved bit 5", 0x48, 0x24, "snp.reserved_not_zero"},
      {"signing key 2 reserved", 0x48, 0x08, "snp.malformed_report"},
      {"reserved 0x4c", 0x4C, 1, "snp.reserved_not_zero"},
      {"reserved 0x4f", 0x4F, 1, "snp.reserved_not_zero"},
      {"v3 reserved 0x18b", 0x18B, 1, "snp.reserved_not_zero"},
      {"v3 reserved 0x19f", 0x19F, 1, "snp.reserved_not_zero"},
      {"reserved 0x1eb", 0x1EB, 1, "snp.reserved_not_zero"},
      {"reserved 0x1ef", 0x1EF, 1, "snp.reserved_not_zero"},
      {"v3 reserved 0x1f8", 0x1F8, 1, "snp.reserved_not_zero"},
      {"reserved 0x29f", 0x29F, 1, "snp.reserved_not_zero"},
      {"r high bytes", 0x2A0 + 48, 1, "snp.reserved_not_zero"},
      {"s high bytes", 0x2A0 + 72 + 71, 1, "snp.reserved_not_zero"},
      {"signature padding", 0x330, 1, "snp.reserved_not_zero"},
      {"last byte", 0x49F, 1, "snp.reserved_not_zero"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Bytes bad = good;
    bad[c.offset] = c.value;
    auto r = ParseSnpReport(bad);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().reason_id(), c.want) << r.status().ToString();
  }
}

TEST(SnpWireTest, Version2ReservesCpuidBytes) {
  Bytes v2 = ReadVector("snp/gsg-milan-v2/report.bin");
  v2[0x188] = 0x19;
  EXPECT_EQ(ParseSnpReport(v2).status().reason_id(), "snp.reserved_not_zero");
}

TEST(SnpWireTest, Version5ReadsMitigationVectors) {
  Bytes v5 = ReadVector("snp/trustee-milan-vlek-v3/report.bin");
  v5[0] = 5;
  v5[0x1F8] = 0x03;
  v5[0x207] = 0x80;
  auto r = ParseSnpReport(v5);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->has_mit_vectors);
  EXPECT_EQ(r->launch_mit_vector, 3u);
  EXPECT_EQ(r->current_mit_vector, 0x8000000000000000ull);
  v5[0x208] = 1;
  EXPECT_EQ(ParseSnpReport(v5).status().reason_id(), "snp.reserved_not_zero");
}

TEST(SnpWireTest, DecodesSignatureAsBigEndian) {
  auto r = ParseSnpReport(ReadVector("snp/gsg-milan-v2/report.bin"));
  ASSERT_TRUE(r.ok());
  // Report byte 0x2A0 is R's least significant byte.
  EXPECT_EQ(r->signature_r[47], 0x4f);
  EXPECT_EQ(r->signing_key, SigningKey::kVcek);
}

}  // namespace
}  // namespace attest::snp
