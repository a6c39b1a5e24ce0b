#include "attest/tpm/verify.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "attest/core/encoding.h"
#include "attest/core/file_io.h"
#include "attest/tpm/claims.h"
#include "attest/tpm/host.h"
#include "attest/tpm/testing/verify_all.h"
#include "render/tpm_claims_json.h"
#include "tests/testing/vectors.h"

namespace attest::tpm {
namespace {

using attest::testing::ReadVector;

Bytes ReadRepoFile(const std::string& path) {
  auto bytes = ReadFileBytes(path);
  EXPECT_TRUE(bytes.ok()) << path;
  return bytes.ok() ? *bytes : Bytes{};
}

// A quote fixture made with tpm2-tools 5.4 on swtpm 0.7.1 (attest/tpm/testdata/README.md).
struct Fixture {
  Bytes quote, sig, pcrs, ak_tpm2b, ak_pem;
};

Fixture LoadFixture(const std::string& name) {
  const std::string dir = "attest/tpm/testdata/swtpm/" + name + "/";
  return {ReadRepoFile(dir + "quote.msg"), ReadRepoFile(dir + "quote.sig"),
          ReadRepoFile(dir + "pcrs.bin"), ReadRepoFile(dir + "ak.tpm2b"),
          ReadRepoFile(dir + "ak.pem")};
}

Bytes AsVector(std::string_view text) { return Bytes(text.begin(), text.end()); }

const Bytes kNonce = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77};
const char* const kFixtures[] = {"rsa-rsassa", "rsa-rsapss", "ecc256-ecdsa", "ecc384-ecdsa"};

Result<VerifiedQuote> Verify(const Fixture& f, ByteSpan ak_bytes, std::optional<ByteSpan> nonce) {
  ATTEST_ASSIGN_OR_RETURN(AkPublic ak, ParsePublicKey(ak_bytes));
  ATTEST_ASSIGN_OR_RETURN(PcrBanks pcrs, ParsePcrValues(f.pcrs));
  return VerifyQuote(f.quote, f.sig, ak, nonce, pcrs);
}

TEST(VerifyQuote, SwtpmFixturesVerifyWithTpm2bAndPemAks) {
  for (const char* name : kFixtures) {
    SCOPED_TRACE(name);
    const Fixture f = LoadFixture(name);
    for (const Bytes* ak : {&f.ak_tpm2b, &f.ak_pem}) {
      auto v = Verify(f, *ak, ByteSpan(kNonce));
      ASSERT_TRUE(v.ok()) << v.status().ToString();
      EXPECT_TRUE(v->nonce_checked());
      EXPECT_EQ(v->pcrs().at(kAlgSha1).size(), 8u);
      EXPECT_EQ(v->pcrs().at(kAlgSha256).size(), 10u);
      // swtpm before any dynamic launch: PCR 17 reads all-FF.
      EXPECT_EQ(v->pcrs().at(kAlgSha256).at(17), Bytes(32, 0xff));
    }
    auto ak = ParsePublicKey(f.ak_tpm2b);
    ASSERT_TRUE(ak.ok());
    EXPECT_TRUE(CheckAkAttributes(*ak).ok());
  }
}

TEST(VerifyQuote, WindowsGcpQuoteVerifiesAndItsLogReplaysToTheQuotedPcrs) {
  auto ak = ParsePublicKey(ReadVector("tpm/quote-windows-gcp/ak_public.tpmt"));
  ASSERT_TRUE(ak.ok()) << ak.status().ToString();
  EXPECT_TRUE(CheckAkAttributes(*ak).ok());
  auto pcrs = ParsePcrValues(ReadVector("tpm/quote-windows-gcp/pcrs.json"));
  ASSERT_TRUE(pcrs.ok()) << pcrs.status().ToString();
  auto v = VerifyQuote(ReadVector("tpm/quote-windows-gcp/quote.attest"),
                       ReadVector("tpm/quote-windows-gcp/quote.sig"), *ak, ByteSpan(), *pcrs);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  auto log = ParseEventLog(ReadVector("tpm/quote-windows-gcp/eventlog.bin"));
  ASSERT_TRUE(log.ok());
  auto replay = ReplayEventLog(*log);
  ASSERT_TRUE(replay.ok());
  EXPECT_TRUE(CompareReplay(v->pcrs(), *replay, ReplayMode::kStatic).ok());
}

TEST(VerifyQuote, Rejections) {
  const Fixture rsa = LoadFixture("rsa-rsassa");
  const Fixture ecc = LoadFixture("ecc256-ecdsa");
  auto with = [](Bytes b, size_t offset, uint8_t mask) {
    b[offset] ^= mask;
    return b;
  };
  Bytes quote_trailing = rsa.quote;
  quote_trailing.push_back(0);
  const Bytes wrong_nonce = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x78};
  Bytes pcrs_flipped = rsa.pcrs;
  pcrs_flipped[132 + 4 + 4 + 2] ^= 1;  // first byte of the first PCR value
  struct Case {
    std::string name;
    Fixture f;
    Bytes ak;
    Bytes nonce;
    std::string want;
  };
  const Case cases[] = {
      {"magic",
       {with(rsa.quote, 0, 0x01), rsa.sig, rsa.pcrs},
       rsa.ak_tpm2b,
       kNonce,
       "tpm.bad_magic"},
      {"type certify",
       {with(rsa.quote, 5, 0x18 ^ 0x17), rsa.sig, rsa.pcrs},
       rsa.ak_tpm2b,
       kNonce,
       "tpm.attest_malformed"},
      {"trailing byte",
       {quote_trailing, rsa.sig, rsa.pcrs},
       rsa.ak_tpm2b,
       kNonce,
       "tpm.attest_malformed"},
      {"last byte",
       {with(rsa.quote, rsa.quote.size() - 1, 0x01), rsa.sig, rsa.pcrs},
       rsa.ak_tpm2b,
       kNonce,
       "tpm.signature_invalid"},
      {"rsa sig bit",
       {rsa.quote, with(rsa.sig, 100, 0x80), rsa.pcrs},
       rsa.ak_tpm2b,
       kNonce,
       "tpm.signature_invalid"},
      {"ecdsa sig bit",
       {ecc.quote, with(ecc.sig, 10, 0x01), ecc.pcrs},
       ecc.ak_tpm2b,
       kNonce,
       "tpm.signature_invalid"},
      {"sig scheme hmac",
       {rsa.quote, with(rsa.sig, 1, 0x14 ^ 0x05), rsa.pcrs},
       rsa.ak_tpm2b,
       kNonce,
       "tpm.signature_malformed"},
      {"sig truncated",
       {rsa.quote, Bytes(rsa.sig.begin(), rsa.sig.end() - 1), rsa.pcrs},
       rsa.ak_tpm2b,
       kNonce,
       "tpm.signature_malformed"},
      {"other ak",
       {rsa.quote, rsa.sig, rsa.pcrs},
       LoadFixture("rsa-rsapss").ak_tpm2b,
       kNonce,
       "tpm.signature_invalid"},
      {"ecdsa sig, rsa ak",
       {ecc.quote, ecc.sig, ecc.pcrs},
       rsa.ak_tpm2b,
       kNonce,
       "tpm.unsupported_algorithm"},
      {"wrong nonce",
       {rsa.quote, rsa.sig, rsa.pcrs},
       rsa.ak_tpm2b,
       wrong_nonce,
       "tpm.nonce_mismatch"},
      {"no nonce but one quoted",
       {rsa.quote, rsa.sig, rsa.pcrs},
       rsa.ak_tpm2b,
       {},
       "tpm.nonce_mismatch"},
      {"pcr value flipped",
       {rsa.quote, rsa.sig, pcrs_flipped},
       rsa.ak_tpm2b,
       kNonce,
       "tpm.pcr_digest_mismatch"},
      {"pcr missing",
       {rsa.quote, rsa.sig, AsVector(R"({"banks":{"sha1":{"0":"00"}}})")},
       rsa.ak_tpm2b,
       kNonce,
       "tpm.pcrs_malformed"},
      {"pcr set incomplete",
       {rsa.quote, rsa.sig,
        AsVector(R"({"banks":{"sha1":{"0":"0000000000000000000000000000000000000000"}}})")},
       rsa.ak_tpm2b,
       kNonce,
       "tpm.pcr_missing"},
      {"pcrs truncated",
       {rsa.quote, rsa.sig, Bytes(rsa.pcrs.begin(), rsa.pcrs.end() - 1)},
       rsa.ak_tpm2b,
       kNonce,
       "tpm.pcrs_malformed"},
      {"ak garbage",
       {rsa.quote, rsa.sig, rsa.pcrs},
       Bytes{1, 2, 3},
       kNonce,
       "tpm.public_malformed"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto v = Verify(c.f, c.ak, ByteSpan(c.nonce));
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.status().reason_id(), c.want) << v.status().ToString();
  }
}

