#include "service/store/vm_store.h"

#include <nlohmann/json.hpp>

#include "service/store/nonce_store.h"
#include "service/store/sql_row.h"
#include "service/store/volume_store.h"
#include "service/store/webhook_store.h"

namespace attest::service::store {
namespace {

constexpr ColumnList kVm(
    "id, tenant_id, tee_type, policy_name, policy_version, policy_sha256, host_id, ticket, "
    "ticket_sha256, ticket_sha384, created_at, deleted_at, domain, host_untrusted_at, boot_image, "
    "expected_measurement, expected_rtmrs, memory_mib, vcpus");
constexpr ColumnList kInterface("net_id, address");

std::vector<std::string> SplitRtmrs(const std::string& joined) {
  std::vector<std::string> out;
  for (size_t at = 0; at < joined.size();) {
    size_t comma = joined.find(',', at);
    if (comma == std::string::npos) {
      comma = joined.size();
    }
    out.push_back(joined.substr(at, comma - at));
    at = comma + 1;
  }
  return out;
}

std::string JoinRtmrs(const std::vector<std::string>& rtmrs) {
  std::string out;
  for (const std::string& r : rtmrs) {
    out += (out.empty() ? "" : ",") + r;
  }
  return out;
}

Result<Vm> ToVm(const Row& r) {
  Vm vm;
  vm.id = r.Text(kVm["id"]);
  vm.tenant_id = r.Text(kVm["tenant_id"]);
  vm.tee_type = r.Text(kVm["tee_type"]);
  vm.policy_name = r.Text(kVm["policy_name"]);
  ATTEST_ASSIGN_OR_RETURN(vm.policy_version, r.Int(kVm["policy_version"]));
  vm.policy_sha256 = r.Text(kVm["policy_sha256"]);
  vm.host_id = r.Text(kVm["host_id"]);
  vm.ticket = r.Blob(kVm["ticket"]);
  vm.ticket_sha256 = r.Text(kVm["ticket_sha256"]);
  vm.ticket_sha384 = r.Text(kVm["ticket_sha384"]);
  ATTEST_ASSIGN_OR_RETURN(vm.created_at, r.Time(kVm["created_at"]));
  ATTEST_ASSIGN_OR_RETURN(vm.deleted_at, r.OptionalTime(kVm["deleted_at"]));
  vm.domain = r.Text(kVm["domain"]);
  ATTEST_ASSIGN_OR_RETURN(vm.host_untrusted_at, r.OptionalTime(kVm["host_untrusted_at"]));
  vm.boot_image = r.Text(kVm["boot_image"]);
  vm.expected.measurement = r.Text(kVm["expected_measurement"]);
  vm.expected.rtmrs = SplitRtmrs(r.Text(kVm["expected_rtmrs"]));
  ATTEST_ASSIGN_OR_RETURN(int64_t memory_mib, r.Int(kVm["memory_mib"]));
  ATTEST_ASSIGN_OR_RETURN(int64_t vcpus, r.Int(kVm["vcpus"]));
  vm.memory_mib = static_cast<uint64_t>(memory_mib);
  vm.vcpus = static_cast<uint32_t>(vcpus);
  return vm;
}

}  // namespace

Result<Vm> VmStore::CreateVm(const std::string& caller_tenant, const Vm& vm, TimePoint now) {
  if (vm.id.empty() || vm.tee_type.empty() || vm.policy_name.empty() || vm.host_id.empty() ||
      vm.ticket.empty() || vm.ticket_sha256.empty() || vm.ticket_sha384.empty()) {
    return Status(reasons::kStoreInvalidArgument,
                  "a VM needs an id, TEE type, policy, host and launch ticket");
  }
  // RTMRs only beside a measurement, and never a value the comma-joined column cannot round-trip.
  if (vm.expected.empty() && !vm.expected.rtmrs.empty()) {
    return Status(reasons::kStoreInvalidArgument, "expected RTMRs without a measurement");
  }
  for (const std::string& r : vm.expected.rtmrs) {
    if (r.empty() || r.find(',') != std::string::npos) {
      return Status(reasons::kStoreInvalidArgument, "an expected RTMR is empty or has a comma");
    }
  }
  for (size_t i = 0; i < vm.volume_ids.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (vm.volume_ids[i] == vm.volume_ids[j]) {
        return Status(reasons::kStoreInvalidArgument,
                      "volume \"" + vm.volume_ids[i] + "\" listed twice");
      }
    }
  }
  Vm v = vm;
  v.tenant_id = caller_tenant;
  v.created_at = now;
  v.deleted_at.reset();
  Transaction tx(db_);
  ATTEST_RETURN_IF_ERROR(tx.Begin());
  for (const std::string& volume_id : v.volume_ids) {
    ATTEST_RETURN_IF_ERROR(GetVolumeIn(db_, caller_tenant, volume_id).status());
  }
  if (!v.boot_image.empty()) {
    // The image is read under a share lock before the VM row exists: DeleteBootImage deletes
    // the image row first and then looks for live VMs, so one of the two always sees the other
    // (PostgreSQL; SQLite has one writer at a time).
    const std::string share = db_->dialect() == Dialect::kPostgres ? " FOR SHARE" : "";
    ATTEST_ASSIGN_OR_RETURN(auto image,
                            db_->Exec("SELECT id FROM boot_images WHERE tenant_id = $1 AND name = "
                                      "$2" +
                                          share,
                                      {caller_tenant, v.boot_image}));
    if (image.empty()) {
      return NotFound("boot image", v.boot_image);
    }
  }
  ATTEST_RETURN_IF_ERROR(
      db_->Exec(std::string("INSERT INTO vms (") + kVm.sql() +
                    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL, '', NULL, $12, "
                    "$13, "
                    "$14, $15, $16)",
                {v.id, caller_tenant, v.tee_type, v.policy_name, v.policy_version, v.policy_sha256,
                 v.host_id, v.ticket, v.ticket_sha256, v.ticket_sha384, Unix(now), v.boot_image,
                 v.expected.measurement, JoinRtmrs(v.expected.rtmrs),
                 static_cast<int64_t>(v.memory_mib), static_cast<int64_t>(v.vcpus)})
          .status());
  for (size_t i = 0; i < v.volume_ids.size(); ++i) {
    ATTEST_RETURN_IF_ERROR(
        db_->Exec("INSERT INTO vm_volumes (vm_id, position, volume_id) VALUES ($1, $2, $3)",
                  {v.id, static_cast<int64_t>(i), v.volume_ids[i]})
            .status());
  }
  ATTEST_RETURN_IF_ERROR(InsertVmNetworking(caller_tenant, v));
  ATTEST_RETURN_IF_ERROR(tx.Commit());
  v.domain.clear();
  v.host_untrusted_at.reset();
  return v;
}

