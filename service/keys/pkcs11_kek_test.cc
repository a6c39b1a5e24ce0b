// Pkcs11Kek against a real SoftHSM2 token this test creates in a temporary directory (SoftHSM is a
// library with a token directory; no daemon). Label: integration.
#include "service/keys/pkcs11_kek.h"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <p11-kit/pkcs11.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

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
    // PIN files must be owner-only (ReadPin refuses group/other bits), whatever the umask.
    std::ofstream(*dir_ / "pin") << "1234\n";
    std::ofstream(*dir_ / "bad-pin") << "9999\n";
    std::ofstream(*dir_ / "open-pin") << "1234\n";
    chmod((*dir_ / "pin").c_str(), 0600);
    chmod((*dir_ / "bad-pin").c_str(), 0600);
    chmod((*dir_ / "open-pin").c_str(), 0644);
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
  Pkcs11Config open_pin_file = Config();
  open_pin_file.pin_source = "file:" + (*dir_ / "open-pin").string();
  Pkcs11Config pin_directory = Config();
  pin_directory.pin_source = "file:" + dir_->string();
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
      {"pin file readable by others", open_pin_file, "keys.pkcs11_pin_file_invalid"},
      {"pin file is a directory", pin_directory, "keys.pkcs11_pin_file_invalid"},
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

// KeySpec: the protection attributes of a key made on the token by someone other than attestd,
// and optionally tightened after creation (PKCS#11 allows sensitive false -> true and extractable
// true -> false, and then leaves CKA_ALWAYS_SENSITIVE / CKA_NEVER_EXTRACTABLE false).
struct KeySpec {
  bool sensitive = true;
  bool extractable = false;
  std::optional<bool> sensitive_later;
  std::optional<bool> extractable_later;
};

// MakeKeyOnToken generates an AES-256 key labelled label on token through the raw PKCS#11 API,
// as an operator's tool would. It finalises the module when it initialised it, so call it while
// no Pkcs11Kek is open.
::testing::AssertionResult MakeKeyOnToken(const std::string& token, const std::string& label,
                                          const KeySpec& spec) {
  void* handle = dlopen(kModule, RTLD_NOW | RTLD_LOCAL);  // never closed, like Pkcs11Kek's
  if (handle == nullptr) {
    return ::testing::AssertionFailure() << "dlopen " << kModule;
  }
  auto get_list = reinterpret_cast<CK_C_GetFunctionList>(dlsym(handle, "C_GetFunctionList"));
  CK_FUNCTION_LIST* fl = nullptr;
  if (get_list == nullptr || get_list(&fl) != CKR_OK) {
    return ::testing::AssertionFailure() << "C_GetFunctionList";
  }
  CK_C_INITIALIZE_ARGS args{};
  args.flags = CKF_OS_LOCKING_OK;
  const CK_RV init = fl->C_Initialize(&args);
  if (init != CKR_OK && init != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
    return ::testing::AssertionFailure() << "C_Initialize " << init;
  }
  ::testing::AssertionResult result = ::testing::AssertionSuccess();
  CK_ULONG n = 16;
  CK_SLOT_ID slots[16];
  std::optional<CK_SLOT_ID> slot;
  if (fl->C_GetSlotList(CK_TRUE, slots, &n) == CKR_OK) {
    for (CK_ULONG i = 0; i < n; ++i) {
      CK_TOKEN_INFO info{};
      if (fl->C_GetTokenInfo(slots[i], &info) != CKR_OK) {
        continue;
      }
      std::string got(reinterpret_cast<const char*>(info.label), sizeof(info.label));
      got.erase(got.find_last_not_of(' ') + 1);
      if (got == token) {
        slot = slots[i];
      }
    }
  }
  CK_SESSION_HANDLE session = 0;
  if (!slot || fl->C_OpenSession(*slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr,
                                 &session) != CKR_OK) {
    result = ::testing::AssertionFailure() << "no session on token " << token;
  } else {
    std::string pin = "1234";
    const CK_RV login =
        fl->C_Login(session, CKU_USER, reinterpret_cast<CK_UTF8CHAR*>(pin.data()), pin.size());
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_KEY_TYPE type = CKK_AES;
    CK_ULONG value_len = 32;
    CK_BBOOL yes = CK_TRUE;
    CK_BBOOL sensitive = spec.sensitive ? CK_TRUE : CK_FALSE;
    CK_BBOOL extractable = spec.extractable ? CK_TRUE : CK_FALSE;
    std::string key_label = label;
    CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof(cls)},
                           {CKA_KEY_TYPE, &type, sizeof(type)},
                           {CKA_VALUE_LEN, &value_len, sizeof(value_len)},
                           {CKA_LABEL, key_label.data(), key_label.size()},
                           {CKA_TOKEN, &yes, sizeof(yes)},
                           {CKA_PRIVATE, &yes, sizeof(yes)},
                           {CKA_SENSITIVE, &sensitive, sizeof(sensitive)},
                           {CKA_EXTRACTABLE, &extractable, sizeof(extractable)},
                           {CKA_ENCRYPT, &yes, sizeof(yes)},
                           {CKA_DECRYPT, &yes, sizeof(yes)}};
    CK_MECHANISM gen{CKM_AES_KEY_GEN, nullptr, 0};
    CK_OBJECT_HANDLE key = 0;
    CK_RV rv = login == CKR_OK || login == CKR_USER_ALREADY_LOGGED_IN
                   ? fl->C_GenerateKey(session, &gen, tmpl, sizeof(tmpl) / sizeof(tmpl[0]), &key)
                   : login;
    if (rv == CKR_OK && spec.sensitive_later) {
      CK_BBOOL v = *spec.sensitive_later ? CK_TRUE : CK_FALSE;
      CK_ATTRIBUTE set{CKA_SENSITIVE, &v, sizeof(v)};
      rv = fl->C_SetAttributeValue(session, key, &set, 1);
    }
    if (rv == CKR_OK && spec.extractable_later) {
      CK_BBOOL v = *spec.extractable_later ? CK_TRUE : CK_FALSE;
      CK_ATTRIBUTE set{CKA_EXTRACTABLE, &v, sizeof(v)};
      rv = fl->C_SetAttributeValue(session, key, &set, 1);
    }
    if (rv != CKR_OK) {
      result = ::testing::AssertionFailure() << "making key " << label << ": CKR " << rv;
    }
    fl->C_CloseSession(session);
  }
  if (init == CKR_OK) {
    fl->C_Finalize(nullptr);
  }
  return result;
}

