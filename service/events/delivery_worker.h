// DeliveryWorker: attestd's thread that delivers webhook events from the outbox
// (store/webhook_store.h). Each round it claims the due rows under a lease, POSTs each signed
// payload (all of a round at once, so the round ends within one total timeout, well inside the
// lease), and records the outcome: delivered, due again after a backoff, or failed for good
// after RetryPolicy::max_attempts. Delivery is at least once: a receiver that answered but whose
// answer was not recorded (attestd killed in between) gets the delivery again, with the same
// X-Attestd-Delivery id to dedupe on.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "attest/core/status.h"
#include "attest/core/time.h"
#include "service/events/retry.h"
#include "service/metrics/registry.h"
#include "service/store/store.h"

namespace attest::service::events {

struct WorkerConfig {
  // owner: this replica's name on the leases it takes; unique per process (NewWorkerOwner).
  std::string owner;
  std::chrono::milliseconds poll_interval{1000};
  std::chrono::seconds lease{60};  // must exceed total_timeout (CheckWorkerConfig)
  int64_t batch = 8;               // rows claimed (and sent concurrently) per round
  RetryPolicy retry;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds total_timeout{15000};
  bool allow_loopback_http = false;  // webhooks_allow_loopback_http (tests only)
  std::string ca_file;               // "" = the system's trust store
};

// CheckWorkerConfig: positive intervals, a lease longer than a round can take, at least one
// attempt. Fails with api.config_invalid.
Status CheckWorkerConfig(const WorkerConfig& config);

// NewWorkerOwner returns "<hostname>/<pid>/<random hex>".
std::string NewWorkerOwner();

// DefineWebhookMetrics declares the worker's counters (attestd_webhook_attempts_total by
// outcome, attestd_webhook_delivered_total). The pending and failed gauges are the API's
// (read from the database at scrape time, so every replica reports the same).
void DefineWebhookMetrics(metrics::Registry& registry);

class DeliveryWorker {
 public:
  using StoreFactory = std::function<Result<std::unique_ptr<store::Store>>()>;

  // metrics may be null; now is the wall clock in attestd (fixed or stepped in tests).
  DeliveryWorker(WorkerConfig config, StoreFactory open_store, metrics::Registry* metrics,
                 std::function<TimePoint()> now);
  ~DeliveryWorker();
  DeliveryWorker(const DeliveryWorker&) = delete;
  DeliveryWorker& operator=(const DeliveryWorker&) = delete;

  // Start runs rounds on a thread every poll_interval (sooner while rounds find work); Stop
  // cancels transfers in flight (their rows are due again at once) and joins.
  void Start();
  void Stop();

  // RunOnce is one round; returns how many rows it handled (tests drive it directly).
  Result<int> RunOnce();

 private:
  struct Attempt;
  Status Record(store::Store& db, const Attempt& attempt, TimePoint now);
  void Count(const std::string& outcome);

  WorkerConfig config_;
  StoreFactory open_store_;
  metrics::Registry* metrics_;
  std::function<TimePoint()> now_;
  std::unique_ptr<store::Store> store_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace attest::service::events
