// What an OVMF (or COCONUT-SVSM) image tells a SEV launch about itself, read from OVMF's GUIDed
// footer table (attest/sev/ovmf.h) and its SEV metadata (edk2 OvmfPkg/ResetVector/X64/
// OvmfSevMetadata.asm): the footer entry dc886566-... holds a u32 offset from the end of the image
// to a header {"ASEV", u32 size, u32 version = 1, u32 num_items} followed by num_items section
// descriptors {u32 gpa, u32 size, u32 type}. An SEV-SNP launch pre-validates each section by type.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "attest/core/bytes.h"
#include "attest/core/status.h"
#include "attest/measure/reasons.h"

namespace attest::measure {

inline constexpr std::string_view kOvmfSevMetadataGuid = "dc886566-984a-4798-a75e-5585a7bf67cc";
// COCONUT-SVSM's info block: u32 offset of its entry point from the start of the image.
inline constexpr std::string_view kSvsmInfoGuid = "a789a612-0597-4c4b-a49f-cbb1fe9d1ddd";

inline constexpr size_t kPageSize = 4096;
// kMaxFirmwareBytes bounds an image: OVMF flash and SVSM images are a few MiB.
inline constexpr size_t kMaxFirmwareBytes = 64u << 20;
inline constexpr uint32_t kMaxSevSections = 64;
// kMaxSevSectionBytes bounds the pages the sections make a launch measure (OVMF's add up to a few
// hundred KiB), so that a hostile image cannot make a calculation hash for minutes.
inline constexpr uint64_t kMaxSevSectionBytes = 64u << 20;

// SevSectionType is a metadata section's type (OvmfSevMetadata.asm).
enum class SevSectionType : uint32_t {
  kSnpSecMem = 1,
  kSnpSecrets = 2,
  kCpuid = 3,
  kSvsmCaa = 4,
  kSnpKernelHashes = 0x10,
};

struct SevMetadataSection {
  uint32_t gpa = 0;
  uint32_t size = 0;
  SevSectionType type = SevSectionType::kSnpSecMem;
};

// SevFirmware is the footer table's SEV content. Every field is absent when the image has no
// footer table at all (a plain firmware, usable for SEV but not for SEV-ES or SEV-SNP).
struct SevFirmware {
  std::optional<std::vector<SevMetadataSection>> sections;  // SEV metadata, in file order
  std::optional<uint32_t> sev_es_reset_eip;                 // SEV-ES AP reset block
  std::optional<uint32_t> sev_hashes_table_gpa;  // SEV hash table area: non-zero base, >= 176 B
  std::optional<uint32_t> svsm_entry_offset;     // SVSM info block
};

// ParseSevFirmware reads image's footer table and SEV metadata. Fails with measure.ovmf_too_large
// (over kMaxFirmwareBytes), measure.ovmf_malformed (a footer table that does not parse, an entry
// twice, a short reset or SVSM block), measure.ovmf_sev_metadata_malformed (metadata outside the
// image, signature not "ASEV", version not 1, a header size other than 16 + 12 * num_items, no
// items or more than 64, an unknown section type, a section not in whole pages below 4 GiB, a
// SECRETS or CPUID section that is not one page, sections over kMaxSevSectionBytes in all). Which
// parts a launch needs is the caller's check (sev_launch.h).
Result<SevFirmware> ParseSevFirmware(ByteSpan image);

}  // namespace attest::measure
