// /readyz and /metrics are public: what they read from the database comes from a snapshot shared
// by every caller for a second of the service clock, and /metrics can be limited to the
// operator's scrapers (metrics_allowed_cidrs). The database is a real SQLite store behind a
// connection that counts its statements.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "attest/core/file_io.h"
#include "service/api/health_snapshot.h"
#include "service/api/testing/api_harness.h"
#include "service/keys/local_kek.h"

namespace attest::service::api {
namespace {

using testing::ApiHarness;

// DbCounters: what the counted connections did, and a switch to hold or fail their pings.
struct DbCounters {
  std::atomic<int> connections{0};
  std::atomic<int> pings{0};       // Store::Ping's "SELECT 1"
  std::atomic<int> statements{0};  // every statement, pings included
  std::atomic<bool> fail_pings{false};

  // HoldNextPing makes the next ping wait until Release.
  void HoldNextPing() {
    std::lock_guard<std::mutex> lock(mu);
    hold_next = true;
  }
  // WaitUntilHeld waits (up to 10 s, then false) for a ping to be held.
  bool WaitUntilHeld() {
    std::unique_lock<std::mutex> lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(10), [&] { return held; });
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu);
    released = true;
    cv.notify_all();
  }
  void MaybeHold() {
    std::unique_lock<std::mutex> lock(mu);
    if (!hold_next) {
      return;
    }
    hold_next = false;
    held = true;
    cv.notify_all();
    cv.wait_for(lock, std::chrono::seconds(10), [&] { return released; });
  }

  std::mutex mu;
  std::condition_variable cv;
  bool hold_next = false, held = false, released = false;
};

class CountingConnection : public store::SqlConnection {
 public:
  CountingConnection(std::unique_ptr<store::SqlConnection> inner,
                     std::shared_ptr<DbCounters> counters)
      : inner_(std::move(inner)), counters_(std::move(counters)) {}
  store::Dialect dialect() const override { return inner_->dialect(); }
  Result<std::vector<store::SqlRow>> Exec(std::string_view sql,
                                          const std::vector<store::SqlValue>& params) override {
    ++counters_->statements;
    if (sql == "SELECT 1") {
      ++counters_->pings;
      counters_->MaybeHold();
      if (counters_->fail_pings) {
        return Status(reasons::kStoreDatabase, "database gone (test)");
      }
    }
    return inner_->Exec(sql, params);
  }
  Status ExecScript(std::string_view sql) override { return inner_->ExecScript(sql); }
  Status BeginWrite() override { return inner_->BeginWrite(); }
  Status Commit() override { return inner_->Commit(); }
  void Rollback() override { inner_->Rollback(); }

 private:
  std::unique_ptr<store::SqlConnection> inner_;
  std::shared_ptr<DbCounters> counters_;
};

// CountedDb: an SQLite database file whose connections count their statements.
class CountedDb {
 public:
  CountedDb() {
    std::random_device rd;
    dir_ = std::filesystem::temp_directory_path() / ("attest-health-" + std::to_string(rd()));
    std::filesystem::create_directories(dir_);
  }
  ~CountedDb() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  CountedDb(const CountedDb&) = delete;
  CountedDb& operator=(const CountedDb&) = delete;

  store::StorePool::Factory Factory() {
    return [db = (dir_ / "api.db").string(),
            counters = counters_]() -> Result<std::unique_ptr<store::Store>> {
      ATTEST_ASSIGN_OR_RETURN(std::unique_ptr<store::SqlConnection> conn, store::OpenSqlite(db));
      ++counters->connections;
      // The harness's KEK: 32 bytes of 7.
      auto kek = std::shared_ptr<const keys::KeyEncryptionKey>(
          keys::LocalKeyFileKek::FromKey(Bytes(32, 7)).value());
      return store::Store::Open(std::make_unique<CountingConnection>(std::move(conn), counters),
                                std::make_shared<const store::SecretSealer>(kek));
    };
  }
  DbCounters& counters() { return *counters_; }

