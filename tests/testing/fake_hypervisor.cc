#include "tests/testing/fake_hypervisor.h"

#include "attest/core/encoding.h"
#include "launcher/domain_xml.h"
#include "launcher/xml.h"

namespace attest::testing {
namespace {

using launcher::DomainState;

Status Error(std::string message) {
  return Status(reasons::kLauncherHypervisor, "fake hypervisor: " + std::move(message));
}
Status Missing(std::string message) {
  return Status(reasons::kLauncherNotFound, "fake hypervisor: " + std::move(message));
}

// The built-in filters of a libvirt host that the launcher references.
const char* const kBuiltinFilters[] = {"clean-traffic"};

}  // namespace

FakeHypervisor::FakeHypervisor() {
  for (const char* f : kBuiltinFilters) {
    nwfilters_[f] = "<filter name='" + std::string(f) + "'/>";
  }
}

std::optional<Bytes> FakeHypervisor::injected_secret(const std::string& name) const {
  auto it = secrets_.find(name);
  if (it == secrets_.end()) {
    return std::nullopt;
  }
  return it->second;
}

Status FakeHypervisor::Enter(Op op) {
  calls_.push_back(op);
  if (fail_next_.erase(op) > 0) {
    return Error("injected failure");
  }
  return Status::Ok();
}

Result<FakeHypervisor::Domain*> FakeHypervisor::Find(std::string_view name) {
  auto it = domains_.find(std::string(name));
  if (it == domains_.end()) {
    return Missing("no domain " + std::string(name));
  }
  return &it->second;
}

Result<uint64_t> FakeHypervisor::LibVersion() {
  ATTEST_RETURN_IF_ERROR(Enter(Op::kLibVersion));
  return lib_version;
}

Result<std::string> FakeHypervisor::HostCapabilities() {
  ATTEST_RETURN_IF_ERROR(Enter(Op::kHostCapabilities));
  return host_capabilities_xml;
}

Result<std::string> FakeHypervisor::DomainCapabilities(std::string_view) {
  ATTEST_RETURN_IF_ERROR(Enter(Op::kDomainCapabilities));
  return domain_capabilities_xml;
}

Status FakeHypervisor::DefineDomain(std::string_view xml) {
  ATTEST_RETURN_IF_ERROR(Enter(Op::kDefineDomain));
  auto doc = launcher::ParseXml(xml, reasons::kLauncherHypervisor);
  if (!doc.ok()) {
    return doc.status();
  }
  auto name = launcher::XPathString(doc->get(), "/domain/name");
  if (!name) {
    return Error("domain without name");
  }
  auto it = domains_.find(*name);
  if (it != domains_.end() && it->second.active()) {
    return Error("domain is running");
  }
  domains_[*name].xml = std::string(xml);
  return Status::Ok();
}

Status FakeHypervisor::StartDomain(std::string_view name, bool paused) {
  ATTEST_RETURN_IF_ERROR(Enter(Op::kStartDomain));
  ATTEST_ASSIGN_OR_RETURN(Domain * d, Find(name));
  if (d->active()) {
    return Error("domain is already active");
  }
  auto doc = launcher::ParseXml(d->xml, reasons::kLauncherHypervisor);
  if (!doc.ok()) {
    return doc.status();
  }
  for (const auto& f : launcher::XPathStrings(doc->get(), "//interface/filterref/@filter")) {
    if (!nwfilters_.contains(f)) {
      return Error("referenced filter '" + f + "' is missing");
    }
  }
  for (const auto& n : launcher::XPathStrings(doc->get(), "//interface/source/@network")) {
    if (!networks_.contains(n)) {
      return Error("network '" + n + "' is not active");
    }
  }
  auto type = launcher::XPathString(doc->get(), "/domain/launchSecurity/@type");
  if (type == "sev") {
    if (sev_platform == nullptr) {
      return Error("SEV launch security is not supported");
    }
    auto dh = Base64Decode(
        launcher::XPathString(doc->get(), "/domain/launchSecurity/dhCert").value_or(""));
    auto session = Base64Decode(
        launcher::XPathString(doc->get(), "/domain/launchSecurity/session").value_or(""));
    auto policy = launcher::ParseUint(
        launcher::XPathString(doc->get(), "/domain/launchSecurity/policy").value_or(""));
    if (!dh.ok() || !session.ok() || !policy || *policy > UINT32_MAX) {
      return Error("launchSecurity is malformed");
    }
    Status s = sev_platform->LaunchStart(*dh, *session, static_cast<uint32_t>(*policy));
    if (!s.ok()) {
      return Error("LAUNCH_START failed: " + s.ToString());
    }
    sev_domain_ = std::string(name);
  }
  // sev-snp and tdx have no pre-launch exchange: the firmware model is not involved.
  d->state = paused ? DomainState::kPaused : DomainState::kRunning;
  return Status::Ok();
}

Status FakeHypervisor::ResumeDomain(std::string_view name) {
  ATTEST_RETURN_IF_ERROR(Enter(Op::kResumeDomain));
  ATTEST_ASSIGN_OR_RETURN(Domain * d, Find(name));
  if (d->state != DomainState::kPaused) {
    return Error("domain is not paused");
  }
  d->state = DomainState::kRunning;
  return Status::Ok();
}

Status FakeHypervisor::ShutdownDomain(std::string_view name) {
  ATTEST_RETURN_IF_ERROR(Enter(Op::kShutdownDomain));
  ATTEST_ASSIGN_OR_RETURN(Domain * d, Find(name));
  if (d->state != DomainState::kRunning) {
    return Error("domain is not running");
  }
  if (!guest_ignores_shutdown) {
    d->state = DomainState::kShutoff;
    if (sev_domain_ == name) {
      sev_domain_.reset();
    }
  }
  return Status::Ok();
}

Status FakeHypervisor::DestroyDomain(std::string_view name) {
  ATTEST_RETURN_IF_ERROR(Enter(Op::kDestroyDomain));
  ATTEST_ASSIGN_OR_RETURN(Domain * d, Find(name));
  if (!d->active()) {
    return Error("domain is not running");
  }
  d->state = DomainState::kShutoff;
  if (sev_domain_ == name) {
    sev_domain_.reset();
  }
  return Status::Ok();
}

Status FakeHypervisor::UndefineDomain(std::string_view name) {
  ATTEST_RETURN_IF_ERROR(Enter(Op::kUndefineDomain));
  ATTEST_ASSIGN_OR_RETURN(Domain * d, Find(name));
  // libvirt turns an active domain transient; the flows always destroy first, so insist on it.
  if (d->active()) {
    return Error("domain is still active");
  }
  domains_.erase(std::string(name));
  secrets_.erase(std::string(name));
  return Status::Ok();
}

Result<DomainState> FakeHypervisor::GetDomainState(std::string_view name) {
  ATTEST_RETURN_IF_ERROR(Enter(Op::kGetDomainState));
  ATTEST_ASSIGN_OR_RETURN(Domain * d, Find(name));
  return d->state;
}

Result<std::string> FakeHypervisor::GetDomainXml(std::string_view name) {
  ATTEST_RETURN_IF_ERROR(Enter(Op::kGetDomainXml));
  ATTEST_ASSIGN_OR_RETURN(Domain * d, Find(name));
  return d->xml;
}

Result<launcher::SevPlatformInfo> FakeHypervisor::GetSevPlatformInfo() {
  ATTEST_RETURN_IF_ERROR(Enter(Op::kGetSevPlatformInfo));
  if (sev_platform_info) {
    return *sev_platform_info;
  }
  if (sev_platform == nullptr) {
    return Error("this host has no SEV platform");
  }
  return launcher::SevPlatformInfo{sev_platform->pdh(), sev_platform->pek(), sev_platform->oca(),
                                   sev_platform->cek()};
}

Result<launcher::SevLaunchInfo> FakeHypervisor::GetSevLaunchInfo(std::string_view name) {
  ATTEST_RETURN_IF_ERROR(Enter(Op::kGetSevLaunchInfo));
  ATTEST_ASSIGN_OR_RETURN(Domain * d, Find(name));
  if (sev_platform == nullptr || sev_domain_ != name || d->state != DomainState::kPaused) {
    return Error("no SEV launch in progress for this domain");
  }
  auto doc = launcher::ParseXml(d->xml, reasons::kLauncherHypervisor);
  auto policy = launcher::ParseUint(
      launcher::XPathString(doc->get(), "/domain/launchSecurity/policy").value_or(""));
  ATTEST_ASSIGN_OR_RETURN(Bytes measurement, sev_platform->LaunchMeasure(sev_launch_digest));
  launcher::SevLaunchInfo info;
  info.measurement = std::move(measurement);
  info.api_major = sev_api_major;
  info.api_minor = sev_api_minor;
  info.build_id = sev_build_id;
  info.policy =
      sev_reported_policy != 0 ? sev_reported_policy : static_cast<uint32_t>(policy.value_or(0));
  return info;
}

Status FakeHypervisor::SetSevLaunchSecret(std::string_view name, ByteSpan header,
                                          ByteSpan ciphertext) {
  ATTEST_RETURN_IF_ERROR(Enter(Op::kSetSevLaunchSecret));
  ATTEST_ASSIGN_OR_RETURN(Domain * d, Find(name));
  if (sev_platform == nullptr || sev_domain_ != name || d->state != DomainState::kPaused) {
    return Error("no SEV launch in progress for this domain");
  }
  auto table = sev_platform->LaunchSecret(header, ciphertext);
  if (!table.ok()) {
    return Error("LAUNCH_SECRET failed: " + table.status().ToString());
  }
  secrets_[std::string(name)] = std::move(table).value();
  return Status::Ok();
}

Status FakeHypervisor::DefineNwFilter(std::string_view xml) {
  ATTEST_RETURN_IF_ERROR(Enter(Op::kDefineNwFilter));
  auto doc = launcher::ParseXml(xml, reasons::kLauncherHypervisor);
  if (!doc.ok()) {
    return doc.status();
  }
  auto name = launcher::XPathString(doc->get(), "/filter/@name");
  if (!name) {
    return Error("filter without name");
  }
  for (const auto& ref : launcher::XPathStrings(doc->get(), "/filter/filterref/@filter")) {
    if (!nwfilters_.contains(ref) && ref != *name) {
      return Error("referenced filter '" + ref + "' is missing");
    }
  }
  nwfilters_[*name] = std::string(xml);
  return Status::Ok();
}

Status FakeHypervisor::UndefineNwFilter(std::string_view name) {
  ATTEST_RETURN_IF_ERROR(Enter(Op::kUndefineNwFilter));
  std::string n(name);
  if (!nwfilters_.contains(n)) {
    return Missing("no nwfilter " + n);
  }
  for (const auto& [dn, d] : domains_) {
    if (d.active() && d.xml.find("filter=\"" + n + "\"") != std::string::npos) {
      return Error("nwfilter is in use");
    }
  }
  for (const auto& [fn, fx] : nwfilters_) {
    if (fn != n && fx.find("filter=\"" + n + "\"") != std::string::npos) {
      return Error("nwfilter is referenced by " + fn);
    }
  }
  nwfilters_.erase(n);
  return Status::Ok();
}

Status FakeHypervisor::DefineNetwork(std::string_view xml) {
  ATTEST_RETURN_IF_ERROR(Enter(Op::kDefineNetwork));
  auto doc = launcher::ParseXml(xml, reasons::kLauncherHypervisor);
  if (!doc.ok()) {
    return doc.status();
  }
  auto name = launcher::XPathString(doc->get(), "/network/name");
  if (!name) {
    return Error("network without name");
  }
  if (networks_.contains(*name)) {
    return Error("network already exists");
  }
  networks_[*name] = std::string(xml);
  return Status::Ok();
}

Status FakeHypervisor::DestroyNetwork(std::string_view name) {
  ATTEST_RETURN_IF_ERROR(Enter(Op::kDestroyNetwork));
  if (networks_.erase(std::string(name)) == 0) {
    return Missing("no network " + std::string(name));
  }
  return Status::Ok();
}

Result<bool> FakeHypervisor::NetworkExists(std::string_view name) {
  ATTEST_RETURN_IF_ERROR(Enter(Op::kNetworkExists));
  return networks_.contains(std::string(name));
}

}  // namespace attest::testing
