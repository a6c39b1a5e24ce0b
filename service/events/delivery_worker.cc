#include "service/events/delivery_worker.h"

#include <unistd.h>

#include <future>
#include <iostream>
#include <random>
#include <vector>

#include "attest/core/encoding.h"
#include "service/events/http_post.h"
#include "service/events/signature.h"
#include "service/events/webhook_url.h"
#include "service/http/reasons.h"

namespace attest::service::events {
namespace {

constexpr char kAttempts[] = "attestd_webhook_attempts_total";
constexpr char kDelivered[] = "attestd_webhook_delivered_total";

double Jitter() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

}  // namespace

// Attempt: one claimed row and what became of it this round.
struct DeliveryWorker::Attempt {
  store::OutboxDelivery row;
  std::string url;
  HttpPost post;
  // Set before sending when the row cannot be sent at all (webhook deleted, URL refused,
  // attempts used up by earlier crashes): the row fails for good without a request.
  std::string give_up;
  Result<int> status = Status(reasons::kWebhookTransport, "not sent");
};

Status CheckWorkerConfig(const WorkerConfig& c) {
  auto bad = [](const std::string& why) { return Status(reasons::kApiConfig, "webhooks: " + why); };
  if (c.owner.empty()) {
    return bad("no lease owner name");
  }
  if (c.poll_interval.count() <= 0 || c.batch <= 0 || c.retry.max_attempts <= 0 ||
      c.retry.base.count() <= 0 || c.retry.cap < c.retry.base) {
    return bad("poll interval, batch, attempts and backoff must be positive (cap >= base)");
  }
  if (c.connect_timeout.count() <= 0 || c.total_timeout < c.connect_timeout) {
    return bad("timeouts must be positive, the total at least the connect timeout");
  }
  // A round's requests run at once and end within total_timeout; the lease must outlast that
  // with room for the claim and the record, or another replica could claim a row mid-send.
  if (std::chrono::duration_cast<std::chrono::milliseconds>(c.lease) <
      c.total_timeout + std::chrono::seconds(5)) {
    return bad("webhooks_lease_seconds must exceed the total timeout by at least 5 s");
  }
  return Status::Ok();
}

std::string NewWorkerOwner() {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0) {
    host[0] = 0;
  }
  return std::string(host) + "/" + std::to_string(getpid()) + "/" +
         HexEncode(store::RandomBytes(4));
}

void DefineWebhookMetrics(metrics::Registry& registry) {
  registry.DefineCounter(kAttempts,
                         "Webhook delivery attempts by this replica, by outcome (delivered, "
                         "http_error, transport_error, gave_up).");
  registry.DefineCounter(kDelivered, "Webhook deliveries a receiver accepted (2xx), this replica.");
}

DeliveryWorker::DeliveryWorker(WorkerConfig config, StoreFactory open_store,
                               metrics::Registry* metrics, std::function<TimePoint()> now)
    : config_(std::move(config)),
      open_store_(std::move(open_store)),
      metrics_(metrics),
      now_(std::move(now)) {}

DeliveryWorker::~DeliveryWorker() { Stop(); }

void DeliveryWorker::Count(const std::string& outcome) {
  if (metrics_ != nullptr) {
    metrics_->Add(kAttempts, {{"outcome", outcome}});
    if (outcome == "delivered") {
      metrics_->Add(kDelivered, {});
    }
  }
}

