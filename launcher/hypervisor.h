// Hypervisor: the seam between the launch flows and a virtualization host. Two implementations:
// LibvirtHypervisor (libvirt's C API, libvirt_hypervisor.h) and FakeHypervisor
// (tests/testing/fake_hypervisor.h, in memory, with a software SEV firmware model), because this
// machine has no SEV/SNP/TDX and libvirt's test driver cannot return a launch measurement
// (../shared/PLATFORM.md §3).
//
// Every method fails with launcher.not_found when the named object does not exist and with
// launcher.hypervisor_error (libvirt's message) otherwise.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "attest/core/bytes.h"
#include "attest/core/status.h"
#include "launcher/reasons.h"

namespace attest::launcher {

enum class DomainState { kRunning, kPaused, kShutoff, kCrashed, kOther };
std::string_view DomainStateName(DomainState state);

// SevLaunchInfo is virDomainGetLaunchSecurityInfo for a SEV/SEV-ES guest started paused.
struct SevLaunchInfo {
  Bytes measurement;  // sev-measurement decoded: MEASURE(32) || MNONCE(16)
  uint8_t api_major = 0;
  uint8_t api_minor = 0;
  uint8_t build_id = 0;
  uint32_t policy = 0;
};

// SevPlatformInfo is virNodeGetSEVInfo: the host's legacy SEV certificates, each the 2084-byte
// SEV format (AMD SEV API spec 55766, appendix C). libvirt's cert-chain is PEK || OCA || CEK; the
// implementation splits it. Nothing here is trusted: the guest owner verifies the chain
// (attest/sev/verify.h) before it uses the PDH.
inline constexpr size_t kSevCertBytes = 2084;
struct SevPlatformInfo {
  Bytes pdh;
  Bytes pek;
  Bytes oca;
  Bytes cek;
};

class Hypervisor {
 public:
  virtual ~Hypervisor() = default;

  // LibVersion is libvirt's version (LibvirtVersion encoding) on the host.
  virtual Result<uint64_t> LibVersion() = 0;
  // HostCapabilities / DomainCapabilities return libvirt's XML (capabilities.h parses them).
  virtual Result<std::string> HostCapabilities() = 0;
  virtual Result<std::string> DomainCapabilities(std::string_view virt_type) = 0;

  // DefineDomain makes a persistent, inactive domain from xml.
  virtual Status DefineDomain(std::string_view xml) = 0;
  // StartDomain starts it; paused leaves the vCPUs stopped (SEV pre-attestation).
  virtual Status StartDomain(std::string_view name, bool paused) = 0;
  virtual Status ResumeDomain(std::string_view name) = 0;
  // ShutdownDomain asks the guest to power off (ACPI power button) and returns without waiting;
  // the guest may ignore it. Fails when the domain is not running.
  virtual Status ShutdownDomain(std::string_view name) = 0;
  // DestroyDomain stops a running or paused domain at once.
  virtual Status DestroyDomain(std::string_view name) = 0;
  // UndefineDomain removes the definition with its NVRAM and TPM state.
  virtual Status UndefineDomain(std::string_view name) = 0;
  virtual Result<DomainState> GetDomainState(std::string_view name) = 0;
  virtual Result<std::string> GetDomainXml(std::string_view name) = 0;

  // GetSevPlatformInfo reads the host's PDH and certificate chain (launcher.launch_info_malformed
  // when libvirt's answer is not base64 of whole certificates).
  virtual Result<SevPlatformInfo> GetSevPlatformInfo() = 0;
  // GetSevLaunchInfo reads the SEV launch measurement of a paused SEV/SEV-ES domain.
  virtual Result<SevLaunchInfo> GetSevLaunchInfo(std::string_view name) = 0;
  // SetSevLaunchSecret injects a packaged LAUNCH_SECRET (attest/sev/secret.h): header (52 bytes)
  // and ciphertext, base64-encoded for libvirt by the implementation.
  virtual Status SetSevLaunchSecret(std::string_view name, ByteSpan header,
                                    ByteSpan ciphertext) = 0;

  // DefineNwFilter creates or replaces (same name) a filter; UndefineNwFilter fails while a
  // running domain uses it.
  virtual Status DefineNwFilter(std::string_view xml) = 0;
  virtual Status UndefineNwFilter(std::string_view name) = 0;
  // DefineNetwork defines and starts a network; DestroyNetwork stops and undefines it.
  virtual Status DefineNetwork(std::string_view xml) = 0;
  virtual Status DestroyNetwork(std::string_view name) = 0;
  virtual Result<bool> NetworkExists(std::string_view name) = 0;
};

}  // namespace attest::launcher