 private:
  std::filesystem::path dir_;
  std::shared_ptr<DbCounters> counters_ = std::make_shared<DbCounters>();
};

// RetryAfter is the Retry-After header's value ("" when there is none).
std::string RetryAfter(const std::vector<HttpHeader>& headers) {
  for (const HttpHeader& header : headers) {
    if (header.name == "Retry-After") {
      return header.value;
    }
  }
  return "";
}

HttpRequest Get(const std::string& path) {
  HttpRequest req;
  req.method = "GET";
  req.path = path;
  req.headers.push_back({"Host", "127.0.0.1:8443"});
  return req;
}

// 100 callers at once, in one second of the service clock: one database check between them, and
// no connection opened beyond the one the pool already holds.
TEST(HealthSnapshotTest, ConcurrentReadinessCallsShareOneDatabaseCheck) {
  CountedDb db;
  ApiHarness h(db.Factory());
  const int connections_before = db.counters().connections.load();
  constexpr int kThreads = 10, kCallsEach = 10;
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kCallsEach; ++i) {
        if (h.api().Handle(Get("/readyz")).status == 200) {
          ++ready;
        }
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  EXPECT_EQ(ready.load(), kThreads * kCallsEach);
  EXPECT_EQ(db.counters().pings.load(), 1);
  EXPECT_EQ(db.counters().connections.load(), connections_before);
  EXPECT_EQ(h.api().service().health->readyz.computations(), 1u);
}

TEST(HealthSnapshotTest, ReadinessIsRecheckedOnceASecond) {
  CountedDb db;
  ApiHarness h(db.Factory());
  const TimePoint start = h.now();
  struct Step {
    std::string name;
    std::chrono::seconds offset;  // from start
    int want_pings;               // after the step's calls
  };
  const std::vector<Step> steps = {
      {"first call computes", std::chrono::seconds(0), 1},
      {"same second: the snapshot", std::chrono::seconds(0), 1},
      {"one second later: refreshed", std::chrono::seconds(1), 2},
      {"again in that second", std::chrono::seconds(1), 2},
      {"a minute later", std::chrono::seconds(61), 3},
      {"clock stepped back an hour", std::chrono::seconds(-3600), 4},
      {"and stays there", std::chrono::seconds(-3600), 4},
  };
  for (const Step& s : steps) {
    SCOPED_TRACE(s.name);
    h.set_now(start + s.offset);
    for (int i = 0; i < 20; ++i) {
      EXPECT_EQ(h.Call("GET", "/readyz").status, 200);
    }
    EXPECT_EQ(db.counters().pings.load(), s.want_pings);
  }
}

// While one caller refreshes the snapshot (its database check held here), every other caller gets
// the last snapshot at once instead of checking too.
TEST(HealthSnapshotTest, CallersDuringARefreshGetTheLastSnapshot) {
  CountedDb db;
  ApiHarness h(db.Factory());
  ASSERT_EQ(h.Call("GET", "/readyz").status, 200);
  ASSERT_EQ(db.counters().pings.load(), 1);
  h.set_now(h.now() + std::chrono::seconds(1));
  db.counters().HoldNextPing();
  db.counters().fail_pings = true;  // the refresh in progress will find the database gone
  int refreshed_status = 0;
  std::thread refresher([&] { refreshed_status = h.api().Handle(Get("/readyz")).status; });
  const bool held = db.counters().WaitUntilHeld();
  EXPECT_TRUE(held);
  for (int i = 0; held && i < 100; ++i) {
    EXPECT_EQ(h.api().Handle(Get("/readyz")).status, 200);  // the last snapshot: ready
  }
  EXPECT_EQ(db.counters().pings.load(), 2);  // the first, and the one held
  db.counters().Release();
  refresher.join();
  EXPECT_EQ(refreshed_status, 503);
  auto r = h.Call("GET", "/readyz");  // the refreshed snapshot, without another check
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.json["checks"]["database"], "store.database_error");
  EXPECT_EQ(db.counters().pings.load(), 2);
}

