// What the chaos load driver (chaos_load.cc) counts: each answer classified against what the
// operation may answer, and the invariants of issue 21 ("Faults during load"): no acknowledged
// write lost, no nonce redeemed twice, no key released to a request that must be refused, and
// every error of a documented kind (service/README.md "Errors": 503 with Retry-After, 429 with
// Retry-After; a refused or reset connection while a replica is down).
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "attest/core/status.h"
#include "client/api_client.h"

namespace attest::chaos {

enum class Answer {
  kExpected,    // one of the statuses the operation may answer
  kDocumented,  // 503 or 429 with Retry-After: the service said "later"
  kTransport,   // no HTTP answer: connection refused or reset, TLS cut, client timeout
  // 403 store.request_replayed: the same signed request arrived twice and the replay guard
  // refused the copy. cpprestsdk used to re-send a request by itself after the connection it went
  // out on was cut (a replica killed or stopped, HAProxy shutting its sessions); ApiClient no
  // longer lets it for anything but GET and HEAD (client/README.md), so this should stay 0. The
  // write's fate is unknown to the caller, as with a transport failure; the read-back at the end
  // decides nothing was lost.
  kResent,
  // 403 RequestTimeTooSkewed: a replica whose wall clock just stepped refuses signed requests as
  // skewed until its readiness check (once a second, clock against PostgreSQL's) turns it unready
  // and it answers 503 instead: a refusal, never a wrong acceptance, for about a second per step.
  kSkewed,
  kUnexpected,  // anything else: a 500, a 503 without Retry-After, a status nobody documented
};

// Classify sorts one answer (or transport failure) of an operation whose acceptable statuses are
// `expected`.
Answer Classify(const Result<client::ClientResponse>& answer, const std::set<int>& expected);

// Counters: what one driver run saw, shared by its threads.
struct Counters {
  std::atomic<int64_t> requests{0};
  std::atomic<int64_t> acked{0};
  std::atomic<int64_t> acked_lost{0};
  std::atomic<int64_t> acked_unchecked{0};  // not read back before the deadline: a failed run
  std::atomic<int64_t> nonce_races{0};
  std::atomic<int64_t> nonce_reuse{0};
  std::atomic<int64_t> good_released{0};
  std::atomic<int64_t> good_refused{0};
  std::atomic<int64_t> wrong_attempts{0};
  std::atomic<int64_t> wrong_release{0};
  std::atomic<int64_t> documented_errors{0};
  std::atomic<int64_t> transport_errors{0};
  std::atomic<int64_t> resent_refused{0};
  std::atomic<int64_t> skew_refused{0};
  std::atomic<int64_t> unexpected_errors{0};

  // Count adds one classified answer of `what` to the error counters and keeps the first few
  // unexpected ones (status and body) for the report. Returns the class.
  Answer Count(const std::string& what, const Result<client::ClientResponse>& answer,
               const std::set<int>& expected);
  std::vector<std::string> Samples() const;
  // Broken: an invariant failed (acked_lost, nonce_reuse, wrong_release, unexpected_errors), or
  // acknowledged writes could not be checked (acked_unchecked).
  bool Broken() const;
  nlohmann::json ToJson() const;

 private:
  mutable std::mutex mu_;
  std::vector<std::string> samples_;
};

}  // namespace attest::chaos
