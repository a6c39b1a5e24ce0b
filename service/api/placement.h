// Placement of a new VM record (POST /v1/vms): which operator host its launch ticket names.
//
// launcher::PlaceVm decides for hosts with a live hypervisor connection; a VM record is made
// before any connection exists (attestd may not launch there itself: libvirt_uri ""), and its
// "no maximum age" is not the launcher's zero. So this is the same rule over store::Host.
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

// HostTrustedNow reports whether host's last quote was accepted and its trust has not expired.
bool HostTrustedNow(const store::Host& host, TimePoint now);

// PlaceVmHost returns the eligible host with the most recent good quote (ties: the smaller id):
// it lists tee among its tees, is trusted now, and its last good quote is no older than
// max_quote_age (when set) and not in the future. Fails with launcher.no_trusted_host, counting
// why hosts were skipped (operator host ids are not shown to tenants).
Result<const store::Host*> PlaceVmHost(std::span<const store::Host> hosts, const std::string& tee,
                                       std::optional<std::chrono::seconds> max_quote_age,
                                       TimePoint now);

}  // namespace attest::service::api
