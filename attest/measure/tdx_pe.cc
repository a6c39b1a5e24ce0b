#include "attest/measure/tdx_pe.h"

#include <algorithm>
#include <string>

#include "attest/core/byte_reader.h"
#include "attest/measure/tdx_sha384.h"

namespace attest::measure {
namespace {

constexpr uint16_t kMagicPe32 = 0x10b;
constexpr uint16_t kMagicPe32Plus = 0x20b;
constexpr size_t kCertDirectoryIndex = 4;
constexpr size_t kSectionHeaderBytes = 40;

Status PeError(const std::string& what) {
  return Status(reasons::kMeasurePeMalformed, "pe image: " + what);
}

}  // namespace

Result<PeImage> ParsePeImage(ByteSpan image) {
  if (image.size() < 0x40 || image[0] != 'M' || image[1] != 'Z') {
    return Status(reasons::kMeasurePeNotPe, "kernel is not a PE image (no MZ header)");
  }
  ByteReader dos(image.subspan(0x3c), reasons::kMeasurePeMalformed, "pe dos header");
  ATTEST_ASSIGN_OR_RETURN(uint32_t pe_offset, dos.ReadU32Le());
  if (pe_offset > image.size() - 4 || image[pe_offset] != 'P' || image[pe_offset + 1] != 'E' ||
      image[pe_offset + 2] != 0 || image[pe_offset + 3] != 0) {
    return Status(reasons::kMeasurePeNotPe, "kernel has no PE signature (not an EFI-stub bzImage)");
  }
  ByteReader coff(image.subspan(pe_offset + 4), reasons::kMeasurePeMalformed, "pe coff header");
  ATTEST_RETURN_IF_ERROR(coff.Skip(2));  // Machine
  ATTEST_ASSIGN_OR_RETURN(uint16_t num_sections, coff.ReadU16Le());
  ATTEST_RETURN_IF_ERROR(coff.Skip(12));  // TimeDateStamp, symbol table, symbol count
  ATTEST_ASSIGN_OR_RETURN(uint16_t optional_bytes, coff.ReadU16Le());
  ATTEST_RETURN_IF_ERROR(coff.Skip(2));  // Characteristics
  const size_t optional_at = pe_offset + 4 + 20;
  ATTEST_ASSIGN_OR_RETURN(ByteReader opt, coff.SubReader(optional_bytes));
  ATTEST_ASSIGN_OR_RETURN(uint16_t magic, opt.ReadU16Le());
  size_t fixed_bytes = 0;
  if (magic == kMagicPe32) {
    fixed_bytes = 96;
  } else if (magic == kMagicPe32Plus) {
    fixed_bytes = 112;
  } else {
    return Status(reasons::kMeasurePeNotPe, "pe optional header magic is neither PE32 nor PE32+");
  }
  if (optional_bytes < fixed_bytes) {
    return PeError("optional header shorter than its fixed part");
  }
  if (num_sections > kMaxPeSections) {
    return PeError(std::to_string(num_sections) + " sections");
  }
  PeImage pe;
  pe.checksum_offset = optional_at + 64;
  ByteReader fields(image.subspan(optional_at + 60, 4), reasons::kMeasurePeMalformed, "pe");
  ATTEST_ASSIGN_OR_RETURN(pe.size_of_headers, fields.ReadU32Le());
  ByteReader rva_count(image.subspan(optional_at + fixed_bytes - 4, 4),
                       reasons::kMeasurePeMalformed, "pe");
  ATTEST_ASSIGN_OR_RETURN(uint32_t num_directories, rva_count.ReadU32Le());
  if (num_directories > (optional_bytes - fixed_bytes) / 8) {
    return PeError("NumberOfRvaAndSizes " + std::to_string(num_directories) +
                   " does not fit the optional header");
  }
  const size_t sections_at = optional_at + optional_bytes;
  if (pe.size_of_headers > image.size() ||
      sections_at + num_sections * kSectionHeaderBytes > pe.size_of_headers) {
    return PeError("SizeOfHeaders " + std::to_string(pe.size_of_headers) +
                   " does not hold the section table or exceeds the image");
  }
  if (num_directories > kCertDirectoryIndex) {
    pe.cert_directory_offset = optional_at + fixed_bytes + kCertDirectoryIndex * 8;
    ByteReader cert(image.subspan(pe.cert_directory_offset + 4, 4), reasons::kMeasurePeMalformed,
                    "pe");
    ATTEST_ASSIGN_OR_RETURN(pe.cert_table_bytes, cert.ReadU32Le());
  }
  ByteReader table(image.subspan(sections_at, num_sections * kSectionHeaderBytes),
                   reasons::kMeasurePeMalformed, "pe section table");
  for (uint16_t i = 0; i < num_sections; ++i) {
    PeSection s;
    ATTEST_ASSIGN_OR_RETURN(auto name, table.ReadArray<8>());
    std::copy(name.begin(), name.end(), s.name.begin());
    ATTEST_ASSIGN_OR_RETURN(s.virtual_size, table.ReadU32Le());
    ATTEST_RETURN_IF_ERROR(table.Skip(4));  // VirtualAddress
    ATTEST_ASSIGN_OR_RETURN(s.size_of_raw_data, table.ReadU32Le());
    ATTEST_ASSIGN_OR_RETURN(s.pointer_to_raw_data, table.ReadU32Le());
    ATTEST_RETURN_IF_ERROR(table.Skip(16));  // relocations, line numbers, characteristics
    if (uint64_t{s.pointer_to_raw_data} + s.size_of_raw_data > image.size()) {
      return PeError("section " + std::to_string(i) + " runs past the end of the image");
    }
    pe.sections.push_back(s);
  }
  return pe;
}

Result<Sha384Digest> PeAuthenticodeSha384(ByteSpan image) {
  ATTEST_ASSIGN_OR_RETURN(PeImage pe, ParsePeImage(image));
  Sha384Stream h;
  // The headers, skipping CheckSum and (when present) the certificate-table directory entry.
  h.Update(image.subspan(0, pe.checksum_offset));
  if (pe.cert_directory_offset == 0) {
    h.Update(image.subspan(pe.checksum_offset + 4, pe.size_of_headers - pe.checksum_offset - 4));
  } else {
    h.Update(
        image.subspan(pe.checksum_offset + 4, pe.cert_directory_offset - pe.checksum_offset - 4));
    h.Update(image.subspan(pe.cert_directory_offset + 8,
                           pe.size_of_headers - pe.cert_directory_offset - 8));
  }
  std::vector<PeSection> sections;
  std::copy_if(pe.sections.begin(), pe.sections.end(), std::back_inserter(sections),
               [](const PeSection& s) { return s.size_of_raw_data != 0; });
  std::stable_sort(sections.begin(), sections.end(), [](const PeSection& a, const PeSection& b) {
    return a.pointer_to_raw_data < b.pointer_to_raw_data;
  });
  uint64_t hashed = pe.size_of_headers;
  for (const PeSection& s : sections) {
    h.Update(image.subspan(s.pointer_to_raw_data, s.size_of_raw_data));
    hashed += s.size_of_raw_data;
  }
  if (image.size() > hashed) {
    if (image.size() < hashed + pe.cert_table_bytes) {
      return PeError("certificate table of " + std::to_string(pe.cert_table_bytes) +
                     " bytes does not fit after the sections");
    }
    h.Update(image.subspan(hashed, image.size() - hashed - pe.cert_table_bytes));
  }
  return h.Finish();
}

}  // namespace attest::measure
