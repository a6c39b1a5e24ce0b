// Tenant VM records (issue 9): POST /v1/vms pins the newest version of the caller's policy, places
// the VM on a trusted operator host that offers the TEE (placement.h) and builds its launch ticket
// (protocol/ticket.h), whose SHA-256 / SHA-384 the host puts into SNP HOST_DATA / TDX
// MRCONFIGID at launch. DELETE ends every further key release for the VM.
#include <tuple>

#include <nlohmann/json.hpp>

#include "attest/core/encoding.h"
#include "attest/core/time.h"
#include "policy/policy_cache.h"
#include "protocol/ticket.h"
#include "service/api/placement.h"
#include "service/api/routes.h"
#include "service/api/vm_launch.h"
#include "service/api/vm_lifecycle.h"
#include "service/api/vm_measurement.h"
#include "service/api/vm_sev_owner.h"
#include "service/http/json_body.h"
#include "service/http/query.h"
#include "service/release/release.h"

namespace attest::service::api {
namespace {

using http::HttpResponse;

nlohmann::json InterfacesJson(const store::Vm& vm) {
  nlohmann::json list = nlohmann::json::array();
  for (const store::VmInterface& i : vm.interfaces) {
    list.push_back({{"net_id", i.net_id}, {"address", i.address}});
  }
  return list;
}

nlohmann::json VmJson(const store::Vm& vm) {
  Result<Bytes> host_data = HexDecode(vm.ticket_sha256);
  Result<Bytes> mr_config_id = HexDecode(vm.ticket_sha384);
  return {
      {"vm_id", vm.id},
      {"tee", vm.tee_type},
      {"host_id", vm.host_id},
      {"policy",
       {{"name", vm.policy_name}, {"version", vm.policy_version}, {"sha256", vm.policy_sha256}}},
      {"volume_ids", vm.volume_ids},
      {"ticket", Base64Encode(vm.ticket)},
      {"host_data", host_data.ok() ? Base64Encode(*host_data) : ""},
      {"mr_config_id", mr_config_id.ok() ? Base64Encode(*mr_config_id) : ""},
      {"created_at", FormatRfc3339(vm.created_at)},
      {"domain", vm.domain},
      {"security_group_ids", vm.security_group_ids},
      {"interfaces", InterfacesJson(vm)},
      {"boot_image",
       vm.boot_image.empty() ? nlohmann::json(nullptr) : nlohmann::json(vm.boot_image)},
      {"expected_measurement", ExpectedMeasurementJson(vm)}};
}

// WithState adds what GET shows beyond the creation answer: deleted_at, host_untrusted_at, and
// whether the VM's host is trusted now (a release needs both unset and true).
MeasuredBoot ToMeasuredBoot(const store::BootImage& image) {
  return {image.kernel_path,   image.kernel_sha256, image.initrd_path, image.initrd_sha256,
          image.initrd_sha384, image.initrd_size,   image.cmdline};
}

Result<nlohmann::json> WithState(store::Store& db, const store::Vm& vm, TimePoint now) {
  nlohmann::json j = VmJson(vm);
  j["deleted_at"] = vm.deleted_at ? nlohmann::json(FormatRfc3339(*vm.deleted_at)) : nullptr;
  // Once the host failed a quote while the VM ran, no key is released to it again.
  j["host_untrusted_at"] =
      vm.host_untrusted_at ? nlohmann::json(FormatRfc3339(*vm.host_untrusted_at)) : nullptr;
  Result<store::Host> host = db.LookupHost(vm.host_id);
  if (!host.ok() && host.status().code() != ErrorCode::kNotFound) {
    return host.status();
  }
  j["host_trusted"] = host.ok() && host->TrustedAt(now);
  return j;
}

Result<HttpResponse> CreateVm(RequestContext& ctx) {
  ATTEST_ASSIGN_OR_RETURN(nlohmann::json body, http::ParseJsonObject(ctx.request));
  http::ObjectReader reader(body);
  ATTEST_ASSIGN_OR_RETURN(std::string tee, reader.TakeString("tee"));
  ATTEST_ASSIGN_OR_RETURN(std::string policy_name, reader.TakeString("policy"));
  ATTEST_ASSIGN_OR_RETURN(nlohmann::json volumes_json, reader.TakeJson("volume_ids"));
  ATTEST_ASSIGN_OR_RETURN(nlohmann::json launch_json, reader.TakeJson("launch", false));
  ATTEST_ASSIGN_OR_RETURN(std::string boot_image_name, reader.TakeString("boot_image", false));
  ATTEST_RETURN_IF_ERROR(reader.Finish());
  ATTEST_ASSIGN_OR_RETURN(std::optional<LaunchChoice> launch, ReadLaunchChoice(launch_json));
  if (!boot_image_name.empty() && !launch) {
    // The boot image is what attestd's launch boots: without one, nothing would boot it.
    return Status(reasons::kApiInvalidField, "field \"boot_image\" needs \"launch\"");
  }
  if (boot_image_name.empty() && launch && launch->measured_members) {
    return Status(reasons::kApiInvalidField,
                  "field \"launch\": vcpu_type, vcpu_sig, vmm_type, guest_features and "
                  "acpi_tables measure a boot image: give \"boot_image\"");
  }
  if (!boot_image_name.empty() && !http::IsValidName(boot_image_name)) {
    return Status(reasons::kApiInvalidField,
                  "field \"boot_image\": 1..128 characters of A-Z a-z 0-9 . _ -");
  }
  if (tee != "snp" && tee != "tdx" && !IsLegacySev(tee)) {
    return Status(reasons::kApiInvalidField,
                  "field \"tee\": \"snp\", \"tdx\", \"sev\" or \"sev-es\"");
  }
  if (IsLegacySev(tee) && (!launch || boot_image_name.empty())) {
    // attestd is the guest owner of a SEV VM: it launches it, and MEASURE is checked against
    // the digest computed from the boot image before the keys are injected.
    return Status(reasons::kApiInvalidField,
                  "field \"tee\": a " + tee + " VM needs \"launch\" and \"boot_image\"");
  }
  if (!http::IsValidName(policy_name)) {
    return Status(reasons::kApiInvalidField,
                  "field \"policy\": 1..128 characters of A-Z a-z 0-9 . _ -");
  }
  ATTEST_ASSIGN_OR_RETURN(
      std::vector<std::string> volume_ids,
      http::ReadNameList(volumes_json, "volume_ids", protocol::kMaxTicketVolumes));

  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  ATTEST_ASSIGN_OR_RETURN(
      store::PolicyVersion pv,
      db->GetPolicy(store::PolicyKind::kTenantPolicy, ctx.caller.tenant_id, policy_name));
  // A VM whose policy has no rules for its TEE could never be released a key. The version is
  // loaded through the same cache key release appraises with, so it is parsed once.
  policy::TenantPolicyCache uncached(1);
  policy::TenantPolicyCache& cache =
      ctx.service.anchors != nullptr ? ctx.service.anchors->policies() : uncached;
  Result<std::shared_ptr<const policy::TenantPolicy>> loaded_policy = cache.Load(pv.document);
  const policy::TenantPolicy* loaded = loaded_policy.ok() ? loaded_policy->get() : nullptr;
  const bool has_rules = tee == "snp"   ? loaded != nullptr && loaded->has_snp()
                         : tee == "tdx" ? loaded != nullptr && loaded->has_tdx()
                                        : loaded != nullptr && loaded->has_sev();
  if (!has_rules) {
    return Status(reasons::kApiInvalidField,
                  "field \"policy\": policy \"" + policy_name + "\" has no " + tee + " rules");
  }
  // Another tenant's volume answers exactly like a missing one, before any placement.
  for (const std::string& id : volume_ids) {
    ATTEST_RETURN_IF_ERROR(db->GetVolume(ctx.caller.tenant_id, id).status());
  }
  // So does another tenant's boot image. Its measurement is computed before placement: a TEE
  // this attestd has no firmware for, or an image that firmware cannot boot measured, is refused
  // before anything is reserved.
  std::optional<store::BootImage> boot_image;
  store::ExpectedMeasurement expected;
  if (!boot_image_name.empty()) {
    ATTEST_ASSIGN_OR_RETURN(boot_image, db->GetBootImage(ctx.caller.tenant_id, boot_image_name));
    ATTEST_ASSIGN_OR_RETURN(
        expected, ComputeExpectedMeasurement(ctx.service.measurement_firmware, tee,
                                             ToMeasuredBoot(*boot_image), launch->measured));
  }

  std::optional<std::chrono::seconds> max_age;
  if (loaded->has_host() && loaded->host().max_quote_age_seconds() > 0) {
    max_age = std::chrono::seconds(loaded->host().max_quote_age_seconds());
  }
  ATTEST_ASSIGN_OR_RETURN(std::vector<store::Host> hosts, db->ListAllHosts());
  if (launch) {
    // attestd launches only where it can reach the host's libvirtd, and only after a quote no
    // older than the operator's launch setting when the tenant policy sets no maximum.
    std::erase_if(hosts, [&](const store::Host& h) { return !CanLaunchOn(ctx.service, h); });
    if (!max_age) {
      max_age = ctx.service.launch.max_quote_age;
    }
  }
  // Key release refuses a host under another host policy than the tenant's
  // (release.host_policy_mismatch): never place a VM there.
  const std::string host_policy = loaded->has_host() ? loaded->host().host_policy() : "";
  ATTEST_ASSIGN_OR_RETURN(const store::Host* host,
                          PlaceVmHost(hosts, tee, host_policy, max_age, ctx.now));

  protocol::LaunchTicket ticket;
  ticket.vm_id = "vm-" + HexEncode(store::RandomBytes(16));
  ticket.tenant_id = ctx.caller.tenant_id;
  ticket.tee = tee;
  ticket.policy_name = pv.name;
  ticket.policy_version = pv.version;
  ticket.policy_sha256 = pv.sha256;
  ticket.volume_ids = volume_ids;
  ticket.host_id = host->id;
  ticket.created_at = ctx.now;
  ATTEST_ASSIGN_OR_RETURN(Bytes canonical, protocol::SerializeTicket(ticket));

  store::Vm vm;
  vm.id = ticket.vm_id;
  vm.tenant_id = ticket.tenant_id;
  vm.tee_type = tee;
  vm.policy_name = pv.name;
  vm.policy_version = pv.version;
  vm.policy_sha256 = pv.sha256;
  vm.volume_ids = volume_ids;
  vm.host_id = host->id;
  vm.ticket = canonical;
  const Sha256Digest host_data = protocol::TicketHostData(canonical);
  const Sha384Digest mr_config_id = protocol::TicketMrConfigId(canonical);
  vm.ticket_sha256 = HexEncode(ByteSpan(host_data.data(), host_data.size()));
  vm.ticket_sha384 = HexEncode(ByteSpan(mr_config_id.data(), mr_config_id.size()));
  vm.boot_image = boot_image_name;
  vm.expected = expected;
  // CreateVm checks the volumes again in its transaction (one may be deleted meanwhile).
  store::Vm stored;
  launch::VmShape shape;
  if (launch) {
    ATTEST_ASSIGN_OR_RETURN(std::tie(stored, shape), CreateLaunchableVm(ctx, *db, vm, *launch));
    if (boot_image) {
      shape.boot =
          launch::BootFiles{boot_image->kernel_path, boot_image->initrd_path, boot_image->cmdline};
    }
  } else {
    ATTEST_ASSIGN_OR_RETURN(stored, db->CreateVm(ctx.caller.tenant_id, vm, ctx.now));
  }
  ATTEST_RETURN_IF_ERROR(ctx.Audit(
      "vm.create", vm.id, "ok",
      "tee=" + tee + " host=" + host->id + " volumes=" + std::to_string(volume_ids.size()) +
          " ticket_sha256=" + vm.ticket_sha256 +
          (boot_image
               ? " boot_image=" + boot_image_name + " expected_measurement=" + expected.measurement
               : ""),
      "", pv.name + "@" + std::to_string(pv.version)));
  nlohmann::json answer = VmJson(stored);
  if (launch) {
    // A failed launch deletes the record again: the tenant gets the launcher's error only.
    ATTEST_ASSIGN_OR_RETURN(answer["launch"], StartOnHost(ctx, *db, *host, stored, shape));
  }
  return http::JsonResponse(201, answer);
}

Result<HttpResponse> GetVm(RequestContext& ctx) {
  ATTEST_RETURN_IF_ERROR(http::ParseQuery(ctx.request.query, {}).status());
  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  ATTEST_ASSIGN_OR_RETURN(store::Vm vm, db->GetVm(ctx.caller.tenant_id, ctx.Param("id")));
  ATTEST_ASSIGN_OR_RETURN(nlohmann::json j, WithState(*db, vm, ctx.now));
  // One VM's domain state is read from its host (the list does not ask every host).
  j["domain_state"] = DomainStateJson(ctx, *db, vm);
  return http::JsonResponse(200, j);
}

Result<HttpResponse> ListVms(RequestContext& ctx) {
  ATTEST_RETURN_IF_ERROR(http::ParseQuery(ctx.request.query, {}).status());
  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  ATTEST_ASSIGN_OR_RETURN(std::vector<store::Vm> vms, db->ListVms(ctx.caller.tenant_id));
  nlohmann::json list = nlohmann::json::array();
  for (const store::Vm& vm : vms) {
    ATTEST_ASSIGN_OR_RETURN(nlohmann::json j, WithState(*db, vm, ctx.now));
    list.push_back(std::move(j));
  }
  return http::JsonResponse(200, {{"vms", list}});
}

Result<HttpResponse> DeleteVm(RequestContext& ctx) {
  const std::string& id = ctx.Param("id");
  ATTEST_ASSIGN_OR_RETURN(store::Store * db, ctx.Db());
  ATTEST_ASSIGN_OR_RETURN(store::Vm vm, db->GetVm(ctx.caller.tenant_id, id));
  if (!vm.deleted_at) {
    // Key release ends first, whatever happens on the host: DeleteVm also spends the VM's
    // outstanding nonces, in the same transaction.
    ATTEST_RETURN_IF_ERROR(db->DeleteVm(ctx.caller.tenant_id, id, ctx.now));
    ATTEST_RETURN_IF_ERROR(ctx.Audit("vm.delete", id, "ok", "no further key release"));
  } else if (vm.domain.empty()) {
    return Status(reasons::kStoreNotFound, "vm \"" + id + "\" not found");
  }
  // A launched VM is stopped on its host; a retried DELETE of a deleted VM finishes a stop that
  // failed before (stopping is idempotent).
  Status stopped = StopOnHost(ctx, *db, vm);
  ATTEST_RETURN_IF_ERROR(ctx.Audit("vm.stop", id, stopped.ok() ? "ok" : "failed",
                                   stopped.ok() ? vm.domain : std::string(stopped.reason_id())));
  ATTEST_RETURN_IF_ERROR(stopped);
  return http::NoContentResponse();
}

}  // namespace

void AddVmRoutes(ApiRouter& router) {
  router.Add("POST", "/v1/vms", http::Access::kTenant, CreateVm);
  router.Add("GET", "/v1/vms", http::Access::kTenant, ListVms);
  router.Add("GET", "/v1/vms/{id}", http::Access::kTenant, GetVm);
  router.Add("DELETE", "/v1/vms/{id}", http::Access::kTenant, DeleteVm);
  AddVmLifecycleRoutes(router);
}

}  // namespace attest::service::api
