#include "service/attestd/file_watch.h"

#include <sys/stat.h>

#include <utility>

namespace attest::service::attestd {
namespace {

int64_t Nanoseconds(const timespec& t) {
  return static_cast<int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

}  // namespace

FileWatch::FileWatch(std::vector<std::string> paths) : paths_(std::move(paths)), seen_(Read()) {}

std::vector<FileWatch::Stat> FileWatch::Read() const {
  std::vector<Stat> out;
  out.reserve(paths_.size());
  for (const std::string& path : paths_) {
    Stat s;
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {  // follows symlinks: a swapped link target counts
      s.device = st.st_dev;
      s.inode = st.st_ino;
      s.size = st.st_size;
      s.modified_ns = Nanoseconds(st.st_mtim);
      s.changed_ns = Nanoseconds(st.st_ctim);
    }
    out.push_back(s);
  }
  return out;
}

bool FileWatch::Poll() {
  std::vector<Stat> now = Read();
  if (now != seen_) {
    seen_ = std::move(now);
    changed_ = true;
    return false;  // still changing, perhaps: wait for one quiet poll
  }
  if (changed_) {
    changed_ = false;
    return true;
  }
  return false;
}

}  // namespace attest::service::attestd
