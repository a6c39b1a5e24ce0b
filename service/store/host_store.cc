#include "service/store/host_store.h"

#include <nlohmann/json.hpp>

#include "attest/core/digest.h"
#include "attest/core/encoding.h"
#include "service/keys/kek.h"
#include "service/store/audit_store.h"
#include "service/store/nonce_store.h"
#include "service/store/sql_row.h"
#include "service/store/vm_store.h"
#include "service/store/webhook_store.h"

namespace attest::service::store {
namespace {

constexpr ColumnList kHost(
    "id, tenant_id, ek_public, ek_cert, ak_public, state, last_quote_result, trusted_until, "
    "created_at, updated_at, host_policy, activation_sha256, last_good_quote_at, tees, "
    "libvirt_uri, last_attempt_result, last_attempt_at, revoked_at, activation_deadline, platform, "
    "platform_changed_at");

Result<Host> ToHost(const Row& r) {
  Host h;
  h.id = r.Text(kHost["id"]);
  h.tenant_id = r.Text(kHost["tenant_id"]);
  h.ek_public = r.Blob(kHost["ek_public"]);
  h.ek_cert = r.Blob(kHost["ek_cert"]);
  h.ak_public = r.Blob(kHost["ak_public"]);
  ATTEST_ASSIGN_OR_RETURN(h.state, ParseHostState(r.Text(kHost["state"])));
  h.last_quote_result = r.Text(kHost["last_quote_result"]);
  ATTEST_ASSIGN_OR_RETURN(h.trusted_until, r.OptionalTime(kHost["trusted_until"]));
  ATTEST_ASSIGN_OR_RETURN(h.created_at, r.Time(kHost["created_at"]));
  ATTEST_ASSIGN_OR_RETURN(h.updated_at, r.Time(kHost["updated_at"]));
  h.host_policy = r.Text(kHost["host_policy"]);
  h.activation_sha256 = r.Text(kHost["activation_sha256"]);
  ATTEST_ASSIGN_OR_RETURN(h.last_good_quote, r.OptionalTime(kHost["last_good_quote_at"]));
  h.tees = SplitCommaList(r.Text(kHost["tees"]));
  h.libvirt_uri = r.Text(kHost["libvirt_uri"]);
  h.last_attempt_result = r.Text(kHost["last_attempt_result"]);
  ATTEST_ASSIGN_OR_RETURN(h.last_attempt_at, r.OptionalTime(kHost["last_attempt_at"]));
  ATTEST_ASSIGN_OR_RETURN(h.revoked_at, r.OptionalTime(kHost["revoked_at"]));
  ATTEST_ASSIGN_OR_RETURN(h.activation_deadline, r.OptionalTime(kHost["activation_deadline"]));
  h.platform = r.Text(kHost["platform"]);
  ATTEST_ASSIGN_OR_RETURN(h.platform_changed_at, r.OptionalTime(kHost["platform_changed_at"]));
  return h;
}

// SelectHosts runs "SELECT <host columns> FROM hosts <where>" and reads every row.
Result<std::vector<Host>> SelectHosts(SqlConnection* db, const std::string& where,
                                      const std::vector<SqlValue>& params) {
  ATTEST_ASSIGN_OR_RETURN(
      auto result, db->Exec(std::string("SELECT ") + kHost.sql() + " FROM hosts " + where, params));
  ATTEST_ASSIGN_OR_RETURN(const Rows rows, Rows::Of(result, kHost));
  return rows.Map(ToHost);
}

}  // namespace

Result<std::string> JoinTees(const std::vector<std::string>& tees) {
  std::string out;
  for (const std::string& t : tees) {
    if (t.empty() || t.find(',') != std::string::npos) {
      return Status(reasons::kStoreInvalidArgument, "host: a TEE name is empty or holds a comma");
    }
    out += (out.empty() ? "" : ",") + t;
  }
  return out;
}

std::string NewHostId() { return "h-" + HexEncode(keys::RandomBytes(8)); }

Result<Host> HostStore::RegisterHost(const std::string& caller_tenant, const HostRegistration& reg,
                                     TimePoint now) {
  return InsertHost(db_, caller_tenant, NewHostId(), reg, now);
}

Result<Host> InsertHost(SqlConnection* db, const std::string& caller_tenant,
                        const std::string& host_id, const HostRegistration& reg, TimePoint now) {
  if (reg.ek_public.empty() || reg.ak_public.empty()) {
    return Status(reasons::kStoreInvalidArgument, "host needs an EK and an AK public key");
  }
  ATTEST_ASSIGN_OR_RETURN(const std::string tees, JoinTees(reg.tees));
  Host h;
  h.id = host_id;
  h.tenant_id = caller_tenant;
  h.ek_public = reg.ek_public;
  h.ek_cert = reg.ek_cert;
  h.ak_public = reg.ak_public;
  h.host_policy = reg.host_policy;
  h.activation_sha256 = reg.activation_sha256;
  h.state = HostState::kRegistered;
  h.tees = reg.tees;
  h.libvirt_uri = reg.libvirt_uri;
  h.activation_deadline = reg.activation_deadline;
  h.platform = reg.platform;
  h.created_at = now;
  h.updated_at = now;
  ATTEST_RETURN_IF_ERROR(
      db->Exec(std::string("INSERT INTO hosts (") + kHost.sql() +
                   ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, "
                   "$16, $17, $18, $19, $20, $21)",
               {h.id,
                caller_tenant,
                h.ek_public,
                h.ek_cert.empty() ? SqlValue(nullptr) : SqlValue(h.ek_cert),
                h.ak_public,
                std::string(HostStateName(h.state)),
                nullptr,
                nullptr,
                Unix(now),
                Unix(now),
                h.host_policy,
                h.activation_sha256,
                nullptr,
                tees,
                h.libvirt_uri,
                std::string(),
                nullptr,
                nullptr,
                h.activation_deadline ? SqlValue(Unix(*h.activation_deadline)) : SqlValue(nullptr),
                h.platform,
                nullptr})
          .status());
  return h;
}

Result<Host> HostStore::GetHost(const std::string& caller_tenant, const std::string& host_id) {
  ATTEST_ASSIGN_OR_RETURN(
      auto hosts, SelectHosts(db_, "WHERE id = $1 AND tenant_id = $2", {host_id, caller_tenant}));
  if (hosts.empty()) {
    return NotFound("host", host_id);
  }
  return std::move(hosts[0]);
}

Result<std::vector<Host>> HostStore::ListHosts(const std::string& caller_tenant) {
  return SelectHosts(db_, "WHERE tenant_id = $1 ORDER BY id", {caller_tenant});
}

Result<Host> HostStore::LookupHost(const std::string& host_id) {
  ATTEST_ASSIGN_OR_RETURN(auto hosts, SelectHosts(db_, "WHERE id = $1", {host_id}));
  if (hosts.empty()) {
    return NotFound("host", host_id);
  }
  return std::move(hosts[0]);
}

Result<std::vector<Host>> HostStore::ListAllHosts() { return SelectHosts(db_, "ORDER BY id", {}); }

Status HostStore::UpdateHostState(const std::string& caller_tenant, const std::string& host_id,
                                  HostState state, const std::string& last_quote_result,
                                  std::optional<TimePoint> trusted_until, TimePoint now) {
  Transaction tx(db_);
  ATTEST_RETURN_IF_ERROR(tx.Begin());
  ATTEST_RETURN_IF_ERROR(UpdateHostStateInTransaction(caller_tenant, host_id, state,
                                                      last_quote_result, trusted_until, now));
  return tx.Commit();
}

Status HostStore::UpdateHostStateInTransaction(const std::string& caller_tenant,
                                               const std::string& host_id, HostState state,
                                               const std::string& last_quote_result,
                                               std::optional<TimePoint> trusted_until,
                                               TimePoint now) {
  // The state before, to tell a trust transition (an event) from a repeated answer (none). On
  // PostgreSQL the row is locked, so two racing quotes of one host see each other's result.
  ATTEST_ASSIGN_OR_RETURN(
      auto before, db_->Exec(db_->dialect() == Dialect::kPostgres
                                 ? "SELECT state, trusted_until FROM hosts WHERE id = $1 AND "
                                   "tenant_id = $2 FOR UPDATE"
                                 : "SELECT state, trusted_until FROM hosts WHERE id = $1 AND "
                                   "tenant_id = $2",
                             {host_id, caller_tenant}));
  if (before.empty() || before[0].size() != 2) {
    return NotFound("host", host_id);
  }
  ATTEST_ASSIGN_OR_RETURN(const HostState old_state, ParseHostState(before[0][0].value_or("")));
  std::optional<TimePoint> old_until;
  if (before[0][1]) {
    ATTEST_ASSIGN_OR_RETURN(const int64_t until, ToInt(before[0][1]));
    old_until = FromUnixSeconds(until);
  }
  ATTEST_ASSIGN_OR_RETURN(
      auto rows,
      db_->Exec("UPDATE hosts SET state = $3, last_quote_result = $4, trusted_until = $5, "
                "updated_at = $6, last_good_quote_at = CASE WHEN $3 = 'trusted' THEN $6 ELSE "
                "last_good_quote_at END, last_attempt_result = $4, last_attempt_at = $6 "
                "WHERE id = $1 AND tenant_id = $2 AND state <> 'revoked' RETURNING id",
                {host_id, caller_tenant, std::string(HostStateName(state)), last_quote_result,
                 trusted_until ? SqlValue(Unix(*trusted_until)) : SqlValue(nullptr), Unix(now)}));
  if (rows.empty()) {
    return NotFound("host", host_id);
  }
  ATTEST_RETURN_IF_ERROR(
      RaiseTrustTransitionIn(caller_tenant, host_id, old_state, old_until, state, now));
  if (state != HostState::kUntrusted) {
    return Status::Ok();
  }
  return MarkHostVmsUntrusted(db_, host_id, now);
}

Status HostStore::RaiseTrustTransitionIn(const std::string& owner, const std::string& host_id,
                                         HostState old_state, std::optional<TimePoint> old_until,
                                         HostState state, TimePoint now) {
  // host.trusted: trusted now and not trusted a moment ago (never, failed, or lapsed). A quote
  // that renews a trusted host raises nothing. host.untrusted: a failed quote of a host that was
  // not already untrusted (registered, activated or trusted, lapsed or not).
  std::string_view type;
  if (state == HostState::kTrusted && !store::TrustedAt(old_state, old_until, now)) {
    type = kEventHostTrusted;
  } else if (state == HostState::kUntrusted && old_state != HostState::kUntrusted) {
    type = kEventHostUntrusted;
  } else {
    return Status::Ok();
  }
  nlohmann::json data = {{"host_id", host_id},
                         {"state", std::string(HostStateName(state))},
                         {"previous_state", std::string(HostStateName(old_state))}};
  return RaiseEventIn(db_, {std::string(type), owner, host_id, data.dump()}, now).status();
}

Result<AuditEntry> HostStore::RecordHostQuote(const std::string& caller_tenant,
                                              const std::string& host_id,
                                              const HostQuoteWrite& write, TimePoint now) {
  // One transaction instead of three: one commit (SQLite: one WAL append) per quote, and no
  // state where the nonce is spent but the decision is missing from the host or the log.
  Transaction tx(db_);
  ATTEST_RETURN_IF_ERROR(tx.Begin());
  ATTEST_RETURN_IF_ERROR(ConsumeNonceIn(db_, caller_tenant, host_id, write.nonce, now));
  if (write.state) {
    ATTEST_RETURN_IF_ERROR(UpdateHostStateInTransaction(
        caller_tenant, host_id, *write.state, write.last_quote_result, write.trusted_until, now));
  } else {
    ATTEST_ASSIGN_OR_RETURN(
        auto rows, db_->Exec("UPDATE hosts SET last_attempt_result = $3, last_attempt_at = $4, "
                             "updated_at = $4 WHERE id = $1 AND tenant_id = $2 AND "
                             "state <> 'revoked' RETURNING id",
                             {host_id, caller_tenant, write.last_quote_result, Unix(now)}));
    if (rows.empty()) {
      return NotFound("host", host_id);
    }
  }
  if (write.platform_changed) {
    // Latched once: the first quote that carried another platform document sets the time and
    // raises host.platform_changed with it; later ones change nothing.
    ATTEST_ASSIGN_OR_RETURN(
        auto latched,
        db_->Exec("UPDATE hosts SET platform_changed_at = $3 WHERE id = $1 AND tenant_id = $2 "
                  "AND platform_changed_at IS NULL RETURNING id",
                  {host_id, caller_tenant, Unix(now)}));
    if (!latched.empty()) {
      const nlohmann::json data = {{"host_id", host_id},
                                   {"platform_changed_at", FormatRfc3339(now)}};
      ATTEST_RETURN_IF_ERROR(
          RaiseEventIn(
              db_, {std::string(kEventHostPlatformChanged), caller_tenant, host_id, data.dump()},
              now)
              .status());
    }
  }
  // The audit head is locked last, so the lock that serialises every appender is held only
  // for the append and the commit.
  ATTEST_ASSIGN_OR_RETURN(AuditEntry entry, AppendAuditInTransaction(db_, write.audit));
  ATTEST_RETURN_IF_ERROR(tx.Commit());
  return entry;
}

Result<int64_t> HostStore::CountTrustedHosts(TimePoint now) {
  // TrustedAt (host_state.h) as SQL: counted where the rows are instead of read back.
  ATTEST_ASSIGN_OR_RETURN(auto rows,
                          db_->Exec("SELECT COUNT(*) FROM hosts WHERE state = 'trusted' AND "
                                    "trusted_until IS NOT NULL AND trusted_until > $1",
                                    {Unix(now)}));
  if (rows.empty() || rows[0].empty()) {
    return int64_t{0};
  }
  return ToInt(rows[0][0]);
}

}  // namespace attest::service::store
