// Reading whole files, for the CLI, tools and tests (verifiers take bytes, never paths).
#pragma once

#include <string>

#include "attest/core/bytes.h"
#include "attest/core/status.h"

namespace attest {

// ReadFileBytes reads the whole file; fails with reasons::kFileUnreadable. Files larger than
// max_bytes are refused, so a hostile path (/dev/zero) cannot exhaust memory.
Result<Bytes> ReadFileBytes(const std::string& path, size_t max_bytes = 64u << 20);

// OwnerOnlyCheck: which rule a secret file broke (ReadOwnerOnlyFile).
enum class OwnerOnlyCheck {
  kOk,
  kCannotOpen,    // missing, unreadable, or a symbolic link where none is followed (errno set)
  kNotRegular,    // a directory, FIFO, device...
  kNotOwner,      // owned by another user than the effective one
  kGroupOrOther,  // some group or other permission bit is set (mode holds it)
  kTooLarge,      // more than max_bytes (size holds it)
  kReadFailed,
};

// OwnerOnlyFile: what ReadOwnerOnlyFile found; data only when check is kOk. The caller wipes
// data (attest/core/wipe.h) once it is done with the secret.
struct OwnerOnlyFile {
  OwnerOnlyCheck check = OwnerOnlyCheck::kOk;
  int open_errno = 0;
  unsigned mode = 0;  // st_mode & 07777
  uint64_t size = 0;
  Bytes data;
};

// ReadOwnerOnlyFile reads a secret file (a key, a PIN) the way ssh reads a private key: it opens
// path once (O_CLOEXEC, O_NONBLOCK so a FIFO cannot hang, and O_NOFOLLOW unless follow_symlink)
// and checks that very file (fstat on the descriptor, so a swap between check and read cannot
// pass): a regular file owned by the effective user, with no group or other permission bits,
// of at most max_bytes. Failed checks leave nothing read in memory. Callers map check to their
// own reason and message.
OwnerOnlyFile ReadOwnerOnlyFile(const std::string& path, size_t max_bytes,
                                bool follow_symlink = false);

// WriteNewFile creates path with the given mode and writes data; an existing file is never
// replaced (O_EXCL), so secrets are never written into a file someone else prepared. Fails with
// reasons::kFileUnwritable (and removes what it created).
Status WriteNewFile(const std::string& path, ByteSpan data, unsigned mode = 0600);

}  // namespace attest
