// ReadPin's PIN file rules (no token needed): like ssh's for a private key, the file read must be a
// regular file that group and others can neither read nor write.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <vector>

#include "attest/core/encoding.h"
#include "service/keys/pkcs11_kek.h"

namespace attest::service::keys {
namespace {

namespace fs = std::filesystem;

class PinFileTest : public ::testing::Test {
 protected:
  PinFileTest() : dir_(fs::temp_directory_path() / ("attest-pin-" + HexEncode(RandomBytes(6)))) {
    fs::create_directories(dir_);
  }
  ~PinFileTest() override { fs::remove_all(dir_); }

  // Write makes dir_/name holding text with exactly mode (chmod, whatever the umask).
  std::string Write(const std::string& name, const std::string& text, mode_t mode) {
    const fs::path path = dir_ / name;
    std::ofstream(path) << text;
    EXPECT_EQ(chmod(path.c_str(), mode), 0);
    return path.string();
  }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
};

TEST_F(PinFileTest, OwnerOnlyRegularFilesAreRead) {
  struct Case {
    std::string name;
    std::string text;
    mode_t mode;
    std::string want_pin;
  };
  const std::vector<Case> cases = {
      {"0600", "1234\n", 0600, "1234"},
      {"0400", "1234\n", 0400, "1234"},
      {"0700", "1234", 0700, "1234"},
      {"crlf, second line ignored", "5678\r\nnot the pin\n", 0600, "5678"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string path = Write("pin-" + std::to_string(&c - cases.data()), c.text, c.mode);
    Result<std::string> pin = ReadPin("file:" + path);
    ASSERT_TRUE(pin.ok()) << pin.status().ToString();
    EXPECT_EQ(*pin, c.want_pin);
    EXPECT_TRUE(CheckPinSource("file:" + path).ok());
  }
  // A symbolic link is followed (secret managers link PIN files into place); the target's mode
  // is what counts.
  const std::string target = Write("target", "4321\n", 0600);
  fs::create_symlink(target, Path("link"));
  EXPECT_EQ(ReadPin("file:" + Path("link")).value(), "4321");
}

TEST_F(PinFileTest, RefusesFilesOthersCanReachAndNonFiles) {
  struct Case {
    std::string name;
    std::function<std::string()> make;  // returns the path
    std::string want;
  };
  const std::vector<Case> cases = {
      {"0640 (group read)", [&] { return Write("g-r", "1234\n", 0640); },
       "keys.pkcs11_pin_file_invalid"},
      {"0620 (group write)", [&] { return Write("g-w", "1234\n", 0620); },
       "keys.pkcs11_pin_file_invalid"},
      {"0644", [&] { return Write("o-r", "1234\n", 0644); }, "keys.pkcs11_pin_file_invalid"},
      {"0602 (others write)", [&] { return Write("o-w", "1234\n", 0602); },
       "keys.pkcs11_pin_file_invalid"},
      {"0666", [&] { return Write("all", "1234\n", 0666); }, "keys.pkcs11_pin_file_invalid"},
      {"a directory",
       [&] {
         fs::create_directory(Path("dir"));
         chmod(Path("dir").c_str(), 0700);
         return Path("dir");
       },
       "keys.pkcs11_pin_file_invalid"},
      {"a symlink to a 0644 file",
       [&] {
         fs::create_symlink(Write("open-target", "1234\n", 0644), Path("open-link"));
         return Path("open-link");
       },
       "keys.pkcs11_pin_file_invalid"},
      {"a FIFO",
       [&] {
         EXPECT_EQ(mkfifo(Path("fifo").c_str(), 0600), 0);
         return Path("fifo");
       },
       "keys.pkcs11_pin_file_invalid"},
      {"over 4 KiB", [&] { return Write("big", std::string(5000, '1'), 0600); },
       "keys.pkcs11_pin_file_invalid"},
      {"missing", [&] { return Path("none"); }, "keys.pkcs11_pin_unavailable"},
      {"a dangling symlink",
       [&] {
         fs::create_symlink(Path("gone"), Path("dangling"));
         return Path("dangling");
       },
       "keys.pkcs11_pin_unavailable"},
      {"empty", [&] { return Write("empty", "", 0600); }, "keys.pkcs11_pin_unavailable"},
      {"empty first line", [&] { return Write("blank", "\n1234\n", 0600); },
       "keys.pkcs11_pin_unavailable"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string path = c.make();
    EXPECT_EQ(ReadPin("file:" + path).status().reason_id(), c.want);
    EXPECT_EQ(CheckPinSource("file:" + path).reason_id(), c.want);
  }
}

TEST_F(PinFileTest, SourcesOtherThanFiles) {
  setenv("ATTEST_PIN_TEST_VARIABLE", "2468", 1);
  EXPECT_EQ(ReadPin("env:ATTEST_PIN_TEST_VARIABLE").value(), "2468");
  EXPECT_EQ(ReadPin("env:ATTEST_PIN_TEST_NOT_SET").status().reason_id(),
            "keys.pkcs11_pin_unavailable");
  // check-config runs outside the service's environment: a variable is not checked there.
  EXPECT_TRUE(CheckPinSource("env:ATTEST_PIN_TEST_NOT_SET").ok());
  EXPECT_EQ(ReadPin("1234").status().reason_id(), "keys.config_invalid");
  EXPECT_EQ(CheckPinSource("1234").reason_id(), "keys.config_invalid");
}

// Issue 17 #12: once the tokens are logged in to, a PIN taken from the environment is wiped where
// it was (the environment block) and the variable is gone; other sources are left alone.
TEST(ForgetPinEnvironmentTest, WipesAndUnsetsEnvPins) {
  setenv("ATTEST_TEST_PIN_A", "123456", 1);
  setenv("ATTEST_TEST_PIN_B", "secret-pin", 1);
  setenv("ATTEST_TEST_NOT_A_PIN", "keep", 1);
  const char* a = std::getenv("ATTEST_TEST_PIN_A");
  const char* b = std::getenv("ATTEST_TEST_PIN_B");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  // A shared variable (two KEKs on one token), a missing one and a file source.
  ForgetPinEnvironment({"env:ATTEST_TEST_PIN_A", "env:ATTEST_TEST_PIN_A", "env:ATTEST_TEST_PIN_B",
                        "env:ATTEST_TEST_NO_SUCH_PIN", "file:/nonexistent"});
  EXPECT_EQ(std::getenv("ATTEST_TEST_PIN_A"), nullptr);
  EXPECT_EQ(std::getenv("ATTEST_TEST_PIN_B"), nullptr);
  EXPECT_STREQ(std::getenv("ATTEST_TEST_NOT_A_PIN"), "keep");
  // glibc keeps setenv's strings alive after unsetenv: the old value's bytes are zero now.
  EXPECT_EQ(std::string(a, 6), std::string(6, '\0'));
  EXPECT_EQ(std::string(b, 10), std::string(10, '\0'));
  EXPECT_EQ(ReadPin("env:ATTEST_TEST_PIN_A").status().reason_id(), "keys.pkcs11_pin_unavailable");
  unsetenv("ATTEST_TEST_NOT_A_PIN");
}

}  // namespace
}  // namespace attest::service::keys
