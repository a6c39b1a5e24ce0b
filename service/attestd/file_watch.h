// FileWatch notices that files were replaced or rewritten (a renewed TLS certificate and key),
// by polling their metadata: no inotify, so it also sees a renewal that swaps a symlink or a
// mounted secret's directory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace attest::service::attestd {

class FileWatch {
 public:
  // The files' state now is the baseline: only later changes count.
  explicit FileWatch(std::vector<std::string> paths);

  // Poll stats the files. It returns true once after they changed, at the first Poll that finds
  // them as the previous Poll did: a renewal that writes the certificate and then the key is one
  // change, and a half-written file is not loaded while it is still being written.
  bool Poll();

 private:
  // Stat is what Poll compares: the file's identity, size and times, or all zero when stat
  // fails (missing: a later reappearance is a change).
  struct Stat {
    uint64_t device = 0;
    uint64_t inode = 0;
    int64_t size = 0;
    int64_t modified_ns = 0;
    int64_t changed_ns = 0;
    bool operator==(const Stat&) const = default;
  };
  std::vector<Stat> Read() const;

  std::vector<std::string> paths_;
  std::vector<Stat> seen_;
  bool changed_ = false;  // seen_ differs from what the last true Poll reported
};

}  // namespace attest::service::attestd
