// DeliveryWorker against a loopback receiver and a SQLite outbox, with a clock the test steps.
#include "service/events/delivery_worker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "service/events/signature.h"
#include "service/events/testing/loopback_receiver.h"

namespace attest::service::events {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::LoopbackReceiver;

constexpr char kSecret[] = "worker-test-secret-0123";
constexpr int64_t kT0 = 1764057600;

class DeliveryWorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("webhook-worker-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto sealer = store::LocalKeySealer::FromKey(Bytes(32, 9));
    ASSERT_TRUE(sealer.ok());
    sealer_ = std::move(sealer).value();
    auto db = Open();
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
    auto tenant = db_->CreateTenant("ops", store::Role::kOperator, Now());
    ASSERT_TRUE(tenant.ok());
    tenant_ = tenant->id;
    auto receiver = LoopbackReceiver::Start();
    ASSERT_TRUE(receiver.ok()) << receiver.status().ToString();
    receiver_ = std::move(receiver).value();
    config_.owner = "test-replica";
    config_.allow_loopback_http = true;
    config_.connect_timeout = milliseconds(500);
    config_.total_timeout = milliseconds(800);
    config_.retry = {3, seconds(10), seconds(60)};
    DefineWebhookMetrics(metrics_);
  }
  void TearDown() override {
    receiver_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  TimePoint Now() const { return FromUnixSeconds(now_.load()); }
  Result<std::unique_ptr<store::Store>> Open() {
    return store::OpenSqliteStore((dir_ / "a.db").string(), sealer_);
  }
  std::unique_ptr<DeliveryWorker> Worker() {
    return std::make_unique<DeliveryWorker>(
        config_, [this] { return Open(); }, &metrics_, [this] { return Now(); });
  }
  void Subscribe(const std::string& url) {
    store::Webhook w;
    w.name = "ops";
    w.url = url;
    w.events = {"host.untrusted"};
    w.secret = kSecret;
    ASSERT_TRUE(db_->PutWebhook(tenant_, w, Now()).ok());
  }
  std::string Raise() {
    EXPECT_EQ(*db_->RaiseEvent({"host.untrusted", tenant_, "h-1", R"({"host_id":"h-1"})"}, Now()),
              1);
    return (*db_->ListDeliveries(tenant_, "ops", 1))[0].id;
  }

  std::filesystem::path dir_;
  std::shared_ptr<const store::SecretSealer> sealer_;
  std::unique_ptr<store::Store> db_;
  std::string tenant_;
  std::unique_ptr<LoopbackReceiver> receiver_;
  WorkerConfig config_;
  metrics::Registry metrics_;
  std::atomic<int64_t> now_{kT0};
};

TEST_F(DeliveryWorkerTest, DeliversASignedPayloadOnce) {
  Subscribe(receiver_->Url("/attestd?x=1"));
  const std::string id = Raise();
  auto worker = Worker();
  ASSERT_EQ(*worker->RunOnce(), 1);
  ASSERT_EQ(*worker->RunOnce(), 0) << "delivered rows are not sent again";
  auto got = receiver_->Requests();
  ASSERT_EQ(got.size(), 1u);
  const auto& r = got[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/attestd?x=1");
  EXPECT_EQ(r.headers.at("content-type"), "application/json");
  EXPECT_EQ(r.headers.at("x-attestd-event"), "host.untrusted");
  EXPECT_EQ(r.headers.at("x-attestd-delivery"), id);
  EXPECT_TRUE(VerifySignatureHeader(kSecret, r.headers.at("x-attestd-signature"), r.body, Now(),
                                    seconds(300))
                  .ok());
  EXPECT_EQ(r.headers.at("x-attestd-signature").substr(0, 13), "t=1764057600,");
  auto body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["type"], "host.untrusted");
  EXPECT_EQ(body["data"]["host_id"], "h-1");
  auto row = db_->GetDelivery(id);
  EXPECT_EQ(row->delivered_at, Now());
  EXPECT_EQ(row->attempts, 1);
  EXPECT_NE(metrics_.Render().find("attestd_webhook_delivered_total 1"), std::string::npos);
}

TEST_F(DeliveryWorkerTest, RetriesWithBackoffThenGivesUp) {
  Subscribe(receiver_->Url());
  const std::string id = Raise();
  receiver_->Script({500, LoopbackReceiver::kDrop, LoopbackReceiver::kHang});
  auto worker = Worker();
  const struct {
    std::string name;
    int advance_seconds;
    int want_handled;
    int64_t want_attempts;
    bool want_failed;
    std::string want_error_prefix;
  } steps[] = {
      {"500", 0, 1, 1, false, "webhook.http_status: 500"},
      {"not due yet", 4, 0, 1, false, "webhook.http_status: 500"},
      {"dropped", 7, 1, 2, false, "webhook.transport_error"},  // due after 5..10 s
      {"not due yet again", 9, 0, 2, false, "webhook.transport_error"},
      {"hung past the timeout: third attempt, gives up", 12, 1, 3, true, "webhook.transport_error"},
      {"failed rows are never claimed", 3600, 0, 3, true, "webhook.transport_error"},
  };
  for (const auto& s : steps) {
    SCOPED_TRACE(s.name);
    now_ += s.advance_seconds;
    ASSERT_EQ(*worker->RunOnce(), s.want_handled);
    auto row = db_->GetDelivery(id);
    ASSERT_TRUE(row.ok());
    EXPECT_EQ(row->attempts, s.want_attempts);
    EXPECT_EQ(row->failed_at.has_value(), s.want_failed);
    EXPECT_EQ(row->last_error.substr(0, s.want_error_prefix.size()), s.want_error_prefix);
  }
  auto got = receiver_->Requests();
  ASSERT_EQ(got.size(), 3u);
  for (const auto& r : got) {
    EXPECT_EQ(r.headers.at("x-attestd-delivery"), id) << "one delivery id across retries";
  }
  EXPECT_EQ(db_->CountOutbox()->failed, 1);
}

TEST_F(DeliveryWorkerTest, ALapsedLeaseIsClaimedAgain) {
  Subscribe(receiver_->Url());
  const std::string id = Raise();
  // Another replica claimed the row and was killed before recording anything.
  ASSERT_EQ(db_->ClaimDeliveries("dead-replica", Now(), seconds(60), 10)->size(), 1u);
  auto worker = Worker();
  EXPECT_EQ(*worker->RunOnce(), 0) << "leased";
  now_ += 60;
  EXPECT_EQ(*worker->RunOnce(), 1);
  EXPECT_TRUE(db_->GetDelivery(id)->delivered_at.has_value());
  EXPECT_EQ(db_->GetDelivery(id)->attempts, 2);
  EXPECT_EQ(receiver_->Requests().size(), 1u);
}

TEST_F(DeliveryWorkerTest, RowsThatCannotBeSentFailWithoutARequest) {
  const struct {
    std::string name;
    std::function<void()> arrange;
    std::string want_error;
  } cases[] = {
      {"webhook deleted", [&] { ASSERT_TRUE(db_->DeleteWebhook(tenant_, "ops").ok()); },
       "webhook ops: store.not_found"},
      {"http no longer allowed", [&] { config_.allow_loopback_http = false; },
       "webhook.url_not_https"},
      {"attempts used by crashed replicas",
       [&] {
         for (int i = 0; i < 3; ++i) {
           ASSERT_EQ(db_->ClaimDeliveries("dead", Now(), seconds(1), 10)->size(), 1u);
           now_ += 1;
         }
       },
       "gave up: 3 attempts used"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    config_.allow_loopback_http = true;
    now_ += 10;  // each case's row is the newest
    Subscribe(receiver_->Url());
    const std::string id = Raise();
    c.arrange();
    ASSERT_EQ(*Worker()->RunOnce(), 1);
    auto row = db_->GetDelivery(id);
    EXPECT_TRUE(row->failed_at.has_value());
    EXPECT_NE(row->last_error.find(c.want_error), std::string::npos) << row->last_error;
  }
  EXPECT_TRUE(receiver_->Requests().empty());
}

TEST_F(DeliveryWorkerTest, StartDeliversAndStopReturns) {
  Subscribe(receiver_->Url());
  config_.poll_interval = milliseconds(50);
  auto worker = Worker();
  worker->Start();
  Raise();
  EXPECT_TRUE(receiver_->WaitForRequests(1, seconds(10)));
  worker->Stop();
}

TEST(WorkerConfig, Checks) {
  WorkerConfig good;
  good.owner = "r";
  const struct {
    std::string name;
    std::function<void(WorkerConfig&)> edit;
    std::string want;
  } cases[] = {
      {"defaults", [](WorkerConfig&) {}, "ok"},
      {"no owner", [](WorkerConfig& c) { c.owner.clear(); }, "api.config_invalid"},
      {"lease shorter than a round", [](WorkerConfig& c) { c.lease = seconds(19); },
       "api.config_invalid"},
      {"lease just long enough", [](WorkerConfig& c) { c.lease = seconds(20); }, "ok"},
      {"zero attempts", [](WorkerConfig& c) { c.retry.max_attempts = 0; }, "api.config_invalid"},
      {"cap below base", [](WorkerConfig& c) { c.retry.cap = seconds(1); }, "api.config_invalid"},
      {"zero batch", [](WorkerConfig& c) { c.batch = 0; }, "api.config_invalid"},
      {"zero poll", [](WorkerConfig& c) { c.poll_interval = milliseconds(0); },
       "api.config_invalid"},
      {"total below connect", [](WorkerConfig& c) { c.total_timeout = milliseconds(100); },
       "api.config_invalid"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    WorkerConfig w = good;
    c.edit(w);
    EXPECT_EQ(CheckWorkerConfig(w).reason_id(), c.want);
  }
  EXPECT_NE(NewWorkerOwner(), NewWorkerOwner());
}

}  // namespace
}  // namespace attest::service::events
