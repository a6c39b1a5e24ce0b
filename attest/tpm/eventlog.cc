#include "attest/tpm/eventlog.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "attest/core/byte_reader.h"
#include "attest/core/ossl.h"

namespace attest::tpm {
namespace {

constexpr char kSpecIdSignature03[] = "Spec ID Event03";         // 16 bytes with the NUL
constexpr char kStartupLocalitySignature[] = "StartupLocality";  // 16 bytes with the NUL
constexpr size_t kSha1Size = 20;

std::string At(size_t offset) { return " (record at offset " + std::to_string(offset) + ")"; }

Status Malformed(const std::string& message, size_t offset) {
  return Status(reasons::kEventLogMalformed, "event log: " + message + At(offset));
}

bool HasPrefix(ByteSpan data, const char* prefix, size_t n) {
  return data.size() >= n && std::memcmp(data.data(), prefix, n) == 0;
}

// ReadLegacyRecord reads one TCG_PCR_EVENT (PFP §10.2.1).
Result<TcgEvent> ReadLegacyRecord(ByteReader& r) {
  TcgEvent ev;
  ev.offset = r.offset();
  ATTEST_ASSIGN_OR_RETURN(ev.pcr_index, r.ReadU32Le());
  ATTEST_ASSIGN_OR_RETURN(ev.event_type, r.ReadU32Le());
  ATTEST_ASSIGN_OR_RETURN(ByteSpan digest, r.ReadBytes(kSha1Size));
  ATTEST_ASSIGN_OR_RETURN(uint32_t size, r.ReadU32Le());
  ATTEST_ASSIGN_OR_RETURN(ByteSpan data, r.ReadBytes(size));  // checked against remaining()
  ev.digests.emplace_back(kAlgSha1, Bytes(digest.begin(), digest.end()));
  ev.data.assign(data.begin(), data.end());
  return ev;
}

// ParseSpecId reads TCG_EfiSpecIDEvent (PFP §10.4.5.1 table 20) from the header record's data.
Status ParseSpecId(const TcgEvent& header, EventLog& log) {
  ByteReader r(header.data, reasons::kEventLogMalformed, "spec id event");
  ATTEST_RETURN_IF_ERROR(r.Skip(16));  // signature, matched by the caller
  ATTEST_ASSIGN_OR_RETURN(uint32_t platform_class, r.ReadU32Le());
  (void)platform_class;
  ATTEST_ASSIGN_OR_RETURN(uint8_t minor, r.ReadU8());
  ATTEST_ASSIGN_OR_RETURN(uint8_t major, r.ReadU8());
  ATTEST_ASSIGN_OR_RETURN(uint8_t errata, r.ReadU8());
  (void)minor;
  (void)errata;
  ATTEST_ASSIGN_OR_RETURN(uint8_t uintn_size, r.ReadU8());
  if (major != 2) {
    return Malformed("spec id event: specVersionMajor " + std::to_string(major) + ", want 2",
                     header.offset);
  }
  if (uintn_size != 1 && uintn_size != 2) {
    return Malformed("spec id event: uintnSize " + std::to_string(uintn_size) + ", want 1 or 2",
                     header.offset);
  }
  ATTEST_ASSIGN_OR_RETURN(uint32_t num_algs, r.ReadU32Le());
  if (num_algs == 0) {
    return Malformed("spec id event: numberOfAlgorithms is 0", header.offset);
  }
  if (num_algs > kMaxBanks) {
    return Status(reasons::kEventLogTooLarge, "event log: spec id event declares " +
                                                  std::to_string(num_algs) + " banks, at most " +
                                                  std::to_string(kMaxBanks) + At(header.offset));
  }
  for (uint32_t i = 0; i < num_algs; ++i) {
    SpecIdBank bank;
    ATTEST_ASSIGN_OR_RETURN(bank.alg, r.ReadU16Le());
    ATTEST_ASSIGN_OR_RETURN(bank.digest_size, r.ReadU16Le());
    if (bank.digest_size == 0 || bank.digest_size > 64) {
      return Malformed("spec id event: digest size " + std::to_string(bank.digest_size) + " for " +
                           HashAlgName(bank.alg),
                       header.offset);
    }
    if (auto known = FindHashAlg(bank.alg); known && known->size != bank.digest_size) {
      return Malformed("spec id event: " + std::string(known->name) + " digest size " +
                           std::to_string(bank.digest_size) + ", want " +
                           std::to_string(known->size),
                       header.offset);
    }
    for (const SpecIdBank& seen : log.banks) {
      if (seen.alg == bank.alg) {
        return Malformed("spec id event: bank " + HashAlgName(bank.alg) + " listed twice",
                         header.offset);
      }
    }
    log.banks.push_back(bank);
  }
  ATTEST_ASSIGN_OR_RETURN(uint8_t vendor_size, r.ReadU8());
  ATTEST_RETURN_IF_ERROR(r.Skip(vendor_size));
  return r.ExpectEnd();
}

// ReadAgileRecord reads one TCG_PCR_EVENT2 (PFP §10.2.2) whose digests are sized by log.banks.
Result<TcgEvent> ReadAgileRecord(ByteReader& r, const EventLog& log) {
  TcgEvent ev;
  ev.offset = r.offset();
  ATTEST_ASSIGN_OR_RETURN(ev.pcr_index, r.ReadU32Le());
  ATTEST_ASSIGN_OR_RETURN(ev.event_type, r.ReadU32Le());
  ATTEST_ASSIGN_OR_RETURN(uint32_t count, r.ReadU32Le());
  if (count > log.banks.size()) {
    return Malformed("TPML_DIGEST_VALUES count " + std::to_string(count) + " exceeds the " +
                         std::to_string(log.banks.size()) + " declared banks",
                     ev.offset);
  }
  ev.digests.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    ATTEST_ASSIGN_OR_RETURN(uint16_t alg, r.ReadU16Le());
    auto bank = std::find_if(log.banks.begin(), log.banks.end(),
                             [alg](const SpecIdBank& b) { return b.alg == alg; });
    if (bank == log.banks.end()) {
      return Malformed("digest algorithm " + HashAlgName(alg) + " not declared in spec id event",
                       ev.offset);
    }
    if (ev.DigestFor(alg) != nullptr) {
      return Malformed("digest algorithm " + HashAlgName(alg) + " repeated", ev.offset);
    }
    ATTEST_ASSIGN_OR_RETURN(ByteSpan digest, r.ReadBytes(bank->digest_size));
    ev.digests.emplace_back(alg, Bytes(digest.begin(), digest.end()));
  }
  ATTEST_ASSIGN_OR_RETURN(uint32_t size, r.ReadU32Le());
  ATTEST_ASSIGN_OR_RETURN(ByteSpan data, r.ReadBytes(size));
  ev.data.assign(data.begin(), data.end());
  // A measured record must carry every bank, or that bank's replay would silently diverge from
  // the TPM. EV_NO_ACTION records are never extended, so they are exempt.
  if (ev.event_type != kEvNoAction && count != log.banks.size()) {
    for (const SpecIdBank& b : log.banks) {
      if (ev.DigestFor(b.alg) == nullptr) {
        return Status(
            reasons::kEventLogMissingDigest,
            "event log: record lacks a " + HashAlgName(b.alg) + " digest" + At(ev.offset));
      }
    }
  }
  return ev;
}

void NoteStartupLocality(const TcgEvent& ev, EventLog& log) {
  // PFP §10.4.5.3: TCG_EfiStartupLocalityEvent = signature[16] "StartupLocality\0", u8 locality,
  // logged in PCR 0 as EV_NO_ACTION.
  if (ev.event_type == kEvNoAction && ev.pcr_index == 0 && ev.data.size() == 17 &&
      HasPrefix(ev.data, kStartupLocalitySignature, sizeof(kStartupLocalitySignature))) {
    log.startup_locality = ev.data[16];
  }
}

}  // namespace

