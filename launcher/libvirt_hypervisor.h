// LibvirtHypervisor: Hypervisor over libvirt's C API (libvirt-domain.h, libvirt-nwfilter.h,
// libvirt-network.h). One connection per object; not thread-safe (libvirt connections are, but the
// error reporting here reads the calling thread's last error right after each call).
#pragma once

#include <memory>
#include <string>

#include "launcher/hypervisor.h"

typedef struct _virConnect virConnect;  // NOLINT(bugprone-reserved-identifier): libvirt-host.h

namespace attest::launcher {

class LibvirtHypervisor final : public Hypervisor {
 public:
  // Open connects to uri ("qemu:///system", "test:///default"). Fails with
  // launcher.hypervisor_error.
  static Result<std::unique_ptr<LibvirtHypervisor>> Open(const std::string& uri);
  ~LibvirtHypervisor() override;
  LibvirtHypervisor(const LibvirtHypervisor&) = delete;
  LibvirtHypervisor& operator=(const LibvirtHypervisor&) = delete;

  Result<uint64_t> LibVersion() override;
  Result<std::string> HostCapabilities() override;
  Result<std::string> DomainCapabilities(std::string_view virt_type) override;
  Status DefineDomain(std::string_view xml) override;
  Status StartDomain(std::string_view name, bool paused) override;
  Status ResumeDomain(std::string_view name) override;
  Status ShutdownDomain(std::string_view name) override;
  Status DestroyDomain(std::string_view name) override;
  Status UndefineDomain(std::string_view name) override;
  Result<DomainState> GetDomainState(std::string_view name) override;
  Result<std::string> GetDomainXml(std::string_view name) override;
  Result<SevPlatformInfo> GetSevPlatformInfo() override;
  Result<SevLaunchInfo> GetSevLaunchInfo(std::string_view name) override;
  Status SetSevLaunchSecret(std::string_view name, ByteSpan header, ByteSpan ciphertext) override;
  Status DefineNwFilter(std::string_view xml) override;
  Status UndefineNwFilter(std::string_view name) override;
  Status DefineNetwork(std::string_view xml) override;
  Status DestroyNetwork(std::string_view name) override;
  Result<bool> NetworkExists(std::string_view name) override;

 private:
  explicit LibvirtHypervisor(virConnect* conn) : conn_(conn) {}
  virConnect* conn_;
};

}  // namespace attest::launcher
