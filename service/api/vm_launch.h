// Launching a tenant VM through the API (issue 10): the optional "launch" member of POST /v1/vms,
// resolved to the caller's nets and security groups, with an address per interface, then started
// on the placed host by the launcher; DELETE stops it there.
//
// Nothing half-created: a VM whose launch fails is deleted again (its addresses go back to the
// nets, its nonces are spent) and the launcher removes what it defined on the host.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "service/api/context.h"
#include "service/launch/tenant_vm.h"

namespace attest::service::api {

// LaunchChoice: the tenant's "launch" object: {"memory_mib"?, "vcpus"?, "nets"?: [names],
// "security_groups"?: [names]}.
struct LaunchChoice {
  uint64_t memory_mib = 2048;
  uint32_t vcpus = 2;
  std::vector<std::string> nets;
  std::vector<std::string> security_groups;
};

// ReadLaunchChoice reads the member (null: no launch). api.invalid_field / api.unknown_field.
Result<std::optional<LaunchChoice>> ReadLaunchChoice(const nlohmann::json& value);

// CreateLaunchableVm resolves choice's nets and groups among the caller's (a missing or foreign
// one: store.not_found), assigns each interface the lowest free address of its net and stores vm
// with them (CreateVm), picking again when another request took an address meanwhile. Returns
// the stored VM and the shape to launch.
Result<std::pair<store::Vm, launch::VmShape>> CreateLaunchableVm(RequestContext& ctx,
                                                                 store::Store& db, store::Vm vm,
                                                                 const LaunchChoice& choice);

// StartOnHost launches the stored vm on host (ctx.service.connect_hypervisor with the host's
// libvirt_uri) and records its domain. On any failure the VM is deleted again and the launcher's
// error is returned (launcher.* reasons; store.* for bookkeeping). Returns {"domain", "state",
// "addresses"} for the answer. host was chosen by PlaceVmHost: the launcher does not place.
Result<nlohmann::json> StartOnHost(RequestContext& ctx, store::Store& db, const store::Host& host,
                                   const store::Vm& vm, const launch::VmShape& shape);

// CanLaunchOn reports whether attestd can reach host's libvirtd (a connector is configured and
// the host has a libvirt URI): placement for a launch considers only such hosts.
bool CanLaunchOn(const ServiceContext& service, const store::Host& host);

// StopOnHost destroys and undefines a launched VM's domain and its filter on its host; missing
// pieces are no error, so a retry completes the job. A VM never launched (no domain) needs
// nothing. launcher.* reasons when the host cannot be reached or refuses.
Status StopOnHost(RequestContext& ctx, store::Store& db, const store::Vm& vm);

}  // namespace attest::service::api
