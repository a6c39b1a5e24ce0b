#include "attest/snp/cert_table.h"

#include <gtest/gtest.h>

#include <functional>

namespace attest::snp {
namespace {

Guid G(const char* text) { return ParseGuid(text).value(); }
const char kVcek[] = "63da758d-e664-4564-adc5-f4b93be8accd";
const char kVlek[] = "a8074bc2-a25a-483e-aae6-39c045a0b8a1";
const char kAsk[] = "4ab7b379-bbac-4fe4-a02f-05aef327c782";
const char kArk[] = "c0b406a4-a803-4952-9743-3fb6014cd0ae";
const char kCrl[] = "92f81bc3-5811-4d3d-97ff-d19f88dc67ea";

Bytes Good() {
  return BuildCertTable({{G(kArk), Bytes(10, 0xA1)},
                         {G("11111111-2222-3333-4444-555555555555"), Bytes(3, 0xEE)},
                         {G(kVcek), Bytes(20, 0xC1)},
                         {G(kAsk), Bytes(15, 0xA5)},
                         {G(kCrl), Bytes(7, 0xCC)}});
}

TEST(CertTableTest, GuidBytesAreInTextOrder) {
  const Guid g = G(kVcek);
  EXPECT_EQ(g[0], 0x63);
  EXPECT_EQ(g[3], 0x8d);
  EXPECT_EQ(g[4], 0xe6);
  EXPECT_EQ(g[15], 0xcd);
  for (const char* bad :
       {"", "63da758d-e664-4564-adc5-f4b93be8acc", "63da758de664-4564-adc5-f4b93be8accdx",
        "63da758d-e664-4564-adc5-f4b93be8accg"}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(ParseGuid(bad).status().reason_id(), "snp.malformed_report");
  }
}

TEST(CertTableTest, SplitsKnownEntries) {
  auto c = ParseCertTable(Good());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->endorsement_cert, Bytes(20, 0xC1));
  ASSERT_EQ(c->chain.size(), 2u);
  EXPECT_EQ(c->chain[0], Bytes(15, 0xA5));  // ASK before ARK
  EXPECT_EQ(c->chain[1], Bytes(10, 0xA1));
  ASSERT_EQ(c->crls.size(), 1u);
  EXPECT_EQ(c->crls[0], Bytes(7, 0xCC));
  // A VLEK alone is as good; ASK and ARK are optional (the verifier has the pinned ARK).
  auto vlek = ParseCertTable(BuildCertTable({{G(kVlek), Bytes(5, 1)}}));
  ASSERT_TRUE(vlek.ok()) << vlek.status().ToString();
  EXPECT_EQ(vlek->endorsement_cert, Bytes(5, 1));
  EXPECT_TRUE(vlek->chain.empty());
}

void PutU32(Bytes& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    b[at + i] = static_cast<uint8_t>(v >> (8 * i));
  }
}

TEST(CertTableTest, RefusesMalformedTables) {
  const std::vector<std::pair<std::string, std::function<Bytes()>>> cases = {
      {"empty", [] { return Bytes(); }},
      {"only a terminator", [] { return Bytes(24, 0); }},
      {"no terminator",
       [] {
         Bytes b = BuildCertTable({{G(kVcek), Bytes(4, 1)}});
         return Bytes(b.begin(), b.begin() + 24);
       }},
      {"terminator with an offset",
       [] {
         Bytes b = BuildCertTable({{G(kVcek), Bytes(4, 1)}});
         PutU32(b, 24 + 16, 5);
         return b;
       }},
      {"offset past the end",
       [] {
         Bytes b = BuildCertTable({{G(kVcek), Bytes(4, 1)}});
         PutU32(b, 16, 0xFFFFFFF0);
         return b;
       }},
      {"length past the end",
       [] {
         Bytes b = BuildCertTable({{G(kVcek), Bytes(4, 1)}});
         PutU32(b, 20, 5);
         return b;
       }},
      {"length wraps",
       [] {
         Bytes b = BuildCertTable({{G(kVcek), Bytes(4, 1)}});
         PutU32(b, 20, 0xFFFFFFFF);
         return b;
       }},
      {"zero length",
       [] {
         return BuildCertTable({{G(kVcek), Bytes()}});
       }},
      {"certificate inside the table",
       [] {
         Bytes b = BuildCertTable({{G(kVcek), Bytes(30, 1)}});
         PutU32(b, 16, 0);
         return b;
       }},
      {"repeated VCEK",
       [] {
         return BuildCertTable({{G(kVcek), Bytes(4, 1)}, {G(kVcek), Bytes(4, 2)}});
       }},
      {"VCEK and VLEK",
       [] {
         return BuildCertTable({{G(kVcek), Bytes(4, 1)}, {G(kVlek), Bytes(4, 2)}});
       }},
      {"no endorsement key",
       [] {
         return BuildCertTable({{G(kAsk), Bytes(4, 1)}});
       }},
      {"too many entries",
       [] {
         std::vector<std::pair<Guid, Bytes>> e(
             40, {G("11111111-2222-3333-4444-555555555555"), Bytes(1, 1)});
         e.push_back({G(kVcek), Bytes(4, 1)});
         return BuildCertTable(e);
       }},
      {"too large",
       [] {
         return BuildCertTable({{G(kVcek), Bytes(size_t{70} * 1024, 1)}});
       }},
  };
  for (const auto& [name, make] : cases) {
    SCOPED_TRACE(name);
    EXPECT_EQ(ParseCertTable(make()).status().reason_id(), "snp.malformed_report");
  }
  // Truncating the good table at every length never crashes and never half-succeeds.
  const Bytes good = Good();
  for (size_t n = 0; n < good.size(); ++n) {
    SCOPED_TRACE(n);
    // The last certificate (the CRL) ends the blob, so every cut leaves an entry pointing past it.
    EXPECT_EQ(ParseCertTable(ByteSpan(good.data(), n)).status().reason_id(),
              "snp.malformed_report");
  }
}

}  // namespace
}  // namespace attest::snp
