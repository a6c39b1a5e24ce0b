// The lifecycle of a launched tenant VM (issue 20): POST /v1/vms/{id}/start, /stop and /reboot,
// and the domain state GET /v1/vms/{id} shows. The launcher does the work on the VM's host
// (launcher::StartVm, ShutdownVm, RebootVm, VmState) through the slow-work pool and the same
// connector the launch uses; the VM's domain stays defined between a stop and the next start.
#pragma once

#include <nlohmann/json.hpp>

#include "attest/core/status.h"
#include "service/api/context.h"
#include "service/api/routes.h"
#include "service/launch/tenant_vm.h"

namespace attest::service::api {

// StoredShape rebuilds the launch shape of a launched vm from its record: memory and vCPUs, its
// interfaces' nets, its security groups and its boot image's files (store.not_found when one is
// gone).
Result<launch::VmShape> StoredShape(store::Store& db, const store::Vm& vm);

// DomainStateJson is what GET shows of a launched VM's domain: its state name read from the host
// ("running", "shut off", "paused"...), "unknown" when the host cannot be asked (the record is
// still answered), null for a VM attestd did not launch or that is deleted.
nlohmann::json DomainStateJson(RequestContext& ctx, store::Store& db, const store::Vm& vm);

// AddVmLifecycleRoutes registers start, stop and reboot (tenant). Another tenant's VM and a
// deleted one answer 404 store.not_found like a missing one; a VM attestd never launched 409
// api.vm_not_launched. Each attempt is audited (vm.start, vm.shutdown, vm.reboot).
void AddVmLifecycleRoutes(ApiRouter& router);

}  // namespace attest::service::api
