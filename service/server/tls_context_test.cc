#include "service/server/tls_context.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "service/attestd/self_signed.h"
#include "service/http/reasons.h"

namespace attest::service::server {
namespace {

namespace fs = std::filesystem;

class TlsContextTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("attestd-tls-" + std::to_string(rd()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    std::ofstream(p, std::ios::trunc) << text;
    return p.string();
  }
  static attestd::PemKeyPair NewPair() {
    auto pair = attestd::GenerateSelfSignedTls(FromUnixSeconds(1764000000));
    EXPECT_TRUE(pair.ok());
    return *pair;
  }
  fs::path dir_;
};

bool SameCert(const X509Ptr& a, const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr b(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  return a != nullptr && b != nullptr && X509_cmp(a.get(), b.get()) == 0;
}

TEST(TlsSettingsTest, Check) {
  struct Case {
    const char* name = "";
    TlsSettings settings;
    bool ok = false;
  } cases[] = {
      {"defaults", {}, true},
      {"tls 1.3", {"1.3", kDefaultTlsCiphers}, true},
      {"one suite", {"1.2", "ECDHE-ECDSA-AES128-GCM-SHA256"}, true},
      {"tls 1.1", {"1.1", kDefaultTlsCiphers}, false},
      {"tls 1.0", {"1.0", kDefaultTlsCiphers}, false},
      {"openssl spelling", {"TLSv1.2", kDefaultTlsCiphers}, false},
      {"empty version", {"", kDefaultTlsCiphers}, false},
      {"empty ciphers", {"1.2", ""}, false},
      {"unknown cipher", {"1.2", "NO-SUCH-CIPHER"}, false},
      {"only separators", {"1.2", ":::"}, false},
      {"excluded everything", {"1.2", "!ALL"}, false},
      {"DHE with GCM", {"1.2", "DHE-RSA-AES128-GCM-SHA256"}, true},
      {"no encryption", {"1.2", "NULL-MD5"}, false},
      {"CBC", {"1.2", "ECDHE-RSA-AES128-SHA"}, false},
      {"static RSA key exchange", {"1.2", "AES128-GCM-SHA256"}, false},
      {"one weak suite among good ones",
       {"1.2", std::string(kDefaultTlsCiphers) + ":AES256-SHA"},
       false},
      {"everything OpenSSL has", {"1.2", "ALL:eNULL"}, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Status s = CheckTlsSettings(c.settings);
    EXPECT_EQ(s.ok(), c.ok) << s.ToString();
    if (!c.ok) {
      EXPECT_EQ(s.reason_id(), reasons::kApiConfig.id);
    }
  }
}

TEST_F(TlsContextTest, LoadRefusesUnusablePairs) {
  const attestd::PemKeyPair a = NewPair(), b = NewPair();
  const std::string cert = Write("cert.pem", a.certificate_pem);
  const std::string key = Write("key.pem", a.private_key_pem);
  struct Case {
    const char* name;
    std::string cert_file;
    std::string key_file;
  } cases[] = {
      {"missing cert", (dir_ / "none.pem").string(), key},
      {"missing key", cert, (dir_ / "none.pem").string()},
      {"empty cert", Write("empty.pem", ""), key},
      {"garbage cert", Write("garbage.pem", "-----BEGIN CERTIFICATE-----\nAAAA\n"), key},
      {"key as cert", key, key},
      {"cert as key", cert, cert},
      {"key of another cert", cert, Write("other-key.pem", b.private_key_pem)},
      {"directory", dir_.string(), key},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto identity = TlsIdentity::Load(c.cert_file, c.key_file);
    ASSERT_FALSE(identity.ok());
    EXPECT_EQ(identity.status().reason_id(), reasons::kApiConfig.id);
  }
  auto good = TlsIdentity::Load(cert, key);
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  EXPECT_TRUE(SameCert((*good)->leaf(), a.certificate_pem));
}

TEST_F(TlsContextTest, ReloadSwapsOrKeepsTheOldPair) {
  const attestd::PemKeyPair a = NewPair(), b = NewPair(), c = NewPair();
  const std::string cert = Write("cert.pem", a.certificate_pem);
  const std::string key = Write("key.pem", a.private_key_pem);
  auto identity = TlsIdentity::Load(cert, key);
  ASSERT_TRUE(identity.ok()) << identity.status().ToString();
  // A context configured now keeps pair a whatever happens later.
  OsslPtr<SSL_CTX, SSL_CTX_free> before(SSL_CTX_new(TLS_server_method()));
  ASSERT_TRUE((*identity)->Configure(before.get(), {}).ok());

  Write("cert.pem", b.certificate_pem);
  Write("key.pem", b.private_key_pem);
  ASSERT_TRUE((*identity)->Reload().ok());
  EXPECT_TRUE(SameCert((*identity)->leaf(), b.certificate_pem));
  EXPECT_TRUE(SameCert(UpRef(SSL_CTX_get0_certificate(before.get())), a.certificate_pem));

  // Broken replacements: each is refused and pair b stays.
  const std::vector<std::pair<std::string, std::string>> broken = {
      {c.certificate_pem, b.private_key_pem},                      // half-replaced
      {"", b.private_key_pem},                                     // truncated cert
      {b.certificate_pem, "-----BEGIN PRIVATE KEY-----\nAAAA\n"},  // garbage key
      {b.certificate_pem, c.private_key_pem},                      // wrong key
  };
  for (size_t i = 0; i < broken.size(); ++i) {
    SCOPED_TRACE(i);
    Write("cert.pem", broken[i].first);
    Write("key.pem", broken[i].second);
    Status s = (*identity)->Reload();
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.reason_id(), reasons::kApiConfig.id);
    EXPECT_TRUE(SameCert((*identity)->leaf(), b.certificate_pem));
  }
  fs::remove(dir_ / "cert.pem");
  EXPECT_FALSE((*identity)->Reload().ok());
  OsslPtr<SSL_CTX, SSL_CTX_free> after(SSL_CTX_new(TLS_server_method()));
  ASSERT_TRUE((*identity)->Configure(after.get(), {}).ok());
  EXPECT_TRUE(SameCert(UpRef(SSL_CTX_get0_certificate(after.get())), b.certificate_pem));
}

}  // namespace
}  // namespace attest::service::server
