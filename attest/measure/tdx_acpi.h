// QEMU's ACPI blobs as OVMF measures them into RTMR0 (EV_PLATFORM_CONFIG_FLAGS, one event per
// fw_cfg file): "etc/table-loader" (the linker/loader script, QEMU hw/acpi/bios-linker-loader.c),
// "etc/acpi/rsdp" and "etc/acpi/tables". The caller supplies etc/acpi/tables (captured from a
// guest's /sys/firmware/qemu_fw_cfg/by_name/etc/acpi/tables/raw, or generated for the VM shape);
// the loader script and RSDP follow from it.
#pragma once

#include <cstdint>

#include "attest/core/bytes.h"
#include "attest/core/status.h"
#include "attest/measure/reasons.h"

namespace attest::measure {

inline constexpr size_t kMaxAcpiTables = 64;

struct QemuAcpiBlobs {
  Bytes table_loader;          // etc/table-loader, padded to a multiple of 4 KiB as QEMU does
  Bytes rsdp;                  // etc/acpi/rsdp before the loader patches it (20 bytes, ACPI 1.0)
  uint32_t madt_enabled_cpus;  // enabled Local APIC / x2APIC entries in the MADT (0 without one)
};

// BuildQemuAcpiBlobs derives the loader script and RSDP QEMU would have written beside these
// tables: per table in file order its pointer fix-ups (FACP: FIRMWARE_CTRL, DSDT, X_DSDT; RSDT: one
// per entry) and its checksum (all but FACS), then the RSDP's pointer and checksum. The RSDT entry
// count comes from the RSDT's length, so HPET's fifth entry is linked too.
// Fails with measure.acpi_malformed: a length that runs past the blob or under a header, a
// non-printable signature, no FACP/DSDT/RSDT, an RSDT length that is not 36 + 4n, bytes after the
// zero padding, more than kMaxAcpiTables tables.
Result<QemuAcpiBlobs> BuildQemuAcpiBlobs(ByteSpan tables);

}  // namespace attest::measure
