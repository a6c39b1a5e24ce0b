#include "attest/tdx/wire.h"

#include <gtest/gtest.h>

#include <functional>

#include "attest/core/encoding.h"
#include "tests/testing/vectors.h"

namespace attest::tdx {
namespace {

using attest::testing::ReadVector;

// The gotdx SPR quote file carries 39 bytes of non-zero text after the quote (its source test
// checks that trailing data is ignored); the quote itself ends at 4935.
constexpr size_t kSprQuoteSize = 4935;

struct Expected {
  const char* file;
  size_t length;  // 0 = whole file
  uint16_t version;
  uint32_t tee_type;
  uint16_t body_type;
  const char* tee_tcb_svn;
  const char* mr_seam;
  const char* mr_td;
  const char* rtmr0;
  const char* rtmr2;
  const char* report_data;
};

TEST(ParseQuote, VectorsMatchManifest) {
  const Expected cases[] = {
      {"tdx/dcap-qvl-v4/quote.bin", 0, 4, kTeeTypeTdx, 2, "06010300000000000000000000000000",
       "5b38e33a6487958b72c3c12a938eaa5e3fd4510c51aeeab58c7d5ecee41d7c436489d6c8e4f92f160b7cad34207"
       "b00c1",
       "91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873"
       "118b7",
       "44c0197b39157fdd7a4dcc44767f9d6b0bb3977c7a8e347b8492f827fe9d9e5c48aca29b220b80b6a540cf994b9"
       "bc9c0",
       "d833feef2cd945148aa38ead2c53e9b7f138190aaaebfc551dccd829fc207aa3ba80b70870d7330733642e01d48"
       "c3132",
       "9a9d48e7f6799642d3d1b34e1e5e1742d4bb02dd6ddd551862c1211d35c304f9eca3efdbb481601c163cf52493d"
       "6e44aed55d51ec39b7e518fadb92c2b523f20"},
      {"tdx/gotdx-v4-spr/quote.bin", kSprQuoteSize, 4, kTeeTypeTdx, 2,
       "03000400000000000000000000000000",
       "2fd279c16164a93dd5bf373d834328d46008c2b693af9ebb865b08b2ced320c9a89b4869a9fab60fbe9d0c5a536"
       "3c656",
       "6363b8043668a3ad953278e10389574d326c6749fb78aa810ecd9336923db86f22fc00b8dcd404bc10d5e119d72"
       "15cbb",
       "2927da70461cd63266f43230cc1849c03ef25ebe490062a801d8fcc80af42976823adf08f833c1e50b51779c659"
       "3f32a",
       "8652f0caaba7e215ea442dc36a4499d8fec3362f3a0b2ca151cbe4b3e6466fe59c7368b3c2287fc7c3bf5c924eb"
       "4424e",
       "6c62dec1b8191749a31dab490be532a35944dea47caef1f980863993d9899545eb7406a38d1eed313b987a467da"
       "cead6f0c87a6d766c66f6f29f8acb281f1113"},
      {"tdx/gotdx-v5/quote.bin", 0, 5, kTeeTypeTdx, 3, "0b010400000000000000000000000000",
       "7bf063280e94fb051f5dd7b1fc59ce9aac42bb961df8d44b709c9b0ff87a7b4df648657ba6d1189589feab1d5a3"
       "c9a9d",
       "7348651a34b2d2d3462822e3a750ec6110125f36757c78480bbfc69cc0d21fb001a1ced3ee19747dda8f750c3bc"
       "8f876",
       "5c8daf76063a71ac8fcef4067564661fc682ed7944c7a5d21dbbced02f61ceff4ba0678c6aef3bdae8cbc614cec"
       "24619",
       "6369b9c9a3b791ebcbdc5a0bb9536cfb57f50df2b393b33c8b29616d3568baa61f4b59dc6092e31ea8764bcbdfc"
       "69f20",
       "945eaacf5abc1f719d8666a942fda03d1edcb4490277396093dc5a5289ab9f1e094aed63060cd4a4933a4dd537e"
       "d1255c9c79ecb3ed82cd1b486233e31c25c3a"},
      {"tdx/gotdx-ccel/quote.bin", 0, 4, kTeeTypeTdx, 2, "04010700000000000000000000000000",
       "ffc97a88587660fb04e1f7c851300c96ae0b5a463ac46d035d16c2d9f36d0ed1d23775bcbd27deb219e3a3cc280"
       "23895",
       "dae67181d3d65e073ad8f95b7907d5e927bfe9761c9ff3e9b89734a45d8954dba41394c7717cb2735396c1d0423"
       "1f94a",
       "3fa2f61f395b7f5feefb4ec2df61297f109ad8abcd6410c1b7df60f21f37b19297fc35e544039c7e1edece752af"
       "d17f6",
       "4969684dc87381fc3b3134176c8d8806eaf0a901859f5f70cfae8d17714b46c10a8de219048c9fc09f11f381a6f"
       "be7c1",
       "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
       "0000000000000000000000000000000000000"},
  };
  for (const Expected& e : cases) {
    SCOPED_TRACE(e.file);
    Bytes bytes = ReadVector(e.file);
    if (e.length != 0) {
      bytes.resize(e.length);
    }
    auto q = ParseQuote(bytes);
    ASSERT_TRUE(q.ok()) << q.status().ToString();
    EXPECT_EQ(q->header.version, e.version);
    EXPECT_EQ(q->header.tee_type, e.tee_type);
    EXPECT_EQ(q->body_type, e.body_type);
    ASSERT_TRUE(q->td_report.has_value());
    EXPECT_EQ(HexEncode(q->td_report->tee_tcb_svn), e.tee_tcb_svn);
    EXPECT_EQ(HexEncode(q->td_report->mr_seam), e.mr_seam);
    EXPECT_EQ(HexEncode(q->td_report->mr_td), e.mr_td);
    EXPECT_EQ(HexEncode(q->td_report->rtmr[0]), e.rtmr0);
    EXPECT_EQ(HexEncode(q->td_report->rtmr[2]), e.rtmr2);
    EXPECT_EQ(HexEncode(q->td_report->rtmr[3]), std::string(96, '0'));
    EXPECT_EQ(HexEncode(q->td_report->report_data), e.report_data);
    EXPECT_EQ(q->td_report->is_1_5, e.body_type == 3);
    EXPECT_NE(std::string(q->pck_chain_pem.begin(), q->pck_chain_pem.end())
                  .find("-----BEGIN CERTIFICATE-----"),
              std::string::npos);
  }
}

TEST(ParseQuote, SgxV3VectorMatchesManifest) {
  auto q = ParseQuote(ReadVector("tdx/dcap-qvl-sgx-v3/quote.bin"));
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->header.version, 3);
  EXPECT_EQ(q->header.tee_type, kTeeTypeSgx);
  ASSERT_TRUE(q->enclave_report.has_value());
  EXPECT_EQ(HexEncode(q->enclave_report->mr_enclave),
            "33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb");
  EXPECT_EQ(HexEncode(q->enclave_report->mr_signer),
            "815f42f11cf64430c30bab7816ba596a1da0130c3b028b673133a66cf9a3e0e6");
  EXPECT_EQ(HexEncode(q->enclave_report->report_data).substr(0, 26), "48656c6c6f2c20776f726c6421");
  EXPECT_EQ(q->signed_data.size(), kHeaderSize + kEnclaveReportSize);
}

TEST(ParseQuote, PaddingAfterQuote) {
  // The dcap-qvl vector already ends in 70 zero bytes (a fixed-size buffer).
  const Bytes good = ReadVector("tdx/dcap-qvl-v4/quote.bin");
  ASSERT_EQ(ParseQuote(good)->trailing_padding, 70u);
  Bytes padded = good;
  padded.resize(good.size() + 3000, 0);
  auto q = ParseQuote(padded);
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  EXPECT_EQ(q->trailing_padding, 3070u);

  // The ccel vector is an 8000-byte buffer: zero padding accepted as is.
  auto ccel = ParseQuote(ReadVector("tdx/gotdx-ccel/quote.bin"));
  ASSERT_TRUE(ccel.ok()) << ccel.status().ToString();
  EXPECT_GT(ccel->trailing_padding, 0u);

  // Non-zero bytes after the quote are not padding.
  Bytes junk = padded;
  junk.back() = 1;
  EXPECT_EQ(ParseQuote(junk).status().reason_id(), "tdx.malformed_quote");
  auto spr = ParseQuote(ReadVector("tdx/gotdx-v4-spr/quote.bin"));
  EXPECT_EQ(spr.status().reason_id(), "tdx.malformed_quote");
}

TEST(ParseQuote, EveryTruncationFails) {
  for (const char* file :
       {"tdx/dcap-qvl-v4/quote.bin", "tdx/dcap-qvl-sgx-v3/quote.bin", "tdx/gotdx-v5/quote.bin"}) {
    SCOPED_TRACE(file);
    const Bytes good = ReadVector(file);
    const size_t quote_size = good.size() - ParseQuote(good)->trailing_padding;
    for (size_t n = 0; n < quote_size; ++n) {
      auto q = ParseQuote(ByteSpan(good).subspan(0, n));
      ASSERT_FALSE(q.ok()) << "prefix of " << n << " bytes parsed";
      ASSERT_EQ(q.status().code(), ErrorCode::kMalformedEvidence) << n;
    }
  }
}

void PutU16(Bytes& b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v);
  b[at + 1] = static_cast<uint8_t>(v >> 8);
}
void PutU32(Bytes& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    b[at + i] = static_cast<uint8_t>(v >> (8 * i));
  }
}

