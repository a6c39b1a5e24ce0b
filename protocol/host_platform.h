// Host platform identity document: which TEE chips a hypervisor host runs on, as its host agent
// reports them at enrollment and with every quote, and the binding of that document into the
// host's TPM quote.
//
//  - SEV-SNP: the CHIP_ID of each socket (64 bytes; the kernel's /dev/sev SEV_GET_ID2 ioctl, also
//    the hwID extension of the socket's VCEK, and the CHIP_ID field of every attestation report
//    the socket signs: SNP ABI spec 56860, Table 23 offset 0x1A0).
//  - TDX/SGX: the PCK certificate identity of the platform (Intel SGX PCK Certificate and CRL
//    Profile Specification 1.3.5, extension 1.2.840.113741.1.13.1): PPID (.1, 16 bytes), PCE-ID
//    (.3, 2 bytes) and FMSPC (.4, 6 bytes), the values a TD quote's PCK certificate carries.
//
// Canonical form (version 1): a JSON object, keys in byte order, no whitespace, every byte string
// as lower-case hex of its fixed length, chip ids sorted ascending and distinct, "tdx" null on a
// host without TDX. The output equals RFC 8785 JCS of the same object:
//   {"snp_chip_ids":["<128 hex>",...],"tdx":{"fmspc":"<12 hex>","pce_id":"<4 hex>",
//    "ppid":"<32 hex>"},"v":1}
// ParseHostPlatform accepts any JSON spelling of a valid document (key order, whitespace, chip id
// order); everything that hashes or compares uses the canonical bytes, so two spellings of one
// document bind and compare equal.
//
// QuoteQualifyingData binds the document to a host quote: the TPM quote's qualifyingData
// (TPMS_ATTEST.extraData, TPM 2.0 Part 2 10.12.12) is SHA-256 over a domain-separation label, the
// service's nonce and the canonical document. A quote that verifies with that extraData shows
// that the measured host's TPM was asked to quote for exactly this document; it does not show the
// document is true (SECURITY.md, "Host platform binding").
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "attest/core/bytes.h"
#include "attest/core/digest.h"
#include "attest/core/status.h"
#include "protocol/reasons.h"

namespace attest::protocol {

using SnpChipId = std::array<uint8_t, 64>;

// TdxPlatformIdentity: the PCK certificate identity of a TDX (SGX) platform.
struct TdxPlatformIdentity {
  std::array<uint8_t, 16> ppid{};
  std::array<uint8_t, 2> pce_id{};
  std::array<uint8_t, 6> fmspc{};

  bool operator==(const TdxPlatformIdentity&) const = default;
};

// HostPlatform: a host's TEE platform identities. An empty document (no chip, no TDX) is valid: a
// host without SEV-SNP or TDX. snp_chip_ids is sorted and distinct in every value this module
// returns.
struct HostPlatform {
  std::vector<SnpChipId> snp_chip_ids;
  std::optional<TdxPlatformIdentity> tdx;

  bool operator==(const HostPlatform&) const = default;
  bool empty() const { return snp_chip_ids.empty() && !tdx; }
  // OwnsSnpChip is true when chip_id is one of the host's sockets.
  bool OwnsSnpChip(const SnpChipId& chip_id) const;
};

// kMaxSnpChips caps the sockets of one host (real servers have 1 or 2).
inline constexpr size_t kMaxSnpChips = 16;
// kMaxHostPlatformBytes caps the document text: 16 chip ids and the TDX identity need ~2.4 KiB.
inline constexpr size_t kMaxHostPlatformBytes = size_t{8} * 1024;

// ParseHostPlatform reads a document from JSON text (attest/core/json.h's strict reader: no
// repeated key, nothing after the value). Fails with host.platform_invalid, the message naming
// the field: not an object with exactly the keys v (1), snp_chip_ids and tdx; a chip id or PCK
// field that is not lower-case hex of its length; an all-zero chip id (a masked CHIP_ID names no
// chip) or PPID; a repeated chip id; more than 16 chips; text longer than 8 KiB.
Result<HostPlatform> ParseHostPlatform(std::string_view text);

// HostPlatformFromJson is ParseHostPlatform over an already parsed value (an API request's
// member, read by the same strict reader). Fails like ParseHostPlatform.
Result<HostPlatform> HostPlatformFromJson(const nlohmann::json& value);

// SerializeHostPlatform returns the canonical bytes (chip ids sorted). Fails with
// host.platform_invalid only for a value ParseHostPlatform would refuse (repeated or all-zero
// chip id, all-zero PPID, too many chips).
Result<std::string> SerializeHostPlatform(const HostPlatform& platform);

// HostPlatformToJson is the canonical document as a JSON value (for an API answer).
nlohmann::json HostPlatformToJson(const HostPlatform& platform);

// kQuoteBindingLabel separates this digest from every other SHA-256 the TPM could be asked to
// quote over (it ends in a NUL, so no label is a prefix of another).
inline constexpr std::string_view kQuoteBindingLabel{"attest host platform binding v1\0", 32};

// QuoteQualifyingData is SHA-256(label || u32be(len(nonce)) || nonce || canonical document): the
// value the host agent passes as the TPM2_Quote qualifyingData and attestd expects in the quote's
// extraData. 32 bytes fit TPM2B_DATA on every TPM (its size is that of the largest digest the
// TPM implements, at least SHA-256). canonical must be SerializeHostPlatform's output.
Sha256Digest QuoteQualifyingData(ByteSpan nonce, std::string_view canonical);

// DescribeSnpChip is the chip id's first 8 bytes in hex and "..." (messages; a full id is 128
// digits).
std::string DescribeSnpChip(const SnpChipId& chip_id);
// DescribeTdxPlatform is "ppid=<hex> pce_id=<hex> fmspc=<hex>" (messages).
std::string DescribeTdxPlatform(const TdxPlatformIdentity& tdx);

}  // namespace attest::protocol
