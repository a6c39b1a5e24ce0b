// HostState: where a host is in its life (registered -> activated -> trusted / untrusted ->
// revoked), and the one answer to "is this host trusted now".
#pragma once

#include <optional>
#include <string_view>

#include "attest/core/status.h"
#include "attest/core/time.h"

namespace attest::service::store {

// HostState: stored as its name (hosts.state), which the API also shows.
enum class HostState {
  kRegistered,  // enrolled; its credential not yet activated
  kActivated,   // TPM credential activation done; no quote appraised yet
  kTrusted,     // the newest verified quote passed the host policy
  kUntrusted,   // the newest verified quote failed the host policy
  kRevoked,     // deleted by the operator: no credential, never trusted again (record kept)
};

// HostStateName returns the stored and displayed name: "registered", "activated", "trusted",
// "untrusted", "revoked".
const char* HostStateName(HostState state);

// ParseHostState reads a stored name; anything else fails with reasons::kStoreDatabase (the
// column holds only what HostStateName wrote).
Result<HostState> ParseHostState(std::string_view name);

// TrustedAt is "is this host trusted at now": its newest quote passed (kTrusted) and that trust
// has an end, trusted_until, after now. Placement, release, the launcher and the API all ask
// this one question.
bool TrustedAt(HostState state, const std::optional<TimePoint>& trusted_until, TimePoint now);

}  // namespace attest::service::store