TEST(ParseQuote, MalformedAndUnsupported) {
  const Bytes v4 = ReadVector("tdx/dcap-qvl-v4/quote.bin");
  const Bytes v5 = ReadVector("tdx/gotdx-v5/quote.bin");
  const Bytes v3 = ReadVector("tdx/dcap-qvl-sgx-v3/quote.bin");
  constexpr size_t kV4Sig = kHeaderSize + kTdReport10Size;  // u32 signature data length
  constexpr size_t kV4Cert = kV4Sig + 4 + 128;              // certification data header
  constexpr size_t kV4Inner = kV4Cert + 6 + 384 + 64;       // qe auth data size
  struct Case {
    const char* name;
    const Bytes* base;
    std::function<void(Bytes&)> mutate;
    const char* want;
  };
  const Case cases[] = {
      {"version 2", &v4, [](Bytes& b) { PutU16(b, 0, 2); }, "tdx.unsupported_quote"},
      {"version 6", &v4, [](Bytes& b) { PutU16(b, 0, 6); }, "tdx.unsupported_quote"},
      {"v4 with SGX tee type", &v4, [](Bytes& b) { PutU32(b, 4, 0); }, "tdx.unsupported_quote"},
      {"v3 with TDX tee type", &v3, [](Bytes& b) { PutU32(b, 4, 0x81); }, "tdx.unsupported_quote"},
      {"unknown tee type", &v4, [](Bytes& b) { PutU32(b, 4, 0x82); }, "tdx.unsupported_quote"},
      {"ECDSA P-384 key type", &v4, [](Bytes& b) { PutU16(b, 2, 3); }, "tdx.unsupported_quote"},
      {"v5 body type 1", &v5, [](Bytes& b) { PutU16(b, 48, 1); }, "tdx.unsupported_quote"},
      {"v5 body type 4", &v5, [](Bytes& b) { PutU16(b, 48, 4); }, "tdx.unsupported_quote"},
      {"v5 body size off by one", &v5, [](Bytes& b) { PutU32(b, 50, 649); }, "tdx.malformed_quote"},
      {"signature data too long", &v4,
       [](Bytes& b) { PutU32(b, kV4Sig, static_cast<uint32_t>(b.size())); }, "tdx.malformed_quote"},
      {"signature data one byte short", &v4,
       [](Bytes& b) {
         uint32_t n = b[kV4Sig] | (b[kV4Sig + 1] << 8) | (b[kV4Sig + 2] << 16);
         PutU32(b, kV4Sig, n - 1);
       },
       "tdx.malformed_quote"},
      {"outer cert data type 5", &v4, [](Bytes& b) { PutU16(b, kV4Cert, 5); },
       "tdx.cert_data_unsupported"},
      {"outer cert data type 7", &v4, [](Bytes& b) { PutU16(b, kV4Cert, 7); },
       "tdx.cert_data_unsupported"},
      {"outer cert data size too large", &v4, [](Bytes& b) { PutU32(b, kV4Cert + 2, 0xffffff); },
       "tdx.malformed_quote"},
      {"qe auth data size overruns", &v4, [](Bytes& b) { PutU16(b, kV4Inner, 0xffff); },
       "tdx.malformed_quote"},
      {"inner cert data type 3 (encrypted PPID)", &v4,
       [](Bytes& b) {
         const size_t auth = b[kV4Inner] | (b[kV4Inner + 1] << 8);
         PutU16(b, kV4Inner + 2 + auth, 3);
       },
       "tdx.cert_data_unsupported"},
      {"inner cert data size zero", &v4,
       [](Bytes& b) {
         const size_t auth = b[kV4Inner] | (b[kV4Inner + 1] << 8);
         PutU32(b, kV4Inner + 2 + auth + 2, 0);
       },
       "tdx.malformed_quote"},
      {"one byte appended non-zero", &v4, [](Bytes& b) { b.push_back(0x20); },
       "tdx.malformed_quote"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Bytes b = *c.base;
    c.mutate(b);
    auto q = ParseQuote(b);
    ASSERT_FALSE(q.ok());
    EXPECT_EQ(q.status().reason_id(), c.want) << q.status().ToString();
  }
}

TEST(ParseEnclaveReport, ExactSize) {
  const Bytes zeros(kEnclaveReportSize, 0);
  EXPECT_TRUE(ParseEnclaveReport(zeros).ok());
  EXPECT_EQ(ParseEnclaveReport(ByteSpan(zeros).subspan(1)).status().reason_id(),
            "tdx.malformed_quote");
  Bytes longer = zeros;
  longer.push_back(0);
  EXPECT_EQ(ParseEnclaveReport(longer).status().reason_id(), "tdx.malformed_quote");
}

}  // namespace
}  // namespace attest::tdx
