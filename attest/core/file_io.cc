#include "attest/core/file_io.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attest/core/wipe.h"

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

OwnerOnlyFile ReadOwnerOnlyFile(const std::string& path, size_t max_bytes, bool follow_symlink) {
  OwnerOnlyFile out;
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
                                        (follow_symlink ? 0 : O_NOFOLLOW));
  if (fd < 0) {
    out.open_errno = errno;
    out.check = OwnerOnlyCheck::kCannotOpen;
    return out;
  }
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    out.check = OwnerOnlyCheck::kNotRegular;
  } else if (st.st_uid != geteuid()) {
    out.check = OwnerOnlyCheck::kNotOwner;
  } else if ((st.st_mode & 077) != 0) {
    out.check = OwnerOnlyCheck::kGroupOrOther;
  } else if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    out.check = OwnerOnlyCheck::kTooLarge;
  }
  out.mode = static_cast<unsigned>(st.st_mode & 07777);
  out.size = static_cast<uint64_t>(st.st_size);
  if (out.check == OwnerOnlyCheck::kOk) {
    // The size was checked on this descriptor; a file that grows meanwhile is read no further.
    out.data.resize(static_cast<size_t>(st.st_size));
    size_t done = 0;
    while (done < out.data.size()) {
      const ssize_t n = read(fd, out.data.data() + done, out.data.size() - done);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        break;
      }
      done += static_cast<size_t>(n);
    }
    if (done != out.data.size()) {
      Wipe(out.data);
      out.data.clear();
      out.check = OwnerOnlyCheck::kReadFailed;
    }
  }
  close(fd);
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