Status VmStore::SetVmDomain(const std::string& caller_tenant, const std::string& vm_id,
                            const std::string& domain) {
  ATTEST_ASSIGN_OR_RETURN(auto rows,
                          db_->Exec("UPDATE vms SET domain = $3 WHERE id = $1 AND tenant_id = $2 "
                                    "AND deleted_at IS NULL RETURNING id",
                                    {vm_id, caller_tenant, domain}));
  if (rows.empty()) {
    return NotFound("vm", vm_id);
  }
  return Status::Ok();
}

Result<Vm> VmStore::GetVm(const std::string& caller_tenant, const std::string& vm_id) {
  ATTEST_ASSIGN_OR_RETURN(auto vms,
                          SelectVms("WHERE id = $1 AND tenant_id = $2", {vm_id, caller_tenant}));
  if (vms.empty()) {
    return NotFound("vm", vm_id);
  }
  return std::move(vms[0]);
}

Result<Vm> VmStore::LookupVm(const std::string& vm_id) {
  ATTEST_ASSIGN_OR_RETURN(auto vms, SelectVms("WHERE id = $1", {vm_id}));
  if (vms.empty()) {
    return NotFound("vm", vm_id);
  }
  return std::move(vms[0]);
}

Result<std::vector<Vm>> VmStore::ListVms(const std::string& caller_tenant) {
  return SelectVms("WHERE tenant_id = $1 AND deleted_at IS NULL ORDER BY id", {caller_tenant});
}

Status VmStore::DeleteVm(const std::string& caller_tenant, const std::string& vm_id,
                         TimePoint now) {
  Transaction tx(db_);
  ATTEST_RETURN_IF_ERROR(tx.Begin());
  ATTEST_ASSIGN_OR_RETURN(
      auto rows, db_->Exec("UPDATE vms SET deleted_at = $3 WHERE id = $1 AND tenant_id = $2 AND "
                           "deleted_at IS NULL RETURNING id",
                           {vm_id, caller_tenant, Unix(now)}));
  if (rows.empty()) {
    return NotFound("vm", vm_id);
  }
  // A challenge already handed out must not be usable after the delete.
  ATTEST_RETURN_IF_ERROR(SpendSubjectNonces(db_, caller_tenant, vm_id));
  // Its addresses go back to the nets; group membership ends (the VM's own row keeps the rest).
  ATTEST_RETURN_IF_ERROR(db_->Exec("DELETE FROM vm_interfaces WHERE vm_id = $1", {vm_id}).status());
  ATTEST_RETURN_IF_ERROR(
      db_->Exec("DELETE FROM vm_security_groups WHERE vm_id = $1", {vm_id}).status());
  return tx.Commit();
}