TEST(VerifyQuote, EverySingleBitFlipOfQuoteOrSignatureIsRejected) {
  for (const char* name : kFixtures) {
    SCOPED_TRACE(name);
    const Fixture f = LoadFixture(name);
    const std::set<std::string_view> allowed = {
        "tpm.attest_malformed",    "tpm.bad_magic",         "tpm.not_a_quote",
        "tpm.signature_malformed", "tpm.signature_invalid", "tpm.unsupported_algorithm"};
    for (size_t i = 0; i < f.quote.size() * 8; ++i) {
      Fixture g = f;
      g.quote[i / 8] ^= static_cast<uint8_t>(1u << (i % 8));
      auto v = Verify(g, f.ak_tpm2b, ByteSpan(kNonce));
      ASSERT_FALSE(v.ok()) << "quote bit " << i;
      EXPECT_TRUE(allowed.count(v.status().reason_id())) << v.status().ToString();
    }
    for (size_t i = 0; i < f.sig.size() * 8; ++i) {
      Fixture g = f;
      g.sig[i / 8] ^= static_cast<uint8_t>(1u << (i % 8));
      auto v = Verify(g, f.ak_tpm2b, ByteSpan(kNonce));
      ASSERT_FALSE(v.ok()) << "signature bit " << i;
      EXPECT_TRUE(allowed.count(v.status().reason_id())) << v.status().ToString();
    }
    for (size_t i = 0; i < kNonce.size() * 8; ++i) {
      Bytes nonce = kNonce;
      nonce[i / 8] ^= static_cast<uint8_t>(1u << (i % 8));
      auto v = Verify(f, f.ak_tpm2b, ByteSpan(nonce));
      ASSERT_FALSE(v.ok());
      EXPECT_EQ(v.status().reason_id(), "tpm.nonce_mismatch");
    }
  }
}

