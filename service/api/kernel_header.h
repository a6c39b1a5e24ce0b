// CheckKernelHeader: is this the start of a kernel attestd can direct-boot? Only the first bytes
// of an upload are looked at (the whole file may be hundreds of MiB and is hashed as it streams).
#pragma once

#include <cstddef>

#include "attest/core/bytes.h"
#include "attest/core/status.h"

namespace attest::service::api {

// kKernelHeaderBytes: how much of a kernel's start CheckKernelHeader needs at most.
inline constexpr size_t kKernelHeaderBytes = 4096;

// CheckKernelHeader accepts an x86 bzImage (Linux boot protocol, Documentation/arch/x86/boot.rst:
// boot_flag 0xAA55 at 0x1FE, header "HdrS" at 0x202, protocol version >= 2.00 at 0x206) or a
// PE/COFF image (PE Format: "MZ", e_lfanew at 0x3C pointing at "PE\0\0" inside head), which an
// EFI-stub kernel also is. head is the file's first bytes (up to kKernelHeaderBytes). Fails with
// reasons::kBootKernelInvalid.
Status CheckKernelHeader(ByteSpan head);

}  // namespace attest::service::api
