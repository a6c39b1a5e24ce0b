// Launch flows over a Hypervisor: define/start with the TEE's binding, SEV/SEV-ES pre-attestation
// (measure, verify, inject the volume key, resume), stop/delete. Plain structs in, plain structs /
// Status out: no HTTP, no store. Which host a VM goes to, and whether a host is trusted, is the
// caller's decision (attestd places a VM record on a trusted host from its store and marks a
// host's VMs when the host fails a quote); the launcher starts the VM on the host it is given.
//
// Nothing half-created: when any step after the first definition fails, what this call created
// on the host (the domain, the VM's nwfilter, networks it had to create) is removed again before
// the error is returned. Security-group filters are tenant resources replicated to the host
// (defining them is idempotent); they stay.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "attest/core/digest.h"
#include "attest/core/status.h"
#include "attest/sev/session.h"
#include "launcher/domain_xml.h"
#include "launcher/hypervisor.h"
#include "launcher/network.h"
#include "launcher/nwfilter.h"
#include "launcher/reasons.h"

namespace attest::launcher {

// LaunchOptions: the operator's host-level settings for a launch.
struct LaunchOptions {
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
  std::string domain;
  DomainState state = DomainState::kOther;
  Bytes sev_measurement;  // MEASURE || MNONCE the owner verified; empty unless SEV
};

// LaunchVm starts the VM on hv. Fails with the reasons of capabilities.h
// (launcher.tee_unavailable, launcher.security_driver_unavailable), domain_xml.h / nwfilter.h /
// network.h (validation), launcher.net_not_owned / launcher.group_not_owned (a net or group of
// another tenant), launcher.invalid_spec (a plain VM, SEV without pre-attestation, SNP without
// HOST_DATA, TDX without MRCONFIGID), launcher.sev_policy_mismatch (the firmware reports another
// policy), sev.measurement_mismatch (the domain is destroyed), or the hypervisor's errors.
Result<LaunchResult> LaunchVm(Hypervisor& hv, const LaunchRequest& request,
                              const LaunchOptions& options);

// StopVm destroys (if active) and undefines the domain and removes the VM's nwfilter. Missing
// pieces are not an error, so a retry after a partial failure completes the job. Ending key
// releases for the VM is the caller's (the VM record's) part.
Status StopVm(Hypervisor& hypervisor, std::string_view domain, std::string_view vm_uuid);

}  // namespace attest::launcher
