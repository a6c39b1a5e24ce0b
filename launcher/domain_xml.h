// LaunchSpec and BuildDomainXml: the libvirt domain document of a tenant VM, with the TEE's
// <launchSecurity>, the memory and IOMMU settings that TEE needs, sVirt confinement, one interface
// per tenant network (each bound to the VM's security-group nwfilter) and the tenant's disks.
//
// Element sets and the libvirt version that introduced each: ../shared/LIBVIRT-SEV.md §1
// (libvirt docs/formatdomain.rst "Launch Security", "Security label"; go-xml-module domain.go).
// Pure: no I/O, no libvirt connection; the result is handed to Hypervisor::DefineDomain.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attest/core/bytes.h"
#include "attest/core/status.h"
#include "attest/core/tee.h"
#include "launcher/reasons.h"

namespace attest::launcher {

// TeeType, TeeTypeName, ParseTeeType: attest/core/tee.h (one spelling everywhere, "snp" for
// SEV-SNP); the XML below writes libvirt's own type='sev-snp'.
using ::attest::ParseTeeType;
using ::attest::TeeType;
using ::attest::TeeTypeName;

// LibvirtVersion is libvirt's encoding major * 1,000,000 + minor * 1,000 + micro
// (virConnectGetLibVersion).
constexpr uint64_t LibvirtVersion(uint64_t major, uint64_t minor, uint64_t micro) {
  return major * 1000000 + minor * 1000 + micro;
}
inline constexpr uint64_t kLibvirtSev = LibvirtVersion(4, 4, 0);
inline constexpr uint64_t kLibvirtSevKernelHashes = LibvirtVersion(8, 0, 0);
inline constexpr uint64_t kLibvirtSevSnp = LibvirtVersion(10, 5, 0);
inline constexpr uint64_t kLibvirtTdx = LibvirtVersion(11, 6, 0);

// SEV / SEV-ES (type='sev'); ES is policy bit 2, which BuildDomainXml sets for kSevEs and
// refuses to see set for kSev.
struct SevLaunch {
  uint32_t policy = 0x33;  // NODBG | NOKS | DOMAIN | SEV
  uint32_t cbitpos = 0;    // from the host's domain capabilities (capabilities.h)
  uint32_t reduced_phys_bits = 0;
  Bytes dh_cert;  // 2084-byte SEV-format owner certificate (attest/sev/session.h)
  Bytes session;  // 128-byte session blob
};

// SEV-SNP (type='sev-snp', libvirt 10.5). No dhCert/session: SNP has no pre-launch attestation.
struct SnpLaunch {
  uint64_t policy = 0x30000;  // bit 17 is reserved-must-be-one; bit 19 DEBUG is refused
  uint32_t cbitpos = 0;
  uint32_t reduced_phys_bits = 0;
  std::optional<std::array<uint8_t, 32>> host_data;  // the launch ticket's SHA-256 -> HOST_DATA
  Bytes id_block;                                    // empty or 96 bytes
  Bytes id_auth;                                     // empty or 4096 bytes; required with id_block
  bool author_key = false;
  bool vcek = true;  // false: the guest may use only the VLEK
};

// Intel TDX (type='tdx', libvirt 11.6).
struct TdxLaunch {
  uint64_t policy = 0x10000000;  // TD attributes: SEPT_VE_DISABLE; bit 0 DEBUG is refused
  std::optional<std::array<uint8_t, 48>> mr_config_id;  // the ticket's SHA-384
  std::optional<std::array<uint8_t, 48>> mr_owner;
  std::optional<std::array<uint8_t, 48>> mr_owner_config;
  std::string quote_generation_socket;  // empty: no <quoteGenerationService>
};

enum class SecLabelModel { kSelinux, kApparmor, kDac };
enum class SecLabelType { kDynamic, kStatic };
std::string_view SecLabelModelName(SecLabelModel model);

struct SecLabel {
  SecLabelModel model = SecLabelModel::kSelinux;
  SecLabelType type = SecLabelType::kDynamic;
  std::string label;  // static only, e.g. "+64055:+64055" for DAC
};

// Interface attaches the VM to one libvirt network and binds the security group's nwfilter.
struct Interface {
  std::string network;                               // libvirt network name (network.h NetworkName)
  std::string filter;                                // nwfilter name (nwfilter.h FilterName)
  std::map<std::string, std::string> filter_params;  // e.g. IP -> the VM's address (clean-traffic)
  std::string mac;                                   // empty: libvirt assigns one
};

struct Disk {
  std::string path;            // absolute path of the volume on the host
  std::string owner_tenant;    // tenant that owns the volume; must equal LaunchSpec::tenant
  std::string target;          // guest device, e.g. "vda"
  std::string format = "raw";  // raw | qcow2
  bool read_only = false;
};

struct Firmware {
  std::string loader;          // e.g. /usr/share/OVMF/OVMF_CODE_4M.fd (AmdSev/TDVF build for TEEs)
  std::string nvram;           // empty: stateless firmware (no NVRAM), required for SNP/TDX
  std::string nvram_template;  // only with nvram
};

// DirectKernelBoot: the firmware loads this kernel, initrd and command line from the host instead
// of booting a disk. On SEV, SEV-ES and SEV-SNP the domain then always gets kernelHashes='yes':
// QEMU puts the three files' SHA-256 into the firmware's hashes table, which the launch
// measurement covers and OVMF checks before it runs the kernel; without it the kernel would be
// unmeasured. TDX needs no attribute: TDVF measures what it loads into the RTMRs.
struct DirectKernelBoot {
  std::string kernel;   // host path
  std::string initrd;   // host path; "" = none
  std::string cmdline;  // "" = none
};

struct LaunchSpec {
  std::string uuid;    // the VM id, canonical lower-case UUID
  std::string name;    // libvirt domain name
  std::string tenant;  // owner of the VM, its disks and networks
  TeeType tee = TeeType::kNone;
  uint64_t memory_mib = 0;
  uint32_t vcpus = 1;
  std::string domain_type = "kvm";  // "qemu" for TCG (tests on this machine)
  std::optional<Firmware> firmware;
  std::optional<DirectKernelBoot> direct_boot;
  SevLaunch sev;  // kSev, kSevEs
  SnpLaunch snp;  // kSevSnp
  TdxLaunch tdx;  // kTdx
  SecLabel seclabel;
  std::vector<Interface> interfaces;
  std::vector<Disk> disks;
  bool vtpm = false;  // swtpm-backed TPM 2.0 (tpm-crb)
  // A user-mode (slirp) NIC, <interface type='user'>, besides the tenant nets: the guest reaches
  // the host's loopback as 10.0.2.2. Development and test hosts only (it has no filterref).
  bool user_network = false;
  // Non-empty: <serial type='file'> writing the console to this path (tests read it).
  std::string serial_log;
};

// Limits that keep hostile specs from producing huge documents.
inline constexpr uint64_t kMaxMemoryMib = 4u << 20;  // 4 TiB
inline constexpr uint32_t kMaxVcpus = 512;
inline constexpr size_t kMaxInterfaces = 16;
inline constexpr size_t kMaxDisks = 32;
inline constexpr size_t kMaxCmdlineBytes = 4096;

// ValidName reports whether name is 1..64 characters of [A-Za-z0-9_.-] starting with a letter
// or digit: the shape every libvirt object name the launcher creates must have.
bool ValidName(std::string_view name);
// ValidHostPath reports whether path is absolute, at most 4096 bytes, without "." or ".."
// components, empty components or control characters.
bool ValidHostPath(std::string_view path);

// CheckDiskOwnership fails with launcher.disk_not_owned when a disk belongs to another tenant
// (checked here again, not only in the API).
Status CheckDiskOwnership(const LaunchSpec& spec);

// BuildDomainXml renders spec for a host running libvirt `libvirt_version`. Fails with
// launcher.invalid_spec / launcher.invalid_name (a field out of range or of the wrong shape,
// SEV-ES bit inconsistent with the TEE type, a debug policy), launcher.disk_not_owned, or
// launcher.libvirt_too_old (the TEE's element or attribute is newer than the host's libvirt).
Result<std::string> BuildDomainXml(const LaunchSpec& spec, uint64_t libvirt_version);

}  // namespace attest::launcher
