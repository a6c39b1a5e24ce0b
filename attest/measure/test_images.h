// Test-only edits of real firmware images, shared by this module's tests.
#pragma once

#include <algorithm>

#include "attest/core/bytes.h"
#include "attest/measure/sev_firmware.h"
#include "attest/sev/measurement.h"

namespace attest::measure::testing {

// SevMetadataEntryOffset is the offset of the u32 data of the footer entry naming the SEV metadata
// (the entry is data || u16 size || GUID), or image.size() when there is none.
inline size_t SevMetadataEntryOffset(const Bytes& image) {
  const sev::Guid guid = *sev::ParseGuid(kOvmfSevMetadataGuid);
  const auto it = std::search(image.begin(), image.end(), guid.begin(), guid.end());
  if (it == image.end() || it - image.begin() < 6) {
    return image.size();
  }
  return static_cast<size_t>(it - image.begin()) - 2 - 4;
}

// WithoutSevMetadata hides the SEV metadata entry by changing its GUID: the footer table still
// parses and keeps its SEV-ES reset block, as in Debian's OVMF_CODE_4M.fd, but nothing names the
// SEV metadata.
inline Bytes WithoutSevMetadata(Bytes image) {
  const size_t entry = SevMetadataEntryOffset(image);
  if (entry < image.size()) {
    image[entry + 6] ^= 0xff;
  }
  return image;
}

}  // namespace attest::measure::testing
