#include "service/store/enrollment_store.h"

#include "attest/core/encoding.h"
#include "attest/core/wipe.h"
#include "service/keys/kek.h"
#include "service/store/audit_store.h"
#include "service/store/sql_row.h"
#include "service/store/vm_store.h"
#include "service/store/webhook_store.h"

namespace attest::service::store {
namespace {

constexpr ColumnList kPendingSecret("pending_secret");
constexpr ColumnList kEnrollment(
    "id, tenant_id, token_sha256, host_policy, tees, libvirt_uri, expires_at, created_at, "
    "used_at, host_id");

Result<HostEnrollment> ToEnrollment(const Row& r) {
  HostEnrollment e;
  e.id = r.Text(kEnrollment["id"]);
  e.tenant_id = r.Text(kEnrollment["tenant_id"]);
  e.host_policy = r.Text(kEnrollment["host_policy"]);
  e.tees = SplitCommaList(r.Text(kEnrollment["tees"]));
  e.libvirt_uri = r.Text(kEnrollment["libvirt_uri"]);
  ATTEST_ASSIGN_OR_RETURN(e.expires_at, r.Time(kEnrollment["expires_at"]));
  ATTEST_ASSIGN_OR_RETURN(e.created_at, r.Time(kEnrollment["created_at"]));
  ATTEST_ASSIGN_OR_RETURN(e.used_at, r.OptionalTime(kEnrollment["used_at"]));
  e.host_id = r.Text(kEnrollment["host_id"]);
  return e;
}

Status TokenInvalid() {
  return Status(reasons::kStoreEnrollmentTokenInvalid, "no enrollment has this token");
}

}  // namespace

std::string PendingSecretLabel(const std::string& host_id) { return "host-pending:" + host_id; }

Status CheckEnrollmentUsable(const HostEnrollment& e, TimePoint now) {
  if (e.used_at) {
    return Status(reasons::kStoreEnrollmentTokenUsed,
                  "enrollment " + e.id + " was already redeemed");
  }
  if (e.expires_at <= now) {
    return Status(reasons::kStoreEnrollmentTokenExpired,
                  "enrollment " + e.id + " expired at " + FormatRfc3339(e.expires_at));
  }
  return Status::Ok();
}

Result<HostEnrollment> EnrollmentStore::CreateEnrollment(const std::string& caller_tenant,
                                                         const NewHostEnrollment& n,
                                                         AuditRecord audit, TimePoint now) {
  ATTEST_ASSIGN_OR_RETURN(const std::string tees, JoinTees(n.tees));
  if (n.token_sha256.size() != 64) {
    return Status(reasons::kStoreInvalidArgument, "enrollment: want the token's hex SHA-256");
  }
  HostEnrollment e;
  e.id = "en-" + HexEncode(keys::RandomBytes(8));
  e.tenant_id = caller_tenant;
  e.host_policy = n.host_policy;
  e.tees = n.tees;
  e.libvirt_uri = n.libvirt_uri;
  e.expires_at = n.expires_at;
  e.created_at = now;
  Transaction tx(db_);
  ATTEST_RETURN_IF_ERROR(tx.Begin());
  ATTEST_RETURN_IF_ERROR(db_->Exec(std::string("INSERT INTO host_enrollments (") +
                                       kEnrollment.sql() +
                                       ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, NULL)",
                                   {e.id, caller_tenant, n.token_sha256, e.host_policy, tees,
                                    e.libvirt_uri, Unix(e.expires_at), Unix(now)})
                             .status());
  audit.tenant_id = caller_tenant;
  audit.subject = e.id;
  audit.at = now;
  ATTEST_RETURN_IF_ERROR(AppendAuditInTransaction(db_, audit).status());
  ATTEST_RETURN_IF_ERROR(tx.Commit());
  return e;
}