TEST(VerifyQuote, TruncatedQuoteIsMalformedAtEveryLength) {
  const Fixture f = LoadFixture("ecc256-ecdsa");
  for (size_t n = 0; n < f.quote.size(); ++n) {
    auto q = ParseQuote(ByteSpan(f.quote).first(n));
    ASSERT_FALSE(q.ok()) << n;
    EXPECT_EQ(q.status().reason_id(), "tpm.attest_malformed") << n;
  }
}

TEST(AkAttributes, RejectsKeysThatAreNotRestrictedTpmSigningKeys) {
  const Bytes base = LoadFixture("rsa-rsassa").ak_tpm2b;
  struct Case {
    std::string name;
    uint32_t toggle;
  };
  for (const Case& c :
       {Case{"fixedTPM", kAttrFixedTpm}, Case{"fixedParent", kAttrFixedParent},
        Case{"sensitiveDataOrigin", kAttrSensitiveDataOrigin}, Case{"restricted", kAttrRestricted},
        Case{"sign", kAttrSign}, Case{"decrypt", kAttrDecrypt}}) {
    SCOPED_TRACE(c.name);
    Bytes b = base;
    for (int i = 0; i < 4; ++i) {
      b[6 + i] ^= static_cast<uint8_t>(c.toggle >> (24 - 8 * i));
    }
    auto ak = ParsePublicKey(b);
    ASSERT_TRUE(ak.ok()) << ak.status().ToString();
    EXPECT_EQ(CheckAkAttributes(*ak).reason_id(), "tpm.ak_attributes_invalid");
  }
  auto pem = ParsePublicKey(LoadFixture("rsa-rsassa").ak_pem);
  ASSERT_TRUE(pem.ok());
  EXPECT_EQ(CheckAkAttributes(*pem).reason_id(), "tpm.ak_attributes_invalid");
}