const Bytes* TcgEvent::DigestFor(uint16_t alg) const {
  for (const auto& [id, digest] : digests) {
    if (id == alg) {
      return &digest;
    }
  }
  return nullptr;
}

Result<EventLog> ParseEventLog(ByteSpan bytes) {
  EventLog log;
  ByteReader r(bytes, reasons::kEventLogMalformed, "event log");
  if (r.empty()) {
    return Malformed("empty log", 0);
  }
  ATTEST_ASSIGN_OR_RETURN(TcgEvent first, ReadLegacyRecord(r));
  const bool agile = first.pcr_index == 0 && first.event_type == kEvNoAction &&
                     HasPrefix(first.data, kSpecIdSignature03, sizeof(kSpecIdSignature03));
  if (agile) {
    log.format = EventLogFormat::kCryptoAgile;
    ATTEST_RETURN_IF_ERROR(ParseSpecId(first, log));
  } else {
    log.format = EventLogFormat::kLegacySha1;
    log.banks.push_back({kAlgSha1, kSha1Size});
    NoteStartupLocality(first, log);
    log.events.push_back(std::move(first));
  }
  while (!r.empty()) {
    if (log.events.size() >= kMaxEvents) {
      return Status(
          reasons::kEventLogTooLarge,
          "event log: more than " + std::to_string(kMaxEvents) + " records" + At(r.offset()));
    }
    Result<TcgEvent> ev = agile ? ReadAgileRecord(r, log) : ReadLegacyRecord(r);
    if (!ev.ok()) {
      return ev.status();
    }
    NoteStartupLocality(*ev, log);
    log.events.push_back(std::move(ev).value());
  }
  return log;
}

