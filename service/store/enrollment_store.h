// EnrollmentStore: host enrollment (one-time tokens), the activation that gives a host its own
// credential, and host revocation. Each step is one transaction with its audit entry.
//
// The flow (service/README.md, "Host enrollment"): the operator creates an enrollment and hands
// its token to the host; the host redeems it with its EK and AK (a host row in state kRegistered,
// holding the host's future secret key sealed until activation); the host proves with an HMAC that
// its TPM recovered the activation secret, which turns the sealed key into a credential of its own
// (state kActivated). Tokens are stored only as their SHA-256.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "attest/core/status.h"
#include "attest/core/time.h"
#include "service/store/audit.h"
#include "service/store/host_store.h"
#include "service/store/secret_sealer.h"
#include "service/store/sql.h"
#include "service/store/tenant_store.h"

namespace attest::service::store {

struct HostEnrollment {
  std::string id;
  std::string tenant_id;
  std::string host_policy;
  std::vector<std::string> tees;
  std::string libvirt_uri;
  TimePoint expires_at;
  TimePoint created_at;
  std::optional<TimePoint> used_at;
  std::string host_id;  // the host that redeemed it, "" before
};

// PendingSecretLabel is the associated data a host's pending secret key is sealed with
// ("host-pending:<host id>"): it opens only as that host's pending key.
std::string PendingSecretLabel(const std::string& host_id);

// CheckEnrollmentUsable fails with kStoreEnrollmentTokenUsed when e was redeemed, or
// kStoreEnrollmentTokenExpired when it expired at or before now.
Status CheckEnrollmentUsable(const HostEnrollment& e, TimePoint now);

// NewHostEnrollment: what the operator asked for, and the token's SHA-256 (hex).
struct NewHostEnrollment {
  std::string token_sha256;
  std::string host_policy;
  std::vector<std::string> tees;
  std::string libvirt_uri;
  TimePoint expires_at;
};

// HostRedemption: what a host brings to its enrollment.
struct HostRedemption {
  std::string token_sha256;
  std::string host_id;  // NewHostId(): the caller derives the host's key from it first
  Bytes ek_public;
  Bytes ek_cert;
  Bytes ak_public;
  std::string activation_sha256;  // hex SHA-256 of the activation secret
  std::string secret_access_key;  // derived from the activation secret; sealed until activation
  std::string platform;           // canonical platform identity document (protocol/host_platform.h)
};

class EnrollmentStore {
 public:
  EnrollmentStore(SqlConnection* db, std::shared_ptr<const SecretSealer> sealer)
      : db_(db), sealer_(std::move(sealer)) {}

  // CreateEnrollment stores an enrollment of caller_tenant with a fresh id ("en-" + 16 hex) and
  // appends audit (its subject set to the id). kStoreInvalidArgument for a bad TEE name.
  Result<HostEnrollment> CreateEnrollment(const std::string& caller_tenant,
                                          const NewHostEnrollment& enrollment, AuditRecord audit,
                                          TimePoint now);

  // FindEnrollment returns the enrollment a token hash names, whatever its state, or
  // kStoreEnrollmentTokenInvalid.
  Result<HostEnrollment> FindEnrollment(const std::string& token_sha256);

  // RedeemEnrollment, in one transaction: marks the token's enrollment used, creates the host
  // (owned by the enrollment's tenant, with its host policy, TEEs and libvirt URI; state
  // kRegistered; activation deadline = the enrollment's expiry) holding the sealed secret key, and
  // appends the audit entry (tenant, subject and time filled in here). Fails with
  // kStoreEnrollmentTokenInvalid / Used / Expired, kStoreAlreadyExists when a host that is not
  // revoked already has this EK, and then has written nothing.
  Result<Host> RedeemEnrollment(const HostRedemption& redemption, AuditRecord audit, TimePoint now);

  // PendingSecretKey returns the sealed-away secret key of a registered host whose activation
  // deadline has not passed (for checking its activation proof), or kStoreNotFound: no such host,
  // already activated, revoked, or too late.
  Result<std::string> PendingSecretKey(const std::string& host_id, TimePoint now);

  // ActivateHost, in one transaction: the registered host becomes kActivated, its sealed key
  // becomes its credential (a fresh "AKIH" access key id, Credential::host_id set) and leaves the
  // host row, and audit is appended. kStoreNotFound as PendingSecretKey (also when a concurrent
  // activation won). Returns the credential.
  Result<Credential> ActivateHost(const std::string& host_id, AuditRecord audit, TimePoint now);

  // RevokeHost, in one transaction: deletes every credential of the caller's host, sets it
  // kRevoked (trusted_until cleared, revoked_at = now), marks its live VMs as on an untrusted
  // host (each raising vm.host_untrusted), raises host.revoked, and appends audit. kStoreNotFound
  // when the host is not the caller's or already revoked.
  Status RevokeHost(const std::string& caller_tenant, const std::string& host_id, AuditRecord audit,
                    TimePoint now);

 private:
  SqlConnection* db_;
  std::shared_ptr<const SecretSealer> sealer_;
};

}  // namespace attest::service::store