// A readiness check that hangs (a database the network lost: no answer, no reset) keeps serving
// the last snapshot for kReadyzMaxStale only; then every other caller gets 503 until it ends.
TEST(HealthSnapshotTest, AHungCheckMakesReadinessFailAfterItsBound) {
  CountedDb db;
  ApiHarness h(db.Factory());
  ASSERT_EQ(h.Call("GET", "/readyz").status, 200);
  const TimePoint ready_at = h.now();
  h.set_now(ready_at + std::chrono::seconds(1));
  db.counters().HoldNextPing();
  std::thread refresher([&] { (void)h.api().Handle(Get("/readyz")); });
  const bool held = db.counters().WaitUntilHeld();
  ASSERT_TRUE(held);
  const struct {
    int seconds_after_ready;
    int want_status;
    std::string want_code;
  } cases[] = {
      {1, 200, ""},
      {4, 200, ""},  // the last snapshot, still within the bound
      {5, 503, "api.readiness_check_hung"},
      {60, 503, "api.readiness_check_hung"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.seconds_after_ready);
    h.set_now(ready_at + std::chrono::seconds(c.seconds_after_ready));
    auto r = h.Call("GET", "/readyz");
    EXPECT_EQ(r.status, c.want_status);
    EXPECT_EQ(r.json.value("code", ""), c.want_code);
  }
  EXPECT_EQ(db.counters().pings.load(), 2);  // no caller piled another check on the hung one
  db.counters().Release();
  refresher.join();
  h.set_now(ready_at + std::chrono::seconds(61));
  EXPECT_EQ(h.Call("GET", "/readyz").status, 200);  // the check ended: computed afresh
}

// A database that stops answering shows in /readyz one second (of the service clock) later at
// the latest, and so does its recovery.
TEST(HealthSnapshotTest, DatabaseFailureShowsWithinASecond) {
  CountedDb db;
  ApiHarness h(db.Factory());
  EXPECT_EQ(h.Call("GET", "/readyz").status, 200);
  db.counters().fail_pings = true;
  h.set_now(h.now() + std::chrono::seconds(1));
  auto r = h.Call("GET", "/readyz");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.json["code"], "store.database_error");
  EXPECT_EQ(r.json["checks"]["kek"], "ok");
  db.counters().fail_pings = false;
  EXPECT_EQ(h.Call("GET", "/readyz").status, 503);  // same second: the snapshot
  h.set_now(h.now() + std::chrono::seconds(1));
  EXPECT_EQ(h.Call("GET", "/readyz").status, 200);
}

// While the readiness snapshot's database check fails, every route but the health ones answers
// at once 503 store.database_error with Retry-After (issue 21: no connection per request to a
// database coming back, no decision on a clock the database disagrees with), all of them on the
// one check of that second; once the check passes again, requests go through.
TEST(HealthSnapshotTest, RequestsWaitWhileTheDatabaseCheckFails) {
  CountedDb db;
  ApiHarness h(db.Factory());
  const std::string challenge = R"({"vm_id": "vm-00000000000000000000000000000000"})";
  ASSERT_EQ(h.Call("POST", "/v1/attest/challenge", challenge).status, 404);
  db.counters().fail_pings = true;
  h.set_now(h.now() + std::chrono::seconds(1));
  const int pings_before = db.counters().pings.load();
  const struct {
    std::string method, path, body;
    bool signed_request;
  } refused[] = {
      {"POST", "/v1/attest/challenge", challenge, false},
      {"GET", "/v1/hosts", "", true},
      {"POST", "/v1/attest/challenge", challenge, false},
  };
  for (const auto& c : refused) {
    SCOPED_TRACE(c.method + " " + c.path);
    auto r =
        h.Call(c.method, c.path, c.body, c.signed_request ? &h.operator_credentials() : nullptr);
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(r.json["code"], "store.database_error");
    ASSERT_FALSE(r.headers.empty());
    EXPECT_EQ(RetryAfter(r.headers), "1");
  }
  EXPECT_EQ(db.counters().pings.load(), pings_before + 1);  // one check for all of them
  EXPECT_EQ(h.Call("GET", "/healthz").status, 200);         // liveness never waits
  db.counters().fail_pings = false;
  h.set_now(h.now() + std::chrono::seconds(1));
  EXPECT_EQ(h.Call("POST", "/v1/attest/challenge", challenge).status, 404);
  EXPECT_EQ(h.Call("GET", "/v1/hosts", "", &h.operator_credentials()).status, 200);
}

