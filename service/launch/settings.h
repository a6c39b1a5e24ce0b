// The operator's launch settings and the way attestd reaches a host's libvirtd: what
// api::ServiceContext holds for launching VMs (service/launch/tenant_vm.h does the launching).
// Kept apart so the API's context does not pull in the launcher's headers.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "attest/core/status.h"

namespace attest::launcher {
class Hypervisor;  // launcher/hypervisor.h
}  // namespace attest::launcher

namespace attest::service::launch {

// LaunchSettings: the operator's settings for the VMs attestd launches (attestd.json).
struct LaunchSettings {
  std::string domain_type = "kvm";  // "qemu" (TCG) only for tests
  std::string snp_firmware;         // OVMF built for SEV-SNP (AmdSev); "" = no SNP launches
  std::string tdx_firmware;         // TDVF / OVMF built for TDX; "" = no TDX launches
  // allow_dac_only: a host without SELinux or AppArmor may confine guests by DAC labels only.
  // For development hosts; off in production.
  bool allow_dac_only = false;
  // user_network: also give each VM a user-mode (slirp) NIC, <interface type='user'>, through
  // which the guest reaches the host's loopback as 10.0.2.2. Development and test hosts only (a
  // TCG guest reaching attestd on 127.0.0.1): it bypasses the tenant nets and their security
  // groups. Off by default.
  bool user_network = false;
  // max_quote_age: how old the host's last good quote may be when the tenant policy sets no
  // maximum of its own.
  std::chrono::seconds max_quote_age{600};
};

// HypervisorConnector opens a connection to a host's libvirtd by URI (attestd: libvirt; tests:
// fakes). launcher.hypervisor_error when it cannot.
using HypervisorConnector =
    std::function<Result<std::shared_ptr<launcher::Hypervisor>>(const std::string& uri)>;

}  // namespace attest::service::launch
