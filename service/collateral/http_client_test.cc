// HttpClient against the loopback replay server: conduct toward a throttling or failing vendor.
#include "service/collateral/http_client.h"

#include <gtest/gtest.h>

#include <thread>

#include "tests/testing/replay_https_server.h"

namespace attest::service::collateral {
namespace {

using testing::ReplayHttpsServer;
using testing::ReplayResponse;

HttpClientOptions FastOptions(const ReplayHttpsServer& server) {
  HttpClientOptions o;
  o.ca_bundle = server.ca_file();
  o.timeout = std::chrono::milliseconds(2000);
  o.max_attempts = 3;
  o.backoff_base = std::chrono::milliseconds(10);
  o.max_wait = std::chrono::milliseconds(1500);
  return o;
}

ReplayResponse Answer(int status, std::string body = "",
                      std::vector<std::pair<std::string, std::string>> headers = {}) {
  ReplayResponse r;
  r.status = status;
  r.body.assign(body.begin(), body.end());
  r.headers = std::move(headers);
  return r;
}

struct FaultCase {
  const char* name;
  std::vector<ReplayResponse> faults;  // served first, then the route's 200 "ok"
  int max_attempts;
  std::string_view want;  // reason id, "ok" when the fetch succeeds
  int want_hits;
  int want_429s;
};

TEST(HttpClientTest, FaultsAreRetriedOrRefusedWithStableReasons) {
  ReplayResponse slow = Answer(200, "late");
  slow.delay = std::chrono::milliseconds(1500);
  ReplayResponse cut = Answer(200, std::string(4000, 'x'));
  cut.truncate = true;
  const FaultCase cases[] = {
      {"plain 200", {}, 3, "ok", 1, 0},
      {"404 is final", {Answer(404)}, 3, "collateral.not_found", 1, 0},
      {"410 is final", {Answer(410)}, 3, "collateral.not_found", 1, 0},
      {"400 is final", {Answer(400)}, 3, "collateral.http_error", 1, 0},
      {"401 is final", {Answer(401)}, 3, "collateral.http_error", 1, 0},
      {"429 then ok", {Answer(429)}, 3, "ok", 2, 1},
      {"429 Retry-After 1 then ok", {Answer(429, "", {{"Retry-After", "1"}})}, 3, "ok", 2, 1},
      {"429 Retry-After beyond the wait limit",
       {Answer(429, "", {{"Retry-After", "120"}})},
       3,
       "collateral.rate_limited",
       1,
       1},
      {"429 on every attempt",
       {Answer(429), Answer(429), Answer(429)},
       3,
       "collateral.rate_limited",
       3,
       3},
      {"503 twice then ok", {Answer(503), Answer(503)}, 3, "ok", 3, 0},
      {"503 on every attempt",
       {Answer(503), Answer(503), Answer(503)},
       3,
       "collateral.http_error",
       3,
       0},
      {"502 then ok", {Answer(502)}, 3, "ok", 2, 0},
      {"slow answer", {slow}, 1, "collateral.timeout", 1, 0},
      {"truncated body", {cut}, 1, "collateral.truncated", 1, 0},
      {"truncated then whole", {cut}, 2, "ok", 2, 0},
  };
  for (const FaultCase& c : cases) {
    SCOPED_TRACE(c.name);
    std::unique_ptr<ReplayHttpsServer> server = ReplayHttpsServer::Start();
    ASSERT_NE(server, nullptr);
    server->Route("/item", "", Answer(200, "ok"));
    server->Fault("/item", c.faults);
    HttpClientOptions options = FastOptions(*server);
    options.max_attempts = c.max_attempts;
    options.timeout = std::chrono::milliseconds(700);
    HttpClient client(options);
    int n429 = 0;
    std::vector<FetchOutcome> outcomes;
    client.set_observer([&](FetchOutcome o) { outcomes.push_back(o); }, [&] { ++n429; });
    Result<HttpAnswer> got = client.Get(server->url() + "/item");
    if (c.want == "ok") {
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      EXPECT_EQ(std::string(got->body.begin(), got->body.end()), "ok");
    } else {
      ASSERT_FALSE(got.ok());
      EXPECT_EQ(got.status().reason_id(), c.want) << got.status().ToString();
    }
    EXPECT_EQ(server->hits("/item"), c.want_hits);
    EXPECT_EQ(n429, c.want_429s);
    ASSERT_EQ(outcomes.size(), 1u);
    EXPECT_EQ(outcomes[0] == FetchOutcome::kOk, c.want == "ok");
  }
}

TEST(HttpClientTest, BodyOverTheLimitIsRefusedAndNotRetried) {
  std::unique_ptr<ReplayHttpsServer> server = ReplayHttpsServer::Start();
  ASSERT_NE(server, nullptr);
  server->Route("/big", "", Answer(200, std::string(5000, 'b')));
  server->Route("/small", "", Answer(200, std::string(100, 's')));
  HttpClientOptions options = FastOptions(*server);
  options.max_body_bytes = 1000;
  HttpClient client(options);
  Result<HttpAnswer> big = client.Get(server->url() + "/big");
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().reason_id(), reasons::kCollateralTooLarge.id);
  EXPECT_EQ(server->hits("/big"), 1);
  Result<HttpAnswer> small = client.Get(server->url() + "/small");
  ASSERT_TRUE(small.ok()) << small.status().ToString();
  EXPECT_EQ(small->body.size(), 100u);
}

TEST(HttpClientTest, ServerOutsideTheCaBundleIsUnreachable) {
  std::unique_ptr<ReplayHttpsServer> server = ReplayHttpsServer::Start();
  ASSERT_NE(server, nullptr);
  server->Route("/item", "", Answer(200, "ok"));
  HttpClientOptions options = FastOptions(*server);
  options.ca_bundle = "../shared/vectors/snp/certs/ask_ark_milan.pem";  // some other CA
  options.max_attempts = 1;
  HttpClient client(options);
  Result<HttpAnswer> got = client.Get(server->url() + "/item");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().reason_id(), reasons::kCollateralUnreachable.id);
}

