#include "service/hosts/ek_trust.h"

#include <gtest/gtest.h>
#include <openssl/x509v3.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include <unistd.h>

#include "attest/core/digest.h"
#include "attest/core/encoding.h"
#include "attest/core/file_io.h"
#include "attest/core/x509.h"
#include "tests/testing/fake_tpm.h"
#include "tests/testing/test_pki.h"

namespace attest::service::hosts {
namespace {

using attest::testing::FakeEk;
using attest::testing::FakeTpm;

constexpr char kBundleDir[] = "deploy/ek-ca";

// ManifestFingerprints reads the MANIFEST.md table: file name -> SHA-256 hex of its DER.
std::map<std::string, std::string> ManifestFingerprints() {
  std::ifstream in(std::string(kBundleDir) + "/MANIFEST.md");
  EXPECT_TRUE(in.good());
  std::map<std::string, std::string> out;
  const std::regex row(R"(^\| `([^`]+\.pem)` \|.*\| `([0-9a-f]{64})` \|)");
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_search(line, m, row)) {
      EXPECT_EQ(out.count(m[1]), 0u) << "two rows for " << m[1];
      out[m[1]] = m[2];
    }
  }
  return out;
}

TEST(VendorBundle, EveryFileIsOneCaCertificateWithItsManifestFingerprint) {
  const auto manifest = ManifestFingerprints();
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kBundleDir)) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() != ".pem") {
      continue;
    }
    SCOPED_TRACE(name);
    ++files;
    auto bytes = ReadFileBytes(entry.path().string());
    ASSERT_TRUE(bytes.ok());
    auto certs = ParseCertificates(*bytes);
    ASSERT_TRUE(certs.ok()) << certs.status().ToString();
    ASSERT_EQ(certs->size(), 1u);
    X509* cert = certs->front().get();
    EXPECT_NE(X509_get_extension_flags(cert) & EXFLAG_CA, 0u) << "basicConstraints CA:TRUE";
    EXPECT_GE(X509_check_ca(cert), 1);
    ASSERT_EQ(manifest.count(name), 1u) << "no MANIFEST.md row";
    EXPECT_EQ(HexEncode(CertificateFingerprint(cert)), manifest.at(name));
  }
  EXPECT_EQ(files, manifest.size()) << "a MANIFEST.md row without its file";
  EXPECT_GE(files, 40u);
}

TEST(VendorBundle, IsCompiledInExactlyAsShipped) {
  size_t n = 0;
  for (const EmbeddedFile& file : BuiltInEkCaFiles()) {
    SCOPED_TRACE(std::string(file.name));
    auto on_disk = ReadFileBytes(std::string(kBundleDir) + "/" + std::string(file.name));
    ASSERT_TRUE(on_disk.ok());
    EXPECT_EQ(Bytes(file.bytes.begin(), file.bytes.end()), *on_disk);
    ++n;
  }
  EXPECT_EQ(n, ManifestFingerprints().size());
  auto trust = EkTrust::Make({}, false);
  ASSERT_TRUE(trust.ok());
  EXPECT_EQ((*trust)->num_vendor_cas(), n);
  EXPECT_EQ((*trust)->num_operator_cas(), 0u);
}

// An operator's test EK hierarchy: root -> issuing CA, and EK certificates for software TPMs.
struct Pki {
  explicit Pki(const std::string& name) {
    root = attest::testing::IssueCertificate({name + " root", start, end, true, 1}, root_key.get(),
                                             nullptr, root_key.get());
    ca = attest::testing::IssueCertificate({name + " issuing ca", start, end, true, 2},
                                           ca_key.get(), root.get(), root_key.get());
  }
  Bytes Cert(EVP_PKEY* ek, long serial = 10) const {
    return attest::testing::DerOf(attest::testing::IssueCertificate(
                                      {"ek", start, end, false, serial}, ek, ca.get(), ca_key.get())
                                      .get());
  }
  Bytes RootPem() const { return Pem(root.get()); }
  static Bytes Pem(X509* cert) {
    const std::string text = attest::testing::PemOf(cert);
    return Bytes(text.begin(), text.end());
  }
  TimePoint start = FromUnixSeconds(1760000000);
  TimePoint end = start + std::chrono::days(3650);
  EvpPkeyPtr root_key = attest::testing::GenerateKey(attest::testing::KeyKind::kEcP384);
  EvpPkeyPtr ca_key = attest::testing::GenerateKey(attest::testing::KeyKind::kRsa2048);
  X509Ptr root, ca;
};

