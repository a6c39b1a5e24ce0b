// TDVF metadata: the section table a TDX virtual firmware carries so that the VMM knows which
// pages to add to the TD, which of them to measure into MRTD, and where the TD HOB and temporary
// memory go (Intel TDX Virtual Firmware Design Guide, section 11 "TDVF metadata"; QEMU
// hw/i386/tdvf.c reads the same table).
//
// Location: the OVMF footer table (attest/sev/ovmf.h) holds an entry with GUID
// e47a6535-984a-4798-865e-4685a7bf8ec2 whose first u32 is the distance from the end of the image
// to the TDVF_DESCRIPTOR; the descriptor is preceded by GUID e9eaf9f3-168e-44d5-a8eb-7f4d8738f6ae.
// TDVF_DESCRIPTOR: "TDVF" | u32 length | u32 version (1) | u32 number of sections, then 32 bytes
// per section: u32 data offset | u32 raw data size | u64 memory address | u64 memory data size |
// u32 type | u32 attributes.
#pragma once

#include <cstdint>
#include <vector>

#include "attest/core/bytes.h"
#include "attest/core/status.h"
#include "attest/measure/reasons.h"

namespace attest::measure {

// The section types QEMU + OVMF use. td-shim's payload types and PERM_MEM (TDH.MEM.PAGE.AUG) are
// refused: the RTMR model here is OVMF's.
enum class TdvfSectionType : uint32_t {
  kBfv = 0,      // boot firmware volume, measured into MRTD
  kCfv = 1,      // configuration firmware volume (variable store), measured into RTMR0
  kTdHob = 2,    // where the VMM writes the TD HOB
  kTempMem = 3,  // memory the firmware uses before it accepts the rest
};

inline constexpr uint32_t kTdvfAttrMrExtend = 1;  // TDH.MR.EXTEND the section's pages
inline constexpr size_t kTdvfPageBytes = 4096;
// The most memory all sections together may ask for: a real TDVF needs a few MiB, and this bounds
// the MRTD work a hostile image can cause.
inline constexpr uint64_t kMaxTdvfMemoryBytes = 1ull << 30;
inline constexpr uint32_t kMaxTdvfSections = 64;

struct TdvfSection {
  uint32_t data_offset = 0;
  uint32_t raw_data_size = 0;
  uint64_t memory_address = 0;
  uint64_t memory_data_size = 0;
  TdvfSectionType type = TdvfSectionType::kBfv;
  uint32_t attributes = 0;

  bool extend_mr() const { return (attributes & kTdvfAttrMrExtend) != 0; }
};

struct TdvfMetadata {
  std::vector<TdvfSection> sections;  // in table order, which is the order pages are added
};

// ParseTdvfMetadata reads and checks the section table of a TDVF image. Every section's raw data
// lies inside the image, memory ranges are page-aligned, non-empty and disjoint, raw data fits its
// memory, TD_HOB and TEMP_MEM carry no data and are not measured, at most one TD_HOB.
// Fails with measure.tdvf_metadata_missing (no footer table or no TDX entry: e.g. an SEV-only
// OVMF), measure.tdvf_malformed, measure.tdvf_unsupported (version, section type, attributes),
// measure.tdvf_section_outside_file, measure.tdvf_section_invalid, measure.tdvf_too_large.
Result<TdvfMetadata> ParseTdvfMetadata(ByteSpan firmware);

}  // namespace attest::measure
