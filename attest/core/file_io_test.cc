#include "attest/core/file_io.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <random>

namespace attest {
namespace {

namespace fs = std::filesystem;

class OwnerOnlyFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("attest-owner-only-" + std::to_string(rd()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Secret(const std::string& name, const std::string& text, unsigned mode) {
    std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    chmod(path.c_str(), mode);
    return path;
  }
  fs::path dir_;
};

TEST_F(OwnerOnlyFileTest, ReadsOnlyAnOwnerOnlyRegularFile) {
  struct Case {
    std::string name;
    std::function<std::string()> make;  // returns the path to read
    bool follow_symlink;
    OwnerOnlyCheck want;
  };
  const std::vector<Case> cases = {
      {"0600", [&] { return Secret("a", "secret", 0600); }, false, OwnerOnlyCheck::kOk},
      {"0400", [&] { return Secret("b", "secret", 0400); }, false, OwnerOnlyCheck::kOk},
      {"empty", [&] { return Secret("c", "", 0600); }, false, OwnerOnlyCheck::kOk},
      {"at the limit", [&] { return Secret("d", std::string(16, 'x'), 0600); }, false,
       OwnerOnlyCheck::kOk},
      {"symlink followed",
       [&] {
         const std::string target = Secret("e", "secret", 0600);
         fs::create_symlink(target, dir_ / "e-link");
         return (dir_ / "e-link").string();
       },
       true, OwnerOnlyCheck::kOk},
      {"symlink not followed",
       [&] {
         const std::string target = Secret("f", "secret", 0600);
         fs::create_symlink(target, dir_ / "f-link");
         return (dir_ / "f-link").string();
       },
       false, OwnerOnlyCheck::kCannotOpen},
      {"missing", [&] { return (dir_ / "missing").string(); }, false, OwnerOnlyCheck::kCannotOpen},
      {"0640", [&] { return Secret("g", "secret", 0640); }, false, OwnerOnlyCheck::kGroupOrOther},
      {"0604", [&] { return Secret("h", "secret", 0604); }, false, OwnerOnlyCheck::kGroupOrOther},
      {"0620", [&] { return Secret("i", "secret", 0620); }, false, OwnerOnlyCheck::kGroupOrOther},
      {"0601", [&] { return Secret("j", "secret", 0601); }, false, OwnerOnlyCheck::kGroupOrOther},
      {"too large", [&] { return Secret("k", std::string(17, 'x'), 0600); }, false,
       OwnerOnlyCheck::kTooLarge},
      {"directory",
       [&] {
         fs::create_directory(dir_ / "l");
         chmod((dir_ / "l").c_str(), 0700);
         return (dir_ / "l").string();
       },
       false, OwnerOnlyCheck::kNotRegular},
      {"fifo (does not hang)",
       [&] {
         mkfifo((dir_ / "m").c_str(), 0600);
         return (dir_ / "m").string();
       },
       false, OwnerOnlyCheck::kNotRegular},
      {"another user's",
       [&] {
         std::string path = Secret("n", "secret", 0600);
         // Only root can give a file away; as another user, a root-owned file does the same.
         if (geteuid() == 0) {
           EXPECT_EQ(chown(path.c_str(), 65534, 65534), 0);
           return path;
         }
         return std::string("/etc/shadow");
       },
       false, OwnerOnlyCheck::kNotOwner},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const OwnerOnlyFile file = ReadOwnerOnlyFile(c.make(), 16, c.follow_symlink);
    EXPECT_EQ(file.check, c.want);
    if (c.want == OwnerOnlyCheck::kOk) {
      EXPECT_EQ(file.data.size(), file.size);
    } else {
      EXPECT_TRUE(file.data.empty());
    }
  }
  const OwnerOnlyFile open = ReadOwnerOnlyFile(Secret("z", "two\nlines", 0600), 16);
  EXPECT_EQ(std::string(open.data.begin(), open.data.end()), "two\nlines");
  EXPECT_EQ(open.mode, 0600u);
  EXPECT_EQ(ReadOwnerOnlyFile(Secret("y", "s", 0644), 16).mode, 0644u);
}

}  // namespace
}  // namespace attest
