#include "service/attestd/file_watch.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

namespace attest::service::attestd {
namespace {

namespace fs = std::filesystem;

void Write(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

class FileWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("file-watch-" + std::to_string(getpid()));
    fs::create_directories(dir_);
    Write(dir_ / "cert.pem", "cert 1");
    Write(dir_ / "key.pem", "key 1");
  }
  void TearDown() override { fs::remove_all(dir_); }
  FileWatch Watch() const {
    return FileWatch({(dir_ / "cert.pem").string(), (dir_ / "key.pem").string()});
  }
  fs::path dir_;
};

TEST_F(FileWatchTest, QuietFilesNeverReport) {
  FileWatch watch = Watch();
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(watch.Poll());
  }
}

TEST_F(FileWatchTest, ReportsEachKindOfChangeOnceItSettles) {
  const struct {
    std::string name;
    std::function<void(const fs::path&)> change;
  } cases[] = {
      {"rewritten in place, new size", [](const fs::path& d) { Write(d / "cert.pem", "cert 22"); }},
      {"replaced by rename",
       [](const fs::path& d) {
         Write(d / "new.pem", "key 2");
         fs::rename(d / "new.pem", d / "key.pem");
       }},
      {"removed", [](const fs::path& d) { fs::remove(d / "key.pem"); }},
      {"symlink swapped",
       [](const fs::path& d) {
         Write(d / "cert-2.pem", "cert 2");
         fs::remove(d / "cert.pem");
         fs::create_symlink(d / "cert-2.pem", d / "cert.pem");
       }},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    SetUp();
    FileWatch watch = Watch();
    c.change(dir_);
    EXPECT_FALSE(watch.Poll());  // changed since the last poll: maybe still being written
    EXPECT_TRUE(watch.Poll());   // the same as the previous poll: settled, report it
    EXPECT_FALSE(watch.Poll());  // reported once
    TearDown();
  }
}

TEST_F(FileWatchTest, ARenewalInTwoStepsIsOneChange) {
  FileWatch watch = Watch();
  Write(dir_ / "cert.pem", "cert 2 (longer)");
  EXPECT_FALSE(watch.Poll());
  Write(dir_ / "key.pem", "key 2 (longer)");
  EXPECT_FALSE(watch.Poll());  // the key changed meanwhile: still not settled
  EXPECT_TRUE(watch.Poll());
  EXPECT_FALSE(watch.Poll());
  // A file that comes back after being missing is a change too.
  fs::remove(dir_ / "key.pem");
  EXPECT_FALSE(watch.Poll());
  EXPECT_TRUE(watch.Poll());
  Write(dir_ / "key.pem", "key 3");
  EXPECT_FALSE(watch.Poll());
  EXPECT_TRUE(watch.Poll());
}

}  // namespace
}  // namespace attest::service::attestd
