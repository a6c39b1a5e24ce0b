// Host capability checks before a domain is defined: what libvirt's domain capabilities
// (virConnectGetDomainCapabilities; libvirt docs/formatdomaincaps.rst, ../shared/LIBVIRT-SEV.md §1)
// say about SEV, SEV-SNP and TDX, and which sVirt security drivers the host runs
// (virConnectGetCapabilities, /capabilities/host/secmodel). A host without the TEE the tenant asked
// for is refused with launcher.tee_unavailable: never launched as a plain VM.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attest/core/status.h"
#include "launcher/domain_xml.h"
#include "launcher/reasons.h"

namespace attest::launcher {

struct SevCapabilities {
  bool supported = false;
  uint32_t cbitpos = 0;
  uint32_t reduced_phys_bits = 0;
  std::optional<uint32_t> max_guests;     // libvirt >= 8.0
  std::optional<uint32_t> max_es_guests;  // libvirt >= 8.0
  std::string cpu0_id;                    // libvirt >= 11.1, base64
};

struct DomainCapabilities {
  std::string domain_type;  // kvm, qemu
  std::string machine;
  std::string arch;
  SevCapabilities sev;
  // Values of <launchSecurity supported='yes'><enum name='sectype'> (libvirt >= 10.5).
  std::vector<std::string> launch_security_types;
  bool tdx = false;  // <tdx supported='yes'/> (libvirt >= 11.6)
  bool tpm = false;
  std::vector<std::string> loaders;  // firmware images libvirt offers
};

// ParseDomainCapabilities reads the document. Fails with launcher.capabilities_malformed when it
// is not well-formed, its root is not <domainCapabilities>, or a supported <sev> lacks a numeric
// cbitpos/reducedPhysBits.
Result<DomainCapabilities> ParseDomainCapabilities(std::string_view xml);

struct HostCapabilities {
  std::vector<std::string> security_models;  // e.g. "selinux", "apparmor", "dac", "none"
};

// ParseHostCapabilities reads virConnectGetCapabilities. Fails with
// launcher.capabilities_malformed.
Result<HostCapabilities> ParseHostCapabilities(std::string_view xml);

// CheckTeeSupported fails with launcher.tee_unavailable (reason names what is missing) unless
// caps offer `tee`. SEV-ES additionally needs a reported SEV-ES guest capacity above zero.
Status CheckTeeSupported(const DomainCapabilities& caps, TeeType tee);

// ChooseSecLabelModel picks the mandatory-access-control driver the host runs (selinux, then
// apparmor). Only when allow_dac_only (tests, development hosts) does a host with just "dac" get
// a DAC label; otherwise it fails with launcher.security_driver_unavailable.
Result<SecLabelModel> ChooseSecLabelModel(const HostCapabilities& host, bool allow_dac_only);

// ApplyHostCapabilities checks the TEE and the spec's security model against the host and copies
// the host's cbitpos/reducedPhysBits into the SEV or SNP settings (libvirt requires the host's
// values). Fails with launcher.tee_unavailable or launcher.security_driver_unavailable.
Status ApplyHostCapabilities(const DomainCapabilities& caps, const HostCapabilities& host,
                             LaunchSpec& spec);

}  // namespace attest::launcher
