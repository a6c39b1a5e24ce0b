#include "attest/measure/tdx_hob.h"

#include <algorithm>
#include <string>
#include <vector>

#include "attest/measure/tdx_le.h"

namespace attest::measure {
namespace {

constexpr uint64_t k4GiB = 1ull << 32;
// PI spec volume 3: EFI_HOB_HANDOFF_INFO_TABLE (56 bytes, version 9), EFI_HOB_RESOURCE_DESCRIPTOR
// (48 bytes), EFI_HOB_GENERIC_HEADER end of list (8 bytes).
constexpr uint16_t kHobTypeHandoff = 0x0001;
constexpr uint16_t kHobTypeResourceDescriptor = 0x0003;
constexpr size_t kHandoffBytes = 56;
constexpr size_t kResourceBytes = 48;
constexpr size_t kEndBytes = 8;  // the end-of-list HOB (type 0xffff), not measured
constexpr uint32_t kHandoffVersion = 9;
constexpr uint32_t kResourceSystemMemory = 0x0;
constexpr uint32_t kResourceUnaccepted = 0x7;  // EFI_RESOURCE_MEMORY_UNACCEPTED
// PRESENT | INITIALIZED | TESTED, as QEMU sets for every range.
constexpr uint32_t kResourceAttributes = 0x7;

struct RamRange {
  uint64_t start;
  uint64_t length;
  bool accepted;
};

}  // namespace

Result<GuestMemory> Q35GuestMemory(uint64_t memory_bytes) {
  if (memory_bytes == 0 || memory_bytes % kTdvfPageBytes != 0 ||
      memory_bytes > kMaxGuestMemoryBytes) {
    return Status(reasons::kMeasureMemoryInvalid,
                  "guest memory " + std::to_string(memory_bytes) +
                      " bytes: want a non-zero multiple of 4096 up to 64 TiB");
  }
  const uint64_t lowmem = memory_bytes >= 0xb0000000 ? 0x80000000 : 0xb0000000;
  if (memory_bytes >= lowmem) {
    return GuestMemory{lowmem, memory_bytes - lowmem};
  }
  return GuestMemory{memory_bytes, 0};
}

Result<Bytes> BuildTdHobMeasured(const TdvfMetadata& metadata, const GuestMemory& memory) {
  const TdvfSection* hob_section = nullptr;
  std::vector<const TdvfSection*> accepted;
  for (const TdvfSection& s : metadata.sections) {
    if (s.type == TdvfSectionType::kTdHob) {
      hob_section = &s;
    }
    if (s.type == TdvfSectionType::kTdHob || s.type == TdvfSectionType::kTempMem) {
      accepted.push_back(&s);
    }
  }
  if (hob_section == nullptr) {
    return Status(reasons::kMeasureTdvfSectionInvalid, "tdvf has no TD_HOB section");
  }
  std::sort(accepted.begin(), accepted.end(),
            [](const auto* a, const auto* b) { return a->memory_address < b->memory_address; });
  std::vector<RamRange> ranges;
  uint64_t next = 0;
  for (const TdvfSection* s : accepted) {
    if (s->memory_address + s->memory_data_size > memory.below_4g_bytes) {
      return Status(reasons::kMeasureMemoryInvalid,
                    "guest memory below 4 GiB (" + std::to_string(memory.below_4g_bytes) +
                        " bytes) does not hold the firmware's TD_HOB/TEMP_MEM sections");
    }
    if (s->memory_address > next) {
      ranges.push_back({next, s->memory_address - next, false});
    }
    ranges.push_back({s->memory_address, s->memory_data_size, true});
    next = s->memory_address + s->memory_data_size;
  }
  if (next < memory.below_4g_bytes) {
    ranges.push_back({next, memory.below_4g_bytes - next, false});
  }
  if (memory.above_4g_bytes > 0) {
    ranges.push_back({k4GiB, memory.above_4g_bytes, false});
  }
  const size_t measured_bytes = kHandoffBytes + ranges.size() * kResourceBytes;
  if (measured_bytes + kEndBytes > hob_section->memory_data_size) {
    return Status(reasons::kMeasureTdvfHobOverflow,
                  "TD HOB needs " + std::to_string(measured_bytes + kEndBytes) +
                      " bytes, its section has " + std::to_string(hob_section->memory_data_size));
  }
  Bytes hob(measured_bytes, 0);
  PutLe16(hob, 0, kHobTypeHandoff);
  PutLe16(hob, 2, kHandoffBytes);
  PutLe32(hob, 8, kHandoffVersion);
  // EfiEndOfHobList: the address just past the end-of-list HOB.
  PutLe64(hob, 48, hob_section->memory_address + measured_bytes + kEndBytes);
  size_t at = kHandoffBytes;
  for (const RamRange& range : ranges) {
    PutLe16(hob, at, kHobTypeResourceDescriptor);
    PutLe16(hob, at + 2, kResourceBytes);
    PutLe32(hob, at + 24, range.accepted ? kResourceSystemMemory : kResourceUnaccepted);
    PutLe32(hob, at + 28, kResourceAttributes);
    PutLe64(hob, at + 32, range.start);
    PutLe64(hob, at + 40, range.length);
    at += kResourceBytes;
  }
  return hob;
}

}  // namespace attest::measure
