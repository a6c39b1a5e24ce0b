// HostStore: hypervisor hosts, their enrollment and the record of each quote appraisal.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "attest/core/bytes.h"
#include "attest/core/status.h"
#include "attest/core/time.h"
#include "service/store/audit.h"
#include "service/store/host_state.h"
#include "service/store/sql.h"

namespace attest::service::store {

struct Host {
  std::string id;
  std::string tenant_id;
  Bytes ek_public;
  Bytes ek_cert;  // empty when the TPM has none
  Bytes ak_public;
  // host_policy: the name of the owner's host policy its quotes are appraised with (newest
  // version at each quote).
  std::string host_policy;
  // activation_sha256: hex SHA-256 of the credential-activation secret; the secret itself is never
  // stored, so reading the database does not let anyone activate.
  std::string activation_sha256;
  HostState state = HostState::kRegistered;
  std::string last_quote_result;  // JSON of the last appraisal, "" before the first quote
  std::optional<TimePoint> trusted_until;
  // last_good_quote: when the newest quote the host policy accepted was appraised (kept when a
  // later quote fails, so a reader sees how old the last good one is).
  std::optional<TimePoint> last_good_quote;
  // tees: the TEE types the operator says the host offers ("snp", "tdx", "sev", "sev-es");
  // placement only considers a host for a TEE it lists. The launcher still checks the host's
  // libvirt domain capabilities before it defines anything.
  std::vector<std::string> tees;
  // libvirt_uri: where attestd reaches the host's libvirtd ("" = attestd does not launch there).
  std::string libvirt_uri;
  // last_attempt_result / last_attempt_at: the newest quote submission whatever its outcome
  // (evidence that does not verify is recorded only here: it changes no trust state).
  std::string last_attempt_result;
  std::optional<TimePoint> last_attempt_at;
  std::optional<TimePoint> revoked_at;  // set with HostState::kRevoked
  // activation_deadline: a registered (enrolled, not yet activated) host must activate before it.
  std::optional<TimePoint> activation_deadline;
  // platform: the host's TEE platform identity document in canonical form
  // (protocol/host_platform.h; "" for a host registered before documents existed). Every quote
  // must carry this document; key release requires the guest's chip to be in it.
  std::string platform;
  // platform_changed_at: when a quote first carried a different document. Set once, it keeps the
  // host untrusted (host.platform_changed) until the operator re-enrolls it (deletes the host and
  // enrolls the machine again, with the document it reports now).
  std::optional<TimePoint> platform_changed_at;
  TimePoint created_at;
  TimePoint updated_at;

  // TrustedAt is store::TrustedAt(state, trusted_until, now).
  bool TrustedAt(TimePoint now) const { return store::TrustedAt(state, trusted_until, now); }
};

// HostRegistration: what RegisterHost stores for a new host.
struct HostRegistration {
  Bytes ek_public;
  Bytes ek_cert;  // empty when the TPM has none
  Bytes ak_public;
  std::string host_policy;
  std::string activation_sha256;
  std::vector<std::string> tees;
  std::string libvirt_uri;
  std::optional<TimePoint> activation_deadline;
  std::string platform;  // canonical platform document (protocol/host_platform.h)
};

// JoinTees: a host's TEE list as stored, comma-separated (read back with SplitCommaList,
// sql_row.h). Fails with kStoreInvalidArgument when a name is empty or holds a comma.
Result<std::string> JoinTees(const std::vector<std::string>& tees);

// NewHostId returns a fresh host id, "h-" and 16 hex digits.
std::string NewHostId();

// InsertHost stores a host (state kRegistered) with the given id inside the caller's transaction
// (RegisterHost, and host enrollment). kStoreInvalidArgument when the EK or AK is empty or a TEE
// name is empty or holds a comma; kStoreAlreadyExists when the id is taken.
Result<Host> InsertHost(SqlConnection* db, const std::string& caller_tenant,
                        const std::string& host_id, const HostRegistration& registration,
                        TimePoint now);

// HostQuoteWrite is everything one host quote submission writes (HostStore::RecordHostQuote).
struct HostQuoteWrite {
  std::string nonce;  // the challenge the quote answers: consumed as by ConsumeNonce
  // state, last_quote_result, trusted_until: the host's new state and appraisal, as by
  // UpdateHostState. No state: the evidence did not verify, and only the attempt is recorded.
  std::optional<HostState> state;
  std::string last_quote_result;
  std::optional<TimePoint> trusted_until;
  // platform_changed: the quote carried a platform document other than the stored one; sets
  // Host::platform_changed_at and raises host.platform_changed (webhooks) in the same
  // transaction, the first time only (a latched host changes nothing).
  bool platform_changed = false;
  AuditRecord audit;  // the decision, appended as by AppendAudit
};

// HostStore reads and writes the hosts table over one connection (a view: it does not own db).
// Recording an appraisal also touches the VMs on the host, the nonces and the audit log, in the
// same transaction.
class HostStore {
 public:
  explicit HostStore(SqlConnection* db) : db_(db) {}

