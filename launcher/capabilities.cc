#include "launcher/capabilities.h"

#include <algorithm>

#include "launcher/xml.h"

namespace attest::launcher {
namespace {

Status Malformed(std::string message) {
  return Status(reasons::kLauncherCapabilitiesMalformed, "capabilities: " + std::move(message));
}

Status Unavailable(std::string message) {
  return Status(reasons::kLauncherTeeUnavailable, std::move(message));
}

Result<std::optional<uint32_t>> OptionalU32(xmlDoc* doc, const char* expr) {
  auto text = XPathString(doc, expr);
  if (!text) {
    return std::optional<uint32_t>();
  }
  auto v = ParseUint(*text);
  if (!v || *v > UINT32_MAX) {
    return Malformed(std::string(expr) + " is not a 32-bit number");
  }
  return std::optional<uint32_t>(static_cast<uint32_t>(*v));
}

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

Result<DomainCapabilities> ParseDomainCapabilities(std::string_view xml) {
  ATTEST_ASSIGN_OR_RETURN(XmlDocPtr doc, ParseXml(xml, reasons::kLauncherCapabilitiesMalformed));
  xmlDoc* d = doc.get();
  if (XPathCount(d, "/domainCapabilities") != 1) {
    return Malformed("root is not <domainCapabilities>");
  }
  DomainCapabilities caps;
  caps.domain_type = XPathString(d, "/domainCapabilities/domain").value_or("");
  caps.machine = XPathString(d, "/domainCapabilities/machine").value_or("");
  caps.arch = XPathString(d, "/domainCapabilities/arch").value_or("");
  caps.loaders = XPathStrings(d, "/domainCapabilities/os[@supported='yes']/loader/value");
  caps.tpm = XPathCount(d, "/domainCapabilities/devices/tpm[@supported='yes']") > 0;

  const char* sev = "/domainCapabilities/features/sev[@supported='yes']";
  if (XPathCount(d, sev) > 0) {
    caps.sev.supported = true;
    ATTEST_ASSIGN_OR_RETURN(auto cbit, OptionalU32(d, "/domainCapabilities/features/sev/cbitpos"));
    ATTEST_ASSIGN_OR_RETURN(auto rpb,
                            OptionalU32(d, "/domainCapabilities/features/sev/reducedPhysBits"));
    if (!cbit || !rpb) {
      return Malformed("supported <sev> without cbitpos/reducedPhysBits");
    }
    if (*cbit < 1 || *cbit > 63 || *rpb > 63) {
      return Malformed("sev cbitpos/reducedPhysBits range");
    }
    caps.sev.cbitpos = *cbit;
    caps.sev.reduced_phys_bits = *rpb;
    ATTEST_ASSIGN_OR_RETURN(caps.sev.max_guests,
                            OptionalU32(d, "/domainCapabilities/features/sev/maxGuests"));
    ATTEST_ASSIGN_OR_RETURN(caps.sev.max_es_guests,
                            OptionalU32(d, "/domainCapabilities/features/sev/maxESGuests"));
    caps.sev.cpu0_id = XPathString(d, "/domainCapabilities/features/sev/cpu0Id").value_or("");
  }
  caps.launch_security_types = XPathStrings(
      d,
      "/domainCapabilities/features/launchSecurity[@supported='yes']/enum[@name='sectype']/value");
  caps.tdx = XPathCount(d, "/domainCapabilities/features/tdx[@supported='yes']") > 0;
  return caps;
}

Result<HostCapabilities> ParseHostCapabilities(std::string_view xml) {
  ATTEST_ASSIGN_OR_RETURN(XmlDocPtr doc, ParseXml(xml, reasons::kLauncherCapabilitiesMalformed));
  if (XPathCount(doc.get(), "/capabilities/host") != 1) {
    return Malformed("root is not <capabilities> with one <host>");
  }
  HostCapabilities host;
  host.security_models = XPathStrings(doc.get(), "/capabilities/host/secmodel/model");
  return host;
}

Status CheckTeeSupported(const DomainCapabilities& caps, TeeType tee) {
  const bool sev_listed = Contains(caps.launch_security_types, "sev");
  switch (tee) {
    case TeeType::kNone:
      return Status::Ok();
    case TeeType::kSev:
      if (!caps.sev.supported && !sev_listed) {
        return Unavailable("host does not offer SEV");
      }
      if (caps.sev.max_guests && *caps.sev.max_guests == 0) {
        return Unavailable("host offers SEV with no guest slots (maxGuests 0)");
      }
      return Status::Ok();
    case TeeType::kSevEs:
      if (!caps.sev.supported && !sev_listed) {
        return Unavailable("host does not offer SEV");
      }
      // libvirt < 8.0 does not report SEV-ES at all: unknown is treated as absent.
      if (!caps.sev.max_es_guests || *caps.sev.max_es_guests == 0) {
        return Unavailable("host does not offer SEV-ES (no maxESGuests)");
      }
      return Status::Ok();
    case TeeType::kSevSnp:
      if (!Contains(caps.launch_security_types, "sev-snp")) {
        return Unavailable("host does not offer SEV-SNP (launchSecurity sectype)");
      }
      if (!caps.sev.supported) {
        return Unavailable("host offers SEV-SNP without <sev> cbitpos");
      }
      return Status::Ok();
    case TeeType::kTdx:
      if (!caps.tdx && !Contains(caps.launch_security_types, "tdx")) {
        return Unavailable("host does not offer TDX");
      }
      return Status::Ok();
  }
  return Unavailable("unknown TEE type");
}

Result<SecLabelModel> ChooseSecLabelModel(const HostCapabilities& host, bool allow_dac_only) {
  if (Contains(host.security_models, "selinux")) {
    return SecLabelModel::kSelinux;
  }
  if (Contains(host.security_models, "apparmor")) {
    return SecLabelModel::kApparmor;
  }
  if (allow_dac_only && Contains(host.security_models, "dac")) {
    return SecLabelModel::kDac;
  }
  return Status(reasons::kLauncherSecurityDriverUnavailable,
                "host runs no mandatory access control security driver (selinux/apparmor)");
}

Status ApplyHostCapabilities(const DomainCapabilities& caps, const HostCapabilities& host,
                             LaunchSpec& spec) {
  ATTEST_RETURN_IF_ERROR(CheckTeeSupported(caps, spec.tee));
  if (!Contains(host.security_models, SecLabelModelName(spec.seclabel.model))) {
    return Status(reasons::kLauncherSecurityDriverUnavailable,
                  "host has no security driver '" +
                      std::string(SecLabelModelName(spec.seclabel.model)) + "'");
  }
  if (spec.tee == TeeType::kSev || spec.tee == TeeType::kSevEs) {
    spec.sev.cbitpos = caps.sev.cbitpos;
    spec.sev.reduced_phys_bits = caps.sev.reduced_phys_bits;
  } else if (spec.tee == TeeType::kSevSnp) {
    spec.snp.cbitpos = caps.sev.cbitpos;
    spec.snp.reduced_phys_bits = caps.sev.reduced_phys_bits;
  }
  return Status::Ok();
}

}  // namespace attest::launcher
