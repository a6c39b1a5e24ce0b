// Pkcs11Kek against a real SoftHSM2 token this test creates in a temporary directory (SoftHSM is a
// library with a token directory; no daemon). Label: integration.
#include "service/keys/pkcs11_kek.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "attest/core/encoding.h"
#include "service/keys/local_kek.h"
#include "service/keys/volume.h"

namespace attest::service::keys {
namespace {

namespace fs = std::filesystem;

constexpr char kModule[] = "/usr/lib/softhsm/libsofthsm2.so";

class Pkcs11KekTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!fs::exists(kModule) || std::system("command -v softhsm2-util >/dev/null") != 0) {
      return;  // each test skips (or fails under CI) below
    }
    dir_ = new fs::path(fs::temp_directory_path() / ("attest-hsm-" + HexEncode(RandomBytes(6))));
    fs::create_directories(*dir_ / "tokens");
    const std::string conf = (*dir_ / "softhsm2.conf").string();
    std::ofstream(conf) << "directories.tokendir = " << (*dir_ / "tokens").string()
                        << "\nobjectstore.backend = file\nlog.level = ERROR\n";
    setenv("SOFTHSM2_CONF", conf.c_str(), 1);
    for (const char* label : {"att-a", "att-b"}) {
      const std::string cmd = std::string("softhsm2-util --init-token --free --label ") + label +
                              " --so-pin 12345678 --pin 1234 >/dev/null";
      ASSERT_EQ(std::system(cmd.c_str()), 0);
    }
    std::ofstream(*dir_ / "pin") << "1234\n";
    std::ofstream(*dir_ / "bad-pin") << "9999\n";
    setenv("ATTEST_TEST_HSM_PIN", "1234", 1);
  }
  static void TearDownTestSuite() {
    if (dir_ != nullptr) {
      fs::remove_all(*dir_);
    }
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (dir_ == nullptr) {
      if (std::getenv("CI") != nullptr) {
        FAIL() << "softhsm2 not installed";
      }
      GTEST_SKIP() << "softhsm2 not installed";
    }
  }
  static Pkcs11Config Config(const std::string& token = "att-a", const std::string& key = "kek") {
    return {kModule, token, "file:" + (*dir_ / "pin").string(), key, true};
  }
  static fs::path* dir_;
};
fs::path* Pkcs11KekTest::dir_ = nullptr;

TEST_F(Pkcs11KekTest, WrapsAndStillUnwrapsAfterRestart) {
  Bytes wrapped;
  const Bytes key = NewVolumeKey();
  {
    auto kek = Pkcs11Kek::Open(Config());
    ASSERT_TRUE(kek.ok()) << kek.status().message();
    EXPECT_EQ((*kek)->key_id(), "pkcs11:att-a/kek");
    wrapped = WrapVolumeKey(**kek, "vol-1", key).value();
    EXPECT_EQ(ParseWrappedHeader(wrapped)->kind, KekKind::kPkcs11);
    EXPECT_EQ(UnwrapVolumeKey(**kek, "vol-1", wrapped).value(), key);
  }  // last instance closes: session closed, module finalised: a service restart
  Pkcs11Config env_pin = Config();
  env_pin.pin_source = "env:ATTEST_TEST_HSM_PIN";
  env_pin.create_key = false;  // the key made above must be found, not made again
  auto again = Pkcs11Kek::Open(env_pin);
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(UnwrapVolumeKey(**again, "vol-1", wrapped).value(), key);
  // A second instance beside the first (two workers) shares the module and token login.
  auto second = Pkcs11Kek::Open(Config());
  ASSERT_TRUE(second.ok()) << second.status().message();
  EXPECT_EQ(UnwrapVolumeKey(**second, "vol-1", wrapped).value(), key);
}

TEST_F(Pkcs11KekTest, KeyIsNotExtractable) {
  auto kek = Pkcs11Kek::Open(Config("att-a", "kek-attrs"));
  ASSERT_TRUE(kek.ok()) << kek.status().message();
  // pkcs11-tool lists the key's flags; the value must never be readable.
  const std::string cmd = std::string("pkcs11-tool --module ") + kModule +
                          " --token-label att-a --login --pin 1234 --list-objects --type secrkey "
                          "2>/dev/null | grep -A6 'kek-attrs' > " +
                          (*dir_ / "objects").string();
  if (std::system("command -v pkcs11-tool >/dev/null") != 0) {
    GTEST_SKIP() << "no pkcs11-tool";
  }
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  std::ifstream in(*dir_ / "objects");
  const std::string listing((std::istreambuf_iterator<char>(in)), {});
  EXPECT_NE(listing.find("sensitive"), std::string::npos) << listing;
  EXPECT_NE(listing.find("never extractable"), std::string::npos) << listing;
}

