// LUKS2 images formatted with a volume key through the real cryptsetup (no device-mapper: only
// the header is written and checked). Label: integration.
#include "service/keys/volume.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "attest/core/encoding.h"

namespace attest::service::keys {
namespace {

namespace fs = std::filesystem;

bool HaveCryptsetup() { return std::system("command -v cryptsetup >/dev/null 2>&1") == 0; }

// OpensWith: cryptsetup open --test-passphrase with key on stdin (checks a keyslot opens).
bool OpensWith(const std::string& image, ByteSpan key, const fs::path& dir) {
  const fs::path key_file = dir / "try.key";
  {
    std::ofstream out(key_file, std::ios::binary);
    out.write(reinterpret_cast<const char*>(key.data()), static_cast<std::streamsize>(key.size()));
  }
  const std::string cmd = "cryptsetup open --test-passphrase --key-file - " + image + " < " +
                          key_file.string() + " >/dev/null 2>&1";
  const bool ok = std::system(cmd.c_str()) == 0;
  fs::remove(key_file);
  return ok;
}

TEST(LuksImage, FormatsWithTheVolumeKey) {
  if (!HaveCryptsetup()) {
    if (std::getenv("CI") != nullptr) {
      FAIL() << "cryptsetup not installed";
    }
    GTEST_SKIP() << "cryptsetup not installed";
  }
  const fs::path dir = fs::temp_directory_path() / ("attest-luks-" + HexEncode(RandomBytes(6)));
  fs::create_directories(dir);
  const std::string image = (dir / "vol.img").string();
  Bytes key = NewVolumeKey();
  // PBKDF2-HMAC pads a short passphrase with zero bytes to the hash's block (RFC 2104, section 2),
  // so a key ending in 0x00 opens with its 31-byte prefix too: one random key in 256. The prefix
  // probe below is meant to show the whole key is used, so the key's last byte is made non-zero.
  key.back() |= 1;
  const LuksOptions fast;  // the default: PBKDF2 at 1000 iterations
  ASSERT_TRUE(FormatLuksImage(image, kMinLuksImageBytes, key, fast).ok());
  struct stat st {};
  ASSERT_EQ(stat(image.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(static_cast<uint64_t>(st.st_size), kMinLuksImageBytes);
  EXPECT_EQ(std::system(("cryptsetup isLuks --type luks2 " + image).c_str()), 0);
  EXPECT_EQ(std::system(("cryptsetup luksDump " + image +
                         " | grep -Eq 'PBKDF:[[:space:]]+pbkdf2' && cryptsetup luksDump " + image +
                         " | grep -Eq 'Iterations:[[:space:]]+1000$'")
                            .c_str()),
            0);
  EXPECT_TRUE(OpensWith(image, key, dir));
  Bytes other = key;
  other[0] ^= 1;
  EXPECT_FALSE(OpensWith(image, other, dir));
  EXPECT_FALSE(OpensWith(image, ByteSpan(key).first(31), dir));

  struct Case {
    std::string name, path;
    uint64_t size;
    Bytes key;
    LuksOptions options;
    std::string want;
  };
  LuksOptions no_tool = fast;
  no_tool.cryptsetup = "/nonexistent/cryptsetup";
  const std::vector<Case> cases = {
      {"existing file", image, kMinLuksImageBytes, key, fast, "keys.config_invalid"},
      {"too small", (dir / "small.img").string(), 1 << 20, key, fast, "keys.config_invalid"},
      {"short key", (dir / "k.img").string(), kMinLuksImageBytes, Bytes(16, 1), fast,
       "keys.config_invalid"},
      {"no cryptsetup", (dir / "n.img").string(), kMinLuksImageBytes, key, no_tool,
       "keys.luks_format_failed"},
      {"no directory", (dir / "none/x.img").string(), kMinLuksImageBytes, key, fast,
       "keys.config_invalid"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(FormatLuksImage(c.path, c.size, c.key, c.options).reason_id(), c.want);
  }
  EXPECT_FALSE(fs::exists(dir / "n.img"));  // a failed format leaves nothing behind
  fs::remove_all(dir);
}

// Images formatted before PBKDF2 (Argon2id keyslots) open with their key as before: opening reads
// the PBKDF from the header. Cheap Argon2id costs here; the algorithm is what matters.
TEST(LuksImage, Argon2idImagesStillOpenWithTheKey) {
  if (!HaveCryptsetup()) {
    if (std::getenv("CI") != nullptr) {
      FAIL() << "cryptsetup not installed";
    }
    GTEST_SKIP() << "cryptsetup not installed";
  }
  const fs::path dir = fs::temp_directory_path() / ("attest-luks-" + HexEncode(RandomBytes(6)));
  fs::create_directories(dir);
  const std::string image = (dir / "old.img").string();
  const Bytes key = NewVolumeKey();
  {
    std::ofstream(image).close();
    fs::resize_file(image, kMinLuksImageBytes);
    std::ofstream out(dir / "k", std::ios::binary);
    out.write(reinterpret_cast<const char*>(key.data()), static_cast<std::streamsize>(key.size()));
  }
  const std::string format =
      "cryptsetup luksFormat --type luks2 --batch-mode --pbkdf argon2id "
      "--pbkdf-force-iterations 4 --pbkdf-memory 32 --key-file " +
      (dir / "k").string() + " " + image + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(format.c_str()), 0);
  fs::remove(dir / "k");
  EXPECT_EQ(
      std::system(
          ("cryptsetup luksDump " + image + " | grep -Eq 'PBKDF:[[:space:]]+argon2id'").c_str()),
      0);
  EXPECT_TRUE(OpensWith(image, key, dir));
  Bytes other = key;
  other[31] ^= 0x80;
  EXPECT_FALSE(OpensWith(image, other, dir));
  fs::remove_all(dir);
}

TEST(LuksImage, FormatArguments) {
  LuksOptions argon;
  argon.pbkdf = LuksPbkdf::kArgon2idDefault;
  argon.cryptsetup = "/sbin/cryptsetup";
  LuksOptions fast;
  fast.cryptsetup = "/usr/sbin/cryptsetup";
  const std::vector<std::string> want_default = {"/usr/sbin/cryptsetup",
                                                 "luksFormat",
                                                 "--type",
                                                 "luks2",
                                                 "--batch-mode",
                                                 "--key-file",
                                                 "-",
                                                 "--pbkdf",
                                                 "pbkdf2",
                                                 "--pbkdf-force-iterations",
                                                 "1000",
                                                 "/v/x.img"};
  const std::vector<std::string> want_argon = {
      "/sbin/cryptsetup", "luksFormat", "--type", "luks2",
      "--batch-mode",     "--key-file", "-",      "/v/x.img"};
  EXPECT_EQ(LuksFormatArgs("/v/x.img", fast), want_default);
  EXPECT_EQ(LuksFormatArgs("/v/x.img", argon), want_argon);
}

// ScopedPath puts dir first on PATH for the test's lifetime.
class ScopedPath {
 public:
  explicit ScopedPath(const fs::path& dir) {
    const char* old = std::getenv("PATH");
    old_ = old != nullptr ? old : "";
    setenv("PATH", (dir.string() + ":" + old_).c_str(), 1);
  }
  ~ScopedPath() { setenv("PATH", old_.c_str(), 1); }
  ScopedPath(const ScopedPath&) = delete;
  ScopedPath& operator=(const ScopedPath&) = delete;

 private:
  std::string old_;
};

// WriteProgram writes an executable shell script at path with mode.
void WriteProgram(const fs::path& path, const std::string& body, mode_t mode) {
  std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
  ASSERT_EQ(chmod(path.c_str(), mode), 0);
}

// A cryptsetup earlier on PATH than the real one is never run: attestd runs cryptsetup by an
// absolute path from its configuration or a fixed list, and a relative one is refused.
TEST(LuksImage, NeverRunsACryptsetupFromPath) {
  if (!HaveCryptsetup()) {
    if (std::getenv("CI") != nullptr) {
      FAIL() << "cryptsetup not installed";
    }
    GTEST_SKIP() << "cryptsetup not installed";
  }
  const fs::path dir = fs::temp_directory_path() / ("attest-luks-" + HexEncode(RandomBytes(6)));
  fs::create_directories(dir / "bin");
  const fs::path marker = dir / "fake-ran";
  // The fake takes the key from stdin and "succeeds": the worst a planted program could do.
  WriteProgram(dir / "bin/cryptsetup",
               "cat > " + (dir / "stolen").string() + "; touch " + marker.string() + "; exit 0",
               0755);
  const Bytes key = NewVolumeKey();
  {
    ScopedPath path(dir / "bin");
    ASSERT_EQ(std::system("cryptsetup --version </dev/null >/dev/null 2>&1"), 0);
    ASSERT_TRUE(fs::exists(marker)) << "the fake is first on PATH for a shell";
    fs::remove(marker);
    fs::remove(dir / "stolen");

    const std::string image = (dir / "vol.img").string();
    const Status formatted = FormatLuksImage(image, kMinLuksImageBytes, key, LuksOptions{});
    EXPECT_TRUE(formatted.ok()) << formatted.ToString();
    EXPECT_FALSE(fs::exists(marker));
    EXPECT_FALSE(fs::exists(dir / "stolen"));
    // Checked with the real one by its absolute path: PATH still leads to the fake here.
    const std::string real = ResolveCryptsetup("").value();
    EXPECT_EQ(std::system((real + " isLuks --type luks2 " + image).c_str()), 0);
    EXPECT_FALSE(fs::exists(marker));

    LuksOptions relative;
    relative.cryptsetup = "cryptsetup";
    EXPECT_EQ(
        FormatLuksImage((dir / "rel.img").string(), kMinLuksImageBytes, key, relative).reason_id(),
        "keys.config_invalid");
    EXPECT_FALSE(fs::exists(marker));
    EXPECT_FALSE(fs::exists(dir / "rel.img"));
  }
  fs::remove_all(dir);
}

TEST(LuksImage, ResolveCryptsetup) {
  const fs::path dir = fs::temp_directory_path() / ("attest-luks-" + HexEncode(RandomBytes(6)));
  fs::create_directories(dir / "sub");
  WriteProgram(dir / "good", "exit 0", 0755);
  WriteProgram(dir / "owner-only", "exit 0", 0700);
  WriteProgram(dir / "not-executable", "exit 0", 0644);
  WriteProgram(dir / "group-writable", "exit 0", 0775);
  WriteProgram(dir / "world-writable", "exit 0", 0757);
  fs::create_symlink(dir / "good", dir / "link");
  struct Case {
    std::string name;
    std::string configured;
    std::string want;  // reason, or "ok"
  };
  const std::vector<Case> cases = {
      {"absolute executable", (dir / "good").string(), "ok"},
      {"owner-only executable", (dir / "owner-only").string(), "ok"},
      {"symlink to an executable", (dir / "link").string(), "ok"},
      {"bare name", "cryptsetup", "keys.config_invalid"},
      {"relative path", "sbin/cryptsetup", "keys.config_invalid"},
      {"dot relative", "./cryptsetup", "keys.config_invalid"},
      {"missing", (dir / "none").string(), "keys.config_invalid"},
      {"directory", (dir / "sub").string(), "keys.config_invalid"},
      {"not executable", (dir / "not-executable").string(), "keys.config_invalid"},
      {"group writable", (dir / "group-writable").string(), "keys.config_invalid"},
      {"world writable", (dir / "world-writable").string(), "keys.config_invalid"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Result<std::string> got = ResolveCryptsetup(c.configured);
    EXPECT_EQ(got.ok() ? "ok" : std::string(got.status().reason_id()), c.want)
        << got.status().message();
    if (got.ok()) {
      EXPECT_EQ(*got, c.configured);
    }
  }
  // Nothing configured: the first fixed location that qualifies, never a PATH entry.
  ScopedPath path(dir);
  Result<std::string> found = ResolveCryptsetup("");
  if (HaveCryptsetup()) {
    ASSERT_TRUE(found.ok()) << found.status().ToString();
    EXPECT_NE(std::find(kCryptsetupLocations.begin(), kCryptsetupLocations.end(), *found),
              kCryptsetupLocations.end())
        << *found;
  } else {
    EXPECT_EQ(found.status().reason_id(), "keys.cryptsetup_not_found");
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace attest::service::keys
