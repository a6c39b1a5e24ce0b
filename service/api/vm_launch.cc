#include "service/api/vm_launch.h"

#include <span>

#include "attest/core/time.h"
#include "launcher/launch.h"
#include "service/api/libvirt_uri.h"
#include "service/api/vm_sev_owner.h"
#include "service/http/json_body.h"
#include "service/http/router.h"

namespace attest::service::api {
namespace {

constexpr int kAddressAttempts = 5;

// ConnectToHost opens the host's libvirtd, but only through a URI that passes today's check: a
// URI stored before the check existed (or before allow_test_libvirt_uris was turned off) is
// refused as a hypervisor error, like a host that cannot be reached.
Result<std::shared_ptr<launcher::Hypervisor>> ConnectToHost(const ServiceContext& service,
                                                            const store::Host& host) {
  if (Status s = CheckLibvirtUri(host.libvirt_uri, service.config.allow_test_libvirt_uris);
      !s.ok()) {
    return Status(reasons::kLauncherHypervisor, "host " + host.id + ": not connecting (" +
                                                    std::string(s.reason_id()) +
                                                    "): " + s.message() + "; re-enroll the host");
  }
  return service.connect_hypervisor(host.libvirt_uri);
}

}  // namespace

Result<launcher::LaunchRequest> BuildLaunchRequest(RequestContext& ctx, store::Store& db,
                                                   const store::Vm& vm,
                                                   const launch::VmShape& shape) {
  const std::string& tenant = vm.tenant_id;
  std::vector<store::Volume> volumes;
  for (const std::string& id : vm.volume_ids) {
    ATTEST_ASSIGN_OR_RETURN(store::Volume v, db.GetVolume(tenant, id));
    volumes.push_back(std::move(v));
  }
  ATTEST_ASSIGN_OR_RETURN(std::vector<store::SecurityGroupRecord> all_groups,
                          db.ListSecurityGroups(tenant));
  // Rules naming a group admit its members' addresses as they are now (this VM included).
  launcher::GroupMembers members;
  for (const store::SecurityGroupRecord& g : all_groups) {
    ATTEST_ASSIGN_OR_RETURN(members[g.id], db.ListGroupMemberAddresses(tenant, g.id));
  }
  return launch::BuildTenantLaunch(vm, volumes, shape, all_groups, members, ctx.service.launch);
}

Result<std::shared_ptr<launcher::Hypervisor>> ConnectToVmHost(RequestContext& ctx, store::Store& db,
                                                              const store::Vm& vm) {
  ATTEST_ASSIGN_OR_RETURN(store::Host host, db.LookupHost(vm.host_id));
  if (!CanLaunchOn(ctx.service, host)) {
    return Status(reasons::kLauncherHypervisor,
                  "host " + host.id + " has no libvirt URI attestd can use");
  }
  return ConnectToHost(ctx.service, host);
}

Result<std::optional<LaunchChoice>> ReadLaunchChoice(const nlohmann::json& value) {
  if (value.is_null()) {
    return std::optional<LaunchChoice>();
  }
  if (!value.is_object()) {
    return Status(reasons::kApiInvalidField, "field \"launch\": an object");
  }
  http::ObjectReader reader(value);
  LaunchChoice c;
  ATTEST_ASSIGN_OR_RETURN(int64_t memory, reader.TakeInt("memory_mib", false, launch::kMinMemoryMib,
                                                         launch::kMaxMemoryMib, 2048));
  ATTEST_ASSIGN_OR_RETURN(int64_t vcpus, reader.TakeInt("vcpus", false, 1, launch::kMaxVcpus, 2));
  ATTEST_ASSIGN_OR_RETURN(nlohmann::json nets, reader.TakeJson("nets", false));
  ATTEST_ASSIGN_OR_RETURN(nlohmann::json groups, reader.TakeJson("security_groups", false));
  for (const char* name : {"vcpu_type", "vcpu_sig", "vmm_type", "guest_features", "acpi_tables"}) {
    c.measured_members = c.measured_members || value.contains(name);
  }
  Status measured = ReadMeasurementChoice(reader, c.measured);
  if (!measured.ok()) {
    return measured.WithContext("launch");
  }
  Status finished = reader.Finish();
  if (!finished.ok()) {
    return finished.WithContext("launch");
  }
  c.memory_mib = static_cast<uint64_t>(memory);
  c.vcpus = static_cast<uint32_t>(vcpus);
  c.measured.memory_mib = c.memory_mib;
  c.measured.vcpus = c.vcpus;
  if (!nets.is_null()) {
    ATTEST_ASSIGN_OR_RETURN(c.nets,
                            http::ReadNameList(nets, "launch.nets", launcher::kMaxInterfaces));
  }
  if (!groups.is_null()) {
    ATTEST_ASSIGN_OR_RETURN(c.security_groups, http::ReadNameList(groups, "launch.security_groups",
                                                                  launcher::kMaxVmGroups));
  }
  return std::optional<LaunchChoice>(std::move(c));
}

bool CanLaunchOn(const ServiceContext& service, const store::Host& host) {
  return service.connect_hypervisor != nullptr && !host.libvirt_uri.empty();
}

Result<std::pair<store::Vm, launch::VmShape>> CreateLaunchableVm(RequestContext& ctx,
                                                                 store::Store& db, store::Vm vm,
                                                                 const LaunchChoice& choice) {
  const std::string& tenant = ctx.caller.tenant_id;
  launch::VmShape shape;
  shape.memory_mib = choice.memory_mib;
  shape.vcpus = choice.vcpus;
  vm.memory_mib = choice.memory_mib;
  vm.vcpus = choice.vcpus;
  for (const std::string& name : choice.nets) {
    ATTEST_ASSIGN_OR_RETURN(store::NetRecord net, db.GetNet(tenant, name));
    shape.nets.push_back(std::move(net));
  }
  vm.security_group_ids.clear();
  for (const std::string& name : choice.security_groups) {
    ATTEST_ASSIGN_OR_RETURN(store::SecurityGroupRecord group, db.GetSecurityGroup(tenant, name));
    vm.security_group_ids.push_back(group.id);
    shape.groups.push_back(std::move(group));
  }
  // Addresses are unique per net by index: when another request (or replica) took the one
  // picked here, pick again.
  for (int attempt = 1;; ++attempt) {
    vm.interfaces.clear();
    for (const store::NetRecord& net : shape.nets) {
      ATTEST_ASSIGN_OR_RETURN(std::vector<std::string> taken, db.ListNetAddresses(net.id));
      ATTEST_ASSIGN_OR_RETURN(std::string address, launch::PickAddress(net.cidr, taken));
      vm.interfaces.push_back({net.id, address});
    }
    Result<store::Vm> stored = db.CreateVm(tenant, vm, ctx.now);
    if (stored.ok()) {
      return std::make_pair(std::move(stored).value(), std::move(shape));
    }
    if (stored.status().reason_id() != reasons::kStoreAlreadyExists.id ||
        attempt == kAddressAttempts) {
      return stored.status();
    }
  }
}

Result<nlohmann::json> StartOnHost(RequestContext& ctx, store::Store& db, const store::Host& host,
                                   const store::Vm& vm, const launch::VmShape& shape) {
  const std::string& tenant = vm.tenant_id;
  // Undo the record (addresses, nonces) and say why; the launcher has already removed what it
  // defined on the host.
  auto fail = [&](const Status& cause) -> Status {
    Status deleted = db.DeleteVm(tenant, vm.id, ctx.now);
    Status audited = ctx.Audit("vm.launch", vm.id, "failed",
                               std::string(cause.reason_id()) + " host=" + host.id);
    if (!deleted.ok()) {
      return Status(cause.reason(), cause.message() + "; the VM record could not be removed: " +
                                        deleted.ToString());
    }
    (void)audited;  // the launch failure is the answer; a failed audit append is in its log
    return cause;
  };
  if (!CanLaunchOn(ctx.service, host)) {
    return fail(Status(reasons::kLauncherInvalidSpec,
                       "launch: host " + host.id + " has no libvirt URI attestd can use"));
  }
  // The libvirt calls (connect, define, start) may take seconds: on the slow-work pool. A full
  // pool is a failed launch like any other: the record goes.
  bool ran = false;
  auto start = [&]() -> Result<nlohmann::json> {
    ran = true;
    Result<std::shared_ptr<launcher::Hypervisor>> hv = ConnectToHost(ctx.service, host);
    if (!hv.ok()) {
      return fail(hv.status());
    }

    Result<launcher::LaunchRequest> request = BuildLaunchRequest(ctx, db, vm, shape);
    if (!request.ok()) {
      return fail(request.status());
    }
    if (IsLegacySev(vm.tee_type)) {
      // attestd is the guest owner: the session is opened with this host's verified PDH.
      Status owner = BecomeSevOwner(ctx, db, **hv, vm, *request);
      if (!owner.ok()) {
        return fail(owner);
      }
    }

    launcher::LaunchOptions options;
    options.allow_dac_only = ctx.service.launch.allow_dac_only;
    Result<launcher::LaunchResult> launched = launcher::LaunchVm(**hv, *request, options);
    ForgetSevOwner(*request);
    if (!launched.ok()) {
      return fail(launched.status());
    }
    Status recorded = db.SetVmDomain(tenant, vm.id, launched->domain);
    if (!recorded.ok()) {
      // The record is gone or unreachable: take the domain down rather than leave it unknown.
      (void)launcher::StopVm(**hv, launched->domain, request->spec.uuid);
      return fail(recorded);
    }
    ATTEST_RETURN_IF_ERROR(
        ctx.Audit("vm.launch", vm.id, "ok", "host=" + host.id + " domain=" + launched->domain));
    nlohmann::json addresses = nlohmann::json::array();
    for (const store::VmInterface& i : vm.interfaces) {
      addresses.push_back({{"net_id", i.net_id}, {"address", i.address}});
    }
    return nlohmann::json{{"domain", launched->domain},
                          {"state", launcher::DomainStateName(launched->state)},
                          {"interfaces", addresses}};
  };
  Result<nlohmann::json> answer = ctx.service.slow_work->Call<nlohmann::json>(start);
  if (!ran) {
    return fail(answer.status());
  }
  return answer;
}

Status StopOnHost(RequestContext& ctx, store::Store& db, const store::Vm& vm) {
  if (vm.domain.empty()) {
    return Status::Ok();
  }
  ATTEST_ASSIGN_OR_RETURN(store::Host host, db.LookupHost(vm.host_id));
  if (!CanLaunchOn(ctx.service, host)) {
    return Status(reasons::kLauncherHypervisor,
                  "stop: host " + host.id + " has no libvirt URI attestd can use");
  }
  ATTEST_ASSIGN_OR_RETURN(std::string uuid, launch::DomainUuid(vm.id));
  Status stopped = Status::Ok();
  ATTEST_RETURN_IF_ERROR(ctx.service.slow_work->Run([&] {
    Result<std::shared_ptr<launcher::Hypervisor>> hv = ConnectToHost(ctx.service, host);
    stopped = hv.ok() ? launcher::StopVm(**hv, vm.domain, uuid) : hv.status();
  }));
  return stopped;
}

}  // namespace attest::service::api
