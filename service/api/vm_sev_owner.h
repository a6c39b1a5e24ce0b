// attestd as the guest owner of a SEV / SEV-ES VM (issue 20). Legacy SEV has no attestation
// report a guest could send later: the owner checks the launch while the guest is paused and
// hands it its secrets then. So attestd, for a VM it launches from a boot image, reads the placed
// host's PDH and verifies its chain, opens a launch session with it (fresh TEK/TIK, never
// stored), and lets the launcher's pre-attestation (launcher/launch.h SevPreAttestation) check
// MEASURE against the VM's expected launch digest. Only then is the secret table built: one
// entry per volume holding its key. Injecting it is the VM's key release, committed and audited
// as one (store::ReleaseStore::CommitRelease: the host trusted, the VM and its volumes live).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "attest/core/status.h"
#include "attest/sev/verify.h"
#include "launcher/hypervisor.h"
#include "launcher/launch.h"
#include "service/api/context.h"

namespace attest::service::api {

// The guest policy attestd's sessions carry (SEV API spec 55766, "Guest Policy"): NODBG, NOKS,
// DOMAIN, SEV; ES (bit 2) exactly for sev-es.
inline constexpr uint32_t kSevOwnerPolicy = 0x33;
inline constexpr uint32_t kSevPolicyEs = 0x04;

// IsLegacySev: tee is "sev" or "sev-es" (launched with attestd as the guest owner).
bool IsLegacySev(std::string_view tee);

// SevOwnerPolicy is the policy for tee ("sev" or "sev-es").
uint32_t SevOwnerPolicy(std::string_view tee);

// SevVolumeKeyGuid is the secret-table GUID of the key of the VM's index-th volume (ticket order,
// the disk vda + index): 0d4f3ac1-8e2b-4c6a-9f57-4a7e3b6c5000 with the last three hex digits the
// index. service/README.md documents the layout for guests.
std::string SevVolumeKeyGuid(size_t index);

// VerifyHostSevChain reads hv's PDH and chain and verifies it to roots. Fails with
// api.sev_platform_untrusted (the sev.* reason in the message) when it cannot be read, parsed or
// verified.
Result<sev::VerifiedSevChain> VerifyHostSevChain(launcher::Hypervisor& hv,
                                                 std::span<const sev::AmdRoot> roots);

// BecomeSevOwner adds the owner's part to request, the launch of the SEV / SEV-ES vm on hv: the
// verified host's session (spec.sev dhCert, session, policy) and the pre-attestation, whose
// release step commits the key release in db (audited, actor "attestd", the proven launch digest
// as evidence digest) and returns the table of the volume keys unwrapped with ctx.service.kek.
// The VM must have its expected measurement. request must be launched before ctx, db and vm go.
// Fails with api.sev_platform_untrusted, launcher.invalid_spec (no expected digest), sev.*.
Status BecomeSevOwner(RequestContext& ctx, store::Store& db, launcher::Hypervisor& hv,
                      const store::Vm& vm, launcher::LaunchRequest& request);

// ForgetSevOwner wipes the transport keys from request (call after the launch, whatever its
// outcome).
void ForgetSevOwner(launcher::LaunchRequest& request);

}  // namespace attest::service::api
