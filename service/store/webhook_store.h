// WebhookStore: tenants' webhooks (issue 15) and the durable outbox their deliveries come from.
//
// An event becomes one outbox row per subscribed webhook, written by RaiseEventIn inside the
// transaction of the change that caused it: the change and its notification commit together or
// not at all. Delivery (service/events) claims due rows under a lease, so a replica killed
// mid-delivery loses nothing (the lease lapses and the row is claimed again) and two replicas
// never hold one row at once (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: one writer).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attest/core/status.h"
#include "attest/core/time.h"
#include "service/store/audit.h"
#include "service/store/secret_sealer.h"
#include "service/store/sql.h"

namespace attest::service::store {

// The event types (service/README.md "Webhooks" documents each payload).
inline constexpr std::string_view kEventHostTrusted = "host.trusted";
inline constexpr std::string_view kEventHostUntrusted = "host.untrusted";
inline constexpr std::string_view kEventHostRevoked = "host.revoked";
inline constexpr std::string_view kEventHostPlatformChanged = "host.platform_changed";
inline constexpr std::string_view kEventVmHostUntrusted = "vm.host_untrusted";
inline constexpr std::string_view kEventReleaseDenied = "release.denied";
inline constexpr std::string_view kEventTypes[] = {
    kEventHostTrusted,         kEventHostUntrusted,   kEventHostRevoked,
    kEventHostPlatformChanged, kEventVmHostUntrusted, kEventReleaseDenied,
};

// IsEventType reports whether type is one of kEventTypes.
bool IsEventType(std::string_view type);

struct Webhook {
  std::string tenant_id;
  std::string name;
  std::string url;
  std::vector<std::string> events;
  // secret: plain text only from LookupWebhookForDelivery; empty from every other read (the
  // secret is write-only in the API).
  std::string secret;
  TimePoint created_at;
  TimePoint updated_at;
};

// WebhookEvent is one event for the webhooks of one tenant.
struct WebhookEvent {
  std::string type;       // one of kEventTypes
  std::string tenant_id;  // whose webhooks hear it: the host's owner, or the VM's
  std::string subject;    // the host id or VM id the event is about
  // data_json: a JSON object with the event's details (host_id, vm_id, state...); "" is {}.
  std::string data_json;
};

// OutboxDelivery is one outbox row: one event to one webhook.
struct OutboxDelivery {
  std::string id;  // the delivery id receivers dedupe on
  std::string event_id;
  std::string tenant_id;
  std::string webhook_name;
  std::string event_type;
  std::string body;  // the JSON payload, fixed when the event was raised
  TimePoint created_at;
  int64_t attempts = 0;  // attempts started, counted when claimed
  TimePoint next_attempt_at;
  std::string lease_owner;
  std::optional<TimePoint> lease_until;
  std::optional<TimePoint> delivered_at;
  std::optional<TimePoint> failed_at;
  std::string last_error;
};

// OutboxCounts: rows still to deliver, given up on, and delivered (the metrics gauges).
struct OutboxCounts {
  int64_t pending = 0;
  int64_t failed = 0;
  int64_t delivered = 0;
};

// RaiseEventIn inserts one outbox row per webhook of event.tenant_id subscribed to event.type,
// inside the caller's write transaction on db; returns how many. Fails with
// kStoreInvalidArgument for an unknown type or a data_json that is not a JSON object, else a
// database error (and the caller's transaction must then roll back).
Result<int64_t> RaiseEventIn(SqlConnection* db, const WebhookEvent& event, TimePoint now);

// WebhookSecretLabel is the associated data a webhook's secret is sealed with
// ("webhook:<tenant>/<name>"), so a sealed secret copied to another row (or presented as an
// access key's) does not open.
std::string WebhookSecretLabel(const std::string& tenant_id, const std::string& name);

// WebhookStore reads and writes webhooks and webhook_outbox over one connection (a view: it does
// not own db). Webhook secrets are sealed like credential secrets (SecretSealer).
class WebhookStore {
 public:
  WebhookStore(SqlConnection* db, std::shared_ptr<const SecretSealer> sealer)
      : db_(db), sealer_(std::move(sealer)) {}

  // PutWebhook creates or replaces the caller's webhook name. The store checks only the shape
  // (non-empty url and secret, known event types, at least one); URL rules are the API's.
  Result<Webhook> PutWebhook(const std::string& caller_tenant, const Webhook& webhook,
                             TimePoint now);
  // GetWebhook / ListWebhooks never return the secret.
  Result<Webhook> GetWebhook(const std::string& caller_tenant, const std::string& name);
  Result<std::vector<Webhook>> ListWebhooks(const std::string& caller_tenant);
  // DeleteWebhook removes the webhook; its undelivered outbox rows fail at their next claim.
  Status DeleteWebhook(const std::string& caller_tenant, const std::string& name);
  // LookupWebhookForDelivery returns tenant's webhook with its secret unsealed (the worker).
  Result<Webhook> LookupWebhookForDelivery(const std::string& tenant_id, const std::string& name);

  // RaiseEvent is RaiseEventIn in a transaction of its own.
  Result<int64_t> RaiseEvent(const WebhookEvent& event, TimePoint now);
  // AppendAuditAndRaise appends record to the audit log (as AuditStore::AppendAudit) and raises
  // event in the same transaction: a decision is logged and announced together or not at all
  // (the key release denial).
  Result<AuditEntry> AppendAuditAndRaise(const AuditRecord& record, const WebhookEvent& event,
                                         TimePoint now);

  // ClaimDeliveries leases up to limit rows that are due at now (not delivered, not failed,
  // next_attempt_at <= now, no live lease) to owner until now + lease, counting one attempt on
  // each. Rows locked by another claimer are skipped, never waited for or shared.
  Result<std::vector<OutboxDelivery>> ClaimDeliveries(const std::string& owner, TimePoint now,
                                                      std::chrono::seconds lease, int64_t limit);
  // MarkDelivered records a successful delivery (whoever holds the lease now: it was sent).
  Status MarkDelivered(const std::string& id, TimePoint now);
  // MarkAttemptFailed records a failed attempt by owner's lease: with next_attempt_at the row is
  // due again then, without it the row has failed for good. A lease owner lost (lapsed and
  // claimed by another) changes nothing: kStoreNotFound.
  Status MarkAttemptFailed(const std::string& id, const std::string& owner,
                           const std::string& error, std::optional<TimePoint> next_attempt_at,
                           TimePoint now);
  // GetDelivery reads one row (tests, operators' tools).
  Result<OutboxDelivery> GetDelivery(const std::string& id);
  // ListDeliveries returns the caller's rows for webhook name, newest first, at most limit.
  Result<std::vector<OutboxDelivery>> ListDeliveries(const std::string& caller_tenant,
                                                     const std::string& name, int64_t limit);
  Result<OutboxCounts> CountOutbox();

 private:
  SqlConnection* db_;
  std::shared_ptr<const SecretSealer> sealer_;
};

}  // namespace attest::service::store