  // RegisterHost stores a host (state kRegistered) with a fresh id, owned by caller_tenant, bound
  // to its host policy and the digest of its activation secret. kStoreInvalidArgument when the
  // AK is empty or a TEE name is empty or holds a comma.
  Result<Host> RegisterHost(const std::string& caller_tenant, const HostRegistration& registration,
                            TimePoint now);
  Result<Host> GetHost(const std::string& caller_tenant, const std::string& host_id);
  Result<std::vector<Host>> ListHosts(const std::string& caller_tenant);
  // LookupHost returns any tenant's host by id: the key release path, where a VM (of a tenant)
  // names the host it was placed on (a host belongs to the operator who registered it).
  Result<Host> LookupHost(const std::string& host_id);
  // ListAllHosts returns every host, by id (placement).
  Result<std::vector<Host>> ListAllHosts();
  // UpdateHostState records an appraisal (or an activation) of the caller's host; kTrusted also
  // sets last_good_quote to now, kUntrusted marks every live VM on the host
  // (Vm::host_untrusted_at), in the same transaction.
  Status UpdateHostState(const std::string& caller_tenant, const std::string& host_id,
                         HostState state, const std::string& last_quote_result,
                         std::optional<TimePoint> trusted_until, TimePoint now);

  // RecordHostQuote applies a quote submission's writes in one transaction: consumes the nonce
  // (subject host_id), records the appraisal on the caller's host and appends the audit entry
  // (serialised with every other appender, also across replicas). Either all three happen or
  // none: fails with kStoreNonceRejected (as ConsumeNonce: also when another submission won it),
  // kStoreNotFound when the host is not the caller's or was revoked, or a database error, and
  // then has written nothing. Returns the audit entry.
  Result<AuditEntry> RecordHostQuote(const std::string& caller_tenant, const std::string& host_id,
                                     const HostQuoteWrite& write, TimePoint now);

  // CountTrustedHosts counts hosts of every owner that are trusted at now (the metrics gauge).
  Result<int64_t> CountTrustedHosts(TimePoint now);

 private:
  // UpdateHostStateInTransaction is UpdateHostState inside the caller's write transaction.
  Status UpdateHostStateInTransaction(const std::string& caller_tenant, const std::string& host_id,
                                      HostState state, const std::string& last_quote_result,
                                      std::optional<TimePoint> trusted_until, TimePoint now);

  // RaiseTrustTransitionIn raises host.trusted / host.untrusted to the host's owner when the
  // state written is a trust transition (webhook_store.h), inside the caller's transaction.
  Status RaiseTrustTransitionIn(const std::string& owner, const std::string& host_id,
                                HostState old_state, std::optional<TimePoint> old_until,
                                HostState state, TimePoint now);

  SqlConnection* db_;
};

}  // namespace attest::service::store
