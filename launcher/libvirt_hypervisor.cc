#include "launcher/libvirt_hypervisor.h"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include <cstdlib>

#include "attest/core/encoding.h"
#include "launcher/xml.h"

namespace attest::launcher {
namespace {

// libvirt prints every error to stderr unless a handler is set; errors are returned as Status.
void SilentErrorHandler(void*, virErrorPtr) {}

Status LastError(std::string_view what) {
  virErrorPtr err = virGetLastError();
  std::string message = std::string(what) + ": " + (err && err->message ? err->message : "unknown");
  bool missing = err && (err->code == VIR_ERR_NO_DOMAIN || err->code == VIR_ERR_NO_NETWORK ||
                         err->code == VIR_ERR_NO_NWFILTER);
  virResetLastError();
  return Status(missing ? reasons::kLauncherNotFound : reasons::kLauncherHypervisor, message);
}

struct DomainDeleter {
  void operator()(virDomainPtr d) const { virDomainFree(d); }
};
using DomainPtr = std::unique_ptr<virDomain, DomainDeleter>;

struct CharDeleter {
  void operator()(char* p) const { std::free(p); }
};

Result<std::string> TakeString(char* p, std::string_view what) {
  if (p == nullptr) {
    return LastError(what);
  }
  std::unique_ptr<char, CharDeleter> owned(p);
  return std::string(owned.get());
}

}  // namespace

Result<std::unique_ptr<LibvirtHypervisor>> LibvirtHypervisor::Open(const std::string& uri) {
  virSetErrorFunc(nullptr, SilentErrorHandler);
  virConnectPtr conn = virConnectOpen(uri.c_str());
  if (conn == nullptr) {
    return LastError("virConnectOpen " + uri);
  }
  return std::unique_ptr<LibvirtHypervisor>(new LibvirtHypervisor(conn));
}

LibvirtHypervisor::~LibvirtHypervisor() { virConnectClose(conn_); }

namespace {
Result<DomainPtr> Lookup(virConnectPtr conn, std::string_view name) {
  std::string n(name);
  virDomainPtr d = virDomainLookupByName(conn, n.c_str());
  if (d == nullptr) {
    return LastError("domain " + n);
  }
  return DomainPtr(d);
}
}  // namespace

Result<uint64_t> LibvirtHypervisor::LibVersion() {
  unsigned long version = 0;
  if (virConnectGetLibVersion(conn_, &version) < 0) {
    return LastError("virConnectGetLibVersion");
  }
  return static_cast<uint64_t>(version);
}

Result<std::string> LibvirtHypervisor::HostCapabilities() {
  return TakeString(virConnectGetCapabilities(conn_), "virConnectGetCapabilities");
}

Result<std::string> LibvirtHypervisor::DomainCapabilities(std::string_view virt_type) {
  std::string t(virt_type);
  return TakeString(virConnectGetDomainCapabilities(conn_, nullptr, "x86_64", "q35", t.c_str(), 0),
                    "virConnectGetDomainCapabilities");
}

Status LibvirtHypervisor::DefineDomain(std::string_view xml) {
  std::string x(xml);
  virDomainPtr d = virDomainDefineXML(conn_, x.c_str());
  if (d == nullptr) {
    return LastError("virDomainDefineXML");
  }
  virDomainFree(d);
  return Status::Ok();
}

Status LibvirtHypervisor::StartDomain(std::string_view name, bool paused) {
  ATTEST_ASSIGN_OR_RETURN(DomainPtr d, Lookup(conn_, name));
  if (virDomainCreateWithFlags(d.get(), paused ? VIR_DOMAIN_START_PAUSED : 0) < 0) {
    return LastError("virDomainCreateWithFlags");
  }
  return Status::Ok();
}

Status LibvirtHypervisor::ResumeDomain(std::string_view name) {
  ATTEST_ASSIGN_OR_RETURN(DomainPtr d, Lookup(conn_, name));
  if (virDomainResume(d.get()) < 0) {
    return LastError("virDomainResume");
  }
  return Status::Ok();
}

Status LibvirtHypervisor::ShutdownDomain(std::string_view name) {
  ATTEST_ASSIGN_OR_RETURN(DomainPtr d, Lookup(conn_, name));
  // The ACPI power button only: a guest agent is not part of a confidential guest's trust.
  if (virDomainShutdownFlags(d.get(), VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN) < 0) {
    return LastError("virDomainShutdown");
  }
  return Status::Ok();
}

Status LibvirtHypervisor::DestroyDomain(std::string_view name) {
  ATTEST_ASSIGN_OR_RETURN(DomainPtr d, Lookup(conn_, name));
  if (virDomainDestroy(d.get()) < 0) {
    return LastError("virDomainDestroy");
  }
  return Status::Ok();
}

Status LibvirtHypervisor::UndefineDomain(std::string_view name) {
  ATTEST_ASSIGN_OR_RETURN(DomainPtr d, Lookup(conn_, name));
  // NVRAM and the vTPM's state belong to the VM: nothing of it may outlive the definition.
  if (virDomainUndefineFlags(d.get(), VIR_DOMAIN_UNDEFINE_NVRAM | VIR_DOMAIN_UNDEFINE_TPM) < 0) {
    virErrorPtr err = virGetLastError();
    // The test driver knows neither flag; it has no NVRAM or TPM state either.
    if (err == nullptr || err->code != VIR_ERR_INVALID_ARG) {
      return LastError("virDomainUndefine");
    }
    virResetLastError();
    if (virDomainUndefine(d.get()) < 0) {
      return LastError("virDomainUndefine");
    }
  }
  return Status::Ok();
}

Result<DomainState> LibvirtHypervisor::GetDomainState(std::string_view name) {
  ATTEST_ASSIGN_OR_RETURN(DomainPtr d, Lookup(conn_, name));
  int state = 0, reason = 0;
  if (virDomainGetState(d.get(), &state, &reason, 0) < 0) {
    return LastError("virDomainGetState");
  }
  switch (state) {
    case VIR_DOMAIN_RUNNING:
      return DomainState::kRunning;
    case VIR_DOMAIN_PAUSED:
      return DomainState::kPaused;
    case VIR_DOMAIN_SHUTOFF:
      return DomainState::kShutoff;
    case VIR_DOMAIN_CRASHED:
      return DomainState::kCrashed;
    default:
      return DomainState::kOther;
  }
}

Result<std::string> LibvirtHypervisor::GetDomainXml(std::string_view name) {
  ATTEST_ASSIGN_OR_RETURN(DomainPtr d, Lookup(conn_, name));
  return TakeString(virDomainGetXMLDesc(d.get(), 0), "virDomainGetXMLDesc");
}

Result<SevPlatformInfo> LibvirtHypervisor::GetSevPlatformInfo() {
  virTypedParameterPtr params = nullptr;
  int n = 0;
  if (virNodeGetSEVInfo(conn_, &params, &n, 0) < 0) {
    return LastError("virNodeGetSEVInfo");
  }
  struct ParamsDeleter {
    int n;
    void operator()(virTypedParameterPtr p) const { virTypedParamsFree(p, n); }
  };
  std::unique_ptr<virTypedParameter, ParamsDeleter> owned(params, ParamsDeleter{n});
  // Each parameter is base64 of whole 2084-byte SEV certificates (LIBVIRT-SEV.md section 2).
  auto certs = [&](const char* key, size_t count) -> Result<Bytes> {
    const char* text = nullptr;
    if (virTypedParamsGetString(params, n, key, &text) != 1 || text == nullptr) {
      return Status(reasons::kLauncherLaunchInfoMalformed,
                    std::string("SEV platform info: no ") + key);
    }
    auto decoded = Base64Decode(text);
    if (!decoded.ok() || decoded->size() != count * kSevCertBytes) {
      return Status(reasons::kLauncherLaunchInfoMalformed,
                    std::string("SEV platform info: ") + key + " is not base64 of " +
                        std::to_string(count) + " SEV certificate(s)");
    }
    return std::move(decoded).value();
  };
  SevPlatformInfo info;
  ATTEST_ASSIGN_OR_RETURN(info.pdh, certs(VIR_NODE_SEV_PDH, 1));
  ATTEST_ASSIGN_OR_RETURN(Bytes chain, certs(VIR_NODE_SEV_CERT_CHAIN, 3));
  auto part = [&](size_t i) {
    return Bytes(chain.begin() + static_cast<std::ptrdiff_t>(i * kSevCertBytes),
                 chain.begin() + static_cast<std::ptrdiff_t>((i + 1) * kSevCertBytes));
  };
  info.pek = part(0);
  info.oca = part(1);
  info.cek = part(2);
  return info;
}

Result<SevLaunchInfo> LibvirtHypervisor::GetSevLaunchInfo(std::string_view name) {
  ATTEST_ASSIGN_OR_RETURN(DomainPtr d, Lookup(conn_, name));
  virTypedParameterPtr params = nullptr;
  int n = 0;
  if (virDomainGetLaunchSecurityInfo(d.get(), &params, &n, 0) < 0) {
    return LastError("virDomainGetLaunchSecurityInfo");
  }
  struct ParamsDeleter {
    int n;
    void operator()(virTypedParameterPtr p) const { virTypedParamsFree(p, n); }
  };
  std::unique_ptr<virTypedParameter, ParamsDeleter> owned(params, ParamsDeleter{n});
  const char* measurement = nullptr;
  if (virTypedParamsGetString(params, n, VIR_DOMAIN_LAUNCH_SECURITY_SEV_MEASUREMENT,
                              &measurement) != 1 ||
      measurement == nullptr) {
    return Status(reasons::kLauncherLaunchInfoMalformed,
                  "launch security info: no sev-measurement");
  }
  auto decoded = Base64Decode(measurement);
  if (!decoded.ok() || decoded->size() != 48) {
    return Status(reasons::kLauncherLaunchInfoMalformed,
                  "launch security info: sev-measurement is not base64 of 48 bytes");
  }
  SevLaunchInfo info;
  info.measurement = std::move(decoded).value();
  unsigned int v = 0;
  auto byte_param = [&](const char* key, uint8_t& out) -> Status {
    if (virTypedParamsGetUInt(params, n, key, &v) != 1 || v > 255) {
      return Status(reasons::kLauncherLaunchInfoMalformed,
                    std::string("launch security info: missing or out of range ") + key);
    }
    out = static_cast<uint8_t>(v);
    return Status::Ok();
  };
  ATTEST_RETURN_IF_ERROR(byte_param(VIR_DOMAIN_LAUNCH_SECURITY_SEV_API_MAJOR, info.api_major));
  ATTEST_RETURN_IF_ERROR(byte_param(VIR_DOMAIN_LAUNCH_SECURITY_SEV_API_MINOR, info.api_minor));
  ATTEST_RETURN_IF_ERROR(byte_param(VIR_DOMAIN_LAUNCH_SECURITY_SEV_BUILD_ID, info.build_id));
  if (virTypedParamsGetUInt(params, n, VIR_DOMAIN_LAUNCH_SECURITY_SEV_POLICY, &v) != 1) {
    return Status(reasons::kLauncherLaunchInfoMalformed, "launch security info: no sev-policy");
  }
  info.policy = v;
  return info;
}

Status LibvirtHypervisor::SetSevLaunchSecret(std::string_view name, ByteSpan header,
                                             ByteSpan ciphertext) {
  ATTEST_ASSIGN_OR_RETURN(DomainPtr d, Lookup(conn_, name));
  virTypedParameterPtr params = nullptr;
  int n = 0, max = 0;
  std::string h = Base64Encode(header), c = Base64Encode(ciphertext);
  if (virTypedParamsAddString(&params, &n, &max, VIR_DOMAIN_LAUNCH_SECURITY_SEV_SECRET_HEADER,
                              h.c_str()) < 0 ||
      virTypedParamsAddString(&params, &n, &max, VIR_DOMAIN_LAUNCH_SECURITY_SEV_SECRET, c.c_str()) <
          0) {
    virTypedParamsFree(params, n);
    return LastError("virTypedParamsAddString");
  }
  int rc = virDomainSetLaunchSecurityState(d.get(), params, n, 0);
  virTypedParamsFree(params, n);
  if (rc < 0) {
    return LastError("virDomainSetLaunchSecurityState");
  }
  return Status::Ok();
}

Status LibvirtHypervisor::DefineNwFilter(std::string_view xml) {
  std::string x(xml);
  virNWFilterPtr f = virNWFilterDefineXML(conn_, x.c_str());
  if (f == nullptr) {
    return LastError("virNWFilterDefineXML");
  }
  virNWFilterFree(f);
  return Status::Ok();
}

Status LibvirtHypervisor::UndefineNwFilter(std::string_view name) {
  std::string n(name);
  virNWFilterPtr f = virNWFilterLookupByName(conn_, n.c_str());
  if (f == nullptr) {
    return LastError("nwfilter " + n);
  }
  int rc = virNWFilterUndefine(f);
  virNWFilterFree(f);
  if (rc < 0) {
    return LastError("virNWFilterUndefine");
  }
  return Status::Ok();
}

Status LibvirtHypervisor::DefineNetwork(std::string_view xml) {
  std::string x(xml);
  virNetworkPtr net = virNetworkDefineXML(conn_, x.c_str());
  if (net == nullptr) {
    return LastError("virNetworkDefineXML");
  }
  if (virNetworkCreate(net) < 0) {
    Status s = LastError("virNetworkCreate");
    virNetworkUndefine(net);  // a defined but unusable network must not stay behind
    virNetworkFree(net);
    return s;
  }
  virNetworkFree(net);
  return Status::Ok();
}

Status LibvirtHypervisor::DestroyNetwork(std::string_view name) {
  std::string n(name);
  virNetworkPtr net = virNetworkLookupByName(conn_, n.c_str());
  if (net == nullptr) {
    return LastError("network " + n);
  }
  if (virNetworkIsActive(net) == 1 && virNetworkDestroy(net) < 0) {
    Status s = LastError("virNetworkDestroy");
    virNetworkFree(net);
    return s;
  }
  int rc = virNetworkUndefine(net);
  virNetworkFree(net);
  if (rc < 0) {
    return LastError("virNetworkUndefine");
  }
  return Status::Ok();
}

Result<bool> LibvirtHypervisor::NetworkExists(std::string_view name) {
  std::string n(name);
  virNetworkPtr net = virNetworkLookupByName(conn_, n.c_str());
  if (net == nullptr) {
    Status s = LastError("network " + n);
    if (s.reason_id() == reasons::kLauncherNotFound.id) {
      return false;
    }
    return s;
  }
  virNetworkFree(net);
  return true;
}

}  // namespace attest::launcher
