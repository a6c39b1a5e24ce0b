// The Linux kernel as OVMF sees it on a QEMU direct boot: QEMU fills fields of the bzImage setup
// header before handing the file over fw_cfg (QEMU hw/i386/x86-common.c x86_load_linux; Linux
// Documentation/arch/x86/boot.rst for the fields), and OVMF measures the patched file.
#pragma once

#include <cstddef>
#include <optional>

#include "attest/core/bytes.h"
#include "attest/core/status.h"
#include "attest/measure/reasons.h"
#include "attest/measure/tdx_hob.h"

namespace attest::measure {

// QemuPatchedKernel returns a copy of the kernel with the fields QEMU writes: type_of_loader,
// loadflags CAN_USE_HEAP, heap_end_ptr, cmd_line_ptr, and with an initrd ramdisk_image and
// ramdisk_size (the initrd goes at the top of the memory the kernel allows, below QEMU's ACPI
// area). cmdline_bytes is the length of -append. Fails with measure.kernel_setup_invalid (no
// "HdrS" setup header, boot protocol below 2.02) and measure.initrd_too_large.
Result<Bytes> QemuPatchedKernel(ByteSpan kernel, const GuestMemory& memory, size_t cmdline_bytes,
                                std::optional<uint64_t> initrd_bytes);

}  // namespace attest::measure
