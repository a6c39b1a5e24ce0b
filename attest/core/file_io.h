// Reading whole files, for the CLI, tools and tests (verifiers take bytes, never paths).
#pragma once

#include <string>

#include "attest/core/bytes.h"
#include "attest/core/status.h"

namespace attest {

// ReadFileBytes reads the whole file; fails with reasons::kFileUnreadable. Files larger than
// max_bytes are refused, so a hostile path (/dev/zero) cannot exhaust memory.
Result<Bytes> ReadFileBytes(const std::string& path, size_t max_bytes = 64u << 20);

// WriteNewFile creates path with the given mode and writes data; an existing file is never
// replaced (O_EXCL), so secrets are never written into a file someone else prepared. Fails with
// reasons::kFileUnwritable (and removes what it created).
Status WriteNewFile(const std::string& path, ByteSpan data, unsigned mode = 0600);

}  // namespace attest
