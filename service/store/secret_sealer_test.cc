#include "service/store/secret_sealer.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "attest/core/encoding.h"

namespace attest::service::store {
namespace {

namespace fs = std::filesystem;

std::unique_ptr<LocalKeySealer> Sealer(uint8_t fill) {
  return LocalKeySealer::FromKey(Bytes(32, fill)).value();
}

TEST(LocalKeySealer, RoundTripAndFreshNonces) {
  auto s = Sealer(1);
  auto a = s->Seal(AsBytes("secret"), "AKIA1");
  auto b = s->Seal(AsBytes("secret"), "AKIA1");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
  auto open = s->Unseal(*a, "AKIA1");
  ASSERT_TRUE(open.ok());
  EXPECT_EQ(std::string(open->begin(), open->end()), "secret");
  auto empty = s->Seal({}, "k");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(s->Unseal(*empty, "k")->empty());
}

TEST(LocalKeySealer, EveryAlterationFails) {
  auto s = Sealer(1);
  const Bytes sealed = s->Seal(AsBytes("secret-access-key"), "AKIA1").value();
  EXPECT_EQ(Sealer(2)->Unseal(sealed, "AKIA1").status().reason_id(), "store.secret_unseal_failed");
  EXPECT_EQ(s->Unseal(sealed, "AKIA2").status().reason_id(), "store.secret_unseal_failed");
  for (size_t i = 0; i < sealed.size(); ++i) {
    SCOPED_TRACE(i);
    Bytes bad = sealed;
    bad[i] ^= 0x01;
    EXPECT_EQ(s->Unseal(bad, "AKIA1").status().reason_id(), "store.secret_unseal_failed");
  }
  for (size_t n = 0; n < sealed.size(); ++n) {
    EXPECT_EQ(s->Unseal(ByteSpan(sealed).first(n), "AKIA1").status().reason_id(),
              "store.secret_unseal_failed");
  }
}

TEST(LocalKeySealer, KeyChecks) {
  EXPECT_EQ(LocalKeySealer::FromKey(Bytes(31, 0)).status().reason_id(), "store.kek_invalid");
  EXPECT_EQ(LocalKeySealer::FromKey(Bytes(33, 0)).status().reason_id(), "store.kek_invalid");
  const fs::path dir = fs::temp_directory_path() / ("attest-kek-" + HexEncode(RandomBytes(6)));
  fs::create_directories(dir);
  const std::string path = (dir / "kek").string();
  ASSERT_TRUE(LocalKeySealer::CreateKeyFile(path).ok());
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(fs::file_size(path), 32u);
  EXPECT_EQ(LocalKeySealer::CreateKeyFile(path).reason_id(), "store.kek_invalid");  // no overwrite
  auto from_file = LocalKeySealer::FromKeyFile(path);
  ASSERT_TRUE(from_file.ok());
  const Bytes sealed = (*from_file)->Seal(AsBytes("x"), "k").value();
  EXPECT_TRUE(LocalKeySealer::FromKeyFile(path).value()->Unseal(sealed, "k").ok());
  chmod(path.c_str(), 0644);
  EXPECT_EQ(LocalKeySealer::FromKeyFile(path).status().reason_id(), "store.kek_invalid");
  EXPECT_EQ(LocalKeySealer::FromKeyFile((dir / "none").string()).status().reason_id(),
            "store.kek_invalid");
  const std::string short_key = (dir / "short").string();
  std::ofstream(short_key) << "too short";
  chmod(short_key.c_str(), 0600);
  EXPECT_EQ(LocalKeySealer::FromKeyFile(short_key).status().reason_id(), "store.kek_invalid");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace attest::service::store
