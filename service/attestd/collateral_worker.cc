#include "service/attestd/collateral_worker.h"

#include <algorithm>
#include <map>

#include "attest/snp/trust.h"
#include "attest/tdx/verify.h"
#include "service/collateral/refresher.h"
#include "service/log/log.h"

namespace attest::service::attestd {
namespace {

constexpr char kFetches[] = "attestd_collateral_fetches_total";
constexpr char kRateLimited[] = "attestd_collateral_rate_limited_total";
constexpr char kRefused[] = "attestd_collateral_refused_total";
constexpr char kAge[] = "attestd_collateral_age_seconds";
constexpr char kNextUpdate[] = "attestd_collateral_next_update_seconds";
constexpr char kExpiring[] = "attestd_collateral_expiring";

}  // namespace

void DefineCollateralMetrics(metrics::Registry& registry) {
  registry.DefineCounter(kFetches, "Collateral requests to AMD KDS / Intel PCS, by outcome.");
  registry.DefineCounter(kRateLimited, "HTTP 429 answers from AMD KDS / Intel PCS.");
  registry.DefineCounter(kRefused,
                         "Fetched collateral refused: fetch failures, verification, rollbacks.");
  registry.DefineGauge(kAge, "Seconds since the oldest cached item of a kind was fetched.");
  registry.DefineGauge(kNextUpdate,
                       "Seconds until the soonest next_update of a kind's cached items.");
  registry.DefineGauge(kExpiring, "Cached collateral items within a day of their next_update.");
}

void PublishCollateralMetrics(const std::vector<store::CachedCollateral>& items, TimePoint now,
                              metrics::Registry& registry) {
  std::map<std::string, std::pair<int64_t, int64_t>> by_kind;  // kind -> (max age, min to next)
  int expiring = 0;
  for (const store::CachedCollateral& item : items) {
    if (item.value.empty()) {
      continue;  // wanted, not fetched yet
    }
    const int64_t age = (now - item.fetched_at).count();
    const int64_t to_next = (item.next_update - now).count();
    auto [it, added] = by_kind.try_emplace(item.kind, age, to_next);
    if (!added) {
      it->second.first = std::max(it->second.first, age);
      it->second.second = std::min(it->second.second, to_next);
    }
    expiring += to_next < 86400 ? 1 : 0;
  }
  for (const auto& [kind, values] : by_kind) {
    registry.Set(kAge, {{"kind", kind}}, static_cast<double>(values.first));
    registry.Set(kNextUpdate, {{"kind", kind}}, static_cast<double>(values.second));
  }
  registry.Set(kExpiring, {}, expiring);
}

CollateralWorker::CollateralWorker(CollateralConfig config, std::string holder, StoreOpener open,
                                   metrics::Registry* registry, std::function<TimePoint()> now)
    : config_(std::move(config)),
      holder_(std::move(holder)),
      open_(std::move(open)),
      registry_(registry),
      now_(std::move(now)) {}

CollateralWorker::~CollateralWorker() { Stop(); }

void CollateralWorker::Start() {
  thread_ = std::thread([this] { Run(); });
}

void CollateralWorker::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void CollateralWorker::Run() {
  collateral::HttpClient client(config_.http);
  if (registry_ != nullptr) {
    client.set_observer(
        [this](collateral::FetchOutcome o) {
          registry_->Add(kFetches, {{"outcome", std::string(collateral::FetchOutcomeName(o))}});
        },
        [this] { registry_->Add(kRateLimited, {}); });
  }
  tdx::QuoteVerifier verifier = tdx::QuoteVerifier::Default();
  collateral::KdsFetcher kds(client, config_.kds_url, snp::SnpTrustRoots::BuiltIn());
  collateral::PcsFetcher pcs(client, config_.pcs, verifier);
  collateral::RefreshOptions options;
  options.holder = holder_;
  options.ahead = config_.refresh_ahead;
  options.refetch_after = config_.max_age / 2;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<collateral::CollateralRefresher> refresher;

  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    lock.unlock();
    if (store == nullptr) {
      Result<std::unique_ptr<store::Store>> opened = open_();
      if (opened.ok()) {
        store = std::move(opened).value();
        refresher = std::make_unique<collateral::CollateralRefresher>(
            *store, config_.fetch ? &kds : nullptr, config_.fetch ? &pcs : nullptr, options);
        refresher->set_on_refused([this](const store::CachedCollateral& item, const Status& s) {
          if (registry_ != nullptr) {
            registry_->Add(kRefused, {});
          }
          log::Write(log::Level::kWarning, "collateral refused",
                     {{"kind", item.kind}, {"key", item.key}, {"error", s.ToString()}});
        });
      } else {
        log::Write(log::Level::kWarning, "collateral refresh: database",
                   {{"error", opened.status().ToString()}});
      }
    }
    if (refresher != nullptr) {
      const TimePoint now = now_();
      Result<collateral::RefreshRound> round =
          config_.fetch ? refresher->RunOnce(now)
                        : Result<collateral::RefreshRound>(collateral::RefreshRound{});
      if (!round.ok()) {
        log::Write(log::Level::kWarning, "collateral refresh",
                   {{"error", round.status().ToString()}});
        store.reset();  // reconnect next round
        refresher.reset();
      } else if (round->ran && (round->stored > 0 || round->refused > 0)) {
        log::Write(log::Level::kInfo, "collateral refreshed",
                   {{"stored", std::to_string(round->stored)},
                    {"refused", std::to_string(round->refused)}});
      }
      if (store != nullptr && registry_ != nullptr) {
        Result<std::vector<store::CachedCollateral>> items = store->ListCachedCollateral();
        if (items.ok()) {
          PublishCollateralMetrics(*items, now, *registry_);
        }
      }
    }
    lock.lock();
    wake_.wait_for(lock, config_.refresh_interval, [this] { return stop_; });
  }
}

}  // namespace attest::service::attestd
