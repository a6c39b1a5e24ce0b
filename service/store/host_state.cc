#include "service/store/host_state.h"

#include <string>

#include "service/store/reasons.h"

namespace attest::service::store {

const char* HostStateName(HostState state) {
  switch (state) {
    case HostState::kRegistered:
      return "registered";
    case HostState::kActivated:
      return "activated";
    case HostState::kTrusted:
      return "trusted";
    case HostState::kUntrusted:
      return "untrusted";
    case HostState::kRevoked:
      return "revoked";
  }
  return "unknown";  // not reached: every enumerator is handled above
}

Result<HostState> ParseHostState(std::string_view name) {
  for (HostState s : {HostState::kRegistered, HostState::kActivated, HostState::kTrusted,
                      HostState::kUntrusted, HostState::kRevoked}) {
    if (name == HostStateName(s)) {
      return s;
    }
  }
  return Status(reasons::kStoreDatabase,
                "stored host state \"" + std::string(name.substr(0, 32)) + "\" is malformed");
}

bool TrustedAt(HostState state, const std::optional<TimePoint>& trusted_until, TimePoint now) {
  return state == HostState::kTrusted && trusted_until.has_value() && *trusted_until > now;
}

}  // namespace attest::service::store