TEST(HttpClientTest, UrlsOtherThanHttpAreBadRequests) {
  HttpClient client(HttpClientOptions{});
  for (const char* url : {"file:///etc/passwd", "ftp://127.0.0.1/x", "", "127.0.0.1/x"}) {
    SCOPED_TRACE(url);
    Result<HttpAnswer> got = client.Get(url);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.status().reason_id(), reasons::kCollateralBadRequest.id);
  }
}

TEST(HttpClientTest, HeadersAreReadCaseInsensitively) {
  std::unique_ptr<ReplayHttpsServer> server = ReplayHttpsServer::Start();
  ASSERT_NE(server, nullptr);
  server->Route("/item", "", Answer(200, "ok", {{"TCB-Info-Issuer-Chain", "a%20b"}}));
  HttpClient client(FastOptions(*server));
  Result<HttpAnswer> got = client.Get(server->url() + "/item");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->Header("tcb-info-issuer-chain").value_or(""), "a%20b");
  EXPECT_EQ(got->Header("TCB-INFO-ISSUER-CHAIN").value_or(""), "a%20b");
  EXPECT_FALSE(got->Header("Retry-After").has_value());
}

TEST(HttpClientTest, PerHostConcurrencyIsBounded) {
  std::unique_ptr<ReplayHttpsServer> server = ReplayHttpsServer::Start();
  ASSERT_NE(server, nullptr);
  ReplayResponse slow = Answer(200, "ok");
  slow.delay = std::chrono::milliseconds(150);
  server->Route("/item", "", slow);
  for (int limit : {1, 2}) {
    SCOPED_TRACE(limit);
    HttpClientOptions options = FastOptions(*server);
    options.per_host_concurrency = limit;
    HttpClient client(options);
    std::vector<std::thread> threads;
    threads.reserve(4);
    for (int i = 0; i < 4; ++i) {
      threads.emplace_back([&] { EXPECT_TRUE(client.Get(server->url() + "/item").ok()); });
    }
    for (std::thread& t : threads) {
      t.join();
    }
    EXPECT_LE(server->max_concurrent(), limit);
  }
  EXPECT_EQ(server->hits("/item"), 8);
}

TEST(HttpClientTest, ParseRetryAfter) {
  const int64_t now = 1445412480;  // 2015-10-21T07:28:00Z
  struct Case {
    const char* value = "";
    std::optional<int64_t> want;
  } cases[] = {
      {"10", 10},
      {" 5 ", 5},
      {"0", 0},
      {"Wed, 21 Oct 2015 07:28:30 GMT", 30},
      {"Wed, 21 Oct 2015 07:00:00 GMT", 0},  // in the past: no wait
      {"", std::nullopt},
      {"soon", std::nullopt},
      {"-1", std::nullopt},
      {"1.5", std::nullopt},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.value);
    std::optional<std::chrono::seconds> got = ParseRetryAfter(c.value, now);
    ASSERT_EQ(got.has_value(), c.want.has_value());
    if (got) {
      EXPECT_EQ(got->count(), *c.want);
    }
  }
}

TEST(HttpClientTest, HostOf) {
  EXPECT_EQ(HostOf("https://kdsintf.amd.com/vcek/v1/Milan/crl"), "kdsintf.amd.com");
  EXPECT_EQ(HostOf("https://127.0.0.1:8081/sgx?x=1"), "127.0.0.1:8081");
  EXPECT_EQ(HostOf("https://user@host:1?q"), "host:1");
  EXPECT_EQ(HostOf("no scheme"), "");
}

}  // namespace
}  // namespace attest::service::collateral
