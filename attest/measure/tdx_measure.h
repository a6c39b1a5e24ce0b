// TDX launch measurements from firmware and boot inputs: MRTD, and RTMR0..3 as OVMF (with the
// Linux EFI stub for RTMR2) extends them on a QEMU direct kernel boot. The public entry point of
// the TDX calculator: pure, no I/O beyond the caller's bytes.
//
// RTMR event order (one per line: register, what is hashed), as edk2's TdTcg2Dxe and the Linux
// EFI stub produce it:
//   0 TD HOB | 0 CFV | 0 SecureBoot, PK, KEK, db, dbx | 0 separator | 0 etc/table-loader,
//   etc/acpi/rsdp, etc/acpi/tables | 1 kernel (Authenticode of the QEMU-patched file) |
//   0 BootOrder, Boot0000 | 1 "Calling EFI Application from Boot Option" | 0 separator (1 from
//   edk2-stable202411 on) | 2 cmdline (UTF-16LE + NUL), 2 initrd | 1 "Exit Boot Services
//   Invocation" | 1 "Exit Boot Services Returned with Success".
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attest/core/bytes.h"
#include "attest/core/digest.h"
#include "attest/core/status.h"
#include "attest/measure/reasons.h"
#include "attest/measure/tdx_mrtd.h"

namespace attest::measure {

// Where OVMF measures the ReadyToBoot separator.
enum class SeparatorLayout {
  kLegacy,            // RTMR0: edk2 up to edk2-stable202408 (Debian 12, Ubuntu 24.04)
  kEdk2Stable202411,  // RTMR1: edk2-stable202411 and later
};

inline constexpr uint32_t kMaxTdxVcpus = 4096;
inline constexpr size_t kMaxCmdlineBytes = 65536;

// What the measurements need of an initrd: QEMU places it by its size, the EFI stub measures its
// SHA-384. A caller holding only these (an API client sending digests) needs no bytes.
struct TdxInitrd {
  uint64_t size_bytes = 0;
  Sha384Digest sha384{};
};

// DigestInitrd returns the TdxInitrd of an initrd file.
TdxInitrd DigestInitrd(ByteSpan initrd);

struct TdxBootInputs {
  ByteSpan firmware;                // the unified OVMF.fd (code and variable store)
  uint64_t memory_bytes = 0;        // guest RAM (-m)
  ByteSpan acpi_tables;             // etc/acpi/tables of that VM shape
  ByteSpan kernel;                  // EFI-stub bzImage (-kernel)
  std::optional<TdxInitrd> initrd;  // -initrd (an empty file is still an initrd)
  std::string cmdline;              // -append; empty = none
};

struct TdxMeasureOptions {
  MrtdPageOrder page_order = MrtdPageOrder::kSinglePass;
  SeparatorLayout separator = SeparatorLayout::kLegacy;
  // The Linux EFI stub (6.9 and later) measures cmdline and initrd into RTMR2; older kernels
  // leave RTMR2 zero.
  bool efi_stub_measures_rtmr2 = true;
  // When set, the MADT of acpi_tables must list exactly this many enabled vCPUs.
  std::optional<uint32_t> vcpus;
};

struct TdxEvent {
  uint32_t rtmr = 0;
  std::string_view name;  // static text
  std::string_view type;  // TCG event type name, e.g. "EV_SEPARATOR"
  Sha384Digest digest{};
};

struct TdxMeasurement {
  Sha384Digest mrtd{};
  std::array<Sha384Digest, 4> rtmr{};
  std::vector<TdxEvent> events;  // every extend, in order
};

// MeasureTdxMrtd parses the TDVF metadata and returns MRTD. Fails as ParseTdvfMetadata.
Result<Sha384Digest> MeasureTdxMrtd(ByteSpan firmware, MrtdPageOrder order);

// MeasureTdx returns MRTD, RTMR0..3 and the events that built them. Fails with the
// measure.tdvf_*, measure.efi_vars_*, measure.acpi_*, measure.pe_*, measure.kernel_setup_invalid,
// measure.initrd_too_large, measure.cmdline_invalid (a byte that is NUL or not ASCII, longer than
// kMaxCmdlineBytes), measure.memory_invalid, measure.vcpus_invalid and measure.acpi_vcpus_mismatch
// reasons. A kernel that is a unified kernel image (a ".linux" section) is refused with
// measure.pe_uki_unsupported: systemd-stub measures differently.
Result<TdxMeasurement> MeasureTdx(const TdxBootInputs& inputs, const TdxMeasureOptions& options);

// ReplayTdxEvents extends each event into its RTMR from zero (attest/tdx ExtendRtmr).
std::array<Sha384Digest, 4> ReplayTdxEvents(const std::vector<TdxEvent>& events);

}  // namespace attest::measure
