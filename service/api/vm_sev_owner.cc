#include "service/api/vm_sev_owner.h"

#include <algorithm>
#include <cstdio>
#include <vector>

#include <openssl/crypto.h>

#include "attest/core/encoding.h"
#include "attest/sev/secret.h"
#include "attest/sev/session.h"
#include "service/keys/volume.h"
#include "service/release/reasons.h"

namespace attest::service::api {
namespace {

constexpr std::string_view kVolumeKeyGuidStem = "0d4f3ac1-8e2b-4c6a-9f57-4a7e3b6c5";

Status Untrusted(const Status& cause) {
  return Status(reasons::kApiSevPlatformUntrusted,
                "host SEV platform (" + std::string(cause.reason_id()) + "): " + cause.message());
}

// ReleaseDenied is the release.* reason of what no longer holds when the secret would leave.
Status ReleaseDenied(const store::ReleaseChange& change) {
  switch (change.check) {
    case store::ReleaseChange::Check::kVm:
      return Status(reasons::kReleaseVmDeleted, "SEV launch secret: " + change.detail);
    case store::ReleaseChange::Check::kVolume:
      return Status(reasons::kReleaseVolumeUnavailable, "SEV launch secret: " + change.detail);
    case store::ReleaseChange::Check::kPolicy:
      return Status(reasons::kReleasePolicyRevoked, "SEV launch secret: " + change.detail);
    case store::ReleaseChange::Check::kHost:
      break;
  }
  return Status(reasons::kReleaseHostUntrusted, "SEV launch secret: " + change.detail);
}

store::AuditRecord SecretRecord(const RequestContext& ctx, const store::Vm& vm,
                                const std::string& outcome, const std::string& detail) {
  store::AuditRecord r;
  r.tenant_id = vm.tenant_id;
  r.at = ctx.now;
  r.actor = "attestd";  // the guest owner; no guest request exists for a legacy SEV release
  r.action = "vm.release";
  r.subject = vm.id;
  r.evidence_digest = vm.expected.measurement;  // the launch digest MEASURE proved
  r.policy_version = vm.policy_name + "@" + std::to_string(vm.policy_version);
  r.outcome = outcome;
  r.detail = detail;
  r.client_address = ctx.client_address;
  return r;
}

// VolumeKeyTable unwraps each volume's key into its table entry; the keys live only in the
// entries, wiped before returning.
Result<Bytes> VolumeKeyTable(const keys::KeyEncryptionKey& kek, store::Store& db,
                             const store::Vm& vm) {
  std::vector<sev::SecretEntry> entries;
  auto wipe = [&] {
    for (sev::SecretEntry& e : entries) {
      OPENSSL_cleanse(e.value.data(), e.value.size());
    }
  };
  for (size_t i = 0; i < vm.volume_ids.size(); ++i) {
    Result<store::Volume> volume = db.GetVolume(vm.tenant_id, vm.volume_ids[i]);
    Result<sev::Guid> guid = sev::ParseGuid(SevVolumeKeyGuid(i));
    Result<Bytes> key = volume.ok() ? keys::UnwrapVolumeKey(kek, volume->id, volume->wrapped_key)
                                    : Result<Bytes>(volume.status());
    if (!key.ok() || !guid.ok()) {
      wipe();
      return key.ok() ? guid.status() : key.status();
    }
    entries.push_back({*guid, std::move(key).value()});
  }
  Result<Bytes> table = sev::BuildSecretTable(entries);
  wipe();
  return table;
}

}  // namespace

bool IsLegacySev(std::string_view tee) { return tee == "sev" || tee == "sev-es"; }

uint32_t SevOwnerPolicy(std::string_view tee) {
  return tee == "sev-es" ? kSevOwnerPolicy | kSevPolicyEs : kSevOwnerPolicy;
}

std::string SevVolumeKeyGuid(size_t index) {
  char tail[4];
  std::snprintf(tail, sizeof(tail), "%03zx", index % 0x1000);
  return std::string(kVolumeKeyGuidStem) + tail;
}

Result<sev::VerifiedSevChain> VerifyHostSevChain(launcher::Hypervisor& hv,
                                                 std::span<const sev::AmdRoot> roots) {
  Result<launcher::SevPlatformInfo> info = hv.GetSevPlatformInfo();
  if (!info.ok()) {
    return Untrusted(info.status());
  }
  Result<sev::SevPlatformCerts> certs =
      sev::ParseSevPlatformCerts(info->pdh, info->pek, info->oca, info->cek);
  if (!certs.ok()) {
    return Untrusted(certs.status());
  }
  Result<sev::VerifiedSevChain> chain = sev::VerifySevChain(*certs, roots);
  if (!chain.ok()) {
    return Untrusted(chain.status());
  }
  return chain;
}

Status BecomeSevOwner(RequestContext& ctx, store::Store& db, launcher::Hypervisor& hv,
                      const store::Vm& vm, launcher::LaunchRequest& request) {
  Result<Bytes> digest = HexDecode(vm.expected.measurement);
  if (!digest.ok() || digest->size() != 32) {
    return Status(reasons::kLauncherInvalidSpec,
                  "SEV launch of " + vm.id + " without an expected launch digest (boot image)");
  }
  if (ctx.service.kek == nullptr) {
    return Status(reasons::kApiInternal, "no key-encryption key: volume keys cannot be released");
  }
  std::vector<sev::AmdRoot> builtin;
  if (ctx.service.sev_roots == nullptr) {
    ATTEST_ASSIGN_OR_RETURN(builtin, sev::BuiltinAmdRoots());
  }
  std::span<const sev::AmdRoot> roots = ctx.service.sev_roots != nullptr
                                            ? std::span<const sev::AmdRoot>(*ctx.service.sev_roots)
                                            : std::span<const sev::AmdRoot>(builtin);
  ATTEST_ASSIGN_OR_RETURN(sev::VerifiedSevChain chain, VerifyHostSevChain(hv, roots));
  const uint32_t policy = SevOwnerPolicy(vm.tee_type);
  ATTEST_ASSIGN_OR_RETURN(sev::OwnerSession session,
                          sev::CreateOwnerSession(chain.certs().pdh, policy));
  request.spec.sev.policy = policy;
  request.spec.sev.dh_cert = std::move(session.dh_cert);
  request.spec.sev.session = std::move(session.session);
  launcher::SevPreAttestation owner;
  owner.keys = session.keys;
  OPENSSL_cleanse(&session.keys, sizeof(session.keys));
  std::copy(digest->begin(), digest->end(), owner.expected_launch_digest.begin());
  owner.release_secret = [&ctx, &db, &vm, product = chain.product()](
                             const launcher::SevLaunchInfo& info) -> Result<Bytes> {
    const store::ReleaseBasis basis{
        vm.tenant_id, vm.id, vm.host_id, vm.volume_ids, vm.policy_name, vm.policy_version, ctx.now};
    std::string volumes;
    for (const std::string& id : vm.volume_ids) {
      volumes += (volumes.empty() ? "" : ",") + id;
    }
    const std::string detail =
        "sev launch secret: volumes=" + (volumes.empty() ? "none" : volumes) +
        " measure=" + HexEncode(info.measurement) + " product=" + product;
    ATTEST_ASSIGN_OR_RETURN(std::optional<store::ReleaseChange> change,
                            db.CommitRelease(basis, SecretRecord(ctx, vm, "released", detail)));
    if (change) {
      (void)db.AppendAudit(SecretRecord(ctx, vm, "denied", change->detail));
      return ReleaseDenied(*change);
    }
    return VolumeKeyTable(*ctx.service.kek, db, vm);
  };
  request.sev = std::move(owner);
  return Status::Ok();
}

void ForgetSevOwner(launcher::LaunchRequest& request) {
  if (request.sev) {
    OPENSSL_cleanse(&request.sev->keys, sizeof(request.sev->keys));
    OPENSSL_cleanse(request.sev->secret_table.data(), request.sev->secret_table.size());
  }
}

}  // namespace attest::service::api
