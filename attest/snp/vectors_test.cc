// The real SEV-SNP vectors of ../shared/vectors/snp (see its MANIFEST.md), with their documented
// claims and negatives.
#include <gtest/gtest.h>

#include "attest/core/encoding.h"
#include "attest/core/x509.h"
#include "attest/snp/claims.h"
#include "attest/snp/verify.h"
#include "attest/snp/wire.h"
#include "tests/testing/vectors.h"

namespace attest::snp {
namespace {

using testing::ReadVector;

struct Vector {
  const char* name;
  const char* report;
  const char* cert;
  const char* at;  // inside every validity window
  uint32_t version;
  uint64_t policy;
  uint32_t vmpl;
  EndorsementKind kind;
  Product product;
  const char* reported_tcb_le;
  const char* measurement;
  const char* report_data;
  const char* chip_id;
};

const Vector kVectors[] = {
    {"gsg-milan-v2", "snp/gsg-milan-v2/report.bin", "snp/gsg-milan-v2/vcek.der",
     "2024-01-01T00:00:00Z", 2, 0xb0000, 0, EndorsementKind::kVcek, Product::kMilan,
     "0200000000000544",
     "b07af9620f3b839b47996422ddec6058338951d984e312115131ea82705eaf5b6bdf8a9ece31a5a608eb0cf2e4872"
     "b01",
     "010203040500000000000000000000000000000000000000000000000000000000000000000000000000000000000"
     "00000000000000000000000000000000000",
     "3ac3fe21e13fb0990eb28a802e3fb6a29483a6b0753590c951bdd3b8e53786184ca39e359669a2b76a1936776b564"
     "ea464cdce40c05f63c9b610c5068b006b5d"},
    {"virtee-milan-v2", "snp/virtee-milan-v2/report.bin", "snp/virtee-milan-v2/vcek.der",
     "2024-01-01T00:00:00Z", 2, 0x30000, 0, EndorsementKind::kVcek, Product::kMilan,
     "0300000000000873",
     "7a1e5c266c0108dbc9bb94fa926951320940915d0aafb42464bd88b579ea158d3e1a0dc39b2c60bd95b9c480cd818"
     "41f",
     "d447b55d197491bfe15cf298f9de9986b7a7c4be2468b4f6e2d53b71d7c645810b0f2cdfca0040433be063fc1a829"
     "3f0f3f8dae7b79fecb3d1cd82bd6a93ebfd",
     "d49554ec717f4e5b0fe6b143bcf0405bd7ae304727edf46603f2a76aef6a3abc15d7af38db757039029f0efacfd08"
     "e244324884738c72b082e2f87a44d541eb6"},
    {"trustee-milan-vlek-v3", "snp/trustee-milan-vlek-v3/report.bin",
     "snp/trustee-milan-vlek-v3/vlek.der", "2025-06-01T00:00:00Z", 3, 0x30000, 1,
     EndorsementKind::kVlek, Product::kMilan, "04000000000018d9",
     "8922ebbdd00ec2c541f36a6e7a82a8773a7accb451ed67bc94e740dbe92c93c4e8c9af857f5ceeb5a493df2a570d7"
     "bf0",
     "819770b7e6ea6df8dd8fd4dd146b073c0bf4f3ce5b0977ecac486e3a05ed1bd54e2a7ac1f5d1ca02e7d7d5ef9f73b"
     "8574fd9359e3a480d741a4478e8a7bc27ca",
     "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
     "00000000000000000000000000000000000"},
    {"azure-genoa-v3", "snp/azure-genoa-v3/report.bin", "snp/azure-genoa-v3/vcek.pem",
     "2025-06-01T00:00:00Z", 3, 0x3001f, 0, EndorsementKind::kVcek, Product::kGenoa,
     "0a00000000001754",
     "f57dc09a507c6ecd82369bffb600f0003792f4d99bc26e985ec0c266fc34faf3706faf814c9e61065768a6ff917c8"
     "9ae",
     "b581f12e29a2d7d64e5e0b738d563879a78b51c644d0fa0cce02b48699f6bf5f00000000000000000000000000000"
     "00000000000000000000000000000000000",
     "0506ffba875e939c2729d20c74eb72b4c5ba6bf7ea1faaa640141f12c6d64782fb487f68ce69dcd021e914cc0d924"
     "4327bc121f0242d6470903ad1d4aaea4ad1"},
};

std::string LeHex(uint64_t v) {
  Bytes b(8);
  for (int i = 0; i < 8; ++i) {
    b[i] = static_cast<uint8_t>(v >> (8 * i));
  }
  return HexEncode(b);
}

Result<VerifiedSnpReport> Verify(const Bytes& report_bytes, const Bytes& cert, const char* at,
                                 std::vector<Bytes> chain = {}, SnpChainCache* cache = nullptr) {
  auto report = ParseSnpReport(report_bytes);
  if (!report.ok()) {
    return report.status();
  }
  SnpCollateral collateral{cert, std::move(chain), {}};
  return VerifySnpReport(*report, collateral, SnpTrustRoots::BuiltIn(), *ParseRfc3339(at), cache);
}

TEST(SnpVectorsTest, EveryValidVectorVerifiesWithDocumentedClaims) {
  for (const Vector& v : kVectors) {
    SCOPED_TRACE(v.name);
    auto verified = Verify(ReadVector(v.report), ReadVector(v.cert), v.at);
    ASSERT_TRUE(verified.ok()) << verified.status().ToString();
    const SnpClaims c = ToClaims(*verified);
    EXPECT_TRUE(c.verified);
    EXPECT_EQ(c.report.version, v.version);
    EXPECT_EQ(c.policy.raw, v.policy);
    EXPECT_EQ(c.report.vmpl, v.vmpl);
    EXPECT_EQ(c.signing_key, v.kind);
    EXPECT_EQ(c.product, v.product);
    EXPECT_EQ(LeHex(c.reported_tcb.raw), v.reported_tcb_le);
    EXPECT_EQ(HexEncode(c.report.measurement), v.measurement);
    EXPECT_EQ(HexEncode(c.report.report_data), v.report_data);
    EXPECT_EQ(HexEncode(c.report.chip_id), v.chip_id);
  }
}

TEST(SnpVectorsTest, ExplicitChainFilesAlsoVerify) {
  const Vector& v = kVectors[0];
  auto ok = Verify(ReadVector(v.report), ReadVector(v.cert), v.at,
                   {ReadVector("snp/certs/ask_ark_milan.pem")});
  EXPECT_TRUE(ok.ok()) << ok.status().ToString();
  // A Genoa chain supplied for a Milan VCEK adds nothing usable; the built-in ASK still applies,
  // but an ARK of another product is refused outright.
  auto wrong = Verify(ReadVector(v.report), ReadVector(v.cert), v.at,
                      {ReadVector("snp/certs/ask_ark_genoa.pem")});
  EXPECT_EQ(wrong.status().reason_id(), "snp.chain_untrusted");
}

TEST(SnpVectorsTest, DocumentedNegatives) {
  const Bytes milan_report = ReadVector("snp/virtee-milan-v2/report.bin");
  const Bytes milan_vcek = ReadVector("snp/virtee-milan-v2/vcek.der");
  const Bytes vlek_report = ReadVector("snp/trustee-milan-vlek-v3/report.bin");
  const Bytes vlek = ReadVector("snp/trustee-milan-vlek-v3/vlek.der");
  const Bytes gsg_report = ReadVector("snp/gsg-milan-v2/report.bin");

  Bytes vcek_byte40 = milan_vcek;
  vcek_byte40[40] ^= 0xFF;
  Bytes report_byte21 = milan_report;
  report_byte21[21] ^= 0x80;
  Bytes vlek_byte42 = vlek_report;
  vlek_byte42[42] += 1;
  Bytes vlek_byte384 = vlek_report;
  vlek_byte384[384] += 1;

  struct Case {
    const char* name;
    Bytes report;
    Bytes cert;
    const char* at;
    std::vector<std::string_view> want;  // any of
  } cases[] = {
      {"virtee vcek byte 40 flipped",
       milan_report,
       vcek_byte40,
       "2024-01-01T00:00:00Z",
       {"snp.chain_untrusted", "x509.cert_malformed"}},
      {"virtee report byte 21 bit 7",
       report_byte21,
       milan_vcek,
       "2024-01-01T00:00:00Z",
       {"snp.signature_invalid"}},
      {"trustee byte 42 +1", vlek_byte42, vlek, "2025-06-01T00:00:00Z", {"snp.signature_invalid"}},
      {"trustee byte 384 +1 (reported_tcb)",
       vlek_byte384,
       vlek,
       "2025-06-01T00:00:00Z",
       {"snp.tcb_mismatch"}},
      {"legacy-hwid vcek does not chain",
       gsg_report,
       ReadVector("snp/negative/vcek-invalid-legacy.der"),
       "2024-01-01T00:00:00Z",
       {"snp.chain_untrusted"}},
      {"vlek after its 2025-12-10 expiry",
       vlek_report,
       vlek,
       "2026-01-01T00:00:00Z",
       {"snp.cert_expired"}},
      {"vlek before its validity", vlek_report, vlek, "2024-12-01T00:00:00Z", {"snp.cert_expired"}},
      {"vcek after 2029 expiry",
       gsg_report,
       ReadVector("snp/gsg-milan-v2/vcek.der"),
       "2029-09-25T00:00:00Z",
       {"snp.cert_expired"}},
      {"report of one chip with another chip's vcek",
       gsg_report,
       milan_vcek,
       "2024-01-01T00:00:00Z",
       {"snp.tcb_mismatch", "snp.chip_id_mismatch"}},
      {"vlek report with a vcek",
       vlek_report,
       milan_vcek,
       "2025-06-01T00:00:00Z",
       {"snp.signing_key_kind_mismatch"}},
      {"vcek report with a vlek",
       milan_report,
       vlek,
       "2025-06-01T00:00:00Z",
       {"snp.signing_key_kind_mismatch"}},
      {"milan v3 report with a genoa vcek",
       vlek_report,
       ReadVector("snp/azure-genoa-v3/vcek.pem"),
       "2025-06-01T00:00:00Z",
       {"snp.signing_key_kind_mismatch"}},
      {"genoa report with a milan vcek",
       ReadVector("snp/azure-genoa-v3/report.bin"),
       milan_vcek,
       "2025-06-01T00:00:00Z",
       {"snp.product_mismatch"}},
      {"no vcek", gsg_report, {}, "2024-01-01T00:00:00Z", {"snp.signing_key_missing"}},
      {"garbage vcek", gsg_report, Bytes{1, 2, 3}, "2024-01-01T00:00:00Z", {"x509.cert_malformed"}},
      {"turin vcek (chains) against a milan report",
       gsg_report,
       ReadVector("snp/virtee-turin/vcek.der"),
       "2025-06-01T00:00:00Z",
       {"snp.tcb_mismatch"}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = Verify(c.report, c.cert, c.at);
    ASSERT_FALSE(r.ok());
    const std::string_view got = r.status().reason_id();
    EXPECT_NE(std::find(c.want.begin(), c.want.end(), got), c.want.end()) << r.status().ToString();
  }
}

TEST(SnpVectorsTest, EverySingleByteFlipIsRejected) {
  for (const Vector& v : {kVectors[0], kVectors[2], kVectors[3]}) {
    SCOPED_TRACE(v.name);
    const Bytes good = ReadVector(v.report);
    const Bytes cert = ReadVector(v.cert);
    SnpChainCache cache;
    ASSERT_TRUE(Verify(good, cert, v.at, {}, &cache).ok());
    for (size_t offset = 0; offset < good.size(); ++offset) {
      Bytes bad = good;
      bad[offset] ^= 0x01;
      auto r = Verify(bad, cert, v.at, {}, &cache);
      ASSERT_FALSE(r.ok()) << "offset " << offset;
    }
  }
}

TEST(SnpVectorsTest, TurinVcekChainsToBuiltInTurinRoots) {
  auto certs = ParseCertificates(ReadVector("snp/virtee-turin/vcek.der"));
  ASSERT_TRUE(certs.ok());
  auto info = ParseEndorsementCert((*certs)[0].get());
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->product, Product::kTurin);
  EXPECT_EQ(info->hw_id.size(), 8u);
  const ProductRoots* turin = SnpTrustRoots::BuiltIn().Find(Product::kTurin);
  ASSERT_NE(turin, nullptr);
  std::vector<X509*> mids;
  for (const auto& m : turin->intermediates) {
    mids.push_back(m.get());
  }
  X509* anchors[] = {turin->ark.get()};
  EXPECT_TRUE(
      VerifyChain((*certs)[0].get(), mids, anchors, *ParseRfc3339("2025-06-01T00:00:00Z")).ok());
}

TEST(SnpVectorsTest, BuiltInRootsCoverEveryProductAndChainFile) {
  const auto& roots = SnpTrustRoots::BuiltIn();
  for (Product p : {Product::kMilan, Product::kGenoa, Product::kTurin}) {
    SCOPED_TRACE(ProductName(p));
    const ProductRoots* entry = roots.Find(p);
    ASSERT_NE(entry, nullptr);
    EXPECT_EQ(entry->intermediates.size(), 2u);  // ASK and ASVK
  }
  for (const char* file : {"snp/certs/ask_ark_milan.pem", "snp/certs/ask_ark_genoa_vlek.pem",
                           "snp/virtee-turin/cert_chain_turin.pem"}) {
    SCOPED_TRACE(file);
    auto chain = ParseCertificates(ReadVector(file));
    ASSERT_TRUE(chain.ok());
    X509* anchors[] = {(*chain)[1].get()};
    EXPECT_TRUE(
        VerifyChain((*chain)[0].get(), {}, anchors, *ParseRfc3339("2025-06-01T00:00:00Z")).ok());
  }
}

}  // namespace
}  // namespace attest::snp
