#include "attest/measure/sev_firmware.h"

#include <set>
#include <string>

#include "attest/core/byte_reader.h"
#include "attest/sev/ovmf.h"

namespace attest::measure {
namespace {

constexpr size_t kMetadataHeaderSize = 16;
constexpr size_t kSectionSize = 12;
constexpr uint64_t kFourGiB = 1ull << 32;

Result<uint32_t> ReadEntryU32(ByteSpan data, std::string_view what) {
  ByteReader r(data, reasons::kMeasureOvmfMalformed, what);
  return r.ReadU32Le();
}

bool KnownSectionType(uint32_t type) {
  switch (static_cast<SevSectionType>(type)) {
    case SevSectionType::kSnpSecMem:
    case SevSectionType::kSnpSecrets:
    case SevSectionType::kCpuid:
    case SevSectionType::kSvsmCaa:
    case SevSectionType::kSnpKernelHashes:
      return true;
  }
  return false;
}

Result<SevMetadataSection> ReadSection(ByteReader& r, uint32_t index) {
  const std::string where = "sev metadata section " + std::to_string(index);
  ATTEST_ASSIGN_OR_RETURN(uint32_t gpa, r.ReadU32Le());
  ATTEST_ASSIGN_OR_RETURN(uint32_t size, r.ReadU32Le());
  ATTEST_ASSIGN_OR_RETURN(uint32_t type, r.ReadU32Le());
  if (!KnownSectionType(type)) {
    return Status(reasons::kMeasureOvmfSevMetadataMalformed,
                  where + ": unknown type " + std::to_string(type));
  }
  if (size == 0 || gpa % kPageSize != 0 || size % kPageSize != 0 ||
      uint64_t{gpa} + size > kFourGiB) {
    return Status(reasons::kMeasureOvmfSevMetadataMalformed,
                  where + ": not whole pages below 4 GiB");
  }
  const auto section_type = static_cast<SevSectionType>(type);
  if ((section_type == SevSectionType::kSnpSecrets || section_type == SevSectionType::kCpuid) &&
      size != kPageSize) {
    return Status(reasons::kMeasureOvmfSevMetadataMalformed,
                  where + ": a SECRETS or CPUID section is one page");
  }
  return SevMetadataSection{gpa, size, section_type};
}

// ParseMetadata reads the "ASEV" block offset_from_end bytes before the end of image.
Result<std::vector<SevMetadataSection>> ParseMetadata(ByteSpan image, uint32_t offset_from_end) {
  if (offset_from_end < kMetadataHeaderSize || offset_from_end > image.size()) {
    return Status(reasons::kMeasureOvmfSevMetadataMalformed,
                  "sev metadata offset " + std::to_string(offset_from_end) + " outside the image");
  }
  ByteReader r(image.subspan(image.size() - offset_from_end),
               reasons::kMeasureOvmfSevMetadataMalformed, "sev metadata");
  ATTEST_ASSIGN_OR_RETURN(auto signature, r.ReadArray<4>());
  ATTEST_ASSIGN_OR_RETURN(uint32_t size, r.ReadU32Le());
  ATTEST_ASSIGN_OR_RETURN(uint32_t version, r.ReadU32Le());
  ATTEST_ASSIGN_OR_RETURN(uint32_t num_items, r.ReadU32Le());
  if (signature != std::array<uint8_t, 4>{'A', 'S', 'E', 'V'}) {
    return Status(reasons::kMeasureOvmfSevMetadataMalformed, "sev metadata: no ASEV signature");
  }
  if (version != 1) {
    return Status(reasons::kMeasureOvmfSevMetadataMalformed,
                  "sev metadata: version " + std::to_string(version) + ", want 1");
  }
  if (num_items == 0 || num_items > kMaxSevSections) {
    return Status(reasons::kMeasureOvmfSevMetadataMalformed,
                  "sev metadata: " + std::to_string(num_items) + " sections, want 1..64");
  }
  if (size != kMetadataHeaderSize + kSectionSize * num_items) {
    return Status(reasons::kMeasureOvmfSevMetadataMalformed,
                  "sev metadata: header size " + std::to_string(size) + " does not fit " +
                      std::to_string(num_items) + " sections");
  }
  std::vector<SevMetadataSection> sections;
  sections.reserve(num_items);
  uint64_t total_bytes = 0;
  for (uint32_t i = 0; i < num_items; ++i) {
    ATTEST_ASSIGN_OR_RETURN(SevMetadataSection s, ReadSection(r, i));
    total_bytes += s.size;
    sections.push_back(s);
  }
  if (total_bytes > kMaxSevSectionBytes) {
    return Status(reasons::kMeasureOvmfSevMetadataMalformed,
                  "sev metadata: sections cover " + std::to_string(total_bytes) +
                      " bytes, at most " + std::to_string(kMaxSevSectionBytes));
  }
  return sections;
}

}  // namespace

Result<SevFirmware> ParseSevFirmware(ByteSpan image) {
  if (image.size() > kMaxFirmwareBytes) {
    return Status(reasons::kMeasureOvmfTooLarge,
                  "firmware image of " + std::to_string(image.size()) + " bytes, at most " +
                      std::to_string(kMaxFirmwareBytes));
  }
  SevFirmware fw;
  if (!sev::HasOvmfFooterGuid(image)) {
    return fw;
  }
  auto table = sev::ParseOvmfFooterTable(image);
  if (!table.ok()) {
    return Status(reasons::kMeasureOvmfMalformed, table.status().message());
  }
  std::set<sev::Guid> seen;
  for (const sev::OvmfTableEntry& e : *table) {
    if (!seen.insert(e.guid).second) {
      // Tools disagree on which copy wins; a genuine image never repeats one.
      return Status(reasons::kMeasureOvmfMalformed, "ovmf footer table: an entry appears twice");
    }
  }
  if (const auto metadata = sev::FindOvmfTableEntry(*table, kOvmfSevMetadataGuid)) {
    if (metadata->size() != 4) {
      return Status(
          reasons::kMeasureOvmfSevMetadataMalformed,
          "sev metadata footer entry: " + std::to_string(metadata->size()) + " bytes, want 4");
    }
    ATTEST_ASSIGN_OR_RETURN(uint32_t offset, ReadEntryU32(*metadata, "sev metadata entry"));
    ATTEST_ASSIGN_OR_RETURN(fw.sections, ParseMetadata(image, offset));
  }
  if (const auto reset = sev::FindOvmfTableEntry(*table, sev::kOvmfSevEsResetBlockGuid)) {
    ATTEST_ASSIGN_OR_RETURN(fw.sev_es_reset_eip, ReadEntryU32(*reset, "ovmf sev-es reset block"));
  }
  if (const auto svsm = sev::FindOvmfTableEntry(*table, kSvsmInfoGuid)) {
    ATTEST_ASSIGN_OR_RETURN(fw.svsm_entry_offset, ReadEntryU32(*svsm, "svsm info block"));
  }
  if (const auto area = sev::FindOvmfTableEntry(*table, sev::kOvmfSevHashTableGuid)) {
    ByteReader r(*area, reasons::kMeasureOvmfMalformed, "ovmf sev hash table area");
    ATTEST_ASSIGN_OR_RETURN(uint32_t base, r.ReadU32Le());
    ATTEST_ASSIGN_OR_RETURN(uint32_t size, r.ReadU32Le());
    // A plain OvmfX64 build carries the entry with zeros: no hash table.
    if (base != 0 && size >= sev::kKernelHashTableSize) {
      fw.sev_hashes_table_gpa = base;
    }
  }
  return fw;
}

}  // namespace attest::measure
