#include "attest/core/file_io.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace attest {

Result<Bytes> ReadFileBytes(const std::string& path, size_t max_bytes) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) {
    return Status(reasons::kFileUnreadable, path + ": " + std::strerror(errno));
  }
  Bytes out;
  uint8_t buf[65536];
  while (true) {
    const size_t n = std::fread(buf, 1, sizeof(buf), file.get());
    if (n > 0) {
      if (out.size() + n > max_bytes) {
        return Status(reasons::kFileUnreadable,
                      path + ": larger than " + std::to_string(max_bytes) + " bytes");
      }
      out.insert(out.end(), buf, buf + n);
    }
    if (n < sizeof(buf)) {
      if (std::ferror(file.get())) {
        return Status(reasons::kFileUnreadable, path + ": read error");
      }
      break;
    }
  }
  return out;
}

}  // namespace attest
