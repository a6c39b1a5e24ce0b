#include "deploy/ha/chaos/invariants.h"

namespace attest::chaos {

namespace {

constexpr size_t kMaxSamples = 20;

}  // namespace

Answer Classify(const Result<client::ClientResponse>& answer, const std::set<int>& expected) {
  if (!answer.ok()) {
    return Answer::kTransport;
  }
  if (expected.count(answer->status) != 0) {
    return Answer::kExpected;
  }
  if ((answer->status == 503 || answer->status == 429) && !answer->retry_after.empty()) {
    return Answer::kDocumented;
  }
  if (answer->status == 403 && answer->json.is_object() &&
      answer->json.value("code", "") == "store.request_replayed") {
    return Answer::kResent;
  }
  if (answer->status == 403 && answer->json.is_object() &&
      answer->json.value("code", "") == "RequestTimeTooSkewed") {
    return Answer::kSkewed;
  }
  return Answer::kUnexpected;
}

Answer Counters::Count(const std::string& what, const Result<client::ClientResponse>& answer,
                       const std::set<int>& expected) {
  ++requests;
  const Answer kind = Classify(answer, expected);
  switch (kind) {
    case Answer::kExpected:
      break;
    case Answer::kDocumented:
      ++documented_errors;
      break;
    case Answer::kTransport:
      ++transport_errors;
      break;
    case Answer::kResent:
      ++resent_refused;
      break;
    case Answer::kSkewed:
      ++skew_refused;
      break;
    case Answer::kUnexpected: {
      ++unexpected_errors;
      std::lock_guard<std::mutex> lock(mu_);
      if (samples_.size() < kMaxSamples) {
        samples_.push_back(what + ": " + std::to_string(answer->status) +
                           (answer->retry_after.empty() ? "" : " (Retry-After)") + " " +
                           answer->body.substr(0, 200));
      }
      break;
    }
  }
  return kind;
}

std::vector<std::string> Counters::Samples() const {
  std::lock_guard<std::mutex> lock(mu_);
  return samples_;
}

bool Counters::Broken() const {
  return acked_lost > 0 || acked_unchecked > 0 || nonce_reuse > 0 || wrong_release > 0 ||
         unexpected_errors > 0;
}

nlohmann::json Counters::ToJson() const {
  return {{"requests", requests.load()},
          {"acked", acked.load()},
          {"acked_lost", acked_lost.load()},
          {"acked_unchecked", acked_unchecked.load()},
          {"nonce_races", nonce_races.load()},
          {"nonce_reuse", nonce_reuse.load()},
          {"good_released", good_released.load()},
          {"good_refused", good_refused.load()},
          {"wrong_attempts", wrong_attempts.load()},
          {"wrong_release", wrong_release.load()},
          {"documented_errors", documented_errors.load()},
          {"transport_errors", transport_errors.load()},
          {"resent_refused", resent_refused.load()},
          {"skew_refused", skew_refused.load()},
          {"unexpected_errors", unexpected_errors.load()},
          {"unexpected_samples", Samples()}};
}

}  // namespace attest::chaos
