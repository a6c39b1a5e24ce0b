#include "attest/core/file_io.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include <fcntl.h>
#include <unistd.h>

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

Status WriteNewFile(const std::string& path, ByteSpan data, unsigned mode) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    return Status(reasons::kFileUnwritable, path + ": " + std::strerror(errno));
  }
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n <= 0) {
      break;
    }
    done += static_cast<size_t>(n);
  }
  const bool ok = done == data.size() && fsync(fd) == 0;
  if (close(fd) != 0 || !ok) {
    unlink(path.c_str());
    return Status(reasons::kFileUnwritable, path + ": write failed");
  }
  return Status::Ok();
}

}  // namespace attest
