// OVMF's GUIDed footer table: the metadata QEMU and guest owners read from the last bytes of an
// OVMF image (OvmfPkg/ResetVector, "OVMF_TABLE_FOOTER_GUID"). Layout: the footer entry sits 32
// bytes before the end of the image as u16 size || GUID 96b582de-1fb2-45f7-baea-a366c55a082d; size
// covers the whole table including that footer entry. The entries precede it and are read
// backwards from the footer: each is data || u16 size (including its 18-byte header) || GUID.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "attest/core/bytes.h"
#include "attest/core/status.h"
#include "attest/sev/measurement.h"
#include "attest/sev/reasons.h"

namespace attest::sev {

inline constexpr std::string_view kOvmfFooterGuid = "96b582de-1fb2-45f7-baea-a366c55a082d";
// Present in AmdSev builds, which check QEMU's kernel hash table (kernelHashes).
inline constexpr std::string_view kOvmfSevHashTableGuid = "7255371f-3a3b-4b04-927b-1da6efa8d454";
// The SEV-ES application-processor reset block: u32 reset address first.
inline constexpr std::string_view kOvmfSevEsResetBlockGuid = "00f771de-1a7e-4fcb-890e-68c77e2fb44e";

inline constexpr size_t kMaxOvmfTableEntries = 64;

struct OvmfTableEntry {
  Guid guid{};
  ByteSpan data;  // view into the firmware image
};

// ParseOvmfFooterTable returns the entries, last one first. Fails with sev.firmware_malformed when
// the footer GUID is missing or a size runs outside the table.
Result<std::vector<OvmfTableEntry>> ParseOvmfFooterTable(ByteSpan firmware);

// HasOvmfFooterGuid is true when the footer GUID sits where ParseOvmfFooterTable looks for it: the
// image has a table, whether or not it is well formed.
bool HasOvmfFooterGuid(ByteSpan firmware);

// FindOvmfTableEntry returns the data of the first entry with that GUID, or nullopt.
std::optional<ByteSpan> FindOvmfTableEntry(const std::vector<OvmfTableEntry>& table,
                                           std::string_view guid);

// OvmfSevEsResetAddress returns the AP reset address of an SEV-ES capable OVMF. Fails with
// sev.firmware_malformed (no table, no reset block, block shorter than 4 bytes).
Result<uint32_t> OvmfSevEsResetAddress(ByteSpan firmware);

// OvmfSupportsKernelHashes is true when the image has the SEV hash table entry with a non-zero
// base and room for QEMU's 176-byte table.
bool OvmfSupportsKernelHashes(ByteSpan firmware);

}  // namespace attest::sev
