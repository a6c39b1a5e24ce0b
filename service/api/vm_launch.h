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
#include "service/api/vm_measurement.h"
#include "service/launch/tenant_vm.h"

namespace attest::service::api {

// LaunchChoice: the tenant's "launch" object: {"memory_mib"?, "vcpus"?, "nets"?: [names],
// "security_groups"?: [names]} and, for a VM created from a boot image, the members that change
// its measurement (vm_measurement.h: "vcpu_type" / "vcpu_sig", "vmm_type", "guest_features",
// "acpi_tables"). measured_members: whether any of those was given.
struct LaunchChoice {
  uint64_t memory_mib = 2048;
  uint32_t vcpus = 2;
  std::vector<std::string> nets;
  std::vector<std::string> security_groups;
  MeasurementChoice measured;
  bool measured_members = false;
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

// BuildLaunchRequest maps the stored vm (its volumes, the tenant's groups and their members as
// they are now) and shape to the launcher's request (launch::BuildTenantLaunch). store.* or
// launcher.* reasons.
Result<launcher::LaunchRequest> BuildLaunchRequest(RequestContext& ctx, store::Store& db,
                                                   const store::Vm& vm,
                                                   const launch::VmShape& shape);

// ConnectToVmHost opens the libvirtd of vm's host (launcher.hypervisor_error when attestd has
// no usable URI for it). Blocking: call it on the slow-work pool.
Result<std::shared_ptr<launcher::Hypervisor>> ConnectToVmHost(RequestContext& ctx, store::Store& db,
                                                              const store::Vm& vm);

// CanLaunchOn reports whether attestd can reach host's libvirtd (a connector is configured and
// the host has a libvirt URI): placement for a launch considers only such hosts.
bool CanLaunchOn(const ServiceContext& service, const store::Host& host);

// StopOnHost destroys and undefines a launched VM's domain and its filter on its host; missing
// pieces are no error, so a retry completes the job. A VM never launched (no domain) needs
// nothing. launcher.* reasons when the host cannot be reached or refuses.
Status StopOnHost(RequestContext& ctx, store::Store& db, const store::Vm& vm);

}  // namespace attest::service::api
