#include "launcher/launch.h"

#include <algorithm>

#include "attest/sev/measurement.h"
#include "attest/sev/secret.h"
#include "launcher/capabilities.h"

namespace attest::launcher {
namespace {

bool IsSev(TeeType t) { return t == TeeType::kSev || t == TeeType::kSevEs; }

// Created tracks what this call made on the host, to undo it on failure.
struct Created {
  bool domain_defined = false;
  bool domain_started = false;
  bool vm_filter = false;
  std::vector<std::string> networks;
};

// Rollback removes what was created, newest first, and returns `cause` with any cleanup failure
// appended to its message (the reason stays the cause's).
Status Rollback(Hypervisor& hv, const Created& c, const LaunchSpec& spec, Status cause) {
  std::vector<std::string> failed;
  auto step = [&](const Status& s, const char* what) {
    if (!s.ok() && s.reason_id() != reasons::kLauncherNotFound.id) {
      failed.push_back(std::string(what) + ": " + s.ToString());
    }
  };
  if (c.domain_started) {
    step(hv.DestroyDomain(spec.name), "destroy");
  }
  if (c.domain_defined) {
    step(hv.UndefineDomain(spec.name), "undefine");
  }
  if (c.vm_filter) {
    step(hv.UndefineNwFilter(VmFilterName(spec.uuid)), "undefine filter");
  }
  for (auto it = c.networks.rbegin(); it != c.networks.rend(); ++it) {
    step(hv.DestroyNetwork(*it), "destroy network");
  }
  if (failed.empty()) {
    return cause;
  }
  std::string message = cause.message() + "; cleanup incomplete:";
  for (const auto& f : failed) {
    message += " [" + f + "]";
  }
  return Status(cause.reason(), message);
}

// Documents holds every XML document of the launch, built before anything is created.
struct Documents {
  LaunchSpec spec;
  std::vector<std::string> group_filters;
  std::string vm_filter;
  std::vector<std::pair<std::string, std::string>> networks;  // name, xml
  std::string domain;
};

Result<Documents> BuildDocuments(Hypervisor& hv, const LaunchRequest& req,
                                 const LaunchOptions& options) {
  Documents docs;
  docs.spec = req.spec;
  LaunchSpec& spec = docs.spec;

  ATTEST_ASSIGN_OR_RETURN(uint64_t version, hv.LibVersion());
  ATTEST_ASSIGN_OR_RETURN(std::string domcaps_xml, hv.DomainCapabilities(spec.domain_type));
  ATTEST_ASSIGN_OR_RETURN(std::string caps_xml, hv.HostCapabilities());
  ATTEST_ASSIGN_OR_RETURN(DomainCapabilities domcaps, ParseDomainCapabilities(domcaps_xml));
  ATTEST_ASSIGN_OR_RETURN(HostCapabilities host, ParseHostCapabilities(caps_xml));
  ATTEST_ASSIGN_OR_RETURN(spec.seclabel.model, ChooseSecLabelModel(host, options.allow_dac_only));
  spec.seclabel.type = SecLabelType::kDynamic;
  spec.seclabel.label.clear();
  ATTEST_RETURN_IF_ERROR(ApplyHostCapabilities(domcaps, host, spec));

  std::vector<std::string> group_names;
  for (const SecurityGroup& g : req.groups) {
    if (g.tenant != spec.tenant) {
      return Status(reasons::kLauncherGroupNotOwned,
                    "launch: security group " + g.id + " belongs to another tenant");
    }
    ATTEST_ASSIGN_OR_RETURN(std::string xml, BuildNwFilterXml(g, req.members));
    docs.group_filters.push_back(std::move(xml));
    group_names.push_back(FilterName(g));
  }
  ATTEST_ASSIGN_OR_RETURN(docs.vm_filter, BuildVmFilterXml(spec.uuid, group_names));

  for (Interface& i : spec.interfaces) {
    auto net = std::find_if(req.nets.begin(), req.nets.end(),
                            [&](const TenantNet& n) { return NetworkName(n) == i.network; });
    if (net == req.nets.end()) {
      return Status(reasons::kLauncherInvalidSpec,
                    "launch: interface network " + i.network + " is not one of the request's nets");
    }
    if (net->tenant != spec.tenant) {
      return Status(reasons::kLauncherNetNotOwned,
                    "launch: net " + net->id + " belongs to another tenant");
    }
    i.filter = VmFilterName(spec.uuid);
  }
  for (const TenantNet& n : req.nets) {
    if (n.tenant != spec.tenant) {
      return Status(reasons::kLauncherNetNotOwned,
                    "launch: net " + n.id + " belongs to another tenant");
    }
    ATTEST_ASSIGN_OR_RETURN(std::string xml, BuildNetworkXml(n));
    docs.networks.emplace_back(NetworkName(n), std::move(xml));
  }
  ATTEST_ASSIGN_OR_RETURN(docs.domain, BuildDomainXml(spec, version));
  return docs;
}

// PreAttestSev runs the SEV guest owner's checks on the paused domain and injects the secret.
Result<Bytes> PreAttestSev(Hypervisor& hv, const LaunchSpec& spec, const SevPreAttestation& owner) {
  ATTEST_ASSIGN_OR_RETURN(SevLaunchInfo info, hv.GetSevLaunchInfo(spec.name));
  if (info.policy != spec.sev.policy) {
    return Status(reasons::kLauncherSevPolicyMismatch,
                  "launch: firmware reports SEV policy " + std::to_string(info.policy) +
                      ", the owner session was made for " + std::to_string(spec.sev.policy));
  }
  ATTEST_ASSIGN_OR_RETURN(sev::LaunchMeasurement m, sev::ParseLaunchMeasurement(info.measurement));
  sev::LaunchMeasureInput in;
  in.api_major = info.api_major;
  in.api_minor = info.api_minor;
  in.build = info.build_id;
  in.policy = info.policy;
  in.launch_digest = owner.expected_launch_digest;
  in.mnonce = m.mnonce;
  Status verified = sev::VerifyLaunchMeasure(owner.keys.tik, in, m.measure);
  if (!verified.ok()) {
    return verified.WithContext("launch: SEV launch measurement");
  }
  ATTEST_ASSIGN_OR_RETURN(sev::LaunchSecret secret,
                          sev::PackageLaunchSecret(owner.keys, m.measure, owner.secret_table));
  ATTEST_RETURN_IF_ERROR(hv.SetSevLaunchSecret(spec.name, secret.header, secret.ciphertext));
  return info.measurement;
}

Status CheckRequest(const LaunchRequest& req) {
  const LaunchSpec& s = req.spec;
  switch (s.tee) {
    case TeeType::kNone:
      return Status(reasons::kLauncherInvalidSpec, "launch: a tenant VM needs a TEE");
    case TeeType::kSev:
    case TeeType::kSevEs:
      if (!req.sev) {
        return Status(reasons::kLauncherInvalidSpec,
                      "launch: SEV without pre-attestation (owner keys, expected digest, secret)");
      }
      if (req.sev->secret_table.empty()) {
        return Status(reasons::kLauncherInvalidSpec, "launch: SEV without a secret to inject");
      }
      break;
    case TeeType::kSevSnp:
      if (!s.snp.host_data) {
        return Status(reasons::kLauncherInvalidSpec, "launch: SNP without the ticket's HOST_DATA");
      }
      break;
    case TeeType::kTdx:
      if (!s.tdx.mr_config_id) {
        return Status(reasons::kLauncherInvalidSpec, "launch: TDX without the ticket's MRCONFIGID");
      }
      break;
  }
  if (!IsSev(s.tee) && req.sev) {
    return Status(reasons::kLauncherInvalidSpec, "launch: SEV pre-attestation for a non-SEV VM");
  }
  return CheckDiskOwnership(s);
}

}  // namespace

Result<LaunchResult> LaunchVm(Hypervisor& hv, const LaunchRequest& request,
                              const LaunchOptions& options) {
  ATTEST_RETURN_IF_ERROR(CheckRequest(request));
  ATTEST_ASSIGN_OR_RETURN(Documents docs, BuildDocuments(hv, request, options));
  const LaunchSpec& spec = docs.spec;

  Created created;
  auto fail = [&](Status s) { return Rollback(hv, created, spec, std::move(s)); };

  for (const auto& [name, xml] : docs.networks) {
    auto exists = hv.NetworkExists(name);
    if (!exists.ok()) {
      return fail(exists.status());
    }
    if (*exists) {
      continue;
    }
    Status s = hv.DefineNetwork(xml);
    if (!s.ok()) {
      return fail(s);
    }
    created.networks.push_back(name);
  }
  for (const std::string& xml : docs.group_filters) {
    Status s = hv.DefineNwFilter(xml);
    if (!s.ok()) {
      return fail(s);
    }
  }
  {
    Status s = hv.DefineNwFilter(docs.vm_filter);
    if (!s.ok()) {
      return fail(s);
    }
    created.vm_filter = true;
  }
  {
    Status s = hv.DefineDomain(docs.domain);
    if (!s.ok()) {
      return fail(s);
    }
    created.domain_defined = true;
  }
  const bool sev = IsSev(spec.tee);
  {
    Status s = hv.StartDomain(spec.name, /*paused=*/sev);
    if (!s.ok()) {
      return fail(s);
    }
    created.domain_started = true;
  }
  LaunchResult result;
  result.domain = spec.name;
  if (sev) {
    auto measurement = PreAttestSev(hv, spec, *request.sev);
    if (!measurement.ok()) {
      return fail(measurement.status());
    }
    result.sev_measurement = std::move(measurement).value();
    Status s = hv.ResumeDomain(spec.name);
    if (!s.ok()) {
      return fail(s);
    }
  }
  auto state = hv.GetDomainState(spec.name);
  if (!state.ok()) {
    return fail(state.status());
  }
  if (*state != DomainState::kRunning) {
    return fail(Status(
        reasons::kLauncherHypervisor,
        "launch: domain is " + std::string(DomainStateName(*state)) + " after start, not running"));
  }
  result.state = *state;
  return result;
}

Status StopVm(Hypervisor& hv, std::string_view domain, std::string_view vm_uuid) {
  auto state = hv.GetDomainState(domain);
  if (state.ok()) {
    if (*state == DomainState::kRunning || *state == DomainState::kPaused) {
      ATTEST_RETURN_IF_ERROR(hv.DestroyDomain(domain));
    }
    Status s = hv.UndefineDomain(domain);
    if (!s.ok() && s.reason_id() != reasons::kLauncherNotFound.id) {
      return s;
    }
  } else if (state.status().reason_id() != reasons::kLauncherNotFound.id) {
    return state.status();
  }
  Status s = hv.UndefineNwFilter(VmFilterName(vm_uuid));
  if (!s.ok() && s.reason_id() != reasons::kLauncherNotFound.id) {
    return s;
  }
  return Status::Ok();
}

}  // namespace attest::launcher
