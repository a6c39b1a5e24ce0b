#include "attest/sev/ovmf.h"

#include <algorithm>
#include <string>

#include "attest/core/byte_reader.h"

namespace attest::sev {
namespace {

constexpr size_t kEntryHeaderSize = 2 + 16;
constexpr size_t kFooterDistanceFromEnd = 32;

Status Malformed(const std::string& message) {
  return Status(reasons::kSevFirmwareMalformed, "ovmf footer table: " + message);
}

}  // namespace

Result<std::vector<OvmfTableEntry>> ParseOvmfFooterTable(ByteSpan firmware) {
  if (firmware.size() < kFooterDistanceFromEnd + kEntryHeaderSize) {
    return Malformed("image too small for a footer");
  }
  const size_t footer = firmware.size() - kFooterDistanceFromEnd - kEntryHeaderSize;
  ByteReader head(firmware.subspan(footer, kEntryHeaderSize), reasons::kSevFirmwareMalformed,
                  "ovmf footer");
  ATTEST_ASSIGN_OR_RETURN(uint16_t table_size, head.ReadU16Le());
  ATTEST_ASSIGN_OR_RETURN(Guid footer_guid, head.ReadArray<16>());
  if (footer_guid != *ParseGuid(kOvmfFooterGuid)) {
    return Malformed("no footer GUID");
  }
  if (table_size < kEntryHeaderSize || table_size - kEntryHeaderSize > footer) {
    return Malformed("table size " + std::to_string(table_size) + " outside the image");
  }
  const ByteSpan table =
      firmware.subspan(footer - (table_size - kEntryHeaderSize), table_size - kEntryHeaderSize);
  std::vector<OvmfTableEntry> entries;
  size_t end = table.size();
  while (end >= kEntryHeaderSize) {
    if (entries.size() == kMaxOvmfTableEntries) {
      return Malformed("more than 64 entries");
    }
    ByteReader r(table.subspan(end - kEntryHeaderSize, kEntryHeaderSize),
                 reasons::kSevFirmwareMalformed, "ovmf footer entry");
    ATTEST_ASSIGN_OR_RETURN(uint16_t size, r.ReadU16Le());
    OvmfTableEntry entry;
    ATTEST_ASSIGN_OR_RETURN(entry.guid, r.ReadArray<16>());
    if (size < kEntryHeaderSize || size > end) {
      return Malformed("entry size " + std::to_string(size) + " outside the table");
    }
    entry.data = table.subspan(end - size, size - kEntryHeaderSize);
    entries.push_back(entry);
    end -= size;
  }
  if (end != 0) {
    return Malformed(std::to_string(end) + " bytes before the first entry");
  }
  return entries;
}

bool HasOvmfFooterGuid(ByteSpan firmware) {
  if (firmware.size() < kFooterDistanceFromEnd + kEntryHeaderSize) {
    return false;
  }
  const ByteSpan guid = firmware.subspan(firmware.size() - kFooterDistanceFromEnd - 16, 16);
  const Guid want = *ParseGuid(kOvmfFooterGuid);
  return std::equal(guid.begin(), guid.end(), want.begin());
}

std::optional<ByteSpan> FindOvmfTableEntry(const std::vector<OvmfTableEntry>& table,
                                           std::string_view guid) {
  const Guid want = *ParseGuid(guid);
  for (const OvmfTableEntry& e : table) {
    if (e.guid == want) {
      return e.data;
    }
  }
  return std::nullopt;
}

Result<uint32_t> OvmfSevEsResetAddress(ByteSpan firmware) {
  ATTEST_ASSIGN_OR_RETURN(auto table, ParseOvmfFooterTable(firmware));
  const auto block = FindOvmfTableEntry(table, kOvmfSevEsResetBlockGuid);
  if (!block) {
    return Malformed("no SEV-ES reset block: not an SEV-ES capable OVMF");
  }
  ByteReader r(*block, reasons::kSevFirmwareMalformed, "ovmf sev-es reset block");
  return r.ReadU32Le();
}

bool OvmfSupportsKernelHashes(ByteSpan firmware) {
  auto table = ParseOvmfFooterTable(firmware);
  if (!table.ok()) {
    return false;
  }
  const auto area = FindOvmfTableEntry(*table, kOvmfSevHashTableGuid);
  if (!area) {
    return false;
  }
  // u32 guest-physical base, u32 size: QEMU refuses a zero base or an area smaller than its
  // padded hash table (a plain OvmfX64 build carries the entry with zeros).
  ByteReader r(*area, reasons::kSevFirmwareMalformed, "ovmf sev hash table area");
  auto base = r.ReadU32Le();
  auto size = r.ReadU32Le();
  return base.ok() && size.ok() && *base != 0 && *size >= 176;
}

}  // namespace attest::sev
