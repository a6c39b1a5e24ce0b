#include "attest/measure/tdx_kernel.h"

#include <string>

#include "attest/measure/tdx_le.h"

namespace attest::measure {
namespace {

// Setup header offsets (boot.rst).
constexpr size_t kHeaderMagic = 0x202;
constexpr size_t kVersion = 0x206;
constexpr size_t kTypeOfLoader = 0x210;
constexpr size_t kLoadflags = 0x211;
constexpr size_t kRamdiskImage = 0x218;
constexpr size_t kRamdiskSize = 0x21c;
constexpr size_t kHeapEndPtr = 0x224;
constexpr size_t kCmdLinePtr = 0x228;
constexpr size_t kInitrdAddrMax = 0x22c;
constexpr size_t kXloadflags = 0x236;
constexpr size_t kHeaderEnd = 0x238;

constexpr uint8_t kLoadedHigh = 0x01;
constexpr uint8_t kCanUseHeap = 0x80;
constexpr uint16_t kXlfCanBeLoadedAbove4g = 0x02;
constexpr uint8_t kLoaderQemu = 0xb0;
// QEMU keeps this much below the top of low memory for ACPI tables (acpi_data_size on q35).
constexpr uint64_t kQemuAcpiDataBytes = 0x20000 + 0x8000;

}  // namespace

Result<Bytes> QemuPatchedKernel(ByteSpan kernel, const GuestMemory& memory, size_t cmdline_bytes,
                                std::optional<uint64_t> initrd_bytes) {
  if (kernel.size() < kHeaderEnd || kernel[kHeaderMagic] != 'H' ||
      kernel[kHeaderMagic + 1] != 'd' || kernel[kHeaderMagic + 2] != 'r' ||
      kernel[kHeaderMagic + 3] != 'S') {
    return Status(reasons::kMeasureKernelSetupInvalid,
                  "kernel has no bzImage setup header (\"HdrS\" at 0x202)");
  }
  const uint16_t protocol = LoadLe<uint16_t>(kernel, kVersion);
  if (protocol < 0x202) {
    return Status(reasons::kMeasureKernelSetupInvalid,
                  "kernel boot protocol " + std::to_string(protocol >> 8) + "." +
                      std::to_string(protocol & 0xff) + " is older than 2.02");
  }
  Bytes out(kernel.begin(), kernel.end());
  uint32_t real_addr = 0x10000;
  uint32_t cmdline_addr = 0x20000;
  if ((kernel[kLoadflags] & kLoadedHigh) == 0) {
    const uint32_t cmdline_size = static_cast<uint32_t>((cmdline_bytes + 16) & ~size_t{15});
    real_addr = 0x90000;
    cmdline_addr = 0x9a000 - cmdline_size;
  }
  uint64_t initrd_max = 0x37ffffff;
  if (protocol >= 0x20c && (LoadLe<uint16_t>(kernel, kXloadflags) & kXlfCanBeLoadedAbove4g)) {
    initrd_max = UINT32_MAX;
  } else if (protocol >= 0x203) {
    initrd_max = LoadLe<uint32_t>(kernel, kInitrdAddrMax);
  }
  if (memory.below_4g_bytes <= kQemuAcpiDataBytes) {
    return Status(reasons::kMeasureMemoryInvalid,
                  "guest memory below 4 GiB too small for a kernel");
  }
  if (initrd_max >= memory.below_4g_bytes - kQemuAcpiDataBytes) {
    initrd_max = memory.below_4g_bytes - kQemuAcpiDataBytes - 1;
  }
  PutLe32(out, kCmdLinePtr, cmdline_addr);
  out[kTypeOfLoader] = kLoaderQemu;
  out[kLoadflags] |= kCanUseHeap;
  PutLe16(out, kHeapEndPtr, static_cast<uint16_t>(cmdline_addr - real_addr - 0x200));
  if (initrd_bytes) {
    if (*initrd_bytes >= initrd_max) {
      return Status(reasons::kMeasureInitrdTooLarge,
                    "initrd of " + std::to_string(*initrd_bytes) +
                        " bytes does not fit below the kernel's limit " +
                        std::to_string(initrd_max));
    }
    PutLe32(out, kRamdiskImage,
            static_cast<uint32_t>((initrd_max - *initrd_bytes) & ~uint64_t{4095}));
    PutLe32(out, kRamdiskSize, static_cast<uint32_t>(*initrd_bytes));
  }
  return out;
}

}  // namespace attest::measure