// An existing key under the label is used only if its value can never have left the token: keys
// made extractable or readable by someone else (or made so once and tightened later) are refused;
// a key made right by someone else, and the one attestd makes, are used.
TEST_F(Pkcs11KekTest, RefusesKeysThatCanLeaveTheToken) {
  struct Case {
    std::string label;
    KeySpec spec;
    std::string want;  // "" = opens
  };
  const std::vector<Case> cases = {
      {"kek-extractable", {true, true, {}, {}}, "keys.pkcs11_key_extractable"},
      {"kek-not-sensitive", {false, false, {}, {}}, "keys.pkcs11_key_extractable"},
      {"kek-neither", {false, true, {}, {}}, "keys.pkcs11_key_extractable"},
      {"kek-extractable-once", {true, true, {}, false}, "keys.pkcs11_key_extractable"},
      {"kek-readable-once", {false, false, true, {}}, "keys.pkcs11_key_extractable"},
      {"kek-made-right", {true, false, {}, {}}, ""},
  };
  for (const Case& c : cases) {
    ASSERT_TRUE(MakeKeyOnToken("att-b", c.label, c.spec)) << c.label;
  }
  for (const Case& c : cases) {
    SCOPED_TRACE(c.label);
    for (const bool create : {true, false}) {  // found, so never made again either way
      Pkcs11Config config = Config("att-b", c.label);
      config.create_key = create;
      auto kek = Pkcs11Kek::Open(config);
      if (!c.want.empty()) {
        EXPECT_EQ(kek.status().reason_id(), c.want) << kek.status().message();
        continue;
      }
      ASSERT_TRUE(kek.ok()) << kek.status().ToString();
      const Bytes wrapped = (*kek)->Wrap(AsBytes("secret"), "volume:v").value();
      EXPECT_EQ((*kek)->Unwrap(wrapped, "volume:v").value(),
                Bytes(AsBytes("secret").begin(), AsBytes("secret").end()));
    }
  }
  // The key attestd creates passes its own check when it is opened again.
  for (const bool create : {true, false}) {
    Pkcs11Config config = Config("att-b", "kek-by-attestd");
    config.create_key = create;
    auto kek = Pkcs11Kek::Open(config);
    EXPECT_TRUE(kek.ok()) << kek.status().ToString();
  }
}

}  // namespace
}  // namespace attest::service::keys
