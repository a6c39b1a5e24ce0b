// Launch ticket: what a VM was launched for (tenant, policy version, volumes, host), in one
// canonical byte form whose digests the host places in the TEE at launch: SHA-256 in SEV-SNP
// HOST_DATA (32 bytes, SNP ABI Table 23 offset 0xC0), SHA-384 in TDX MRCONFIGID (48 bytes, TD
// report TDINFO). At key release the digest in the evidence must equal the VM's ticket digest.
//
// Canonical form (version 1): a JSON object, keys in byte order, no whitespace, integers in
// decimal, every string from [A-Za-z0-9._:@/+=-] (so no string needs escaping; the output equals
// RFC 8785 JCS of the same object):
//   {"created_at":"2026-11-25T10:00:00Z","host_id":"h-1","policy":{"name":"prod",
//    "sha256":"<64 hex>","version":3},"tee":"snp","tenant_id":"t-1","v":1,"vm_id":"vm-1",
//    "volume_ids":["vol-1","vol-2"]}
// volume_ids keep the tenant's order (the guest asks for volumes by id; order is not a set).
#pragma once

#include <string>
#include <vector>

#include "attest/core/bytes.h"
#include "attest/core/digest.h"
#include "attest/core/status.h"
#include "attest/core/time.h"
#include "protocol/reasons.h"

namespace attest::protocol {

struct LaunchTicket {
  std::string vm_id;
  std::string tenant_id;
  std::string tee;  // "snp", "tdx", or "sev" / "sev-es" (no hardware field: attestd is the owner)
  std::string policy_name;
  int64_t policy_version = 0;  // >= 1
  std::string policy_sha256;   // 64 lower-case hex digits (the stored version's digest)
  std::vector<std::string> volume_ids;
  std::string host_id;
  TimePoint created_at;

  bool operator==(const LaunchTicket&) const = default;
};

inline constexpr size_t kMaxTicketVolumes = 64;
inline constexpr size_t kMaxTicketStringBytes = 128;
inline constexpr size_t kMaxTicketBytes = size_t{16} * 1024;

// SerializeTicket returns the canonical bytes; release.ticket_invalid when a field is empty, too
// long (128 bytes), outside the character set, the TEE is not snp/tdx/sev/sev-es, the version is <
// 1, the digest is not 64 lower-case hex digits, or there are more than 64 volumes or a repeated
// one.
Result<Bytes> SerializeTicket(const LaunchTicket& ticket);

// ParseTicket reads canonical bytes back; anything that is not exactly the canonical form of a
// valid ticket (reordered keys, spaces, unknown or missing keys, other version) fails with
// release.ticket_invalid.
Result<LaunchTicket> ParseTicket(ByteSpan bytes);

// TicketHostData is SHA-256(canonical bytes): the SNP HOST_DATA value.
Sha256Digest TicketHostData(ByteSpan canonical);
// TicketMrConfigId is SHA-384(canonical bytes): the TDX MRCONFIGID value.
Sha384Digest TicketMrConfigId(ByteSpan canonical);

}  // namespace attest::protocol
