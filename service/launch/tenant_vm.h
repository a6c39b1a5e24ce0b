// Launching a tenant's VM record through the launcher (issue 10): the mapping from what the store
// holds (the VM and its launch ticket, the tenant's volumes, nets and security groups, the host)
// to launcher::LaunchRequest, the choice of each interface's address, and the launch and stop
// calls on the host's hypervisor. No HTTP here; service/api/vm_routes.cc calls it.
//
// SEV-SNP and TDX VMs are bound to the tenant by the launch ticket in HOST_DATA / MRCONFIGID,
// checked at key release. A SEV / SEV-ES VM is bound by its launch secret: attestd, the guest
// owner, adds the session and the secret (launcher/launch.h SevPreAttestation) to the request
// BuildTenantLaunch returns (service/api/vm_sev_owner.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "attest/core/status.h"
#include "attest/core/time.h"
#include "launcher/launch.h"
#include "service/launch/settings.h"
#include "service/store/store.h"

namespace attest::service::launch {

// BootFiles: what the VM direct-boots, as files on the host (a boot image's kernel, initrd and
// command line). The SEV/SNP launch measures them through the kernel-hashes table, TDX's TDVF
// into the RTMRs; the expected measurement is computed from the same files.
struct BootFiles {
  std::string kernel_path;  // absolute host path of the kernel (bzImage / PE)
  std::string initrd_path;  // "" = no initrd
  std::string cmdline;      // "" = no command line
};

// VmShape: the tenant's choices for a launch, with nets and groups already resolved to the
// caller's records.
struct VmShape {
  uint64_t memory_mib = 2048;
  uint32_t vcpus = 2;
  std::vector<store::NetRecord> nets;              // one interface per net, in this order
  std::vector<store::SecurityGroupRecord> groups;  // applied to every interface
  std::optional<BootFiles> boot;                   // none: the firmware boots the first disk
};

inline constexpr uint64_t kMinMemoryMib = 256;
inline constexpr uint64_t kMaxMemoryMib = 1u << 20;  // 1 TiB
inline constexpr uint32_t kMaxVcpus = 256;

// PickAddress returns the lowest address of cidr after the gateway (the network's first
// address, launcher/network.h) that is not in taken and not the broadcast address. Fails with
// launcher.invalid_cidr (cidr unreadable) or store.already_exists (every address is taken).
Result<std::string> PickAddress(const std::string& cidr, const std::vector<std::string>& taken);

// DomainUuid is the canonical UUID form of a VM id "vm-<32 hex digits>" (the launcher names the
// domain and its filter after it). launcher.invalid_spec for any other id.
Result<std::string> DomainUuid(const std::string& vm_id);

// BuildTenantLaunch maps the records to the launcher's request. Disks are the volumes' LUKS2
// images (a key-only volume cannot be attached: launcher.invalid_spec); group rules come from
// the stored canonical rule JSON, their source groups resolved among `groups` and `all_groups`
// (the tenant's), members from `members` (group id -> addresses). Fails with launcher.* reasons.
Result<launcher::LaunchRequest> BuildTenantLaunch(
    const store::Vm& vm, const std::vector<store::Volume>& volumes, const VmShape& shape,
    const std::vector<store::SecurityGroupRecord>& all_groups,
    const launcher::GroupMembers& members, const LaunchSettings& settings);

}  // namespace attest::service::launch
