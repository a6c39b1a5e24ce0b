// Launch flows over a Hypervisor: placement on trusted hosts, define/start with the TEE's binding,
// SEV/SEV-ES pre-attestation (measure, verify, inject the volume key, resume), stop/delete, and
// marking the VMs of a host that turned untrusted. Plain structs in, plain structs / Status out:
// no HTTP, no store. The caller (attestd) maps tenant policy, host attestation records and VM
// records to these structs and records the outcome.
//
// Nothing half-created: when any step after the first definition fails, what this call created
// on the host (the domain, the VM's nwfilter, networks it had to create) is removed again before
// the error is returned. Security-group filters are tenant resources replicated to the host
// (defining them is idempotent); they stay.
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "attest/core/digest.h"
#include "attest/core/status.h"
#include "attest/core/time.h"
#include "attest/sev/session.h"
#include "launcher/domain_xml.h"
#include "launcher/hypervisor.h"
#include "launcher/network.h"
#include "launcher/nwfilter.h"
#include "launcher/reasons.h"

namespace attest::launcher {

// HostInfo is what attestd knows about a virtualization host.
struct HostInfo {
  std::string id;
  Hypervisor* hypervisor = nullptr;
  std::vector<TeeType> tees;                 // TEE types the host's attestation established
  std::optional<TimePoint> last_good_quote;  // time of its last quote that passed host policy
  std::optional<TimePoint> trusted_until;    // host policy's end of that trust, if it sets one
  bool untrusted = false;                    // set by MarkHostUntrusted
};

// PlacementPolicy comes from the tenant policy.
struct PlacementPolicy {
  std::chrono::seconds max_quote_age{0};
  // Development hosts without SELinux/AppArmor: allow a DAC-only sVirt label. Off in production.
  bool allow_dac_only = false;
};

// SevPreAttestation is the guest owner's side of a SEV/SEV-ES launch: the transport keys of the
// session whose dhCert/session blob are in spec.sev, the launch digest the tenant policy expects
// (attest/sev/measurement.h ComputeLaunchDigest), and the secret table to inject (the volume key,
// attest/sev/secret.h BuildSecretTable).
struct SevPreAttestation {
  sev::TransportKeys keys;
  Sha256Digest expected_launch_digest{};
  Bytes secret_table;
};

struct LaunchRequest {
  LaunchSpec spec;                    // interfaces name their network; the flow sets each filterref
  std::vector<SecurityGroup> groups;  // the VM's security groups
  GroupMembers members;               // source-group members of the tenant's groups
  std::vector<TenantNet> nets;        // every net an interface attaches to
  std::optional<SevPreAttestation> sev;
};

struct LaunchResult {
  std::string host_id;
  std::string domain;
  DomainState state = DomainState::kOther;
  Bytes sev_measurement;  // MEASURE || MNONCE the owner verified; empty unless SEV
};

// PlaceVm returns the first host that is not marked untrusted, has `tee`, has a last good quote
// no older than policy.max_quote_age at `now`, and whose trusted_until (if set) is after now.
// Fails with launcher.no_trusted_host, naming why each host was skipped.
Result<const HostInfo*> PlaceVm(std::span<const HostInfo> hosts, TeeType tee,
                                const PlacementPolicy& policy, TimePoint now);

// LaunchVm places and starts the VM. Fails with the reasons of PlaceVm, capabilities.h
// (launcher.tee_unavailable, launcher.security_driver_unavailable), domain_xml.h / nwfilter.h /
// network.h (validation), launcher.net_not_owned / launcher.group_not_owned (a net or group of
// another tenant), launcher.invalid_spec (a plain VM, SEV without pre-attestation, SNP without
// HOST_DATA, TDX without MRCONFIGID), launcher.sev_policy_mismatch (the firmware reports another
// policy), sev.measurement_mismatch (the domain is destroyed), or the hypervisor's errors.
Result<LaunchResult> LaunchVm(std::span<const HostInfo> hosts, const LaunchRequest& request,
                              const PlacementPolicy& policy, TimePoint now);

// StopVm destroys (if active) and undefines the domain and removes the VM's nwfilter. Missing
// pieces are not an error, so a retry after a partial failure completes the job. Ending key
// releases for the VM is the caller's (the VM record's) part.
Status StopVm(Hypervisor& hypervisor, std::string_view domain, std::string_view vm_uuid);

// VmRecord is the part of a VM record the trust bookkeeping needs.
struct VmRecord {
  std::string vm_id;
  std::string host_id;
  bool host_untrusted = false;  // no key release while set
};

// MarkHostUntrusted marks the host and every VM placed on it; returns how many VMs it marked.
size_t MarkHostUntrusted(HostInfo& host, std::span<VmRecord> vms);

// MayReleaseKey reports whether a key may still be released to the VM.
inline bool MayReleaseKey(const VmRecord& vm) { return !vm.host_untrusted; }

}  // namespace attest::launcher
