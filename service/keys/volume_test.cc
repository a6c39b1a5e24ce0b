// LUKS2 images formatted with a volume key through the real cryptsetup (no device-mapper: only
// the header is written and checked). Label: integration.
#include "service/keys/volume.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

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
  const Bytes key = NewVolumeKey();
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
  const std::vector<std::string> want_default = {
      "cryptsetup", "luksFormat", "--type",  "luks2",  "--batch-mode",
      "--key-file", "-",          "--pbkdf", "pbkdf2", "--pbkdf-force-iterations",
      "1000",       "/v/x.img"};
  const std::vector<std::string> want_argon = {
      "/sbin/cryptsetup", "luksFormat", "--type", "luks2",
      "--batch-mode",     "--key-file", "-",      "/v/x.img"};
  EXPECT_EQ(LuksFormatArgs("/v/x.img", LuksOptions{}), want_default);
  EXPECT_EQ(LuksFormatArgs("/v/x.img", argon), want_argon);
}

}  // namespace
}  // namespace attest::service::keys