Result<int> DeliveryWorker::RunOnce() {
  if (!store_) {
    ATTEST_ASSIGN_OR_RETURN(store_, open_store_());
  }
  const TimePoint now = now_();
  Result<std::vector<store::OutboxDelivery>> claimed =
      store_->ClaimDeliveries(config_.owner, now, config_.lease, config_.batch);
  if (!claimed.ok()) {
    store_.reset();  // reconnect next round
    return claimed.status();
  }
  std::vector<Attempt> attempts(claimed->size());
  for (size_t i = 0; i < claimed->size(); ++i) {
    Attempt& a = attempts[i];
    a.row = std::move((*claimed)[i]);
    if (a.row.attempts > config_.retry.max_attempts) {
      // Claimed before by replicas that died mid-send until the attempts ran out.
      a.give_up = "gave up: " + std::to_string(config_.retry.max_attempts) + " attempts used";
      continue;
    }
    Result<store::Webhook> hook =
        store_->LookupWebhookForDelivery(a.row.tenant_id, a.row.webhook_name);
    if (!hook.ok()) {
      if (hook.status().reason_id() != reasons::kStoreNotFound.id &&
          hook.status().reason_id() != reasons::kStoreUnsealFailed.id) {
        store_.reset();
        return hook.status();  // the rows' leases lapse and they are claimed again
      }
      a.give_up = "webhook " + a.row.webhook_name + ": " + hook.status().ToString();
      continue;
    }
    Result<WebhookUrl> url = CheckWebhookUrl(hook->url, config_.allow_loopback_http);
    if (!url.ok()) {
      a.give_up = url.status().ToString();
      continue;
    }
    a.post.url = hook->url;
    a.post.body = a.row.body;
    a.post.headers = {
        {kEventHeader, a.row.event_type},
        {kDeliveryHeader, a.row.id},
        {kSignatureHeader, SignatureHeader(hook->secret, ToUnixSeconds(now_()), a.row.body)}};
    a.post.connect_timeout = config_.connect_timeout;
    a.post.total_timeout = config_.total_timeout;
    a.post.allow_http = config_.allow_loopback_http;
    a.post.ca_file = config_.ca_file;
    a.post.cancel = &stopping_;
  }
  // Send concurrently: one slow receiver does not hold the others past their leases.
  std::vector<std::future<Result<int>>> sent(attempts.size());
  for (size_t i = 0; i < attempts.size(); ++i) {
    if (attempts[i].give_up.empty()) {
      sent[i] = std::async(std::launch::async, PostWebhook, std::cref(attempts[i].post));
    }
  }
  for (size_t i = 0; i < attempts.size(); ++i) {
    if (sent[i].valid()) {
      attempts[i].status = sent[i].get();
    }
  }
  const TimePoint done = now_();
  for (const Attempt& a : attempts) {
    if (Status s = Record(*store_, a, done); !s.ok()) {
      if (s.reason_id() != reasons::kStoreNotFound.id) {
        store_.reset();
        return s;
      }
      // Our lease lapsed and another replica holds the row now: its answer counts.
    }
  }
  return static_cast<int>(attempts.size());
}

Status DeliveryWorker::Record(store::Store& db, const Attempt& a, TimePoint now) {
  const store::OutboxDelivery& row = a.row;
  if (!a.give_up.empty()) {
    Count("gave_up");
    return db.MarkAttemptFailed(row.id, config_.owner, a.give_up, std::nullopt, now);
  }
  if (a.status.ok() && *a.status >= 200 && *a.status < 300) {
    Count("delivered");
    return db.MarkDelivered(row.id, now);
  }
  std::string error;
  if (a.status.ok()) {
    Count("http_error");
    error = std::string(reasons::kWebhookHttpStatus.id) + ": " + std::to_string(*a.status);
  } else {
    Count("transport_error");
    error = a.status.status().ToString();
  }
  if (stopping_.load()) {
    // Cancelled by shutdown, not refused by the receiver: due again at once (the claim has
    // counted the attempt).
    return db.MarkAttemptFailed(row.id, config_.owner, error, now, now);
  }
  if (row.attempts >= config_.retry.max_attempts) {
    return db.MarkAttemptFailed(row.id, config_.owner, error, std::nullopt, now);
  }
  return db.MarkAttemptFailed(row.id, config_.owner, error,
                              now + RetryDelay(config_.retry, row.attempts, Jitter()), now);
}

void DeliveryWorker::Start() {
  if (thread_.joinable()) {
    return;
  }
  stopping_ = false;
  thread_ = std::thread([this] {
    while (!stopping_.load()) {
      Result<int> n = RunOnce();
      if (!n.ok()) {
        std::cerr << "attestd: webhooks: " << n.status().ToString() << std::endl;
      }
      // A full batch means more may be due: go again at once.
      if (n.ok() && *n >= config_.batch) {
        continue;
      }
      const auto until = std::chrono::steady_clock::now() + config_.poll_interval;
      while (!stopping_.load() && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  });
}

void DeliveryWorker::Stop() {
  stopping_ = true;
  if (thread_.joinable()) {
    thread_.join();
  }
}

}  // namespace attest::service::events
