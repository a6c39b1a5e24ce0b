// FakeHypervisor: an in-memory Hypervisor for the launch-flow tests. It keeps domains, nwfilters
// and networks the way libvirt does where the flows depend on it (a domain cannot start while a
// referenced filter or network is missing; a filter in use by an active domain cannot be
// undefined; names are unique), and its SEV part is the project's software firmware model
// (tests/sev/platform_model.h): starting a SEV domain runs LAUNCH_START with the domain's dhCert,
// session and policy, the launch info is LAUNCH_MEASURE over the launch digest the test says the
// firmware measured, and an injected secret goes through LAUNCH_SECRET (MAC check, decryption).
// Any operation can be made to fail once, to drive every failure path of the flows.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "attest/core/digest.h"
#include "launcher/hypervisor.h"
#include "tests/sev/platform_model.h"

namespace attest::testing {

// Capability documents for fake hosts: a host confining guests with SELinux (DAC too), and the
// domain capabilities of a KVM host offering SEV-SNP and TDX (libvirt's launchSecurity enum).
inline constexpr char kSelinuxHostCapabilities[] =
    "<capabilities><host><secmodel><model>selinux</model></secmodel>"
    "<secmodel><model>dac</model></secmodel></host></capabilities>";
inline constexpr char kSnpTdxDomainCapabilities[] =
    "<domainCapabilities><domain>kvm</domain><features><sev supported='yes'><cbitpos>51</cbitpos>"
    "<reducedPhysBits>1</reducedPhysBits></sev><tdx supported='yes'/><launchSecurity "
    "supported='yes'><enum name='sectype'><value>sev-snp</value><value>tdx</value></enum>"
    "</launchSecurity></features></domainCapabilities>";

class FakeHypervisor final : public launcher::Hypervisor {
 public:
  // Op names one method, for FailNext and the call log.
  enum class Op {
    kLibVersion,
    kHostCapabilities,
    kDomainCapabilities,
    kDefineDomain,
    kStartDomain,
    kResumeDomain,
    kShutdownDomain,
    kDestroyDomain,
    kUndefineDomain,
    kGetDomainState,
    kGetDomainXml,
    kGetSevPlatformInfo,
    kGetSevLaunchInfo,
    kSetSevLaunchSecret,
    kDefineNwFilter,
    kUndefineNwFilter,
    kDefineNetwork,
    kDestroyNetwork,
    kNetworkExists
  };

  FakeHypervisor();

  // Host description the capability calls return.
  uint64_t lib_version = 9000000;
  std::string host_capabilities_xml;
  std::string domain_capabilities_xml;

  // SEV firmware model; when null, SEV launch-security calls fail like on a host without SEV.
  SevPlatformModel* sev_platform = nullptr;
  // The launch digest the "firmware" measures for every SEV domain (what the host really loaded).
  Sha256Digest sev_launch_digest{};
  // What GetSevLaunchInfo reports; must equal the values sev_platform was created with.
  uint8_t sev_api_major = 0;
  uint8_t sev_api_minor = 24;
  uint8_t sev_build_id = 15;
  // Set: GetSevPlatformInfo returns this instead of sev_platform's certificates (a host that
  // presents another chip's or a forged chain).
  std::optional<launcher::SevPlatformInfo> sev_platform_info;
  // Non-zero: GetSevLaunchInfo reports this policy instead of the domain's (a host that lies).
  uint32_t sev_reported_policy = 0;

  // true: the guest ignores ShutdownDomain's power-button request (a hung or hostile guest).
  bool guest_ignores_shutdown = false;

  // FailNext makes the next call of op fail with launcher.hypervisor_error.
  void FailNext(Op op) { fail_next_.insert(op); }

  struct Domain {
    std::string xml;
    launcher::DomainState state = launcher::DomainState::kShutoff;
    bool active() const {
      return state == launcher::DomainState::kRunning || state == launcher::DomainState::kPaused;
    }
  };
  const std::map<std::string, Domain>& domains() const { return domains_; }
  const std::map<std::string, std::string>& nwfilters() const { return nwfilters_; }
  const std::map<std::string, std::string>& networks() const { return networks_; }
  // injected_secret is the decrypted secret table the firmware accepted for a domain.
  std::optional<Bytes> injected_secret(const std::string& name) const;
  const std::vector<Op>& calls() const { return calls_; }

  Result<uint64_t> LibVersion() override;
  Result<std::string> HostCapabilities() override;
  Result<std::string> DomainCapabilities(std::string_view virt_type) override;
  Status DefineDomain(std::string_view xml) override;
  Status StartDomain(std::string_view name, bool paused) override;
  Status ResumeDomain(std::string_view name) override;
  Status ShutdownDomain(std::string_view name) override;
  Status DestroyDomain(std::string_view name) override;
  Status UndefineDomain(std::string_view name) override;
  Result<launcher::DomainState> GetDomainState(std::string_view name) override;
  Result<std::string> GetDomainXml(std::string_view name) override;
  Result<launcher::SevPlatformInfo> GetSevPlatformInfo() override;
  Result<launcher::SevLaunchInfo> GetSevLaunchInfo(std::string_view name) override;
  Status SetSevLaunchSecret(std::string_view name, ByteSpan header, ByteSpan ciphertext) override;
  Status DefineNwFilter(std::string_view xml) override;
  Status UndefineNwFilter(std::string_view name) override;
  Status DefineNetwork(std::string_view xml) override;
  Status DestroyNetwork(std::string_view name) override;
  Result<bool> NetworkExists(std::string_view name) override;

 private:
  Status Enter(Op op);
  Result<Domain*> Find(std::string_view name);

  std::set<Op> fail_next_;
  std::vector<Op> calls_;
  std::map<std::string, Domain> domains_;
  std::map<std::string, std::string> nwfilters_;
  std::map<std::string, std::string> networks_;
  std::map<std::string, Bytes> secrets_;
  std::optional<std::string> sev_domain_;  // the domain the firmware model launched
};

}  // namespace attest::testing