TEST(EkTrust, CheckEndorsement) {
  const Pki pki("operator"), rogue("rogue");
  auto strict = EkTrust::Make(pki.RootPem(), false);
  auto lenient = EkTrust::Make(pki.RootPem(), true);
  auto vendor_only = EkTrust::Make({}, false);
  ASSERT_TRUE(strict.ok() && lenient.ok() && vendor_only.ok()) << strict.status().ToString();
  EXPECT_EQ((*strict)->num_operator_cas(), 1u);
  EXPECT_FALSE((*strict)->allow_hosts_without_ek_cert());
  EXPECT_TRUE((*lenient)->allow_hosts_without_ek_cert());
  const TimePoint now = pki.start + std::chrono::days(1);
  for (FakeEk kind : {FakeEk::kRsa2048, FakeEk::kEccP256, FakeEk::kEccP384}) {
    const FakeTpm tpm = FakeTpm::Create(attest::testing::kFakeAkAttributes, kind);
    const FakeTpm other = FakeTpm::Create(attest::testing::kFakeAkAttributes, kind);
    auto ek = tpm::ParseEkPublic(tpm.ek_public());
    ASSERT_TRUE(ek.ok());
    const Bytes cert = pki.Cert(tpm.ek_key());
    const Bytes chain = attest::testing::DerOf(pki.ca.get());
    struct Case {
      std::string name;
      const EkTrust* trust;
      Bytes cert, chain;
      std::string want;  // "" = accepted
    };
    const Case cases[] = {
        {"cert with its nv chain", strict->get(), cert, chain, ""},
        {"cert with its nv chain, lenient", lenient->get(), cert, chain, ""},
        {"pem chain", strict->get(), cert, Pki::Pem(pki.ca.get()), ""},
        {"no certificate, required", strict->get(), {}, {}, "tpm.ek_cert_required"},
        {"no certificate, allowed", lenient->get(), {}, {}, ""},
        {"chain without certificate", lenient->get(), {}, chain, "tpm.ek_cert_malformed"},
        {"missing nv intermediate", strict->get(), cert, {}, "tpm.ek_chain_untrusted"},
        {"wrong root", strict->get(), rogue.Cert(tpm.ek_key()),
         attest::testing::DerOf(rogue.ca.get()), "tpm.ek_chain_untrusted"},
        {"wrong root, lenient", lenient->get(), rogue.Cert(tpm.ek_key()),
         attest::testing::DerOf(rogue.ca.get()), "tpm.ek_chain_untrusted"},
        {"vendor bundle only", vendor_only->get(), cert, chain, "tpm.ek_chain_untrusted"},
        {"another ek's certificate", strict->get(), pki.Cert(other.ek_key()), chain,
         "tpm.ek_public_mismatch"},
        {"garbage certificate", strict->get(), Bytes(64, 0x30), chain, "tpm.ek_cert_malformed"},
        {"garbage chain", strict->get(), cert, Bytes(64, 0x30), "tpm.ek_cert_malformed"},
    };
    for (const Case& c : cases) {
      SCOPED_TRACE(tpm::EkAlgorithmName(*ek) + ": " + c.name);
      const Status s = c.trust->CheckEndorsement(*ek, c.cert, c.chain, now);
      EXPECT_EQ(s.ok() ? "" : s.reason_id(), c.want) << s.ToString();
    }
    EXPECT_EQ(
        (*strict)->CheckEndorsement(*ek, cert, chain, pki.end + std::chrono::hours(1)).reason_id(),
        "x509.cert_expired");
  }
}

TEST(EkTrust, OperatorBundlesLoadStrictly) {
  const Pki pki("operator");
  const auto dir =
      std::filesystem::temp_directory_path() / ("ek-trust-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto write = [&](const std::string& name, ByteSpan bytes) {
    std::ofstream(dir / name, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
    return (dir / name).string();
  };
  const FakeTpm tpm = FakeTpm::Create();
  const std::string root_pem = write("root.pem", pki.RootPem());
  const std::string root_der = write("root.der", attest::testing::DerOf(pki.root.get()));
  const std::string leaf = write("leaf.pem", pki.Cert(tpm.ek_key()));
  const std::string garbage = write("garbage.pem", Bytes(32, 'x'));
  const std::string empty = write("empty.pem", {});
  std::filesystem::create_directories(dir / "cas");
  std::filesystem::copy_file(root_pem, dir / "cas" / "root.pem");
  write("cas/issuing.crt", Pki::Pem(pki.ca.get()));
  struct Case {
    std::string name, path, want;
    size_t operator_cas = 0;
  };
  const Case cases[] = {
      {"none", "", "", 0},
      {"pem file", root_pem, "", 1},
      {"der file", root_der, "", 1},
      {"directory", (dir / "cas").string(), "", 2},
      {"missing", (dir / "nope.pem").string(), "core.file_unreadable"},
      {"not a ca", leaf, "x509.cert_malformed"},
      {"garbage", garbage, "x509.cert_malformed"},
      {"empty", empty, "x509.cert_malformed"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto trust = EkTrust::Load(c.path, false);
    EXPECT_EQ(trust.ok() ? "" : trust.status().reason_id(), c.want) << trust.status().ToString();
    if (trust.ok()) {
      EXPECT_EQ((*trust)->num_operator_cas(), c.operator_cas);
    }
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace attest::service::hosts
