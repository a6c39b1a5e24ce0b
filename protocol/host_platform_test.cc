#include "protocol/host_platform.h"

#include <gtest/gtest.h>

#include "attest/core/encoding.h"

namespace attest::protocol {
namespace {

SnpChipId Chip(uint8_t fill) {
  SnpChipId c{};
  c.fill(fill);
  return c;
}

HostPlatform Good() {
  HostPlatform p;
  p.snp_chip_ids = {Chip(0xbb), Chip(0x11)};  // deliberately unsorted
  TdxPlatformIdentity tdx;
  tdx.ppid.fill(0xab);
  tdx.pce_id = {0x00, 0x01};
  tdx.fmspc = {0xb0, 0xc0, 0x6f, 0x00, 0x00, 0x00};
  p.tdx = tdx;
  return p;
}

std::string Hex(uint8_t fill, size_t n) { return HexEncode(Bytes(n, fill)); }

TEST(HostPlatform, CanonicalFormIsPinned) {
  const std::string text = SerializeHostPlatform(Good()).value();
  EXPECT_EQ(text, R"({"snp_chip_ids":[")" + Hex(0x11, 64) + R"(",")" + Hex(0xbb, 64) +
                      R"("],"tdx":{"fmspc":"b0c06f000000","pce_id":"0001","ppid":")" +
                      Hex(0xab, 16) + R"("},"v":1})");
  HostPlatform want = Good();
  std::swap(want.snp_chip_ids[0], want.snp_chip_ids[1]);
  EXPECT_EQ(ParseHostPlatform(text).value(), want);
  EXPECT_EQ(SerializeHostPlatform(HostPlatform{}).value(),
            R"({"snp_chip_ids":[],"tdx":null,"v":1})");
  EXPECT_TRUE(ParseHostPlatform(R"({"snp_chip_ids":[],"tdx":null,"v":1})")->empty());
}

TEST(HostPlatform, AnySpellingHasOneCanonicalForm) {
  const std::string spelled = "{ \"v\": 1, \"tdx\": null,\n \"snp_chip_ids\": [\"" + Hex(0x22, 64) +
                              "\", \"" + Hex(0x02, 64) + "\"] }";
  const HostPlatform p = ParseHostPlatform(spelled).value();
  ASSERT_EQ(p.snp_chip_ids.size(), 2u);
  EXPECT_EQ(p.snp_chip_ids[0], Chip(0x02));
  EXPECT_TRUE(p.OwnsSnpChip(Chip(0x22)));
  EXPECT_FALSE(p.OwnsSnpChip(Chip(0x23)));
  EXPECT_EQ(SerializeHostPlatform(p).value(), R"({"snp_chip_ids":[")" + Hex(0x02, 64) + R"(",")" +
                                                  Hex(0x22, 64) + R"("],"tdx":null,"v":1})");
}

TEST(HostPlatform, QualifyingDataBindsNonceAndDocument) {
  const Bytes nonce(32, 0x5a);
  const std::string doc = SerializeHostPlatform(Good()).value();
  const Sha256Digest bound = QuoteQualifyingData(nonce, doc);
  // Independently: SHA-256 over label (with its NUL), big-endian length, nonce, document.
  Bytes message(kQuoteBindingLabel.begin(), kQuoteBindingLabel.end());
  ASSERT_EQ(message.size(), 32u);
  EXPECT_EQ(message.back(), 0);
  for (uint8_t b : {0, 0, 0, 32}) {
    message.push_back(b);
  }
  message.insert(message.end(), nonce.begin(), nonce.end());
  message.insert(message.end(), doc.begin(), doc.end());
  EXPECT_EQ(bound, Sha256(message));
  EXPECT_NE(bound, Sha256(nonce));  // never the bare nonce

  // Every input changes the digest, including moving a byte between nonce and document.
  HostPlatform other = Good();
  other.snp_chip_ids[0][63] ^= 1;
  EXPECT_NE(QuoteQualifyingData(nonce, SerializeHostPlatform(other).value()), bound);
  Bytes nonce2 = nonce;
  nonce2[0] ^= 1;
  EXPECT_NE(QuoteQualifyingData(nonce2, doc), bound);
  Bytes longer = nonce;
  longer.push_back(static_cast<uint8_t>(doc[0]));
  EXPECT_NE(QuoteQualifyingData(longer, std::string_view(doc).substr(1)), bound);
}

