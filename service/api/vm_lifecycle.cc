#include "service/api/vm_lifecycle.h"

#include <map>

#include "launcher/launch.h"
#include "service/api/reasons.h"
#include "service/api/vm_launch.h"
#include "service/api/vm_sev_owner.h"
#include "service/http/json_body.h"
#include "service/http/query.h"

namespace attest::service::api {
namespace {

using http::HttpResponse;

// Defaults of VMs launched before the shape was recorded (migration 17): LaunchChoice's.
constexpr uint64_t kUnrecordedMemoryMib = 2048;
constexpr uint32_t kUnrecordedVcpus = 2;

enum class Action { kStart, kStop, kReboot };

const char* AuditAction(Action a) {
  switch (a) {
    case Action::kStart:
      return "vm.start";
    case Action::kStop:
      return "vm.shutdown";
    case Action::kReboot:
      return "vm.reboot";
  }
  return "";
}

// LaunchedVm returns the caller's live, launched VM of the request's id.
Result<store::Vm> LaunchedVm(RequestContext& ctx, store::Store& db) {
  const std::string& id = ctx.Param("id");
  ATTEST_ASSIGN_OR_RETURN(store::Vm vm, db.GetVm(ctx.caller.tenant_id, id));
  if (vm.deleted_at) {
    return Status(reasons::kStoreNotFound, "vm \"" + id + "\" not found");
  }
  if (vm.domain.empty()) {
    return Status(reasons::kApiVmNotLaunched,
                  "vm \"" + id + "\" was not launched by attestd: nothing to start or stop");
  }
  return vm;
}

// Act runs the launcher call for action on the VM's host, on the slow-work pool.
Result<launcher::DomainState> Act(RequestContext& ctx, store::Store& db, const store::Vm& vm,
                                  Action action) {
  launch::VmShape shape;
  launcher::LaunchRequest request;
  if (action != Action::kStop) {
    // A start is a full launch of the documents the record describes now.
    ATTEST_ASSIGN_OR_RETURN(shape, StoredShape(db, vm));
    ATTEST_ASSIGN_OR_RETURN(request, BuildLaunchRequest(ctx, db, vm, shape));
  }
  launcher::LaunchOptions options;
  options.allow_dac_only = ctx.service.launch.allow_dac_only;
  return ctx.service.slow_work->Call<launcher::DomainState>([&]() -> Result<launcher::DomainState> {
    ATTEST_ASSIGN_OR_RETURN(std::shared_ptr<launcher::Hypervisor> hv, ConnectToVmHost(ctx, db, vm));
    if (action != Action::kStop && IsLegacySev(vm.tee_type)) {
      // Every SEV start is a new launch: a fresh owner session, the release checked again.
      ATTEST_RETURN_IF_ERROR(BecomeSevOwner(ctx, db, *hv, vm, request));
    }
    switch (action) {
      case Action::kStart: {
        Result<launcher::LaunchResult> r = launcher::StartVm(*hv, request, options);
        ForgetSevOwner(request);
        ATTEST_RETURN_IF_ERROR(r.status());
        return r->state;
      }
      case Action::kReboot: {
        Result<launcher::LaunchResult> r = launcher::RebootVm(*hv, request, options);
        ForgetSevOwner(request);
        ATTEST_RETURN_IF_ERROR(r.status());
        return r->state;
      }
      case Action::kStop:
        ATTEST_RETURN_IF_ERROR(launcher::ShutdownVm(*hv, vm.domain));
        return launcher::VmState(*hv, vm.domain);
    }
    return Status(reasons::kInternalError, "unknown lifecycle action");
  });
}

Result<HttpResponse> Lifecycle(RequestContext& ctx, Action action) {
  ATTEST_RETURN_IF_ERROR(http::ParseQuery(ctx.request.query, {}).status());
  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  ATTEST_ASSIGN_OR_RETURN(store::Vm vm, LaunchedVm(ctx, *db));
  Result<launcher::DomainState> state = Act(ctx, *db, vm, action);
  ATTEST_RETURN_IF_ERROR(ctx.Audit(
      AuditAction(action), vm.id, state.ok() ? "ok" : "failed",
      state.ok() ? vm.domain + " " + std::string(launcher::DomainStateName(*state))
                 : std::string(state.status().reason_id()) + ": " + state.status().message()));
  ATTEST_RETURN_IF_ERROR(state.status());
  return http::JsonResponse(200, {{"vm_id", vm.id},
                                  {"domain", vm.domain},
                                  {"state", std::string(launcher::DomainStateName(*state))}});
}

}  // namespace

Result<launch::VmShape> StoredShape(store::Store& db, const store::Vm& vm) {
  const std::string& tenant = vm.tenant_id;
  launch::VmShape shape;
  shape.memory_mib = vm.memory_mib != 0 ? vm.memory_mib : kUnrecordedMemoryMib;
  shape.vcpus = vm.vcpus != 0 ? vm.vcpus : kUnrecordedVcpus;
  ATTEST_ASSIGN_OR_RETURN(std::vector<store::NetRecord> nets, db.ListNets(tenant));
  std::map<std::string, const store::NetRecord*> net_by_id;
  for (const store::NetRecord& n : nets) {
    net_by_id[n.id] = &n;
  }
  for (const store::VmInterface& i : vm.interfaces) {
    auto it = net_by_id.find(i.net_id);
    if (it == net_by_id.end()) {
      return Status(reasons::kStoreNotFound, "net " + i.net_id + " of the VM not found");
    }
    shape.nets.push_back(*it->second);
  }
  ATTEST_ASSIGN_OR_RETURN(std::vector<store::SecurityGroupRecord> groups,
                          db.ListSecurityGroups(tenant));
  for (const std::string& id : vm.security_group_ids) {
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const store::SecurityGroupRecord& g) { return g.id == id; });
    if (it == groups.end()) {
      return Status(reasons::kStoreNotFound, "security group " + id + " of the VM not found");
    }
    shape.groups.push_back(*it);
  }
  if (!vm.boot_image.empty()) {
    ATTEST_ASSIGN_OR_RETURN(store::BootImage image, db.GetBootImage(tenant, vm.boot_image));
    shape.boot = launch::BootFiles{image.kernel_path, image.initrd_path, image.cmdline};
  }
  return shape;
}

nlohmann::json DomainStateJson(RequestContext& ctx, store::Store& db, const store::Vm& vm) {
  if (vm.domain.empty() || vm.deleted_at) {
    return nullptr;
  }
  Result<launcher::DomainState> state =
      ctx.service.slow_work->Call<launcher::DomainState>([&]() -> Result<launcher::DomainState> {
        ATTEST_ASSIGN_OR_RETURN(std::shared_ptr<launcher::Hypervisor> hv,
                                ConnectToVmHost(ctx, db, vm));
        return launcher::VmState(*hv, vm.domain);
      });
  return state.ok() ? std::string(launcher::DomainStateName(*state)) : "unknown";
}

void AddVmLifecycleRoutes(ApiRouter& router) {
  router.Add("POST", "/v1/vms/{id}/start", http::Access::kTenant,
             [](RequestContext& ctx) { return Lifecycle(ctx, Action::kStart); });
  router.Add("POST", "/v1/vms/{id}/stop", http::Access::kTenant,
             [](RequestContext& ctx) { return Lifecycle(ctx, Action::kStop); });
  router.Add("POST", "/v1/vms/{id}/reboot", http::Access::kTenant,
             [](RequestContext& ctx) { return Lifecycle(ctx, Action::kReboot); });
}

}  // namespace attest::service::api
