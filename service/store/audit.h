// The audit log's hash chain: each entry holds the SHA-256 of the previous entry's canonical bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "attest/core/bytes.h"
#include "attest/core/status.h"
#include "attest/core/time.h"
#include "service/store/reasons.h"

namespace attest::service::store {

// The prev_hash of the first entry: 32 zero bytes in hex.
inline constexpr char kAuditGenesisHash[] =
    "0000000000000000000000000000000000000000000000000000000000000000";

// AuditRecord is what a caller records: who, did what, to which subject, on which evidence and
// policy version, with which outcome.
struct AuditRecord {
  std::string tenant_id;
  TimePoint at;
  std::string actor;            // access key id / principal, or "system"
  std::string action;           // "policy.put", "host.appraise", "key.release", ...
  std::string subject;          // resource name / id
  std::string evidence_digest;  // hex SHA-256 of the evidence, "" when none
  std::string policy_version;   // "name@version", "" when none
  std::string outcome;          // "accepted", "rejected", "ok", ...
  std::string detail;           // reasons, free text
  // client_address: the caller's address as attestd resolved it (the peer, or what a trusted
  // proxy reported); "" for entries attestd writes itself and for those recorded before the
  // address was (schema version 11).
  std::string client_address;
};

struct AuditEntry {
  int64_t seq = 0;  // 1, 2, 3...
  AuditRecord record;
  std::string prev_hash;  // hex SHA-256 of the previous entry's canonical bytes
};

// AuditCanonicalBytes is the hashed form of an entry: a version tag, then seq (8 bytes big endian),
// time (8 bytes BE, Unix seconds) and each text field as a 4-byte BE length plus its bytes, in
// declaration order, ending with prev_hash. Unambiguous: no two entries share a byte string.
// An entry without a client address keeps the form entries had before the address was recorded
// ("attest-audit-v1", no address field), so older chains verify unchanged; one with an address
// is tagged "attest-audit-v2" and carries it after detail. Blanking a recorded address changes
// the entry's hash, which the next entry's prev_hash (or the head) catches.
Bytes AuditCanonicalBytes(const AuditEntry& entry);

// AuditEntryHash returns the hex SHA-256 of AuditCanonicalBytes(entry).
std::string AuditEntryHash(const AuditEntry& entry);

struct AuditChainBreak {
  int64_t seq;  // the first entry whose link is wrong
  std::string why;
};

// VerifyAuditChain checks entries (ascending seq) form an unbroken chain from the genesis hash:
// seq 1, 2, 3... and each prev_hash equal to the hash of the entry before. When head_hash is
// given (the store's record of the newest entry's hash) the last entry must hash to it, so a
// change to the newest entry is caught too. Returns nullopt when intact, else the first break.
std::optional<AuditChainBreak> VerifyAuditChain(const std::vector<AuditEntry>& entries,
                                                const std::optional<std::string>& head_hash);

}  // namespace attest::service::store
