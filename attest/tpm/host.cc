#include "attest/tpm/host.h"

#include <string>

#include "attest/core/encoding.h"

namespace attest::tpm {
namespace {

// NoLaunchValues are PCRs 17-22 of a TPM that never saw a dynamic launch: all-FF (PC Client PTP
// §4.6, PCR reset values by locality).
void AddNoLaunchValues(PcrBanks& pcrs, const std::vector<uint16_t>& banks) {
  for (uint16_t id : banks) {
    auto alg = FindHashAlg(id);
    if (!alg) {
      continue;
    }
    for (uint32_t pcr = 17; pcr <= 22; ++pcr) {
      pcrs[id].try_emplace(pcr, Bytes(alg->size, 0xff));
    }
  }
}

// CheckLogsCovered requires the quote to cover every PCR whose log entries become claims:
// CompareReplay compares only the PCRs that were quoted, so a quote leaving out PCR 4 would let
// any boot-application list through. Static log: PCRs 0-7 and every PCR it extends, in every
// quoted bank the log replayed (at least one); DRTM log: every PCR it extends, likewise.
Status CheckLogsCovered(const PcrBanks& quoted, const PcrBanks& replayed, bool static_log) {
  const char* what = static_log ? "event" : "DRTM";
  bool any_bank = false;
  for (const auto& [alg, values] : replayed) {
    auto bank = quoted.find(alg);
    if (bank == quoted.end()) {
      continue;
    }
    any_bank = true;
    std::vector<uint32_t> needed;
    if (static_log) {
      for (uint32_t pcr = 0; pcr <= 7; ++pcr) {
        needed.push_back(pcr);
      }
    }
    for (const auto& [pcr, value] : values) {
      needed.push_back(pcr);
    }
    for (uint32_t pcr : needed) {
      if (bank->second.count(pcr) == 0) {
        return Status(
            reasons::kTpmPcrNotQuoted,
            "PCR " + std::to_string(pcr) + " is extended by the " + what + " log but not quoted");
      }
    }
  }
  if (!any_bank) {
    return Status(reasons::kTpmPcrNotQuoted,
                  std::string("no quoted bank is a bank of the ") + what + " log");
  }
  return Status::Ok();
}

// ParseLog parses and replays one log.
Result<ReplayedLog> ParseLog(ByteSpan bytes, ReplayMode mode) {
  ATTEST_ASSIGN_OR_RETURN(EventLog log, ParseEventLog(bytes));
  ATTEST_ASSIGN_OR_RETURN(PcrBanks replayed, ReplayEventLog(log, mode));
  return ReplayedLog{std::move(log), std::move(replayed)};
}

const PcrBanks* Replayed(const std::optional<Result<ReplayedLog>>& log) {
  return log && log->ok() ? &(*log)->replayed : nullptr;
}

// DerivedPcrs are the values a quote of a host whose logs are right must show: each static bank's
// PCRs 0-7 (zero where firmware never extended one) and the PCRs the log extends; PCRs 17-22 from
// the DRTM replay, or all-FF without a DRTM log.
PcrBanks DerivedPcrs(const PcrBanks* static_replay, const PcrBanks* drtm_replay) {
  PcrBanks pcrs;
  std::vector<uint16_t> banks;
  if (static_replay != nullptr) {
    for (const auto& [alg, values] : *static_replay) {
      banks.push_back(alg);
      auto h = FindHashAlg(alg);
      for (uint32_t pcr = 0; pcr <= 7; ++pcr) {
        pcrs[alg].try_emplace(pcr, Bytes(h->size, 0));
      }
      for (const auto& [index, value] : values) {
        pcrs[alg][index] = value;
      }
    }
  }
  if (drtm_replay != nullptr) {
    for (const auto& [alg, values] : *drtm_replay) {
      auto h = FindHashAlg(alg);
      for (uint32_t pcr = 17; pcr <= 22; ++pcr) {
        pcrs[alg].try_emplace(pcr, Bytes(h->size, 0));
      }
      for (const auto& [index, value] : values) {
        pcrs[alg][index] = value;
      }
    }
  } else {
    AddNoLaunchValues(pcrs, banks);
  }
  return pcrs;
}

// CheckNoDynamicLaunch: without a DRTM log the quote must show that no dynamic launch happened.
Status CheckNoDynamicLaunch(const PcrBanks& quoted) {
  for (const auto& [alg, values] : quoted) {
    auto h = FindHashAlg(alg);
    for (uint32_t pcr : {17u, 18u}) {
      auto it = values.find(pcr);
      if (it != values.end() && it->second != Bytes(h->size, 0xff)) {
        return Status(reasons::kTpmDrtmMismatch,
                      "PCR " + std::string(h->name) + ":" + std::to_string(pcr) +
                          " shows a dynamic launch (" + HexEncode(it->second) +
                          ") but no DRTM log was supplied");
      }
    }
  }
  return Status::Ok();
}

}  // namespace

ParsedHostEvidence ParseHostEvidence(const HostEvidence& ev) {
  ParsedHostEvidence out;
  out.quote = ev.quote;
  out.signature = ev.signature;
  if (ev.event_log) {
    out.event_log = ParseLog(*ev.event_log, ReplayMode::kStatic);
  }
  if (ev.drtm_log) {
    out.drtm_log = ParseLog(*ev.drtm_log, ReplayMode::kDynamic);
  }
  out.pcrs = ev.pcrs ? *ev.pcrs : DerivedPcrs(Replayed(out.event_log), Replayed(out.drtm_log));
  return out;
}

HostVerification VerifyHostEvidence(const ParsedHostEvidence& ev, const AkPublic& ak,
                                    std::optional<ByteSpan> nonce) {
  HostVerification out;
  if (ev.event_log && !ev.event_log->ok()) {
    out.errors.push_back(ev.event_log->status().WithContext("event log"));
  }
  if (ev.drtm_log && !ev.drtm_log->ok()) {
    out.errors.push_back(ev.drtm_log->status().WithContext("drtm log"));
  }
  auto quote = VerifyQuote(ev.quote, ev.signature, ak, nonce, ev.pcrs);
  if (!quote.ok()) {
    out.errors.push_back(quote.status());
    return out;
  }
  out.quote = std::move(quote).value();
  const PcrBanks& quoted = out.quote->pcrs();
  if (ak.object_attributes) {
    Status attrs = CheckAkAttributes(ak);
    if (attrs.ok()) {
      out.ak_attributes_checked = true;
    } else {
      out.errors.push_back(attrs);
    }
  }
  if (const PcrBanks* replay = Replayed(ev.event_log)) {
    for (Status s : {CompareReplay(quoted, *replay, ReplayMode::kStatic),
                     CheckLogsCovered(quoted, *replay, /*static_log=*/true)}) {
      if (!s.ok()) {
        out.errors.push_back(std::move(s));
      }
    }
  }
  if (const PcrBanks* replay = Replayed(ev.drtm_log)) {
    for (Status s : {CompareReplay(quoted, *replay, ReplayMode::kDynamic),
                     CheckLogsCovered(quoted, *replay, /*static_log=*/false)}) {
      if (!s.ok()) {
        out.errors.push_back(std::move(s));
      }
    }
  } else {
    // No DRTM replay (no log, or one that failed above): the quote must show no dynamic launch.
    if (Status s = CheckNoDynamicLaunch(quoted); !s.ok()) {
      out.errors.push_back(std::move(s));
    }
  }
  return out;
}

HostClaims ToClaims(const ParsedHostEvidence& evidence, const HostVerification& verification) {
  HostClaims claims;
  if (verification.quote) {
    claims.quote = ToClaims(*verification.quote);
  }
  if (evidence.event_log && evidence.event_log->ok()) {
    const ReplayedLog& log = **evidence.event_log;
    claims.boot = ExtractBootClaims(log.log, log.replayed);
  }
  if (evidence.drtm_log && evidence.drtm_log->ok()) {
    const ReplayedLog& log = **evidence.drtm_log;
    claims.drtm = ExtractDrtmClaims(log.log, log.replayed);
  }
  claims.ak_attributes_checked = verification.ak_attributes_checked;
  return claims;
}

}  // namespace attest::tpm
