#include "service/store/webhook_store.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "attest/core/encoding.h"
#include "attest/core/wipe.h"
#include "service/store/audit_store.h"
#include "service/store/sql_row.h"

namespace attest::service::store {
namespace {

constexpr ColumnList kWebhook(
    "tenant_id, name, url, events, sealed_secret, created_at, updated_at");
constexpr ColumnList kOutbox(
    "id, event_id, tenant_id, webhook_name, event_type, body, created_at, attempts, "
    "next_attempt_at, lease_owner, lease_until, delivered_at, failed_at, last_error");

// The state filter of a row still to deliver; the partial index webhook_outbox_due has it too.
constexpr char kUndelivered[] = "delivered_at IS NULL AND failed_at IS NULL";

Result<Webhook> ToWebhook(const Row& r) {
  Webhook w;
  w.tenant_id = r.Text(kWebhook["tenant_id"]);
  w.name = r.Text(kWebhook["name"]);
  w.url = r.Text(kWebhook["url"]);
  w.events = SplitCommaList(r.Text(kWebhook["events"]));
  ATTEST_ASSIGN_OR_RETURN(w.created_at, r.Time(kWebhook["created_at"]));
  ATTEST_ASSIGN_OR_RETURN(w.updated_at, r.Time(kWebhook["updated_at"]));
  return w;
}

Result<OutboxDelivery> ToDelivery(const Row& r) {
  OutboxDelivery d;
  d.id = r.Text(kOutbox["id"]);
  d.event_id = r.Text(kOutbox["event_id"]);
  d.tenant_id = r.Text(kOutbox["tenant_id"]);
  d.webhook_name = r.Text(kOutbox["webhook_name"]);
  d.event_type = r.Text(kOutbox["event_type"]);
  d.body = r.Text(kOutbox["body"]);
  ATTEST_ASSIGN_OR_RETURN(d.created_at, r.Time(kOutbox["created_at"]));
  ATTEST_ASSIGN_OR_RETURN(d.attempts, r.Int(kOutbox["attempts"]));
  ATTEST_ASSIGN_OR_RETURN(d.next_attempt_at, r.Time(kOutbox["next_attempt_at"]));
  d.lease_owner = r.Text(kOutbox["lease_owner"]);
  ATTEST_ASSIGN_OR_RETURN(d.lease_until, r.OptionalTime(kOutbox["lease_until"]));
  ATTEST_ASSIGN_OR_RETURN(d.delivered_at, r.OptionalTime(kOutbox["delivered_at"]));
  ATTEST_ASSIGN_OR_RETURN(d.failed_at, r.OptionalTime(kOutbox["failed_at"]));
  d.last_error = r.Text(kOutbox["last_error"]);
  return d;
}

Result<std::vector<Webhook>> SelectWebhooks(SqlConnection* db, const std::string& where,
                                            const std::vector<SqlValue>& params) {
  ATTEST_ASSIGN_OR_RETURN(
      auto result,
      db->Exec(std::string("SELECT ") + kWebhook.sql() + " FROM webhooks " + where, params));
  ATTEST_ASSIGN_OR_RETURN(const Rows rows, Rows::Of(result, kWebhook));
  return rows.Map(ToWebhook);
}

Result<std::vector<OutboxDelivery>> ReadDeliveries(const std::vector<SqlRow>& result) {
  ATTEST_ASSIGN_OR_RETURN(const Rows rows, Rows::Of(result, kOutbox));
  return rows.Map(ToDelivery);
}

}  // namespace

bool IsEventType(std::string_view type) {
  return std::find(std::begin(kEventTypes), std::end(kEventTypes), type) != std::end(kEventTypes);
}

Result<int64_t> RaiseEventIn(SqlConnection* db, const WebhookEvent& event, TimePoint now) {
  if (!IsEventType(event.type)) {
    return Status(reasons::kStoreInvalidArgument, "webhook event: unknown type " + event.type);
  }
  nlohmann::json data = nlohmann::json::object();
  if (!event.data_json.empty()) {
    data = nlohmann::json::parse(event.data_json, nullptr, /*allow_exceptions=*/false);
    if (!data.is_object()) {
      return Status(reasons::kStoreInvalidArgument, "webhook event: data is not a JSON object");
    }
  }
  // The subscribers: the tenant's webhooks whose comma-separated list holds the type.
  ATTEST_ASSIGN_OR_RETURN(auto names,
                          db->Exec("SELECT name FROM webhooks WHERE tenant_id = $1 AND "
                                   "',' || events || ',' LIKE '%,' || $2 || ',%' ORDER BY name",
                                   {event.tenant_id, event.type}));
  if (names.empty()) {
    return int64_t{0};
  }
  const std::string event_id = "ev-" + HexEncode(RandomBytes(12));
  const nlohmann::json body = {{"id", event_id},
                               {"type", event.type},
                               {"created_at", FormatRfc3339(now)},
                               {"subject", event.subject},
                               {"data", data}};
  const std::string text = body.dump();
  for (const SqlRow& row : names) {
    ATTEST_RETURN_IF_ERROR(
        db->Exec(std::string("INSERT INTO webhook_outbox (") + kOutbox.sql() +
                     ") VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $7, NULL, NULL, NULL, NULL, NULL)",
                 {"wd-" + HexEncode(RandomBytes(12)), event_id, event.tenant_id,
                  row[0].value_or(""), event.type, text, Unix(now)})
            .status());
  }
  return static_cast<int64_t>(names.size());
}

std::string WebhookSecretLabel(const std::string& tenant_id, const std::string& name) {
  return "webhook:" + tenant_id + "/" + name;
}

Result<Webhook> WebhookStore::PutWebhook(const std::string& caller_tenant, const Webhook& w,
                                         TimePoint now) {
  if (w.name.empty() || w.url.empty() || w.secret.empty() || w.events.empty()) {
    return Status(reasons::kStoreInvalidArgument, "webhook needs a name, url, secret and events");
  }
  std::string events;
  for (const std::string& e : w.events) {
    if (!IsEventType(e)) {
      return Status(reasons::kStoreInvalidArgument, "webhook: unknown event type " + e);
    }
    events += (events.empty() ? "" : ",") + e;
  }
  ATTEST_ASSIGN_OR_RETURN(
      const Bytes sealed,
      sealer_->Seal(AsBytes(w.secret), WebhookSecretLabel(caller_tenant, w.name)));
  // Replacing keeps created_at; both backends have INSERT ... ON CONFLICT DO UPDATE.
  ATTEST_ASSIGN_OR_RETURN(
      auto result,
      db_->Exec(
          std::string("INSERT INTO webhooks (") + kWebhook.sql() +
              ", kek_id) VALUES ($1, $2, $3, $4, $5, $6, $6, $7) ON CONFLICT (tenant_id, "
              "name) DO UPDATE SET url = excluded.url, events = excluded.events, "
              "sealed_secret = excluded.sealed_secret, kek_id = excluded.kek_id, "
              "updated_at = excluded.updated_at RETURNING " +
              kWebhook.sql(),
          {caller_tenant, w.name, w.url, events, sealed, Unix(now), sealer_->kek().key_id()}));
  ATTEST_ASSIGN_OR_RETURN(const Rows rows, Rows::Of(result, kWebhook));
  if (rows.empty()) {
    return Status(reasons::kStoreDatabase, "webhook upsert returned no row");
  }
  return ToWebhook(rows[0]);
}

Result<Webhook> WebhookStore::GetWebhook(const std::string& caller_tenant,
                                         const std::string& name) {
  ATTEST_ASSIGN_OR_RETURN(
      auto hooks, SelectWebhooks(db_, "WHERE tenant_id = $1 AND name = $2", {caller_tenant, name}));
  if (hooks.empty()) {
    return NotFound("webhook", name);
  }
  return std::move(hooks[0]);
}

Result<std::vector<Webhook>> WebhookStore::ListWebhooks(const std::string& caller_tenant) {
  return SelectWebhooks(db_, "WHERE tenant_id = $1 ORDER BY name", {caller_tenant});
}

Status WebhookStore::DeleteWebhook(const std::string& caller_tenant, const std::string& name) {
  ATTEST_ASSIGN_OR_RETURN(auto rows, db_->Exec("DELETE FROM webhooks WHERE tenant_id = $1 AND "
                                               "name = $2 RETURNING name",
                                               {caller_tenant, name}));
  if (rows.empty()) {
    return NotFound("webhook", name);
  }
  return Status::Ok();
}

Result<Webhook> WebhookStore::LookupWebhookForDelivery(const std::string& tenant_id,
                                                       const std::string& name) {
  ATTEST_ASSIGN_OR_RETURN(auto result,
                          db_->Exec(std::string("SELECT ") + kWebhook.sql() +
                                        " FROM webhooks WHERE tenant_id = $1 AND name = $2",
                                    {tenant_id, name}));
  ATTEST_ASSIGN_OR_RETURN(const Rows rows, Rows::Of(result, kWebhook));
  if (rows.empty()) {
    return NotFound("webhook", name);
  }
  ATTEST_ASSIGN_OR_RETURN(Webhook w, ToWebhook(rows[0]));
  ATTEST_ASSIGN_OR_RETURN(Bytes opened, sealer_->Unseal(rows[0].Blob(kWebhook["sealed_secret"]),
                                                        WebhookSecretLabel(tenant_id, name)));
  // The record keeps the secret for the delivery; the unsealed bytes do not outlive this call.
  const Wiped<Bytes> secret(std::move(opened));
  w.secret.assign(secret.get().begin(), secret.get().end());
  return w;
}

Result<int64_t> WebhookStore::RaiseEvent(const WebhookEvent& event, TimePoint now) {
  Transaction tx(db_);
  ATTEST_RETURN_IF_ERROR(tx.Begin());
  ATTEST_ASSIGN_OR_RETURN(const int64_t n, RaiseEventIn(db_, event, now));
  ATTEST_RETURN_IF_ERROR(tx.Commit());
  return n;
}

Result<AuditEntry> WebhookStore::AppendAuditAndRaise(const AuditRecord& record,
                                                     const WebhookEvent& event, TimePoint now) {
  Transaction tx(db_);
  ATTEST_RETURN_IF_ERROR(tx.Begin());
  ATTEST_RETURN_IF_ERROR(RaiseEventIn(db_, event, now).status());
  // The audit head is locked last, as in HostStore::RecordHostQuote.
  ATTEST_ASSIGN_OR_RETURN(AuditEntry entry, AppendAuditInTransaction(db_, record));
  ATTEST_RETURN_IF_ERROR(tx.Commit());
  return entry;
}

Result<std::vector<OutboxDelivery>> WebhookStore::ClaimDeliveries(const std::string& owner,
                                                                  TimePoint now,
                                                                  std::chrono::seconds lease,
                                                                  int64_t limit) {
  if (owner.empty() || lease.count() <= 0 || limit <= 0) {
    return Status(reasons::kStoreInvalidArgument, "claim needs an owner, a lease and a limit");
  }
  // One statement: the rows are picked and leased atomically. PostgreSQL: SKIP LOCKED passes over
  // rows another replica's open claim holds, so two claims never return one row and never wait.
  // SQLite: the write transaction (BEGIN IMMEDIATE) already excludes every other writer.
  const bool pg = db_->dialect() == Dialect::kPostgres;
  const std::string sql =
      std::string(
          "UPDATE webhook_outbox SET lease_owner = $1, lease_until = $2, attempts = "
          "attempts + 1 WHERE id IN (SELECT id FROM webhook_outbox WHERE ") +
      kUndelivered +
      " AND next_attempt_at <= $3 AND (lease_until IS NULL OR lease_until <= $3) ORDER BY "
      "next_attempt_at, id LIMIT $4" +
      (pg ? " FOR UPDATE SKIP LOCKED" : "") + ") RETURNING " + kOutbox.sql();
  Transaction tx(db_);
  ATTEST_RETURN_IF_ERROR(tx.Begin());
  ATTEST_ASSIGN_OR_RETURN(auto result,
                          db_->Exec(sql, {owner, Unix(now + lease), Unix(now), limit}));
  ATTEST_RETURN_IF_ERROR(tx.Commit());
  ATTEST_ASSIGN_OR_RETURN(auto claimed, ReadDeliveries(result));
  std::sort(claimed.begin(), claimed.end(), [](const OutboxDelivery& a, const OutboxDelivery& b) {
    return a.next_attempt_at != b.next_attempt_at ? a.next_attempt_at < b.next_attempt_at
                                                  : a.id < b.id;
  });
  return claimed;
}

Status WebhookStore::MarkDelivered(const std::string& id, TimePoint now) {
  ATTEST_ASSIGN_OR_RETURN(
      auto rows, db_->Exec(std::string("UPDATE webhook_outbox SET delivered_at = $2, lease_owner = "
                                       "NULL, lease_until = NULL, last_error = NULL WHERE id = "
                                       "$1 AND ") +
                               kUndelivered + " RETURNING id",
                           {id, Unix(now)}));
  if (rows.empty()) {
    return NotFound("delivery", id);
  }
  return Status::Ok();
}

Status WebhookStore::MarkAttemptFailed(const std::string& id, const std::string& owner,
                                       const std::string& error,
                                       std::optional<TimePoint> next_attempt_at, TimePoint now) {
  // last_error is kept short: it is for an operator's eye, not a log of the receiver's answer.
  const std::string trimmed = error.substr(0, 512);
  ATTEST_ASSIGN_OR_RETURN(
      auto rows,
      db_->Exec(std::string("UPDATE webhook_outbox SET lease_owner = NULL, lease_until = NULL, "
                            "last_error = $3, next_attempt_at = COALESCE($4, next_attempt_at), "
                            "failed_at = $5 WHERE id = $1 AND lease_owner = $2 AND ") +
                    kUndelivered + " RETURNING id",
                {id, owner, trimmed,
                 next_attempt_at ? SqlValue(Unix(*next_attempt_at)) : SqlValue(nullptr),
                 next_attempt_at ? SqlValue(nullptr) : SqlValue(Unix(now))}));
  if (rows.empty()) {
    return NotFound("delivery lease", id);
  }
  return Status::Ok();
}

Result<OutboxDelivery> WebhookStore::GetDelivery(const std::string& id) {
  ATTEST_ASSIGN_OR_RETURN(auto result, db_->Exec(std::string("SELECT ") + kOutbox.sql() +
                                                     " FROM webhook_outbox WHERE id = $1",
                                                 {id}));
  ATTEST_ASSIGN_OR_RETURN(auto rows, ReadDeliveries(result));
  if (rows.empty()) {
    return NotFound("delivery", id);
  }
  return std::move(rows[0]);
}

Result<std::vector<OutboxDelivery>> WebhookStore::ListDeliveries(const std::string& caller_tenant,
                                                                 const std::string& name,
                                                                 int64_t limit) {
  ATTEST_ASSIGN_OR_RETURN(
      auto result, db_->Exec(std::string("SELECT ") + kOutbox.sql() +
                                 " FROM webhook_outbox WHERE tenant_id = $1 AND webhook_name = "
                                 "$2 ORDER BY created_at DESC, id DESC LIMIT $3",
                             {caller_tenant, name, limit}));
  return ReadDeliveries(result);
}

Result<OutboxCounts> WebhookStore::CountOutbox() {
  ATTEST_ASSIGN_OR_RETURN(
      auto rows,
      db_->Exec("SELECT COALESCE(SUM(CASE WHEN delivered_at IS NULL AND failed_at IS NULL THEN 1 "
                "ELSE 0 END), 0), COALESCE(SUM(CASE WHEN failed_at IS NOT NULL THEN 1 ELSE 0 "
                "END), 0), COALESCE(SUM(CASE WHEN delivered_at IS NOT NULL THEN 1 ELSE 0 END), "
                "0) FROM webhook_outbox"));
  OutboxCounts c;
  if (rows.empty() || rows[0].size() != 3) {
    return c;
  }
  ATTEST_ASSIGN_OR_RETURN(c.pending, ToInt(rows[0][0]));
  ATTEST_ASSIGN_OR_RETURN(c.failed, ToInt(rows[0][1]));
  ATTEST_ASSIGN_OR_RETURN(c.delivered, ToInt(rows[0][2]));
  return c;
}

}  // namespace attest::service::store
