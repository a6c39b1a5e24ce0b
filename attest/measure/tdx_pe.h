// PE/COFF images (Microsoft PE Format specification) and their Authenticode digest as edk2 computes
// it when it measures an image it loads (SecurityPkg DxeTpm2MeasureBootLib, TcgMeasurePeImage).
// For a Linux kernel this is the EFI stub's PE view of the bzImage.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "attest/core/bytes.h"
#include "attest/core/digest.h"
#include "attest/core/status.h"
#include "attest/measure/reasons.h"

namespace attest::measure {

// The PE format allows at most 96 sections.
inline constexpr uint16_t kMaxPeSections = 96;

struct PeSection {
  std::array<char, 8> name{};
  uint32_t virtual_size = 0;
  uint32_t size_of_raw_data = 0;
  uint32_t pointer_to_raw_data = 0;
};

struct PeImage {
  size_t checksum_offset = 0;        // OptionalHeader.CheckSum, excluded from the digest
  size_t cert_directory_offset = 0;  // data directory 4 (certificate table); 0 if absent
  uint32_t cert_table_bytes = 0;     // its size: the signature blob at the end of the file
  uint32_t size_of_headers = 0;
  std::vector<PeSection> sections;
};

// ParsePeImage reads the headers and section table. Every section's raw data and the headers lie
// inside the image. Fails with measure.pe_not_pe (no "MZ" or "PE\0\0" signature, an optional
// header that is neither PE32 nor PE32+) and measure.pe_malformed (anything out of bounds).
Result<PeImage> ParsePeImage(ByteSpan image);

// PeAuthenticodeSha384 hashes the headers without CheckSum and the certificate-table entry, the
// sections in file order, then any bytes after them up to the certificate table: an image whose
// size is not a multiple of 8 is hashed with its trailing bytes, unpadded, as edk2 does. Fails as
// ParsePeImage, and with measure.pe_malformed when the certificate table does not fit.
Result<Sha384Digest> PeAuthenticodeSha384(ByteSpan image);

}  // namespace attest::measure