Result<HostEnrollment> EnrollmentStore::FindEnrollment(const std::string& token_sha256) {
  ATTEST_ASSIGN_OR_RETURN(auto result,
                          db_->Exec(std::string("SELECT ") + kEnrollment.sql() +
                                        " FROM host_enrollments WHERE token_sha256 = $1",
                                    {token_sha256}));
  ATTEST_ASSIGN_OR_RETURN(const Rows rows, Rows::Of(result, kEnrollment));
  ATTEST_ASSIGN_OR_RETURN(std::vector<HostEnrollment> found, rows.Map(ToEnrollment));
  if (found.empty()) {
    return TokenInvalid();
  }
  return std::move(found[0]);
}

Result<Host> EnrollmentStore::RedeemEnrollment(const HostRedemption& r, AuditRecord audit,
                                               TimePoint now) {
  Transaction tx(db_);
  ATTEST_RETURN_IF_ERROR(tx.Begin());
  // The conditional update is the single-use guarantee: of two redemptions racing (also on two
  // replicas), exactly one changes the row.
  ATTEST_ASSIGN_OR_RETURN(
      auto claimed,
      db_->Exec("UPDATE host_enrollments SET used_at = $2, host_id = $3 WHERE token_sha256 = $1 "
                "AND used_at IS NULL AND expires_at > $2 RETURNING id",
                {r.token_sha256, Unix(now), r.host_id}));
  if (claimed.empty()) {
    ATTEST_ASSIGN_OR_RETURN(HostEnrollment e, FindEnrollment(r.token_sha256));
    ATTEST_RETURN_IF_ERROR(CheckEnrollmentUsable(e, now));
    return Status(reasons::kStoreDatabase, "enrollment " + e.id + " could not be redeemed");
  }
  ATTEST_ASSIGN_OR_RETURN(HostEnrollment e, FindEnrollment(r.token_sha256));
  ATTEST_ASSIGN_OR_RETURN(
      auto same_ek,
      db_->Exec("SELECT id FROM hosts WHERE ek_public = $1 AND state <> 'revoked'", {r.ek_public}));
  if (!same_ek.empty()) {
    return Status(reasons::kStoreAlreadyExists, "this EK is already enrolled as host " +
                                                    same_ek[0][0].value_or("") +
                                                    " (delete that host first)");
  }
  HostRegistration reg;
  reg.ek_public = r.ek_public;
  reg.ek_cert = r.ek_cert;
  reg.ak_public = r.ak_public;
  reg.host_policy = e.host_policy;
  reg.activation_sha256 = r.activation_sha256;
  reg.tees = e.tees;
  reg.libvirt_uri = e.libvirt_uri;
  reg.activation_deadline = e.expires_at;
  reg.platform = r.platform;
  ATTEST_ASSIGN_OR_RETURN(Host host, InsertHost(db_, e.tenant_id, r.host_id, reg, now));
  ATTEST_ASSIGN_OR_RETURN(const Bytes sealed, sealer_->Seal(AsBytes(r.secret_access_key),
                                                            PendingSecretLabel(r.host_id)));
  ATTEST_RETURN_IF_ERROR(
      db_->Exec("UPDATE hosts SET pending_secret = $2, pending_secret_kek_id = $3 WHERE id = $1",
                {r.host_id, sealed, sealer_->kek().key_id()})
          .status());
  audit.tenant_id = e.tenant_id;
  audit.subject = r.host_id;
  audit.at = now;
  ATTEST_RETURN_IF_ERROR(AppendAuditInTransaction(db_, audit).status());
  ATTEST_RETURN_IF_ERROR(tx.Commit());
  return host;
}

