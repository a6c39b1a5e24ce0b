// Placement of a new VM (POST /v1/vms): which operator host its launch ticket names and, for a
// launch, where attestd starts it. The only placement model: the launcher starts a VM on the host
// it is given. For a launch the caller first drops hosts attestd cannot reach and passes the
// operator's maximum quote age when the tenant policy sets none.
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>

#include "attest/core/status.h"
#include "attest/core/time.h"
#include "service/api/reasons.h"
#include "service/store/store.h"

namespace attest::service::api {

// PlaceVmHost returns the eligible host with the most recent good quote (ties: the smaller id):
// it lists tee among its tees, is appraised with host_policy (the tenant policy's
// host.host_policy; empty: the tenant policy names none), is trusted now, and its last good quote
// is no older than max_quote_age (when set) and not in the future. Fails with
// launcher.no_trusted_host, counting why hosts were skipped (operator host ids and host policy
// names are not shown to tenants).
Result<const store::Host*> PlaceVmHost(std::span<const store::Host> hosts, const std::string& tee,
                                       const std::string& host_policy,
                                       std::optional<std::chrono::seconds> max_quote_age,
                                       TimePoint now);

}  // namespace attest::service::api
