// VmStore: confidential VM records, their launch tickets, volumes and network attachments.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "attest/core/bytes.h"
#include "attest/core/status.h"
#include "attest/core/time.h"
#include "service/store/sql.h"

namespace attest::service::store {

// VmInterface: one network interface of a launched VM: the tenant net (its global id) and the
// IPv4 address attestd assigned it there (the clean-traffic filter pins the VM to it).
struct VmInterface {
  std::string net_id;
  std::string address;
  bool operator==(const VmInterface&) const = default;
};

// ExpectedMeasurement: what a VM's launch evidence must show, lowercase hex. measurement is the
// SNP MEASUREMENT, the SEV / SEV-ES launch digest or the TDX MRTD; rtmrs are TDX RTMR0..2 (empty
// for the AMD TEEs). Empty measurement: no expectation.
struct ExpectedMeasurement {
  std::string measurement;
  std::vector<std::string> rtmrs;
  bool empty() const { return measurement.empty(); }
  bool operator==(const ExpectedMeasurement&) const = default;
};

// Vm: a confidential VM record and its launch ticket (protocol/ticket.h).
struct Vm {
  std::string id;  // chosen by the caller (the id is inside the ticket)
  std::string tenant_id;
  std::string tee_type;  // "snp", "tdx"
  std::string policy_name;
  int64_t policy_version = 0;
  std::string policy_sha256;
  std::vector<std::string> volume_ids;
  std::string host_id;
  Bytes ticket;               // the canonical ticket bytes
  std::string ticket_sha256;  // hex: SNP HOST_DATA
  std::string ticket_sha384;  // hex: TDX MRCONFIGID
  TimePoint created_at;
  std::optional<TimePoint> deleted_at;  // set once deleted: no release ever again
  // Launch bookkeeping (issue 10). interfaces and security_group_ids are stored with the VM by
  // CreateVm; domain is set by SetVmDomain once the host runs it ("" = not launched by attestd).
  std::vector<VmInterface> interfaces;
  std::vector<std::string> security_group_ids;
  std::string domain;
  // host_untrusted_at: set when a quote of the VM's host failed while the VM was live; from then
  // on no key is released to this VM, even after the host is trusted again (what ran on the host
  // in between is unknown).
  std::optional<TimePoint> host_untrusted_at;
  // Measured launch (issue 20): the caller's boot image the VM was created with and the launch
  // measurement attestd computed for it ("" when created without a boot image). Key release
  // requires the evidence to show exactly this measurement.
  std::string boot_image;
  ExpectedMeasurement expected;
  // The launched shape (0: not launched by attestd), so start and reboot launch it as measured.
  uint64_t memory_mib = 0;
  uint32_t vcpus = 0;
};

// VmStore reads and writes the vms table and its vm_volumes, vm_interfaces and
// vm_security_groups rows over one connection (a view: it does not own db).
class VmStore {
 public:
  explicit VmStore(SqlConnection* db) : db_(db) {}

  // CreateVm stores vm for caller_tenant after checking, in one transaction, that every volume id
  // is a live volume of the caller (kStoreNotFound naming the first that is not) and that no
  // volume is listed twice (kStoreInvalidArgument). Its interfaces and security groups must be
  // the caller's nets and groups (kStoreNotFound), no group listed twice, and each interface
  // address free on its net among live VMs (kStoreAlreadyExists: pick another and retry). A VM
  // with a boot_image needs that committed image of the caller (kStoreNotFound), which a
  // concurrent BootImageStore::DeleteBootImage then cannot remove.
  Result<Vm> CreateVm(const std::string& caller_tenant, const Vm& vm, TimePoint now);
  // SetVmDomain records the libvirt domain the caller's live VM runs as.
  Status SetVmDomain(const std::string& caller_tenant, const std::string& vm_id,
                     const std::string& domain);
  // GetVm returns the caller's VM, deleted ones included (deleted_at set).
  Result<Vm> GetVm(const std::string& caller_tenant, const std::string& vm_id);
  // LookupVm returns any tenant's VM by id, deleted ones included: the key release path, where
  // the evidence (not a credential) authenticates and the VM names its tenant.
  Result<Vm> LookupVm(const std::string& vm_id);
  // ListVms returns the caller's live (not deleted) VMs by id.
  Result<std::vector<Vm>> ListVms(const std::string& caller_tenant);
  // DeleteVm marks the VM deleted, spends its outstanding nonces, so no release can follow, and
  // frees its interface addresses.
  // kStoreNotFound when not the caller's or already deleted.
  Status DeleteVm(const std::string& caller_tenant, const std::string& vm_id, TimePoint now);

 private:
  // SelectVms runs "SELECT <vm columns> FROM vms <where>" and reads each VM with its volumes,
  // interfaces and groups.
  Result<std::vector<Vm>> SelectVms(const std::string& where, const std::vector<SqlValue>& params);
  // InsertVmNetworking stores v's interfaces and security groups, inside CreateVm's transaction.
  Status InsertVmNetworking(const std::string& caller_tenant, const Vm& v);

  SqlConnection* db_;
};

// MarkHostVmsUntrusted sets host_untrusted_at on the live VMs of a host whose quote failed (see
// Vm::host_untrusted_at), inside the caller's transaction (HostStore::UpdateHostState), and raises
// vm.host_untrusted to the owner of each VM it marks (webhook_store.h) in that transaction.
Status MarkHostVmsUntrusted(SqlConnection* db, const std::string& host_id, TimePoint now);

}  // namespace attest::service::store
