#include "service/store/audit.h"

#include "attest/core/digest.h"
#include "attest/core/encoding.h"

namespace attest::service::store {
namespace {

void PutU64(Bytes* out, uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    out->push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
}

void PutText(Bytes* out, const std::string& s) {
  const uint32_t n = static_cast<uint32_t>(s.size());
  for (int i = 3; i >= 0; --i) {
    out->push_back(static_cast<uint8_t>(n >> (8 * i)));
  }
  out->insert(out->end(), s.begin(), s.end());
}

}  // namespace

Bytes AuditCanonicalBytes(const AuditEntry& e) {
  Bytes out;
  const bool with_address = !e.record.client_address.empty();
  PutText(&out, with_address ? "attest-audit-v2" : "attest-audit-v1");
  PutU64(&out, static_cast<uint64_t>(e.seq));
  PutU64(&out, static_cast<uint64_t>(ToUnixSeconds(e.record.at)));
  for (const std::string* s :
       {&e.record.tenant_id, &e.record.actor, &e.record.action, &e.record.subject,
        &e.record.evidence_digest, &e.record.policy_version, &e.record.outcome, &e.record.detail}) {
    PutText(&out, *s);
  }
  if (with_address) {
    PutText(&out, e.record.client_address);
  }
  PutText(&out, e.prev_hash);
  return out;
}

std::string AuditEntryHash(const AuditEntry& entry) {
  return HexEncode(Sha256(AuditCanonicalBytes(entry)));
}

std::optional<AuditChainBreak> VerifyAuditChain(const std::vector<AuditEntry>& entries,
                                                const std::optional<std::string>& head_hash) {
  std::string expected_prev = kAuditGenesisHash;
  int64_t expected_seq = 1;
  for (const AuditEntry& e : entries) {
    if (e.seq != expected_seq) {
      return AuditChainBreak{e.seq, "sequence " + std::to_string(e.seq) + ", want " +
                                        std::to_string(expected_seq) + " (entry missing)"};
    }
    if (e.prev_hash != expected_prev) {
      return AuditChainBreak{e.seq, "prev_hash " + e.prev_hash + " is not the hash " +
                                        expected_prev + " of entry " + std::to_string(e.seq - 1)};
    }
    expected_prev = AuditEntryHash(e);
    ++expected_seq;
  }
  if (head_hash && *head_hash != expected_prev) {
    const int64_t last = entries.empty() ? 0 : entries.back().seq;
    return AuditChainBreak{
        last, "newest entry hashes to " + expected_prev + ", the recorded head is " + *head_hash};
  }
  return std::nullopt;
}

}  // namespace attest::service::store
