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

}  // namespace

namespace {

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

}  // namespace

HostVerification VerifyHostEvidence(const HostEvidence& ev) {
  HostVerification out;
  std::optional<PcrBanks> static_replay, drtm_replay;
  if (ev.event_log) {
    auto log = ParseEventLog(*ev.event_log);
    auto replay = log.ok() ? ReplayEventLog(*log) : Result<PcrBanks>(log.status());
    if (replay.ok()) {
      static_replay = *replay;
      out.claims.boot = ExtractBootClaims(*log, *replay);
    } else {
      out.errors.push_back(replay.status().WithContext("event log"));
    }
  }
  if (ev.drtm_log) {
    auto log = ParseEventLog(*ev.drtm_log);
    auto replay =
        log.ok() ? ReplayEventLog(*log, ReplayMode::kDynamic) : Result<PcrBanks>(log.status());
    if (replay.ok()) {
      drtm_replay = *replay;
      out.claims.drtm = ExtractDrtmClaims(*log, *replay);
    } else {
      out.errors.push_back(replay.status().WithContext("drtm log"));
    }
  }

  PcrBanks pcrs;
  if (ev.pcrs) {
    pcrs = *ev.pcrs;
  } else {
    std::vector<uint16_t> banks;
    if (static_replay) {
      for (const auto& [alg, values] : *static_replay) {
        banks.push_back(alg);
        auto h = FindHashAlg(alg);
        // A PCR 0-7 that firmware never extended is still zero.
        for (uint32_t pcr = 0; pcr <= 7; ++pcr) {
          pcrs[alg].try_emplace(pcr, Bytes(h->size, 0));
        }
        for (const auto& [index, value] : values) {
          pcrs[alg][index] = value;
        }
      }
    }
    if (drtm_replay) {
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
  }

  if (ev.ak == nullptr) {
    out.errors.push_back(Status(reasons::kTpmPublicMalformed, "no attestation key given"));
    return out;
  }
  auto quote = VerifyQuote(ev.quote, ev.signature, *ev.ak, ev.nonce, pcrs);
  if (!quote.ok()) {
    out.errors.push_back(quote.status());
    return out;
  }
  out.claims.quote = ToClaims(*quote);
  if (ev.ak->object_attributes) {
    Status attrs = CheckAkAttributes(*ev.ak);
    if (attrs.ok()) {
      out.claims.ak_attributes_checked = true;
    } else {
      out.errors.push_back(attrs);
    }
  }
  if (static_replay) {
    Status s = CompareReplay(quote->pcrs(), *static_replay, ReplayMode::kStatic);
    if (!s.ok()) {
      out.errors.push_back(s);
    }
    s = CheckLogsCovered(quote->pcrs(), *static_replay, /*static_log=*/true);
    if (!s.ok()) {
      out.errors.push_back(s);
    }
  }
  if (drtm_replay) {
    Status s = CompareReplay(quote->pcrs(), *drtm_replay, ReplayMode::kDynamic);
    if (!s.ok()) {
      out.errors.push_back(s);
    }
    s = CheckLogsCovered(quote->pcrs(), *drtm_replay, /*static_log=*/false);
    if (!s.ok()) {
      out.errors.push_back(s);
    }
  } else {
    // Without a DRTM log the quote must show that no dynamic launch happened.
    for (const auto& [alg, values] : quote->pcrs()) {
      auto h = FindHashAlg(alg);
      for (uint32_t pcr : {17u, 18u}) {
        auto it = values.find(pcr);
        if (it != values.end() && it->second != Bytes(h->size, 0xff)) {
          out.errors.push_back(Status(reasons::kTpmDrtmMismatch,
                                      "PCR " + std::string(h->name) + ":" + std::to_string(pcr) +
                                          " shows a dynamic launch (" + HexEncode(it->second) +
                                          ") but no DRTM log was supplied"));
          return out;
        }
      }
    }
  }
  return out;
}

}  // namespace attest::tpm