TEST_F(Pkcs11KekTest, Failures) {
  auto kek = Pkcs11Kek::Open(Config()).value();
  auto other_key = Pkcs11Kek::Open(Config("att-a", "kek-2")).value();
  auto other_token = Pkcs11Kek::Open(Config("att-b", "kek")).value();
  auto local = LocalKeyFileKek::FromKey(Bytes(32, 1)).value();
  const Bytes wrapped = kek->Wrap(AsBytes("secret"), "volume:v").value();
  Bytes tampered = wrapped;
  tampered[tampered.size() - 3] ^= 4;
  Bytes tampered_nonce = wrapped;
  tampered_nonce[6 + kek->key_id().size()] ^= 4;
  Bytes truncated(wrapped.begin(), wrapped.end() - 1);
  struct Case {
    std::string name;
    const KeyEncryptionKey* kek;
    Bytes blob;
    std::string aad;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"wrong aad", kek.get(), wrapped, "volume:w", "keys.unwrap_failed"},
      {"other key on token", other_key.get(), wrapped, "volume:v", "keys.wrong_key"},
      {"other token", other_token.get(), wrapped, "volume:v", "keys.wrong_key"},
      {"local kek", local.get(), wrapped, "volume:v", "keys.wrong_key"},
      {"tampered ciphertext", kek.get(), tampered, "volume:v", "keys.unwrap_failed"},
      {"tampered nonce", kek.get(), tampered_nonce, "volume:v", "keys.unwrap_failed"},
      {"truncated", kek.get(), truncated, "volume:v", "keys.unwrap_failed"},
      {"header only", kek.get(), Bytes(wrapped.begin(), wrapped.begin() + 20), "volume:v",
       "keys.blob_malformed"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(c.kek->Unwrap(c.blob, c.aad).status().reason_id(), c.want);
  }
  EXPECT_EQ(kek->Unwrap(wrapped, "volume:v").value(),
            Bytes(AsBytes("secret").begin(), AsBytes("secret").end()));
}

TEST_F(Pkcs11KekTest, OpenFailures) {
  Pkcs11Config missing_token = Config("no-such-token");
  Pkcs11Config bad_module = Config();
  bad_module.module_path = "/nonexistent/libnothing.so";
  Pkcs11Config not_a_module = Config();
  not_a_module.module_path = "libc.so.6";
  Pkcs11Config no_key = Config("att-a", "never-made");
  no_key.create_key = false;
  Pkcs11Config missing_pin_file = Config();
  missing_pin_file.pin_source = "file:" + (*dir_ / "none").string();
  Pkcs11Config missing_env = Config();
  missing_env.pin_source = "env:ATTEST_TEST_NO_SUCH_VARIABLE";
  Pkcs11Config literal_pin = Config();
  literal_pin.pin_source = "1234";
  Pkcs11Config no_label = Config("att-a", "");
  struct Case {
    std::string name;
    Pkcs11Config config;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"missing token", missing_token, "keys.pkcs11_token_not_found"},
      {"module missing", bad_module, "keys.pkcs11_module_load_failed"},
      {"not a pkcs11 module", not_a_module, "keys.pkcs11_module_load_failed"},
      {"key missing, create off", no_key, "keys.pkcs11_error"},
      {"pin file missing", missing_pin_file, "keys.pkcs11_pin_unavailable"},
      {"pin variable missing", missing_env, "keys.pkcs11_pin_unavailable"},
      {"pin given literally", literal_pin, "keys.config_invalid"},
      {"no key label", no_label, "keys.config_invalid"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(Pkcs11Kek::Open(c.config).status().reason_id(), c.want);
  }
}

// Wrong PIN runs with no other instance open: PKCS#11 login state is per application, so while a
// session is logged in a second C_Login answers "already logged in" without checking the PIN.
TEST_F(Pkcs11KekTest, WrongPin) {
  Pkcs11Config bad = Config();
  bad.pin_source = "file:" + (*dir_ / "bad-pin").string();
  EXPECT_EQ(Pkcs11Kek::Open(bad).status().reason_id(), "keys.pkcs11_pin_incorrect");
  Pkcs11Config bad_b = Config("att-b");
  bad_b.pin_source = bad.pin_source;
  EXPECT_EQ(Pkcs11Kek::Open(bad_b).status().reason_id(), "keys.pkcs11_pin_incorrect");
  EXPECT_TRUE(Pkcs11Kek::Open(Config()).ok());
}

// CheckAvailable (readiness): OK while the token and key are there; keys.pkcs11_error once the
// token is deleted under the open session (a removed HSM, as far as attestd can tell).
TEST_F(Pkcs11KekTest, CheckAvailableNoticesALostToken) {
  const std::string init =
      "softhsm2-util --init-token --free --label att-gone --so-pin 12345678 --pin 1234 >/dev/null";
  ASSERT_EQ(std::system(init.c_str()), 0);
  auto kek = Pkcs11Kek::Open(Config("att-gone"));
  ASSERT_TRUE(kek.ok()) << kek.status().message();
  EXPECT_TRUE((*kek)->CheckAvailable().ok());
  ASSERT_EQ(std::system("softhsm2-util --delete-token --token att-gone >/dev/null"), 0);
  EXPECT_EQ((*kek)->CheckAvailable().reason_id(), "keys.pkcs11_error");
}

}  // namespace
}  // namespace attest::service::keys
