#include "service/api/placement.h"

#include <algorithm>
#include <map>

#include "launcher/reasons.h"

namespace attest::service::api {

Result<const store::Host*> PlaceVmHost(std::span<const store::Host> hosts, const std::string& tee,
                                       const std::string& host_policy,
                                       std::optional<std::chrono::seconds> max_quote_age,
                                       TimePoint now) {
  const store::Host* best = nullptr;
  std::map<std::string, int> skipped;
  for (const store::Host& h : hosts) {
    std::string skip;
    if (std::find(h.tees.begin(), h.tees.end(), tee) == h.tees.end()) {
      skip = "without " + tee;
    } else if (!host_policy.empty() && h.host_policy != host_policy) {
      skip = "under another host policy";
    } else if (!h.TrustedAt(now)) {
      skip = "not trusted now";
    } else if (!h.last_good_quote || *h.last_good_quote > now) {
      skip = "without a good quote";
    } else if (max_quote_age && now - *h.last_good_quote > *max_quote_age) {
      skip = "with a quote older than " + std::to_string(max_quote_age->count()) + " s";
    }
    if (!skip.empty()) {
      ++skipped[skip];
      continue;
    }
    if (best == nullptr || *h.last_good_quote > *best->last_good_quote ||
        (*h.last_good_quote == *best->last_good_quote && h.id < best->id)) {
      best = &h;
    }
  }
  if (best != nullptr) {
    return best;
  }
  std::string why;
  for (const auto& [what, n] : skipped) {
    why += (why.empty() ? "" : ", ") + std::to_string(n) + " " + what;
  }
  return Status(reasons::kLauncherNoTrustedHost,
                "no trusted host for " + tee + (why.empty() ? " (no hosts)" : " (" + why + ")"));
}

}  // namespace attest::service::api
