// Webhooks end to end (issue 15) on real components: a swtpm host enrolled and quoting with the
// real attest-agent, the real attestd process, and a receiver on loopback in this process.
//
//   1. Killed mid-delivery (SQLite, PostgreSQL): the host becomes trusted, so host.trusted is in
//      the outbox; the receiver drops the first attempt and hangs on the second, and attestd is
//      killed with SIGKILL while it waits. Restarted, attestd claims the row again once the dead
//      process's lease lapses, and the receiver gets the event, signed, with the same delivery id.
//   2. Two replicas on one PostgreSQL database and a prompt receiver: every delivery arrives
//      exactly once.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "attest/core/time.h"
#include "service/events/signature.h"
#include "service/events/testing/loopback_receiver.h"
#include "tests/integration/e2e_support.h"

namespace attest {
namespace {

namespace fs = std::filesystem;
using e2e::B;
using e2e::Output;
using service::events::testing::LoopbackReceiver;
using service::events::testing::ReceivedRequest;
using std::chrono::seconds;

constexpr char kSecret[] = "e2e-webhook-secret-0123456789";

class WebhookEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/attest-webhook-e2e-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    host_ = std::make_unique<e2e::MeasuredHost>(dir_);
    ASSERT_NO_FATAL_FAILURE(host_->Start());
    auto receiver = LoopbackReceiver::Start();
    ASSERT_TRUE(receiver.ok()) << receiver.status().ToString();
    receiver_ = std::move(receiver).value();
  }
  void TearDown() override {
    replicas_.clear();
    receiver_.reset();
    host_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // StartFirst initialises and starts replica 0 with fast delivery settings.
  void StartFirst(const std::string& database) {
    replicas_.push_back(std::make_unique<e2e::Attestd>(ATTESTD_BIN, dir_ + "/r0"));
    e2e::Attestd& a = *replicas_[0];
    ASSERT_NO_FATAL_FAILURE(a.Init(database));
    a.config()["ek_ca_bundle"] = host_->swtpm().CaDir();
    a.config()["webhooks_allow_loopback_http"] = true;
    a.config()["webhooks_poll_ms"] = 100;
    a.config()["webhooks_backoff_base_seconds"] = 1;
    a.config()["webhooks_backoff_cap_seconds"] = 2;
    a.config()["webhooks_connect_timeout_ms"] = 1000;
    a.config()["webhooks_timeout_ms"] = 3000;
    a.config()["webhooks_lease_seconds"] = 8;
    a.config()["webhooks_batch"] = 2;
    ASSERT_NO_FATAL_FAILURE(a.Start());
  }

  // EnrollAndQuote enrolls the swtpm host under a host policy that accepts its boot, and quotes
  // once: the host becomes trusted (host.trusted).
  void EnrollAndQuote() {
    const e2e::Attestd& a = *replicas_[0];
    const Bytes loader = B("bootloader image v1");
    ASSERT_NO_FATAL_FAILURE(host_->Boot(loader));
    const std::string policy = R"({"name": "e2e", "any_firmware": true,
        "boot_application_digests": [")" +
                               e2e::Sha256Hex(loader) + R"("]})";
    Output out = a.Curl(a.OperatorUser(), "PUT", "/v1/host-policies/e2e", policy);
    ASSERT_EQ(e2e::HttpStatus(out), "201") << out.text;
    out = host_->Agent(AGENT_BIN, a, "enroll",
                       "--token " + a.EnrollmentToken({{"host_policy", "e2e"}}));
    ASSERT_EQ(out.rc, 0) << out.text;
    out = host_->Agent(AGENT_BIN, a, "run", "--once --eventlog " + host_->EventLogPath());
    ASSERT_EQ(out.rc, 0) << out.text;
  }

  void Subscribe(const std::string& name, const std::vector<std::string>& events) {
    const e2e::Attestd& a = *replicas_[0];
    const nlohmann::json body = {
        {"url", receiver_->Url("/hooks/" + name)}, {"events", events}, {"secret", kSecret}};
    Output out = a.Curl(a.OperatorUser(), "PUT", "/v1/webhooks/" + name, body.dump());
    ASSERT_EQ(e2e::HttpStatus(out), "200") << out.text;
  }

  // ExpectSigned checks what a receiver must: the signature over the body, made within the
  // replay window of now.
  static void ExpectSigned(const ReceivedRequest& r) {
    ASSERT_TRUE(r.headers.count("x-attestd-signature")) << r.body;
    const Status s = service::events::VerifySignatureHeader(
        kSecret, r.headers.at("x-attestd-signature"), r.body, WallClockNow(), seconds(300));
    EXPECT_TRUE(s.ok()) << s.ToString();
  }

  std::string dir_;
  e2e::PostgresDatabase db_;
  std::unique_ptr<e2e::MeasuredHost> host_;
  std::unique_ptr<LoopbackReceiver> receiver_;
  std::vector<std::unique_ptr<e2e::Attestd>> replicas_;
};

class WebhookKill : public WebhookEndToEnd, public ::testing::WithParamInterface<std::string> {};

