#include "attest/measure/tdx_tdvf.h"

#include <algorithm>
#include <string>

#include "attest/core/byte_reader.h"
#include "attest/sev/measurement.h"
#include "attest/sev/ovmf.h"

namespace attest::measure {
namespace {

constexpr std::string_view kTdxMetadataOffsetGuid = "e47a6535-984a-4798-865e-4685a7bf8ec2";
constexpr std::string_view kTdxMetadataGuid = "e9eaf9f3-168e-44d5-a8eb-7f4d8738f6ae";
constexpr uint32_t kDescriptorHeaderBytes = 16;
constexpr uint32_t kSectionBytes = 32;

std::string Hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

Status SectionError(Reason reason, size_t index, const std::string& what) {
  return Status(reason, "tdvf section " + std::to_string(index) + ": " + what);
}

Result<TdvfSection> ReadSection(ByteReader& r, size_t index, size_t firmware_bytes) {
  TdvfSection s;
  ATTEST_ASSIGN_OR_RETURN(s.data_offset, r.ReadU32Le());
  ATTEST_ASSIGN_OR_RETURN(s.raw_data_size, r.ReadU32Le());
  ATTEST_ASSIGN_OR_RETURN(s.memory_address, r.ReadU64Le());
  ATTEST_ASSIGN_OR_RETURN(s.memory_data_size, r.ReadU64Le());
  ATTEST_ASSIGN_OR_RETURN(uint32_t type, r.ReadU32Le());
  ATTEST_ASSIGN_OR_RETURN(s.attributes, r.ReadU32Le());
  if (type > static_cast<uint32_t>(TdvfSectionType::kTempMem)) {
    return SectionError(reasons::kMeasureTdvfUnsupported, index,
                        "type " + std::to_string(type) + " (only BFV, CFV, TD_HOB, TEMP_MEM)");
  }
  s.type = static_cast<TdvfSectionType>(type);
  if ((s.attributes & ~kTdvfAttrMrExtend) != 0) {
    return SectionError(reasons::kMeasureTdvfUnsupported, index,
                        "attributes " + Hex(s.attributes) + " (only MR.EXTEND)");
  }
  if (uint64_t{s.data_offset} + s.raw_data_size > firmware_bytes) {
    return SectionError(reasons::kMeasureTdvfSectionOutsideFile, index,
                        "raw data " + Hex(s.data_offset) + "+" + Hex(s.raw_data_size) +
                            " runs past the end of the " + Hex(firmware_bytes) + "-byte image");
  }
  if (s.memory_data_size == 0 || s.memory_address % kTdvfPageBytes != 0 ||
      s.memory_data_size % kTdvfPageBytes != 0) {
    return SectionError(reasons::kMeasureTdvfSectionInvalid, index,
                        "memory " + Hex(s.memory_address) + "+" + Hex(s.memory_data_size) +
                            " is empty or not page-aligned");
  }
  if (s.memory_data_size > kMaxTdvfMemoryBytes ||
      s.memory_address > UINT64_MAX - s.memory_data_size) {
    return SectionError(reasons::kMeasureTdvfTooLarge, index,
                        "memory size " + Hex(s.memory_data_size));
  }
  if (s.raw_data_size > s.memory_data_size) {
    return SectionError(reasons::kMeasureTdvfSectionInvalid, index,
                        "raw data larger than its memory");
  }
  const bool data_less = s.type == TdvfSectionType::kTdHob || s.type == TdvfSectionType::kTempMem;
  if (data_less && (s.raw_data_size != 0 || s.extend_mr())) {
    return SectionError(reasons::kMeasureTdvfSectionInvalid, index,
                        "TD_HOB and TEMP_MEM sections carry no data and are not measured");
  }
  return s;
}

Status CheckLayout(const std::vector<TdvfSection>& sections) {
  uint64_t total = 0;
  size_t hobs = 0;
  std::vector<const TdvfSection*> by_address;
  for (const TdvfSection& s : sections) {
    total += s.memory_data_size;  // each <= 2^30 and at most 64 of them: no overflow
    hobs += s.type == TdvfSectionType::kTdHob ? 1 : 0;
    by_address.push_back(&s);
  }
  if (total > kMaxTdvfMemoryBytes) {
    return Status(reasons::kMeasureTdvfTooLarge,
                  "tdvf sections ask for " + Hex(total) + " bytes of memory");
  }
  if (hobs > 1) {
    return Status(reasons::kMeasureTdvfSectionInvalid, "tdvf has more than one TD_HOB section");
  }
  std::sort(by_address.begin(), by_address.end(),
            [](const auto* a, const auto* b) { return a->memory_address < b->memory_address; });
  for (size_t i = 1; i < by_address.size(); ++i) {
    const TdvfSection& prev = *by_address[i - 1];
    if (prev.memory_address + prev.memory_data_size > by_address[i]->memory_address) {
      return Status(reasons::kMeasureTdvfSectionInvalid,
                    "tdvf sections overlap at " + Hex(by_address[i]->memory_address));
    }
  }
  return Status::Ok();
}

}  // namespace

Result<TdvfMetadata> ParseTdvfMetadata(ByteSpan firmware) {
  auto table = sev::ParseOvmfFooterTable(firmware);
  if (!table.ok()) {
    return Status(reasons::kMeasureTdvfMetadataMissing, table.status().message());
  }
  const auto entry = sev::FindOvmfTableEntry(*table, kTdxMetadataOffsetGuid);
  if (!entry) {
    return Status(reasons::kMeasureTdvfMetadataMissing,
                  "firmware has no TDX metadata entry in its OVMF footer table");
  }
  ByteReader entry_reader(*entry, reasons::kMeasureTdvfMalformed, "tdx metadata offset");
  ATTEST_ASSIGN_OR_RETURN(uint32_t from_end, entry_reader.ReadU32Le());
  if (from_end > firmware.size() || firmware.size() - from_end < 16) {
    return Status(reasons::kMeasureTdvfMalformed,
                  "tdvf descriptor offset " + Hex(from_end) + " outside the image");
  }
  const size_t descriptor_at = firmware.size() - from_end;
  const auto guid = sev::ParseGuid(kTdxMetadataGuid);
  if (!guid.ok() ||
      !std::equal(guid->begin(), guid->end(), firmware.begin() + descriptor_at - 16)) {
    return Status(reasons::kMeasureTdvfMalformed, "tdvf descriptor is not preceded by its GUID");
  }
  ByteReader r(firmware.subspan(descriptor_at), reasons::kMeasureTdvfMalformed, "tdvf descriptor");
  ATTEST_ASSIGN_OR_RETURN(auto signature, r.ReadArray<4>());
  if (signature != std::array<uint8_t, 4>{'T', 'D', 'V', 'F'}) {
    return r.Error("signature is not \"TDVF\"");
  }
  ATTEST_ASSIGN_OR_RETURN(uint32_t length, r.ReadU32Le());
  ATTEST_ASSIGN_OR_RETURN(uint32_t version, r.ReadU32Le());
  ATTEST_ASSIGN_OR_RETURN(uint32_t count, r.ReadU32Le());
  if (version != 1) {
    return Status(reasons::kMeasureTdvfUnsupported,
                  "tdvf descriptor version " + std::to_string(version) + ", want 1");
  }
  if (count == 0 || count > kMaxTdvfSections) {
    return r.Error("section count " + std::to_string(count));
  }
  if (length != kDescriptorHeaderBytes + count * kSectionBytes) {
    return r.Error("length " + std::to_string(length) + " does not match " + std::to_string(count) +
                   " sections");
  }
  ATTEST_ASSIGN_OR_RETURN(ByteReader sections_reader, r.SubReader(size_t{count} * kSectionBytes));
  TdvfMetadata out;
  for (uint32_t i = 0; i < count; ++i) {
    ATTEST_ASSIGN_OR_RETURN(TdvfSection s, ReadSection(sections_reader, i, firmware.size()));
    out.sections.push_back(s);
  }
  ATTEST_RETURN_IF_ERROR(CheckLayout(out.sections));
  return out;
}

}  // namespace attest::measure