Result<PcrBanks> ReplayEventLog(const EventLog& log, ReplayMode mode) {
  struct Bank {
    HashAlg alg;
    std::map<uint32_t, Bytes>* pcrs;
  };
  PcrBanks out;
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  std::vector<Bank> banks;
  for (const SpecIdBank& b : log.banks) {
    if (auto alg = FindHashAlg(b.alg)) {
      banks.push_back({*alg, &out[b.alg]});
    }
  }
  auto pcr_for = [&](Bank& bank, uint32_t index) -> Bytes& {
    auto [it, inserted] = bank.pcrs->try_emplace(index);
    if (inserted) {
      it->second.assign(bank.alg.size, 0);
      if (mode == ReplayMode::kStatic && index == 0 && log.startup_locality) {
        it->second.back() = *log.startup_locality;
      }
    }
    return it->second;
  };
  if (mode == ReplayMode::kStatic && log.startup_locality) {
    for (Bank& bank : banks) {
      pcr_for(bank, 0);
    }
  }
  for (const TcgEvent& ev : log.events) {
    if (ev.event_type == kEvNoAction) {
      continue;  // never extended (PFP §10.4.1)
    }
    const bool in_range = mode == ReplayMode::kStatic ? ev.pcr_index <= kMaxPcrIndex
                                                      : (ev.pcr_index >= 17 && ev.pcr_index <= 22);
    if (!in_range) {
      return Malformed("PCR index " + std::to_string(ev.pcr_index) + " out of range for a " +
                           (mode == ReplayMode::kStatic ? "static" : "dynamic-launch") + " log",
                       ev.offset);
    }
    for (Bank& bank : banks) {
      const Bytes* digest = ev.DigestFor(bank.alg.id);
      if (digest == nullptr) {
        return Status(
            reasons::kEventLogMissingDigest,
            "event log: record lacks a " + std::string(bank.alg.name) + " digest" + At(ev.offset));
      }
      Extend(ctx.get(), bank.alg, pcr_for(bank, ev.pcr_index), *digest);
    }
  }
  return out;
}

}  // namespace attest::tpm