TEST_P(WebhookKill, AnEventSurvivesSigkillMidDelivery) {
  if (GetParam() == "postgres") {
    ASSERT_NO_FATAL_FAILURE(db_.Create("attest_webhook_e2e"));
    if (IsSkipped()) {
      return;
    }
  }
  ASSERT_NO_FATAL_FAILURE(StartFirst(db_.Conninfo()));
  ASSERT_NO_FATAL_FAILURE(Subscribe("ops", {"host.trusted", "host.untrusted"}));
  receiver_->Script({LoopbackReceiver::kDrop, LoopbackReceiver::kHang});
  ASSERT_NO_FATAL_FAILURE(EnrollAndQuote());

  // The first attempt is dropped, the retry (after 0.5..1 s) hangs: attestd is mid-delivery.
  ASSERT_TRUE(receiver_->WaitForRequests(2, seconds(20))) << replicas_[0]->Log();
  replicas_[0]->Kill();
  const auto killed_at = std::chrono::steady_clock::now();
  ASSERT_NO_FATAL_FAILURE(replicas_[0]->Start());
  ASSERT_TRUE(receiver_->WaitForRequests(3, seconds(30))) << replicas_[0]->Log();
  // Not before the dead process's 8 s lease lapsed: no two holders of one row at once.
  EXPECT_GE(std::chrono::steady_clock::now() - killed_at, seconds(6));

  const std::vector<ReceivedRequest> got = receiver_->Requests();
  ASSERT_EQ(got.size(), 3u);
  for (const ReceivedRequest& r : got) {
    SCOPED_TRACE(r.body);
    EXPECT_EQ(r.target, "/hooks/ops");
    EXPECT_EQ(r.headers.at("x-attestd-event"), "host.trusted");
    EXPECT_EQ(r.headers.at("x-attestd-delivery"), got[0].headers.at("x-attestd-delivery"));
    EXPECT_EQ(r.body, got[0].body) << "the payload is fixed when the event is raised";
    ExpectSigned(r);
  }
  const nlohmann::json payload = nlohmann::json::parse(got[2].body);
  EXPECT_EQ(payload["type"], "host.trusted");
  EXPECT_EQ(payload["subject"], host_->HostId());
  EXPECT_EQ(payload["data"]["state"], "trusted");

  const e2e::Attestd& a = *replicas_[0];
  Output out = a.Curl(a.OperatorUser(), "GET", "/v1/webhooks/ops/deliveries");
  ASSERT_EQ(e2e::HttpStatus(out), "200") << out.text;
  const nlohmann::json rows = e2e::JsonBody(out)["deliveries"];
  ASSERT_EQ(rows.size(), 1u) << out.text;
  EXPECT_EQ(rows[0]["state"], "delivered");
  EXPECT_EQ(rows[0]["attempts"], 3);
  out = a.Curl("", "GET", "/metrics");
  EXPECT_NE(out.text.find("attestd_webhook_deliveries_pending 0"), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("attestd_webhook_delivered_total 1"), std::string::npos) << out.text;
}

INSTANTIATE_TEST_SUITE_P(Databases, WebhookKill, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

TEST_F(WebhookEndToEnd, TwoReplicasDeliverEachEventOnce) {
  ASSERT_NO_FATAL_FAILURE(db_.Create("attest_webhook_replicas"));
  if (IsSkipped()) {
    return;
  }
  ASSERT_NO_FATAL_FAILURE(StartFirst(db_.Conninfo()));
  replicas_.push_back(std::make_unique<e2e::Attestd>(ATTESTD_BIN, dir_ + "/r1"));
  ASSERT_NO_FATAL_FAILURE(replicas_[1]->InitReplicaOf(*replicas_[0]));
  ASSERT_NO_FATAL_FAILURE(replicas_[1]->Start());
  // 24 webhooks hear host.trusted: one quote puts 24 rows in the outbox at once, claimed two at a
  // time by whichever replica polls first.
  constexpr int kHooks = 24;
  for (int i = 0; i < kHooks; ++i) {
    ASSERT_NO_FATAL_FAILURE(Subscribe("h" + std::to_string(i), {"host.trusted"}));
  }
  ASSERT_NO_FATAL_FAILURE(EnrollAndQuote());
  ASSERT_TRUE(receiver_->WaitForRequests(kHooks, seconds(30))) << replicas_[0]->Log();
  std::this_thread::sleep_for(seconds(2));  // time for a duplicate to show, if there were one

  const std::vector<ReceivedRequest> got = receiver_->Requests();
  EXPECT_EQ(got.size(), static_cast<size_t>(kHooks));
  std::set<std::string> ids, targets;
  for (const ReceivedRequest& r : got) {
    ids.insert(r.headers.at("x-attestd-delivery"));
    targets.insert(r.target);
    ExpectSigned(r);
  }
  EXPECT_EQ(ids.size(), static_cast<size_t>(kHooks)) << "a delivery arrived twice";
  EXPECT_EQ(targets.size(), static_cast<size_t>(kHooks));
  // Each replica counts what it delivered; together, every row once.
  double total = 0;
  for (const auto& r : replicas_) {
    const std::string metrics = r->Curl("", "GET", "/metrics").text;
    const std::string name = "\nattestd_webhook_delivered_total ";  // the sample, not # HELP
    const size_t at = metrics.find(name);
    const double n = at == std::string::npos ? 0 : std::stod(metrics.substr(at + name.size()));
    std::cout << "replica delivered " << n << "\n";
    total += n;
  }
  EXPECT_EQ(total, kHooks);
}

}  // namespace
}  // namespace attest