Result<std::vector<Vm>> VmStore::SelectVms(const std::string& where,
                                           const std::vector<SqlValue>& params) {
  ATTEST_ASSIGN_OR_RETURN(
      auto result, db_->Exec(std::string("SELECT ") + kVm.sql() + " FROM vms " + where, params));
  ATTEST_ASSIGN_OR_RETURN(const Rows rows, Rows::Of(result, kVm));
  ATTEST_ASSIGN_OR_RETURN(std::vector<Vm> vms, rows.Map(ToVm));
  for (Vm& vm : vms) {
    ATTEST_ASSIGN_OR_RETURN(
        auto ids,
        db_->Exec("SELECT volume_id FROM vm_volumes WHERE vm_id = $1 ORDER BY position", {vm.id}));
    vm.volume_ids = FirstColumn(ids);
    ATTEST_ASSIGN_OR_RETURN(auto itf_result,
                            db_->Exec(std::string("SELECT ") + kInterface.sql() +
                                          " FROM vm_interfaces WHERE vm_id = $1 ORDER BY position",
                                      {vm.id}));
    ATTEST_ASSIGN_OR_RETURN(const Rows itfs, Rows::Of(itf_result, kInterface));
    for (size_t i = 0; i < itfs.size(); ++i) {
      vm.interfaces.push_back(
          {itfs[i].Text(kInterface["net_id"]), itfs[i].Text(kInterface["address"])});
    }
    ATTEST_ASSIGN_OR_RETURN(auto groups, db_->Exec("SELECT group_id FROM vm_security_groups WHERE "
                                                   "vm_id = $1 ORDER BY group_id",
                                                   {vm.id}));
    vm.security_group_ids = FirstColumn(groups);
  }
  return vms;
}

Status VmStore::InsertVmNetworking(const std::string& caller_tenant, const Vm& v) {
  for (size_t i = 0; i < v.security_group_ids.size(); ++i) {
    const std::string& id = v.security_group_ids[i];
    for (size_t j = 0; j < i; ++j) {
      if (v.security_group_ids[j] == id) {
        return Status(reasons::kStoreInvalidArgument, "security group " + id + " listed twice");
      }
    }
    ATTEST_ASSIGN_OR_RETURN(
        auto owned, db_->Exec("SELECT id FROM security_groups WHERE id = $1 AND tenant_id = $2",
                              {id, caller_tenant}));
    if (owned.empty()) {
      return NotFound("security group", id);
    }
    ATTEST_RETURN_IF_ERROR(
        db_->Exec("INSERT INTO vm_security_groups (vm_id, group_id) VALUES ($1, $2)", {v.id, id})
            .status());
  }
  for (size_t i = 0; i < v.interfaces.size(); ++i) {
    const VmInterface& itf = v.interfaces[i];
    if (itf.address.empty()) {
      return Status(reasons::kStoreInvalidArgument,
                    "interface " + std::to_string(i) + " has no address");
    }
    ATTEST_ASSIGN_OR_RETURN(auto owned,
                            db_->Exec("SELECT id FROM nets WHERE id = $1 AND tenant_id = $2",
                                      {itf.net_id, caller_tenant}));
    if (owned.empty()) {
      return NotFound("net", itf.net_id);
    }
    // The unique index (net_id, address) makes a taken address, also one another replica just
    // took, fail with store.already_exists.
    Status inserted = db_->Exec(
                             "INSERT INTO vm_interfaces (vm_id, position, net_id, address) VALUES "
                             "($1, $2, $3, $4)",
                             {v.id, static_cast<int64_t>(i), itf.net_id, itf.address})
                          .status();
    if (inserted.reason_id() == reasons::kStoreAlreadyExists.id) {
      return Status(reasons::kStoreAlreadyExists,
                    "address " + itf.address + " is taken on net " + itf.net_id);
    }
    ATTEST_RETURN_IF_ERROR(inserted);
  }
  return Status::Ok();
}

Status MarkHostVmsUntrusted(SqlConnection* db, const std::string& host_id, TimePoint now) {
  ATTEST_ASSIGN_OR_RETURN(
      auto marked,
      db->Exec("UPDATE vms SET host_untrusted_at = $2 WHERE host_id = $1 AND deleted_at IS NULL "
               "AND host_untrusted_at IS NULL RETURNING id, tenant_id",
               {host_id, Unix(now)}));
  // Each VM marked now (not before) tells its owner, in the same transaction as the mark.
  for (const SqlRow& row : marked) {
    const std::string vm_id = row.size() == 2 ? row[0].value_or("") : "";
    const std::string tenant = row.size() == 2 ? row[1].value_or("") : "";
    const nlohmann::json data = {{"vm_id", vm_id}, {"host_id", host_id}};
    ATTEST_RETURN_IF_ERROR(
        RaiseEventIn(db, {std::string(kEventVmHostUntrusted), tenant, vm_id, data.dump()}, now)
            .status());
  }
  return Status::Ok();
}

}  // namespace attest::service::store
