#include "service/keys/local_kek.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <vector>

#include "attest/core/encoding.h"
#include "service/keys/volume.h"

namespace attest::service::keys {
namespace {

namespace fs = std::filesystem;

std::unique_ptr<LocalKeyFileKek> Kek(uint8_t fill) {
  return LocalKeyFileKek::FromKey(Bytes(32, fill)).value();
}

Bytes ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

class TempDir {
 public:
  TempDir() : path_(fs::temp_directory_path() / ("attest-keys-" + HexEncode(RandomBytes(6)))) {
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

TEST(LocalKeyFileKek, RoundTripFreshNoncesAndHeader) {
  auto kek = Kek(1);
  const Bytes a = kek->Wrap(AsBytes("volume key bytes"), "volume:v-1").value();
  const Bytes b = kek->Wrap(AsBytes("volume key bytes"), "volume:v-1").value();
  EXPECT_NE(a, b);
  const Bytes open = kek->Unwrap(a, "volume:v-1").value();
  EXPECT_EQ(std::string(open.begin(), open.end()), "volume key bytes");
  auto header = ParseWrappedHeader(a);
  ASSERT_TRUE(header.ok());
  EXPECT_EQ(header->kind, KekKind::kKeyFile);
  EXPECT_EQ(header->key_id, kek->key_id());
  EXPECT_EQ(kek->key_id().rfind("file:", 0), 0u);
  EXPECT_EQ(kek->key_id().size(), 5u + 16u);
  EXPECT_EQ(Kek(1)->key_id(), kek->key_id());  // stable for a key
  EXPECT_NE(Kek(2)->key_id(), kek->key_id());
  const Bytes empty = kek->Wrap({}, "x").value();
  EXPECT_TRUE(kek->Unwrap(empty, "x").value().empty());
}

TEST(LocalKeyFileKek, UnwrapFailures) {
  auto kek = Kek(1);
  const Bytes good = kek->Wrap(AsBytes("0123456789abcdef0123456789abcdef"), "volume:v-1").value();
  // A key with another id but a forged header naming ours: the tag still refuses it.
  Bytes other_bits_same_id = Kek(3)->Wrap(AsBytes("x"), "volume:v-1").value();
  {
    const std::string id = kek->key_id();
    std::copy(id.begin(), id.end(), other_bits_same_id.begin() + 6);
  }
  Bytes bad_magic = good;
  bad_magic[0] = 'X';
  Bytes bad_version = good;
  bad_version[3] = 2;
  Bytes bad_kind = good;
  bad_kind[4] = 9;
  Bytes pkcs11_kind = good;
  pkcs11_kind[4] = static_cast<uint8_t>(KekKind::kPkcs11);
  Bytes zero_id_len = good;
  zero_id_len[5] = 0;
  Bytes long_id_len = good;
  long_id_len[5] = 0xff;
  Bytes flipped_ct = good;
  flipped_ct[good.size() - 20] ^= 1;
  ASSERT_EQ(good.size(), 6 + kek->key_id().size() + 12 + 32 + 16);
  Bytes flipped_tag = good;
  flipped_tag[good.size() - 1] ^= 0x80;
  Bytes flipped_nonce = good;
  flipped_nonce[6 + kek->key_id().size()] ^= 1;
  Bytes appended = good;
  appended.push_back(0);
  struct Case {
    std::string name;
    const LocalKeyFileKek* kek;
    Bytes blob;
    std::string aad;
    std::string want;
  };
  auto other = Kek(2);
  const std::vector<Case> cases = {
      {"wrong aad (other volume)", kek.get(), good, "volume:v-2", "keys.unwrap_failed"},
      {"wrong aad (credential)", kek.get(), good, "credential:v-1", "keys.unwrap_failed"},
      {"wrong key", other.get(), good, "volume:v-1", "keys.wrong_key"},
      {"same id other bits", kek.get(), other_bits_same_id, "volume:v-1", "keys.unwrap_failed"},
      {"bad magic", kek.get(), bad_magic, "volume:v-1", "keys.blob_malformed"},
      {"bad version", kek.get(), bad_version, "volume:v-1", "keys.blob_malformed"},
      {"unknown kind", kek.get(), bad_kind, "volume:v-1", "keys.blob_malformed"},
      {"pkcs11 kind", kek.get(), pkcs11_kind, "volume:v-1", "keys.wrong_key"},
      {"zero key id length", kek.get(), zero_id_len, "volume:v-1", "keys.blob_malformed"},
      {"key id past end", kek.get(), long_id_len, "volume:v-1", "keys.blob_malformed"},
      {"flipped ciphertext", kek.get(), flipped_ct, "volume:v-1", "keys.unwrap_failed"},
      {"flipped tag", kek.get(), flipped_tag, "volume:v-1", "keys.unwrap_failed"},
      {"flipped nonce", kek.get(), flipped_nonce, "volume:v-1", "keys.unwrap_failed"},
      {"appended byte", kek.get(), appended, "volume:v-1", "keys.unwrap_failed"},
      {"empty", kek.get(), {}, "volume:v-1", "keys.blob_malformed"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(c.kek->Unwrap(c.blob, c.aad).status().reason_id(), c.want);
  }
  EXPECT_TRUE(kek->Unwrap(good, "volume:v-1").ok());
  // Every truncation fails without reading out of bounds, and never opens.
  for (size_t n = 0; n < good.size(); ++n) {
    auto r = kek->Unwrap(ByteSpan(good).first(n), "volume:v-1");
    EXPECT_FALSE(r.ok()) << n;
  }
  // Every single-bit change anywhere is refused.
  for (size_t i = 0; i < good.size(); ++i) {
    Bytes bad = good;
    bad[i] ^= 0x01;
    EXPECT_FALSE(kek->Unwrap(bad, "volume:v-1").ok()) << i;
  }
}

TEST(LocalKeyFileKek, KeyFileRules) {
  TempDir dir;
  const std::string path = dir.File("kek");
  ASSERT_TRUE(LocalKeyFileKek::CreateKeyFile(path).ok());
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(fs::file_size(path), 32u);
  // A 'restart': a new object from the same file opens what the first wrapped.
  const Bytes wrapped = LocalKeyFileKek::FromKeyFile(path).value()->Wrap(AsBytes("k"), "a").value();
  EXPECT_EQ(LocalKeyFileKek::FromKeyFile(path).value()->Unwrap(wrapped, "a").value(), Bytes({'k'}));

  const std::string group_readable = dir.File("group");
  ASSERT_TRUE(LocalKeyFileKek::CreateKeyFile(group_readable).ok());
  chmod(group_readable.c_str(), 0640);
  const std::string world_writable = dir.File("world");
  ASSERT_TRUE(LocalKeyFileKek::CreateKeyFile(world_writable).ok());
  chmod(world_writable.c_str(), 0602);
  const std::string short_key = dir.File("short");
  std::ofstream(short_key) << "too short";
  chmod(short_key.c_str(), 0600);
  const std::string long_key = dir.File("long");
  std::ofstream(long_key) << std::string(33, 'k');
  chmod(long_key.c_str(), 0600);
  const std::string link = dir.File("link");
  fs::create_symlink(path, link);
  const std::string directory = dir.File("sub");
  fs::create_directories(directory);
  chmod(directory.c_str(), 0700);
  struct Case {
    std::string name, path;
  };
  for (const Case& c : std::vector<Case>{{"group readable", group_readable},
                                         {"world writable", world_writable},
                                         {"31 bytes or fewer", short_key},
                                         {"33 bytes", long_key},
                                         {"symlink", link},
                                         {"directory", directory},
                                         {"missing", dir.File("none")}}) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(LocalKeyFileKek::FromKeyFile(c.path).status().reason_id(), "keys.key_file_invalid");
  }
  EXPECT_EQ(LocalKeyFileKek::CreateKeyFile(path).reason_id(), "keys.key_file_invalid");
  EXPECT_EQ(LocalKeyFileKek::CreateKeyFile(dir.File("no/such/dir")).reason_id(),
            "keys.key_file_invalid");
  EXPECT_EQ(LocalKeyFileKek::FromKey(Bytes(31, 0)).status().reason_id(), "keys.key_file_invalid");
  EXPECT_EQ(LocalKeyFileKek::FromKey(Bytes(33, 0)).status().reason_id(), "keys.key_file_invalid");
}

// CheckAvailable (readiness) rereads the key file: each way the file can go wrong after start is
// reported, and a repaired file is fine again. A key given in memory has nothing to check.
TEST(LocalKeyFileKek, CheckAvailableRereadsTheKeyFile) {
  TempDir dir;
  const std::string path = dir.File("kek");
  ASSERT_TRUE(LocalKeyFileKek::CreateKeyFile(path).ok());
  const Bytes original = ReadAll(path);
  auto kek = LocalKeyFileKek::FromKeyFile(path).value();
  EXPECT_TRUE(kek->CheckAvailable().ok());
  EXPECT_TRUE(Kek(1)->CheckAvailable().ok());

  auto replace = [&](const std::string& content, mode_t mode) {
    fs::remove_all(path);
    std::ofstream(path, std::ios::binary) << content;
    chmod(path.c_str(), mode);
  };
  struct Case {
    std::string name;
    std::function<void()> change;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"removed", [&] { fs::remove(path); }, "keys.key_file_invalid"},
      {"group readable", [&] { chmod(path.c_str(), 0640); }, "keys.key_file_invalid"},
      {"truncated", [&] { replace("short", 0600); }, "keys.key_file_invalid"},
      {"another key", [&] { replace(std::string(32, 'x'), 0600); }, "keys.wrong_key"},
      {"a symlink to the key",
       [&] {
         const std::string target = dir.File("moved");
         fs::rename(path, target);
         fs::create_symlink(target, path);
       },
       "keys.key_file_invalid"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    c.change();
    EXPECT_EQ(kek->CheckAvailable().reason_id(), c.want);
    replace(std::string(original.begin(), original.end()), 0600);
    EXPECT_TRUE(kek->CheckAvailable().ok());
  }
}

TEST(VolumeKey, WrapForOneVolumeOnly) {
  auto kek = Kek(5);
  const Bytes key = NewVolumeKey();
  ASSERT_EQ(key.size(), 32u);
  EXPECT_NE(NewVolumeKey(), key);
  const Bytes wrapped = WrapVolumeKey(*kek, "vol-a", key).value();
  EXPECT_EQ(UnwrapVolumeKey(*kek, "vol-a", wrapped).value(), key);
  EXPECT_EQ(UnwrapVolumeKey(*kek, "vol-b", wrapped).status().reason_id(), "keys.unwrap_failed");
  EXPECT_EQ(UnwrapVolumeKey(*Kek(6), "vol-a", wrapped).status().reason_id(), "keys.wrong_key");
  EXPECT_EQ(WrapVolumeKey(*kek, "vol-a", Bytes(31, 1)).status().reason_id(), "keys.config_invalid");
  EXPECT_EQ(WrapVolumeKey(*kek, "", key).status().reason_id(), "keys.config_invalid");
  // A 16-byte secret wrapped for the same purpose is not accepted as a volume key.
  const Bytes short_wrapped = kek->Wrap(Bytes(16, 1), VolumeKeyAad("vol-a")).value();
  EXPECT_EQ(UnwrapVolumeKey(*kek, "vol-a", short_wrapped).status().reason_id(),
            "keys.blob_malformed");
}

}  // namespace
}  // namespace attest::service::keys