Result<std::string> EnrollmentStore::PendingSecretKey(const std::string& host_id, TimePoint now) {
  ATTEST_ASSIGN_OR_RETURN(
      auto rows,
      db_->Exec("SELECT pending_secret FROM hosts WHERE id = $1 AND state = "
                "'registered' AND pending_secret IS NOT NULL AND activation_deadline > $2",
                {host_id, Unix(now)}));
  ATTEST_ASSIGN_OR_RETURN(const Rows read, Rows::Of(rows, kPendingSecret));
  if (read.empty()) {
    return NotFound("pending host", host_id);
  }
  ATTEST_ASSIGN_OR_RETURN(
      Bytes opened,
      sealer_->Unseal(read[0].Blob(kPendingSecret["pending_secret"]), PendingSecretLabel(host_id)));
  const Wiped<Bytes> key(std::move(opened));  // the returned string is the caller's to wipe
  return std::string(key.get().begin(), key.get().end());
}

Result<Credential> EnrollmentStore::ActivateHost(const std::string& host_id, AuditRecord audit,
                                                 TimePoint now) {
  Transaction tx(db_);
  ATTEST_RETURN_IF_ERROR(tx.Begin());
  ATTEST_ASSIGN_OR_RETURN(std::string key, PendingSecretKey(host_id, now));
  ATTEST_ASSIGN_OR_RETURN(
      auto updated,
      db_->Exec("UPDATE hosts SET state = 'activated', pending_secret = NULL, "
                "activation_deadline = NULL, updated_at = $2 WHERE id = $1 AND state = "
                "'registered' AND pending_secret IS NOT NULL RETURNING tenant_id",
                {host_id, Unix(now)}));
  if (updated.empty() || !updated[0][0]) {
    return NotFound("pending host", host_id);
  }
  Credential c{NewAccessKeyId("AKIH"), *updated[0][0], std::move(key), now, host_id};
  ATTEST_ASSIGN_OR_RETURN(const Bytes sealed,
                          sealer_->Seal(AsBytes(c.secret_access_key), c.access_key_id));
  ATTEST_RETURN_IF_ERROR(
      db_->Exec("INSERT INTO credentials (access_key_id, tenant_id, sealed_secret, created_at, "
                "host_id, kek_id) VALUES ($1, $2, $3, $4, $5, $6)",
                {c.access_key_id, c.tenant_id, sealed, Unix(now), host_id, sealer_->kek().key_id()})
          .status());
  audit.tenant_id = c.tenant_id;
  audit.subject = host_id;
  audit.at = now;
  ATTEST_RETURN_IF_ERROR(AppendAuditInTransaction(db_, audit).status());
  ATTEST_RETURN_IF_ERROR(tx.Commit());
  return c;
}

Status EnrollmentStore::RevokeHost(const std::string& caller_tenant, const std::string& host_id,
                                   AuditRecord audit, TimePoint now) {
  Transaction tx(db_);
  ATTEST_RETURN_IF_ERROR(tx.Begin());
  ATTEST_ASSIGN_OR_RETURN(
      auto updated,
      db_->Exec("UPDATE hosts SET state = 'revoked', revoked_at = $3, trusted_until = NULL, "
                "pending_secret = NULL, updated_at = $3 WHERE id = $1 AND tenant_id = $2 AND "
                "state <> 'revoked' RETURNING id",
                {host_id, caller_tenant, Unix(now)}));
  if (updated.empty()) {
    return NotFound("host", host_id);
  }
  ATTEST_RETURN_IF_ERROR(
      db_->Exec("DELETE FROM credentials WHERE host_id = $1", {host_id}).status());
  ATTEST_RETURN_IF_ERROR(MarkHostVmsUntrusted(db_, host_id, now));
  const std::string data = R"({"host_id":")" + host_id + R"(","state":"revoked"})";
  ATTEST_RETURN_IF_ERROR(
      RaiseEventIn(db_, {std::string(kEventHostRevoked), caller_tenant, host_id, data}, now)
          .status());
  audit.tenant_id = caller_tenant;
  audit.subject = host_id;
  audit.at = now;
  ATTEST_RETURN_IF_ERROR(AppendAuditInTransaction(db_, audit).status());
  return tx.Commit();
}

}  // namespace attest::service::store