TEST(CompareReplay, NamesTheFirstDifferingPcr) {
  auto log = ParseEventLog(ReadVector("tpm/quote-windows-gcp/eventlog.bin"));
  ASSERT_TRUE(log.ok());
  auto replay = ReplayEventLog(*log);
  ASSERT_TRUE(replay.ok());
  auto pcrs = ParsePcrValues(ReadVector("tpm/quote-windows-gcp/pcrs.json"));
  ASSERT_TRUE(pcrs.ok());
  PcrBanks quoted = *pcrs;
  quoted[kAlgSha1][4][0] ^= 1;
  quoted[kAlgSha1][7][0] ^= 1;
  Status s = CompareReplay(quoted, *replay, ReplayMode::kStatic);
  EXPECT_EQ(s.reason_id(), "eventlog.pcr_mismatch");
  EXPECT_NE(s.message().find("sha1:4 "), std::string::npos) << s.message();
  PcrBanks other_bank;
  other_bank[kAlgSha384][0] = Bytes(48, 0);
  EXPECT_EQ(CompareReplay(other_bank, *replay, ReplayMode::kStatic).reason_id(),
            "eventlog.bank_missing");
}

TEST(Claims, WindowsGcpQuoteClaims) {
  auto ak = ParsePublicKey(ReadVector("tpm/quote-windows-gcp/ak_public.tpmt"));
  auto pcrs = ParsePcrValues(ReadVector("tpm/quote-windows-gcp/pcrs.json"));
  ASSERT_TRUE(ak.ok() && pcrs.ok());
  auto v = VerifyQuote(ReadVector("tpm/quote-windows-gcp/quote.attest"),
                       ReadVector("tpm/quote-windows-gcp/quote.sig"), *ak, ByteSpan(), *pcrs);
  ASSERT_TRUE(v.ok());
  const QuoteClaims c = ToClaims(*v);
  EXPECT_TRUE(c.nonce.empty());
  EXPECT_EQ(c.qualified_signer.size(), 34u);  // sha256 nameAlg + digest
  EXPECT_EQ(render::ClaimsToJson(c)["pcrs"]["sha1"]["7"],
            "859a5877266b5c909613468091a73380a5386786");
}

}  // namespace
}  // namespace attest::tpm

