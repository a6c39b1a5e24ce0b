#include "attest/snp/cert_table.h"

#include <algorithm>
#include <optional>

#include "attest/core/byte_reader.h"
#include "attest/core/encoding.h"

namespace attest::snp {
namespace {

constexpr size_t kEntryBytes = 24;

Status TableError(const std::string& what) {
  return Status(reasons::kSnpMalformed, "snp certificate table: " + what);
}

const Guid& KnownGuid(int index) {
  static const std::array<Guid, 5> kGuids = {
      ParseGuid("63da758d-e664-4564-adc5-f4b93be8accd").value(),   // VCEK
      ParseGuid("a8074bc2-a25a-483e-aae6-39c045a0b8a1").value(),   // VLEK
      ParseGuid("4ab7b379-bbac-4fe4-a02f-05aef327c782").value(),   // ASK
      ParseGuid("c0b406a4-a803-4952-9743-3fb6014cd0ae").value(),   // ARK
      ParseGuid("92f81bc3-5811-4d3d-97ff-d19f88dc67ea").value()};  // CRL
  return kGuids[index];
}

}  // namespace

Result<Guid> ParseGuid(std::string_view text) {
  Guid out{};
  if (text.size() != 36) {
    return TableError("guid text must be 36 characters");
  }
  size_t n = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') {
        return TableError("guid text: '-' expected");
      }
      continue;
    }
    const int hi = HexDigitValue(text[i]),
              lo = i + 1 < text.size() ? HexDigitValue(text[i + 1]) : -1;
    if (hi < 0 || lo < 0) {
      return TableError("guid text: hex digit expected");
    }
    out[n++] = static_cast<uint8_t>(hi << 4 | lo);
    ++i;
  }
  return out;
}

Result<SnpCollateral> ParseCertTable(ByteSpan table) {
  if (table.size() > kMaxCertTableBytes) {
    return TableError("larger than 64 KiB");
  }
  ByteReader reader(table, reasons::kSnpMalformed, "snp certificate table");
  std::array<std::optional<Bytes>, 5> found;
  size_t entries = 0;
  while (true) {
    if (entries > kMaxCertTableEntries) {
      return TableError("more than 32 entries");
    }
    if (reader.remaining() < kEntryBytes) {
      return TableError("no all-zero terminator entry");
    }
    ATTEST_ASSIGN_OR_RETURN(Guid guid, reader.ReadArray<16>());
    ATTEST_ASSIGN_OR_RETURN(uint32_t offset, reader.ReadU32Le());
    ATTEST_ASSIGN_OR_RETURN(uint32_t length, reader.ReadU32Le());
    const bool zero_guid = std::all_of(guid.begin(), guid.end(), [](uint8_t b) { return b == 0; });
    if (zero_guid) {
      if (offset != 0 || length != 0) {
        return TableError("terminator entry not all zero");
      }
      break;
    }
    ++entries;
    int kind = -1;
    for (int k = 0; k < 5; ++k) {
      if (guid == KnownGuid(k)) {
        kind = k;
      }
    }
    if (kind < 0) {
      continue;  // a vendor extension
    }
    if (found[kind]) {
      return TableError("entry " + std::to_string(entries) + " repeats a GUID");
    }
    // Certificates follow the table: the entry area (terminator included) is not a certificate.
    if (length == 0 || offset > table.size() || length > table.size() - offset) {
      return TableError("entry " + std::to_string(entries) + " points outside the blob");
    }
    found[kind] = Bytes(table.begin() + offset, table.begin() + offset + length);
  }
  const size_t table_end = reader.offset();
  // Second pass: no certificate may overlap the entries (checked now that the end is known).
  ByteReader again(table, reasons::kSnpMalformed, "snp certificate table");
  for (size_t i = 0; i < entries + 1; ++i) {
    ATTEST_ASSIGN_OR_RETURN(Guid guid, again.ReadArray<16>());
    ATTEST_ASSIGN_OR_RETURN(uint32_t offset, again.ReadU32Le());
    ATTEST_ASSIGN_OR_RETURN(uint32_t length, again.ReadU32Le());
    (void)guid;
    if (length != 0 && offset < table_end) {
      return TableError("entry " + std::to_string(i + 1) + " points into the table");
    }
  }
  if (found[0].has_value() == found[1].has_value()) {
    return TableError("want exactly one of VCEK and VLEK");
  }
  SnpCollateral out;
  out.endorsement_cert = found[0] ? std::move(*found[0]) : std::move(*found[1]);
  if (found[2]) {
    out.chain.push_back(std::move(*found[2]));
  }
  if (found[3]) {
    out.chain.push_back(std::move(*found[3]));
  }
  if (found[4]) {
    out.crls.push_back(std::move(*found[4]));
  }
  return out;
}

Bytes BuildCertTable(const std::vector<std::pair<Guid, Bytes>>& entries) {
  const size_t header = (entries.size() + 1) * kEntryBytes;
  Bytes out(header, 0);
  size_t offset = header;
  for (size_t i = 0; i < entries.size(); ++i) {
    const auto& [guid, cert] = entries[i];
    uint8_t* e = out.data() + i * kEntryBytes;
    std::copy(guid.begin(), guid.end(), e);
    for (int b = 0; b < 4; ++b) {
      e[16 + b] = static_cast<uint8_t>(offset >> (8 * b));
      e[20 + b] = static_cast<uint8_t>(cert.size() >> (8 * b));
    }
    offset += cert.size();
  }
  for (const auto& [guid, cert] : entries) {
    out.insert(out.end(), cert.begin(), cert.end());
  }
  return out;
}

}  // namespace attest::snp