TEST(HostPlatform, MalformedDocumentsAreRefused) {
  const std::string chip = "\"" + Hex(0x11, 64) + "\"";
  const std::string tdx_ok =
      R"({"fmspc":"b0c06f000000","pce_id":"0001","ppid":")" + Hex(0xab, 16) + "\"}";
  auto doc = [](const std::string& chips, const std::string& tdx, const std::string& v = "1") {
    return R"({"snp_chip_ids":[)" + chips + R"(],"tdx":)" + tdx + R"(,"v":)" + v + "}";
  };
  std::string seventeen;
  for (int i = 1; i <= 17; ++i) {
    seventeen += (i > 1 ? "," : "") + ("\"" + Hex(static_cast<uint8_t>(i), 64) + "\"");
  }
  struct Case {
    std::string name;
    std::string text;
  };
  const std::vector<Case> cases = {
      {"empty text", ""},
      {"not json", "{"},
      {"array", "[]"},
      {"trailing bytes", doc(chip, "null") + "x"},
      {"nul then bytes", doc(chip, "null") + std::string(1, '\0') + "{}"},
      {"duplicate key", R"({"v":1,"v":1,"snp_chip_ids":[],"tdx":null})"},
      {"missing v", R"({"snp_chip_ids":[],"tdx":null})"},
      {"missing tdx", R"({"snp_chip_ids":[],"v":1})"},
      {"unknown key", R"({"snp_chip_ids":[],"tdx":null,"v":1,"x":0})"},
      {"version 2", doc(chip, "null", "2")},
      {"version string", doc(chip, "null", "\"1\"")},
      {"version float", doc(chip, "null", "1.0")},
      {"chips not array", R"({"snp_chip_ids":{},"tdx":null,"v":1})"},
      {"chip not string", doc("7", "null")},
      {"chip short", doc("\"" + Hex(0x11, 63) + "\"", "null")},
      {"chip long", doc("\"" + Hex(0x11, 65) + "\"", "null")},
      {"chip upper case", doc("\"" + std::string(128, 'A') + "\"", "null")},
      {"chip not hex", doc("\"" + std::string(128, 'g') + "\"", "null")},
      {"chip all zero (masked)", doc("\"" + Hex(0, 64) + "\"", "null")},
      {"chip twice", doc(chip + "," + chip, "null")},
      {"seventeen chips", doc(seventeen, "null")},
      {"tdx array", doc(chip, "[]")},
      {"tdx missing ppid", doc(chip, R"({"fmspc":"b0c06f000000","pce_id":"0001"})")},
      {"tdx extra key", doc(chip, R"({"fmspc":"b0c06f000000","pce_id":"0001","ppid":")" +
                                      Hex(1, 16) + R"(","x":1})")},
      {"tdx ppid zero",
       doc(chip, R"({"fmspc":"b0c06f000000","pce_id":"0001","ppid":")" + Hex(0, 16) + "\"}")},
      {"tdx fmspc short",
       doc(chip, R"({"fmspc":"b0c06f0000","pce_id":"0001","ppid":")" + Hex(1, 16) + "\"}")},
      {"tdx pce_id number",
       doc(chip, R"({"fmspc":"b0c06f000000","pce_id":1,"ppid":")" + Hex(1, 16) + "\"}")},
      {"too deep", doc(chip, R"({"fmspc":[[[[]]]],"pce_id":"0001","ppid":"00"})")},
      {"too long", doc(chip, tdx_ok) + std::string(kMaxHostPlatformBytes, ' ')},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Result<HostPlatform> p = ParseHostPlatform(c.text);
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.status().reason_id(), reasons::kHostPlatformInvalid.id);
  }
  // The good documents next to them parse.
  EXPECT_TRUE(ParseHostPlatform(doc(chip, tdx_ok)).ok());
  EXPECT_TRUE(ParseHostPlatform(doc(seventeen.substr(seventeen.find(',') + 1), "null")).ok());
}

TEST(HostPlatform, SerializeRefusesInvalidValues) {
  struct Case {
    std::string name;
    std::function<void(HostPlatform&)> edit;
  };
  const std::vector<Case> cases = {
      {"zero chip", [](HostPlatform& p) { p.snp_chip_ids.push_back(Chip(0)); }},
      {"repeated chip", [](HostPlatform& p) { p.snp_chip_ids.push_back(Chip(0x11)); }},
      {"zero ppid", [](HostPlatform& p) { p.tdx->ppid.fill(0); }},
      {"too many chips",
       [](HostPlatform& p) {
         for (int i = 0x20; i < 0x20 + static_cast<int>(kMaxSnpChips); ++i) {
           p.snp_chip_ids.push_back(Chip(static_cast<uint8_t>(i)));
         }
       }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    HostPlatform p = Good();
    c.edit(p);
    Result<std::string> s = SerializeHostPlatform(p);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.status().reason_id(), reasons::kHostPlatformInvalid.id);
  }
}

}  // namespace
}  // namespace attest::protocol
