#include "launcher/launch.h"

#include <algorithm>
#include <thread>

#include <openssl/crypto.h>

#include "attest/sev/measurement.h"
#include "attest/sev/secret.h"
#include "launcher/capabilities.h"

namespace attest::launcher {
namespace {

bool IsSev(TeeType t) { return t == TeeType::kSev || t == TeeType::kSevEs; }

// How often ShutdownVm looks whether the guest has powered off.
constexpr std::chrono::milliseconds kShutdownPoll{100};

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
  Bytes released;
  if (owner.release_secret) {
    // The owner's last word: only now, with the measurement proven, is the table built.
    ATTEST_ASSIGN_OR_RETURN(released, owner.release_secret(info));
  }
  const Bytes& table = owner.release_secret ? released : owner.secret_table;
  Result<sev::LaunchSecret> secret = sev::PackageLaunchSecret(owner.keys, m.measure, table);
  OPENSSL_cleanse(released.data(), released.size());
  ATTEST_RETURN_IF_ERROR(secret.status());
  ATTEST_RETURN_IF_ERROR(hv.SetSevLaunchSecret(spec.name, secret->header, secret->ciphertext));
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
      if (req.sev->secret_table.empty() && !req.sev->release_secret) {
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

// DefineAll creates the nets that do not exist yet, (re)defines the group filters, the VM filter
// and the domain. `fresh`: the VM filter and the domain are new, so a rollback removes them.
Status DefineAll(Hypervisor& hv, const Documents& docs, bool fresh, Created& created) {
  for (const auto& [name, xml] : docs.networks) {
    ATTEST_ASSIGN_OR_RETURN(bool exists, hv.NetworkExists(name));
    if (exists) {
      continue;
    }
    ATTEST_RETURN_IF_ERROR(hv.DefineNetwork(xml));
    created.networks.push_back(name);
  }
  for (const std::string& xml : docs.group_filters) {
    ATTEST_RETURN_IF_ERROR(hv.DefineNwFilter(xml));
  }
  ATTEST_RETURN_IF_ERROR(hv.DefineNwFilter(docs.vm_filter));
  created.vm_filter = fresh;
  ATTEST_RETURN_IF_ERROR(hv.DefineDomain(docs.domain));
  created.domain_defined = fresh;
  return Status::Ok();
}

// StartAndAttest starts the defined domain (paused for SEV, whose owner checks the measurement
// and injects the secret before it runs) and checks that it runs.
Result<LaunchResult> StartAndAttest(Hypervisor& hv, const LaunchSpec& spec,
                                    const LaunchRequest& request, Created& created) {
  const bool sev = IsSev(spec.tee);
  ATTEST_RETURN_IF_ERROR(hv.StartDomain(spec.name, /*paused=*/sev));
  created.domain_started = true;
  LaunchResult result;
  result.domain = spec.name;
  if (sev) {
    ATTEST_ASSIGN_OR_RETURN(result.sev_measurement, PreAttestSev(hv, spec, *request.sev));
    ATTEST_RETURN_IF_ERROR(hv.ResumeDomain(spec.name));
  }
  ATTEST_ASSIGN_OR_RETURN(result.state, hv.GetDomainState(spec.name));
  if (result.state != DomainState::kRunning) {
    return Status(reasons::kLauncherHypervisor, "launch: domain is " +
                                                    std::string(DomainStateName(result.state)) +
                                                    " after start, not running");
  }
  return result;
}

// Launch builds every document, defines what is needed and starts the domain; on failure it
// removes what it created (for a restart: the nets it had to create and the started domain).
Result<LaunchResult> Launch(Hypervisor& hv, const LaunchRequest& request,
                            const LaunchOptions& options, bool fresh) {
  ATTEST_RETURN_IF_ERROR(CheckRequest(request));
  ATTEST_ASSIGN_OR_RETURN(Documents docs, BuildDocuments(hv, request, options));
  Created created;
  Status defined = DefineAll(hv, docs, fresh, created);
  if (!defined.ok()) {
    return Rollback(hv, created, docs.spec, defined);
  }
  auto started = StartAndAttest(hv, docs.spec, request, created);
  if (!started.ok()) {
    return Rollback(hv, created, docs.spec, started.status());
  }
  return started;
}

}  // namespace

Result<LaunchResult> LaunchVm(Hypervisor& hv, const LaunchRequest& request,
                              const LaunchOptions& options) {
  return Launch(hv, request, options, /*fresh=*/true);
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

Result<LaunchResult> StartVm(Hypervisor& hv, const LaunchRequest& request,
                             const LaunchOptions& options) {
  const std::string& name = request.spec.name;
  ATTEST_ASSIGN_OR_RETURN(DomainState state, hv.GetDomainState(name));
  switch (state) {
    case DomainState::kRunning: {
      LaunchResult running;
      running.domain = name;
      running.state = state;
      return running;
    }
    case DomainState::kShutoff:
    case DomainState::kCrashed:
      break;
    case DomainState::kPaused:
    case DomainState::kOther:
      return Status(reasons::kLauncherWrongState, "start: domain " + name + " is " +
                                                      std::string(DomainStateName(state)) +
                                                      ", not shut off; stop it first");
  }
  return Launch(hv, request, options, /*fresh=*/false);
}

Status ShutdownVm(Hypervisor& hv, std::string_view domain, std::chrono::milliseconds grace) {
  ATTEST_ASSIGN_OR_RETURN(DomainState state, hv.GetDomainState(domain));
  if (state == DomainState::kShutoff || state == DomainState::kCrashed) {
    return Status::Ok();
  }
  if (state == DomainState::kRunning) {
    // A guest that cannot be asked (no ACPI, an error on the way) is destroyed like one that
    // does not answer; only a vanished domain ends here.
    Status asked = hv.ShutdownDomain(domain);
    if (!asked.ok() && asked.reason_id() == reasons::kLauncherNotFound.id) {
      return asked;
    }
    const auto deadline = std::chrono::steady_clock::now() + grace;
    while (asked.ok()) {
      ATTEST_ASSIGN_OR_RETURN(state, hv.GetDomainState(domain));
      if (state == DomainState::kShutoff || state == DomainState::kCrashed) {
        return Status::Ok();
      }
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) {
        break;
      }
      std::this_thread::sleep_for(
          std::min<std::chrono::steady_clock::duration>(deadline - now, kShutdownPoll));
    }
  }
  Status destroyed = hv.DestroyDomain(domain);
  if (destroyed.ok()) {
    return destroyed;
  }
  // The guest may have powered off between the last look and the destroy.
  ATTEST_ASSIGN_OR_RETURN(state, hv.GetDomainState(domain));
  return state == DomainState::kShutoff ? Status::Ok() : destroyed;
}

Result<LaunchResult> RebootVm(Hypervisor& hv, const LaunchRequest& request,
                              const LaunchOptions& options, std::chrono::milliseconds grace) {
  ATTEST_RETURN_IF_ERROR(ShutdownVm(hv, request.spec.name, grace));
  return StartVm(hv, request, options);
}

Result<DomainState> VmState(Hypervisor& hv, std::string_view domain) {
  return hv.GetDomainState(domain);
}

}  // namespace attest::launcher
