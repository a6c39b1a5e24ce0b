// UploadFile: one file received into a directory as it streams in. It is written under a
// temporary name (created 0600, O_EXCL), hashed with SHA-256 and SHA-384 on the way, and only
// Commit (fsync, rename, fsync of the directory) puts it in place. Destroyed before Commit (the
// upload failed), it unlinks the temporary file: nothing half-written stays.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "attest/core/bytes.h"
#include "attest/core/digest.h"
#include "attest/core/status.h"
#include "attest/measure/tdx_sha384.h"

namespace attest::service::api {

// FileDigests: a file's size and lowercase hex digests.
struct FileDigests {
  uint64_t size = 0;
  std::string sha256;
  std::string sha384;
};

// DigestStream hashes bytes fed in pieces with SHA-256 and SHA-384 at once.
class DigestStream {
 public:
  void Update(ByteSpan bytes);
  FileDigests Finish();

 private:
  Sha256Hasher sha256_;
  measure::Sha384Stream sha384_;
  uint64_t size_ = 0;
};

// DigestFile hashes the regular file at path, refusing one of more than max_bytes
// (reasons::kFileUnreadable for both).
Result<FileDigests> DigestFile(const std::string& path, uint64_t max_bytes);

class UploadFile {
 public:
  // Create opens a new temporary file in dir for the file final_path (in dir) will be.
  // reasons::kBootUploadFailed when it cannot.
  static Result<std::unique_ptr<UploadFile>> Create(const std::string& dir,
                                                    const std::string& final_path);
  ~UploadFile();
  UploadFile(const UploadFile&) = delete;
  UploadFile& operator=(const UploadFile&) = delete;

  // Write appends bytes (reasons::kBootUploadFailed on a short write, ENOSPC...).
  Status Write(std::string_view bytes);
  // head is the file's first bytes, up to head_limit (Create: 4 KiB), for format checks.
  ByteSpan head() const { return head_; }
  // Digests finishes the hashes (once; Write may not follow).
  FileDigests Digests();
  // Commit makes the file durable under its final path; after it the destructor keeps it.
  Status Commit();

  const std::string& final_path() const { return final_path_; }

 private:
  UploadFile(int fd, std::string dir, std::string temp_path, std::string final_path);

  int fd_;
  std::string dir_;
  std::string temp_path_;
  std::string final_path_;
  bool committed_ = false;
  Bytes head_;
  DigestStream digests_;
};

}  // namespace attest::service::api
