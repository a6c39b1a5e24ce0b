// SEV-SNP certificate table: the certificates an extended guest request returns beside the
// report (the guest's configfs-tsm `auxblob`, /dev/sev-guest SNP_GET_EXT_REPORT).
//
// Layout: GHCB specification (AMD 56421) section 4.1.8.1, "SNP Extended Guest Request": a list
// of 24-byte entries {GUID (16 bytes), offset (u32 LE), length (u32 LE)} ended by an all-zero
// entry; offset is from the start of the table, and each certificate is DER. GUID bytes are in
// the order the GUID's text is written (libuuid's uuid_parse), as AMD's tools produce them.
// GUIDs: VCEK 63da758d-e664-4564-adc5-f4b93be8accd, VLEK a8074bc2-a25a-483e-aae6-39c045a0b8a1,
// ASK 4ab7b379-bbac-4fe4-a02f-05aef327c782, ARK c0b406a4-a803-4952-9743-3fb6014cd0ae, CRL
// 92f81bc3-5811-4d3d-97ff-d19f88dc67ea. Other GUIDs (vendor extensions) are skipped.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "attest/core/bytes.h"
#include "attest/core/status.h"
#include "attest/snp/reasons.h"
#include "attest/snp/verify.h"

namespace attest::snp {

inline constexpr size_t kMaxCertTableEntries = 32;
inline constexpr size_t kMaxCertTableBytes = size_t{64} * 1024;

using Guid = std::array<uint8_t, 16>;

// ParseGuid reads the 36-character text form (snp.malformed_report on anything else).
Result<Guid> ParseGuid(std::string_view text);

// ParseCertTable turns a certificate table into the verifier's collateral: the VCEK or VLEK as
// endorsement_cert, ASK and ARK in chain (ASK first), a CRL in crls. Fails with
// snp.malformed_report (message "snp certificate table: ...") when the table is larger than
// 64 KiB, has more than 32 entries or no terminator, an entry points outside the blob or into the
// table, a known GUID repeats, or both or neither of VCEK and VLEK are present.
Result<SnpCollateral> ParseCertTable(ByteSpan table);

// BuildCertTable is the inverse for tests and the guest agent: entries in the given order, each
// certificate after the table.
Bytes BuildCertTable(const std::vector<std::pair<Guid, Bytes>>& entries);

}  // namespace attest::snp
