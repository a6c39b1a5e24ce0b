#include "service/api/upload_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "attest/core/encoding.h"
#include "attest/core/reasons.h"
#include "service/api/kernel_header.h"
#include "service/api/reasons.h"
#include "service/store/secret_sealer.h"

namespace attest::service::api {
namespace {

Status Failed(const std::string& what) {
  return Status(reasons::kBootUploadFailed, what + ": " + std::strerror(errno));
}

// SyncDirectory makes a rename inside dir durable.
Status SyncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return Failed("cannot open the upload directory");
  }
  const int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? Status::Ok() : Failed("cannot sync the upload directory");
}

}  // namespace

void DigestStream::Update(ByteSpan bytes) {
  sha256_.Update(bytes);
  sha384_.Update(bytes);
  size_ += bytes.size();
}

FileDigests DigestStream::Finish() {
  const Sha256Digest sha256 = sha256_.Finish();
  const Sha384Digest sha384 = sha384_.Finish();
  return FileDigests{size_, HexEncode(sha256), HexEncode(sha384)};
}

Result<FileDigests> DigestFile(const std::string& path, uint64_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    return Status(reasons::kFileUnreadable, "cannot open " + path + ": " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
      static_cast<uint64_t>(st.st_size) > max_bytes) {
    ::close(fd);
    return Status(reasons::kFileUnreadable, path + " is not a regular file of at most " +
                                                std::to_string(max_bytes) + " bytes");
  }
  DigestStream digests;
  std::array<uint8_t, size_t{64} * 1024> buffer{};
  uint64_t total = 0;
  while (true) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      ::close(fd);
      return Status(reasons::kFileUnreadable, "cannot read " + path);
    }
    if (n == 0) {
      break;
    }
    total += static_cast<uint64_t>(n);
    if (total > max_bytes) {  // the file grew while it was read
      ::close(fd);
      return Status(reasons::kFileUnreadable, path + " grew past " + std::to_string(max_bytes));
    }
    digests.Update(ByteSpan(buffer.data(), static_cast<size_t>(n)));
  }
  ::close(fd);
  return digests.Finish();
}

Result<std::unique_ptr<UploadFile>> UploadFile::Create(const std::string& dir,
                                                       const std::string& final_path) {
  const std::string temp = dir + "/.upload-" + HexEncode(store::RandomBytes(12));
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Failed("cannot create an upload file in the volume directory");
  }
  return std::unique_ptr<UploadFile>(new UploadFile(fd, dir, temp, final_path));
}

UploadFile::UploadFile(int fd, std::string dir, std::string temp_path, std::string final_path)
    : fd_(fd),
      dir_(std::move(dir)),
      temp_path_(std::move(temp_path)),
      final_path_(std::move(final_path)) {}

UploadFile::~UploadFile() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
  if (!committed_) {
    ::unlink(temp_path_.c_str());
  }
}

Status UploadFile::Write(std::string_view bytes) {
  const ByteSpan span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  if (head_.size() < kKernelHeaderBytes) {
    const size_t take = std::min(kKernelHeaderBytes - head_.size(), span.size());
    head_.insert(head_.end(), span.begin(), span.begin() + static_cast<std::ptrdiff_t>(take));
  }
  digests_.Update(span);
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return Failed("cannot write the upload");
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

FileDigests UploadFile::Digests() { return digests_.Finish(); }

Status UploadFile::Commit() {
  if (::fsync(fd_) != 0) {
    return Failed("cannot sync the upload");
  }
  ::close(fd_);
  fd_ = -1;
  // RENAME_NOREPLACE semantics by link+unlink: a final path that exists is never replaced.
  if (::link(temp_path_.c_str(), final_path_.c_str()) != 0) {
    return Failed("cannot move the upload into place");
  }
  ::unlink(temp_path_.c_str());
  if (Status synced = SyncDirectory(dir_); !synced.ok()) {
    ::unlink(final_path_.c_str());
    return synced;
  }
  committed_ = true;
  return Status::Ok();
}

}  // namespace attest::service::api