// A signed request refused as too skewed may be this replica's fault: its clock stepped inside
// the second its readiness snapshot still says ready. The refusal then checks the database (its
// clock, on PostgreSQL) at once and answers 503 with Retry-After instead of a 403 that tells the
// client its request was bad (issue 21, clock step). A request really signed at a wrong time,
// with the database agreeing with this replica, still gets 403.
TEST(HealthSnapshotTest, ASkewRefusalChecksTheDatabaseFirst) {
  CountedDb db;
  ApiHarness h(db.Factory());
  ASSERT_EQ(h.Call("GET", "/readyz").status, 200);
  HttpRequest req = Get("/v1/hosts");
  sigv4::SignOptions options{"local", "attestd", h.now() - std::chrono::minutes(6)};
  auto skewed = sigv4::SignRequest(req, h.operator_credentials(), options);
  ASSERT_TRUE(skewed.ok());
  const struct {
    std::string name;
    bool database_check_fails;
    int want_status;
    std::string want_code;
  } cases[] = {
      {"the database agrees with this replica", false, 403, "RequestTimeTooSkewed"},
      {"this replica's own check fails", true, 503, "store.database_error"},
      {"agrees again", false, 403, "RequestTimeTooSkewed"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    db.counters().fail_pings = c.database_check_fails;
    const int pings_before = db.counters().pings.load();
    const http::HttpResponse r = h.api().Handle(skewed->signed_request);
    EXPECT_EQ(r.status, c.want_status);
    EXPECT_NE(r.body.find(c.want_code), std::string::npos) << r.body;
    EXPECT_EQ(!RetryAfter(r.headers).empty(), c.want_status == 503);
    EXPECT_EQ(db.counters().pings.load(), pings_before + 1);  // the skew refusal's own check
  }
  EXPECT_EQ(h.api().service().health->readyz.computations(), 1u);  // the snapshot was fresh
  EXPECT_EQ(h.Call("GET", "/v1/hosts", "", &h.operator_credentials()).status, 200);
}

// /metrics reads its database gauges once a second too, whoever asks; the rest (counters kept in
// memory) is current on every call.
TEST(HealthSnapshotTest, MetricsReadTheDatabaseOnceASecond) {
  CountedDb db;
  ApiHarness h(db.Factory());
  const int before = db.counters().statements.load();
  auto r = h.Call("GET", "/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("attestd_trusted_hosts 0"), std::string::npos) << r.body;
  const int one_refresh = db.counters().statements.load() - before;
  EXPECT_GT(one_refresh, 0);
  std::vector<std::thread> threads;
  threads.reserve(10);
  for (int t = 0; t < 10; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        EXPECT_EQ(h.api().Handle(Get("/metrics")).status, 200);
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  EXPECT_EQ(db.counters().statements.load() - before, one_refresh);
  // The request counter is not part of the snapshot: the 100 calls above show at once.
  r = h.Call("GET", "/metrics");
  EXPECT_NE(
      r.body.find(R"(attestd_http_requests_total{method="GET",route="/metrics",status="200"} 101)"),
      std::string::npos)
      << r.body;
  h.set_now(h.now() + std::chrono::seconds(1));
  EXPECT_EQ(h.Call("GET", "/metrics").status, 200);
  EXPECT_EQ(db.counters().statements.load() - before, 2 * one_refresh);
}

// metrics_allowed_cidrs: only listed client addresses (behind a trusted proxy, the address it
// reports) may read /metrics; the others get 403 without touching the database. /healthz and
// /readyz stay public.
TEST(HealthSnapshotTest, MetricsOnlyForAllowedClients) {
  CountedDb db;
  ApiHarness h(db.Factory());
  ServiceConfig& config = h.api().service().config;
  for (const char* cidr : {"10.0.0.0/8", "2001:db8::/32"}) {
    config.metrics_allowed_cidrs.push_back(http::ParseCidr(cidr).value());
  }
  config.trusted_proxies.push_back(http::ParseCidr("192.0.2.1").value());
  struct Case {
    std::string name;
    std::string peer;
    std::vector<HttpHeader> headers;
    int want_status;
  };
  const std::vector<Case> cases = {
      {"listed v4", "10.1.2.3", {}, 200},
      {"listed v6", "2001:db8::5", {}, 200},
      {"listed v4 seen as v4-mapped v6", "::ffff:10.1.2.3", {}, 200},
      {"not listed", "192.168.1.1", {}, 403},
      {"not listed v6", "2001:db9::5", {}, 403},
      {"no address", "", {}, 403},
      {"untrusted peer claiming a listed client",
       "192.168.1.1",
       {{"X-Forwarded-For", "10.1.2.3"}},
       403},
      {"trusted proxy for a listed client", "192.0.2.1", {{"X-Forwarded-For", "10.1.2.3"}}, 200},
      {"trusted proxy, Forwarded", "192.0.2.1", {{"Forwarded", "for=10.9.9.9"}}, 200},
      {"trusted proxy for another client", "192.0.2.1", {{"X-Forwarded-For", "203.0.113.9"}}, 403},
      {"trusted proxy for a listed client behind an unlisted one",
       "192.0.2.1",
       {{"X-Forwarded-For", "10.1.2.3, 203.0.113.9"}},
       403},
      {"the proxy itself", "192.0.2.1", {}, 403},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    h.set_peer(c.peer, c.headers);
    const int statements = db.counters().statements.load();
    auto r = h.Call("GET", "/metrics");
    EXPECT_EQ(r.status, c.want_status) << r.body;
    if (c.want_status == 403) {
      EXPECT_EQ(r.json["code"], "api.metrics_not_allowed");
      EXPECT_EQ(db.counters().statements.load(), statements);
    } else {
      EXPECT_NE(r.body.find("attestd_trusted_hosts"), std::string::npos);
    }
    EXPECT_EQ(h.Call("GET", "/healthz").status, 200);
    EXPECT_EQ(h.Call("GET", "/readyz").status, 200);
  }
  // An empty list: every client, as before the setting existed.
  config.metrics_allowed_cidrs.clear();
  h.set_peer("192.168.1.1");
  EXPECT_EQ(h.Call("GET", "/metrics").status, 200);
  h.set_peer("");
  EXPECT_EQ(h.Call("GET", "/metrics").status, 200);
}

// Snapshot alone: a compute that throws leaves no snapshot behind and the next caller computes.
TEST(HealthSnapshotTest, AThrowingComputeIsRetried) {
  Snapshot<int> snapshot(std::chrono::seconds(1));
  const TimePoint now = FromUnixSeconds(1764000000);
  EXPECT_THROW(snapshot.Get(now, []() -> int { throw std::runtime_error("boom"); }),
               std::runtime_error);
  EXPECT_EQ(snapshot.Get(now, [] { return 7; }), 7);
  EXPECT_EQ(snapshot.Get(now, [] { return 8; }), 7);
  EXPECT_EQ(snapshot.Get(now + std::chrono::seconds(1), [] { return 9; }), 9);
  EXPECT_EQ(snapshot.computations(), 2u);
}

}  // namespace
}  // namespace attest::service::api