namespace attest::tpm {
namespace {

TEST(HostEvidence, RealSizeLogMeasuredBySwtpmVerifiesAndEveryFlippedLogBitIsCaught) {
  const std::string dir = "attest/tpm/testdata/swtpm/bench-100/";
  const Bytes quote = ReadRepoFile(dir + "quote.msg");
  const Bytes sig = ReadRepoFile(dir + "quote.sig");
  const Bytes log = ReadRepoFile(dir + "eventlog.bin");
  auto ak = ParsePublicKey(ReadRepoFile(dir + "ak.tpm2b"));
  auto pcrs = ParsePcrValues(ReadRepoFile(dir + "pcrs.bin"));
  ASSERT_TRUE(ak.ok() && pcrs.ok());
  const Bytes nonce = *HexDecode("c0ffee00c0ffee00c0ffee00c0ffee00");
  testing::EvidenceWithKey ev;
  ev.quote = quote;
  ev.signature = sig;
  ev.ak = &*ak;
  ev.nonce = ByteSpan(nonce);
  ev.pcrs = *pcrs;
  ev.event_log = ByteSpan(log);
  testing::VerifiedAll ok = testing::VerifyAll(ev);
  ASSERT_TRUE(ok.accepted()) << ok.errors.front().ToString();
  EXPECT_EQ(ok.claims.boot->num_events, 105u);
  EXPECT_EQ(ok.claims.boot->secure_boot, false);
  // Flip one bit in each record's digests: the replay no longer matches the quote.
  auto parsed = ParseEventLog(log);
  ASSERT_TRUE(parsed.ok());
  size_t rejected = 0;
  for (const TcgEvent& e : parsed->events) {
    if (e.event_type == kEvNoAction) {
      continue;
    }
    for (size_t field : {14u, 12u + 2 + 20 + 2 + 7}) {  // inside the sha1, then the sha256 digest
      Bytes bad = log;
      bad[e.offset + field] ^= 0x01;
      ev.event_log = ByteSpan(bad);
      testing::VerifiedAll r = testing::VerifyAll(ev);
      ASSERT_FALSE(r.accepted());
      EXPECT_EQ(r.errors.front().reason_id(), "eventlog.pcr_mismatch");
      ++rejected;
    }
  }
  EXPECT_EQ(rejected, 2 * 105u);
}

}  // namespace
}  // namespace attest::tpm

namespace attest::tpm {
namespace {

TEST(ParsePcrValues, AcceptsBanksJsonFlatJsonAndToolsFiles) {
  const std::string sha1_zero(40, '0'), sha256_ff(64, 'f');
  auto banks = ParsePcrValues(AsVector(R"({"banks":{"sha1":{"0":")" + sha1_zero +
                                       R"("},"sha256":{"17":"0x)" + sha256_ff + R"("}}})"));
  ASSERT_TRUE(banks.ok()) << banks.status().ToString();
  EXPECT_EQ(banks->at(kAlgSha1).at(0), Bytes(20, 0));
  EXPECT_EQ(banks->at(kAlgSha256).at(17), Bytes(32, 0xff));
  auto flat = ParsePcrValues(AsVector(R"( {"7":")" + sha256_ff + R"("})"));
  ASSERT_TRUE(flat.ok());
  EXPECT_EQ(flat->at(kAlgSha256).at(7), Bytes(32, 0xff));
  struct Case {
    std::string name, input;
  };
  const Case cases[] = {
      {"not json", "{nope"},
      {"array", "[1]"},
      {"unknown bank", R"({"banks":{"md5":{"0":"00"}}})"},
      {"wrong length for bank", R"({"banks":{"sha1":{"0":")" + sha256_ff + R"("}}})"},
      {"index 24", R"({"24":")" + sha1_zero + R"("})"},
      {"index not decimal", R"({"x":")" + sha1_zero + R"("})"},
      {"value not string", R"({"0":1})"},
      {"bad hex", R"({"0":"zz"})"},
      {"odd length", R"({"0":"123"})"},
      {"tools file too short", std::string(10, '\0')},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(ParsePcrValues(AsVector(c.input)).status().reason_id(), "tpm.pcrs_malformed");
  }
  // A tools file whose selection promises more values than it holds.
  Bytes tools = LoadFixture("rsa-rsassa").pcrs;
  tools[132 + 4] = 5;  // first TPML_DIGEST count 18 -> 5
  EXPECT_EQ(ParsePcrValues(tools).status().reason_id(), "tpm.pcrs_malformed");
}

}  // namespace
}  // namespace attest::tpm
