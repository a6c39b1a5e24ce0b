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

#include <chrono>
#include <functional>
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
//
// release_secret, when set, replaces secret_table: it is called once the reported MEASURE has
// been verified against expected_launch_digest under the TIK, with the launch info verified, and
// returns the table to inject (wiped here after packaging). An error aborts the launch (the domain
// is destroyed like on a measurement mismatch), so the owner can refuse at the last moment (its
// key release checks) and never builds the secret for a launch it did not verify.
struct SevPreAttestation {
  sev::TransportKeys keys;
  Sha256Digest expected_launch_digest{};
  Bytes secret_table;
  std::function<Result<Bytes>(const SevLaunchInfo& verified)> release_secret;
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

// The lifecycle of a launched VM: its domain stays defined between a stop and the next start.
// TEE guests are defined with on_reboot=destroy (a reset in place would need a new launch and a
// new measurement), so every start is a full launch.

// kDefaultShutdownGrace: how long ShutdownVm waits for the guest to power off before destroying.
inline constexpr std::chrono::milliseconds kDefaultShutdownGrace{60000};

// StartVm starts the defined, shut-off (or crashed) domain of request.spec again. The documents
// are rebuilt from request as LaunchVm builds them, and the domain, its filters and missing nets
// are defined again with them, so the host runs what the caller holds now. SNP/TDX start
// running; SEV/SEV-ES start paused and go through the pre-attestation again with request.sev
// (request.spec.sev carries a fresh owner session: a launch session is never reused). A domain
// that is already running is left alone (state running, no measurement). Fails with
// launcher.not_found (no such domain: LaunchVm creates one), launcher.wrong_state (paused or
// in another state), or LaunchVm's reasons; when the start or the pre-attestation fails the
// domain is destroyed again and stays defined, shut off.
Result<LaunchResult> StartVm(Hypervisor& hv, const LaunchRequest& request,
                             const LaunchOptions& options);

// ShutdownVm asks the guest to power off and waits up to `grace` for its domain to be shut off,
// then destroys it. The domain stays defined. An inactive domain is fine (nothing to do); a
// paused one is destroyed at once (a paused guest cannot react). Fails with launcher.not_found or
// the hypervisor's errors.
Status ShutdownVm(Hypervisor& hv, std::string_view domain,
                  std::chrono::milliseconds grace = kDefaultShutdownGrace);

// RebootVm is ShutdownVm followed by StartVm (a fresh launch: new SEV pre-attestation, new SNP/TDX
// launch with the request's binding).
Result<LaunchResult> RebootVm(Hypervisor& hv, const LaunchRequest& request,
                              const LaunchOptions& options,
                              std::chrono::milliseconds grace = kDefaultShutdownGrace);

// VmState is the state of the VM's domain; launcher.not_found when it is not defined.
Result<DomainState> VmState(Hypervisor& hv, std::string_view domain);

}  // namespace attest::launcher
