// Handler tests over a real SQLite store, requests signed with SigV4 as clients sign them.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <set>

#include <nlohmann/json.hpp>

#include "attest/core/encoding.h"
#include "attest/core/file_io.h"
#include "service/api/testing/api_harness.h"
#include "service/keys/local_kek.h"
#include "tests/testing/vectors.h"

namespace attest::service::api {
namespace {

using testing::ApiHarness;

// Example reads a shipped policy example (tests run from the repository root).
std::string Example(const std::string& name) {
  Result<Bytes> bytes = ReadFileBytes("policy/examples/" + name);
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  return bytes.ok() ? std::string(bytes->begin(), bytes->end()) : "";
}

std::string Renamed(std::string doc, const std::string& from, const std::string& to) {
  return doc.replace(doc.find("\"" + from + "\""), from.size() + 2, "\"" + to + "\"");
}

std::string PolicyText(const std::string& name) {
  return R"({"name": ")" + name + R"(", "snp": {"any_measurement": true, "any_host_data": true,
            "allow_debug": false}})";
}

TEST(ApiHealthTest, HealthReadinessAndMetricsArePublic) {
  ApiHarness h;
  auto r = h.Call("GET", "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.json["status"], "ok");
  r = h.Call("GET", "/readyz");
  EXPECT_EQ(r.status, 200);
  r = h.Call("GET", "/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(r.body.find("attestd_http_requests_total{method=\"GET\",route=\"/healthz\","
                        "status=\"200\"} 1"),
            std::string::npos)
      << r.body;
  EXPECT_NE(r.body.find("attestd_trusted_hosts 0"), std::string::npos);
}

TEST(ApiHealthTest, ReadinessFailsWhenTheDatabaseCannotBeOpened) {
  ApiHarness h([]() -> Result<std::unique_ptr<store::Store>> {
    return Status(reasons::kStoreDatabase, "connection refused");
  });
  EXPECT_EQ(h.Call("GET", "/healthz").status, 200);
  auto r = h.Call("GET", "/readyz");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.json["code"], "store.database_error");
  EXPECT_EQ(r.json["checks"]["database"], "store.database_error");
  EXPECT_EQ(r.json["checks"]["kek"], "ok");
}

// /readyz also checks the KEK: a key file that is gone, opened up or replaced makes the service
// unready, and the body names the failed check by its reason.
TEST(ApiHealthTest, ReadinessChecksTheKeyFile) {
  ApiHarness h;
  const std::filesystem::path key_file = h.dir() / "kek.bin";
  auto write_key = [&](uint8_t fill, std::filesystem::perms mode) {
    std::filesystem::remove(key_file);
    const Bytes key(32, fill);
    ASSERT_TRUE(WriteNewFile(key_file.string(), key).ok());
    std::filesystem::permissions(key_file, mode);
  };
  const auto owner_only = std::filesystem::perms::owner_read | std::filesystem::perms::owner_write;
  write_key(7, owner_only);  // the harness's KEK: 32 bytes of 7
  auto kek = keys::LocalKeyFileKek::FromKeyFile(key_file.string());
  ASSERT_TRUE(kek.ok()) << kek.status().ToString();
  h.api().service().kek = std::move(kek).value();

  auto r = h.Call("GET", "/readyz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.json["status"], "ready");
  EXPECT_EQ(r.json["checks"]["database"], "ok");
  EXPECT_EQ(r.json["checks"]["kek"], "ok");

  struct Case {
    std::string name;
    std::function<void()> break_it;
    std::string want_code;
  };
  const std::vector<Case> cases = {
      {"removed", [&] { std::filesystem::remove(key_file); }, "keys.key_file_invalid"},
      {"readable by others",
       [&] { write_key(7, owner_only | std::filesystem::perms::others_read); },
       "keys.key_file_invalid"},
      {"another key", [&] { write_key(8, owner_only); }, "keys.wrong_key"},
      {"a directory",
       [&] {
         std::filesystem::remove(key_file);
         std::filesystem::create_directory(key_file);
       },
       "keys.key_file_invalid"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    c.break_it();
    // Readiness is a snapshot rechecked once a second (health_snapshot.h): the next second shows
    // the broken key.
    h.set_now(h.now() + std::chrono::seconds(1));
    r = h.Call("GET", "/readyz");
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(r.json["code"], c.want_code);
    EXPECT_EQ(r.json["checks"]["kek"], c.want_code);
    EXPECT_EQ(r.json["checks"]["database"], "ok");
    EXPECT_EQ(r.body.find(key_file.string()), std::string::npos);  // public: no paths
    std::filesystem::remove_all(key_file);
    write_key(7, owner_only);
    h.set_now(h.now() + std::chrono::seconds(1));
    EXPECT_EQ(h.Call("GET", "/readyz").status, 200);  // repaired: ready again
  }
}

TEST(ApiRoutingTest, EveryResponseCarriesARequestId) {
  ApiHarness h;
  auto id_of = [&](const std::string& path, std::vector<HttpHeader> headers) {
    HttpRequest req;
    req.method = "GET";
    req.path = path;
    req.headers = std::move(headers);
    const http::HttpResponse r = h.api().Handle(req);
    std::string id;
    for (const HttpHeader& header : r.headers) {
      if (header.name == "X-Request-Id") {
        EXPECT_TRUE(id.empty()) << "one X-Request-Id only";
        id = header.value;
      }
    }
    return id;
  };
  EXPECT_EQ(id_of("/healthz", {{"X-Request-Id", "lb-7f3a.1"}}), "lb-7f3a.1");
  EXPECT_EQ(id_of("/no-such-route", {{"x-request-id", "abc"}}), "abc");          // errors too
  EXPECT_EQ(id_of("/v1/policies", {{"X-Request-Id", "unsigned"}}), "unsigned");  // 403 too
  const std::string made = id_of("/healthz", {{"X-Request-Id", "a b\r\nX-Evil: 1"}});
  EXPECT_EQ(made.size(), 32u) << made;
  EXPECT_NE(made, id_of("/healthz", {}));
}

TEST(ApiRoutingTest, UnknownRoutesAndMethods) {
  ApiHarness h;
  auto r = h.Call("GET", "/v1/nothing");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.json["code"], "api.not_found");
  r = h.Call("PATCH", "/v1/policies/x");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.json["code"], "api.method_not_allowed");
  r = h.Call("GET", "/v1/policies/bad%2Fname", "", &h.operator_credentials());
  EXPECT_EQ(r.status, 404);
  // Unmatched requests never mint metric labels from what the client sent.
  EXPECT_EQ(h.Call("GET", "/metrics").body.find("PATCH"), std::string::npos);
}

TEST(ApiAuthTest, RefusesBadSignaturesWithAwsCodes) {
  ApiHarness h;
  const sigv4::Credentials good = h.operator_credentials();
  sigv4::Credentials wrong_secret = good;
  wrong_secret.secret_access_key[0] ^= 1;
  sigv4::Credentials unknown = {"AKIDUNKNOWN0000000000", good.secret_access_key, ""};

  auto r = h.Call("GET", "/v1/policies");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.json["code"], "MissingAuthenticationToken");

  r = h.Call("GET", "/v1/policies", "", &wrong_secret);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.json["code"], "SignatureDoesNotMatch");
  EXPECT_NE(r.json["canonical_request"].get<std::string>().find("GET\n/v1/policies\n"),
            std::string::npos);
  EXPECT_EQ(r.json["string_to_sign"].get<std::string>().rfind("AWS4-HMAC-SHA256\n", 0), 0u);

  r = h.Call("GET", "/v1/policies", "", &unknown);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.json["code"], "InvalidAccessKeyId");
  EXPECT_FALSE(r.json.contains("canonical_request"));

  const TimePoint signed_at = h.now();
  h.set_now(signed_at + std::chrono::minutes(6));
  // The harness signs at now(); verify a request signed 6 minutes before the server's clock.
  HttpRequest req;
  req.method = "GET";
  req.path = "/v1/policies";
  req.headers.push_back({"Host", "127.0.0.1:8443"});
  sigv4::SignOptions options{"local", "attestd", signed_at};
  auto signed_req = sigv4::SignRequest(req, good, options);
  ASSERT_TRUE(signed_req.ok());
  auto skewed = h.api().Handle(signed_req->signed_request);
  EXPECT_EQ(skewed.status, 403);
  EXPECT_NE(skewed.body.find("RequestTimeTooSkewed"), std::string::npos);

  // A body altered after signing no longer matches.
  h.set_now(signed_at);
  req.method = "PUT";
  req.path = "/v1/policies/p";
  req.headers.push_back({"Content-Type", "application/json"});
  const std::string doc = PolicyText("p");
  req.body.assign(doc.begin(), doc.end());
  signed_req = sigv4::SignRequest(req, good, options);
  ASSERT_TRUE(signed_req.ok());
  HttpRequest tampered = signed_req->signed_request;
  tampered.body.back() = ' ';
  auto altered = h.api().Handle(tampered);
  EXPECT_EQ(altered.status, 403);
  EXPECT_NE(altered.body.find("SignatureDoesNotMatch"), std::string::npos);
  EXPECT_EQ(h.api().Handle(signed_req->signed_request).status, 201);
}

TEST(ApiAuthTest, OperatorRoutesRefuseTenants) {
  ApiHarness h;
  const sigv4::Credentials tenant = h.CreateTenant("acme");
  for (const auto& [method, path] :
       std::vector<std::pair<std::string, std::string>>{{"POST", "/v1/tenants"},
                                                        {"PUT", "/v1/host-policies/h"},
                                                        {"GET", "/v1/host-policies"},
                                                        {"POST", "/v1/collateral"}}) {
    SCOPED_TRACE(method + " " + path);
    auto r = h.Call(method, path, "{}", &tenant);
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(r.json["code"], "AccessDenied");
  }
}

TEST(ApiPolicyTest, VersionsAreImmutableAndListed) {
  ApiHarness h;
  const sigv4::Credentials acme = h.CreateTenant("acme");
  auto r = h.Call("PUT", "/v1/policies/web", PolicyText("web"), &acme);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json["version"], 1);
  const std::string v1_sha = r.json["sha256"];
  r = h.Call("PUT", "/v1/policies/web",
             Renamed(Example("snp-no-debug.json"), "snp-no-debug", "web"), &acme);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json["version"], 2);
  EXPECT_NE(r.json["sha256"], v1_sha);

  r = h.Call("GET", "/v1/policies/web", "", &acme);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json["version"], 2);
  EXPECT_EQ(r.json["document"]["name"], "web");
  r = h.Call("GET", "/v1/policies/web?version=1", "", &acme);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.json["sha256"], v1_sha);
  r = h.Call("GET", "/v1/policies", "", &acme);
  ASSERT_EQ(r.status, 200);
  ASSERT_EQ(r.json["policies"].size(), 1u);
  EXPECT_EQ(r.json["policies"][0]["version"], 2);

  EXPECT_EQ(h.Call("DELETE", "/v1/policies/web", "", &acme).status, 204);
  EXPECT_EQ(h.Call("GET", "/v1/policies/web", "", &acme).status, 404);
  r = h.Call("PUT", "/v1/policies/web", PolicyText("web"), &acme);
  EXPECT_EQ(r.json["version"], 3);  // numbering continues after a delete
}

TEST(ApiPolicyTest, RefusesInvalidUploadsWithoutWriting) {
  ApiHarness h;
  const sigv4::Credentials acme = h.CreateTenant("acme");
  struct Case {
    std::string body, content_type, code;
  };
  const Case cases[] = {
      {PolicyText("p"), "text/plain", "api.unsupported_media_type"},
      {"{", "application/json", "api.malformed_json"},
      {"[]", "application/json", "api.malformed_json"},
      {R"({"name":"p","name":"p"})", "application/json", "api.malformed_json"},
      {R"({"name":"p","snp":{"any_measurement":"yes"}})", "application/json", "policy.invalid"},
      {R"({"name":"p","bogus":1})", "application/json", "policy.invalid"},
      {R"({"name":"p","snp":{}})", "application/json", "policy.invalid"},
      {PolicyText("other"), "application/json", "api.invalid_field"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body);
    auto r = h.Call("PUT", "/v1/policies/p", c.body, &acme, c.content_type);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.json["code"], c.code) << r.body;
  }
  EXPECT_EQ(h.Call("GET", "/v1/policies/p", "", &acme).status, 404);
  // The loader's message names the JSON path of the offending field.
  auto r = h.Call("PUT", "/v1/policies/p", std::string(cases[4].body), &acme);
  EXPECT_NE(r.json["message"].get<std::string>().find("snp.any_measurement"), std::string::npos)
      << r.body;
  EXPECT_EQ(h.Call("GET", "/v1/policies/p?version=0", "", &acme).json["code"], "api.invalid_query");
  EXPECT_EQ(h.Call("GET", "/v1/policies/p?verbose=1", "", &acme).json["code"], "api.invalid_query");
}

TEST(ApiPolicyTest, AnotherTenantsPolicyLooksExactlyMissing) {
  ApiHarness h;
  const sigv4::Credentials acme = h.CreateTenant("acme");
  const sigv4::Credentials evil = h.CreateTenant("evil");
  ASSERT_EQ(h.Call("PUT", "/v1/policies/secret", PolicyText("secret"), &acme).status, 201);

  auto theirs = h.Call("GET", "/v1/policies/secret", "", &evil);
  auto missing = h.Call("GET", "/v1/policies/nothere", "", &evil);
  EXPECT_EQ(theirs.status, 404);
  EXPECT_EQ(theirs.json["code"], missing.json["code"]);
  // The message names the requested name only: same text with the names swapped.
  std::string theirs_msg = theirs.json["message"];
  std::string missing_msg = missing.json["message"];
  theirs_msg.replace(theirs_msg.find("secret"), 6, "nothere");
  EXPECT_EQ(theirs_msg, missing_msg);
  EXPECT_EQ(h.Call("GET", "/v1/policies/secret?version=1", "", &evil).status, 404);
  EXPECT_EQ(h.Call("DELETE", "/v1/policies/secret", "", &evil).status, 404);
  EXPECT_EQ(h.Call("GET", "/v1/policies", "", &evil).json["policies"].size(), 0u);
  // Their own upload of the same name is a separate policy.
  EXPECT_EQ(h.Call("PUT", "/v1/policies/secret", PolicyText("secret"), &evil).json["version"], 1);
  EXPECT_EQ(h.Call("GET", "/v1/policies/secret", "", &acme).status, 200);
}

// Replays (issue 17): a signed request that changes something is accepted once; reads and their
// presigned URLs may repeat; presigned URLs sign reads only, for at most max_presign_seconds.
TEST(ApiAuthTest, SignedChangesAreAcceptedOnce) {
  ApiHarness h;
  const sigv4::Credentials acme = h.CreateTenant("acme");
  ASSERT_EQ(h.Call("PUT", "/v1/policies/a", PolicyText("a"), &acme).status, 201);
  const HttpRequest put = h.last_request();
  const TimePoint signed_at = h.now();
  const struct {
    std::string name;
    std::chrono::seconds later;
    int want_status;
    std::string want_code;
  } replays[] = {
      {"at once", std::chrono::seconds(0), 403, "store.request_replayed"},
      {"a minute later", std::chrono::seconds(60), 403, "store.request_replayed"},
      {"at the window's edge", std::chrono::seconds(300), 403, "store.request_replayed"},
      {"past the window", std::chrono::seconds(301), 403, "RequestTimeTooSkewed"},
  };
  for (const auto& c : replays) {
    SCOPED_TRACE(c.name);
    h.set_now(signed_at + c.later);
    auto r = h.Send(put);
    EXPECT_EQ(r.status, c.want_status) << r.body;
    EXPECT_EQ(r.json["code"], c.want_code) << r.body;
  }
  h.set_now(signed_at + std::chrono::seconds(1));
  // The replays created nothing; a request signed anew is accepted.
  EXPECT_EQ(h.Call("GET", "/v1/policies/a", "", &acme).json["version"], 1);
  auto again = h.Call("PUT", "/v1/policies/a", PolicyText("a"), &acme);
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.json["version"], 2);
  // Reads may be repeated.
  ASSERT_EQ(h.Call("GET", "/v1/policies/a", "", &acme).status, 200);
  const HttpRequest get = h.last_request();
  EXPECT_EQ(h.Send(get).status, 200);
  EXPECT_EQ(h.Send(get).status, 200);

  // Presigned URLs.
  auto presigned = [&](const std::string& method, const std::string& path, int64_t expires) {
    HttpRequest req;
    req.method = method;
    req.path = path;
    req.headers.push_back({"Host", "127.0.0.1:8443"});
    sigv4::SignOptions o;
    o.region = h.api().service().config.region;
    o.service = h.api().service().config.service;
    o.time = h.now();
    o.location = sigv4::SignatureLocation::kQuery;
    o.expires_seconds = expires;
    return h.Send(sigv4::SignRequest(req, acme, o).value().signed_request);
  };
  const struct {
    std::string method;
    std::string path;
    int64_t expires;
    int want_status;
    std::string want_code;  // "" for success
  } urls[] = {
      {"GET", "/v1/policies", 900, 200, ""},
      {"GET", "/v1/policies", 60, 200, ""},
      {"GET", "/v1/policies", 901, 400, "AuthorizationQueryParametersError"},
      {"GET", "/v1/policies", 3600, 400, "AuthorizationQueryParametersError"},
      {"DELETE", "/v1/policies/a", 60, 403, "AccessDenied"},
      {"POST", "/v1/volumes", 60, 403, "AccessDenied"},
  };
  for (const auto& c : urls) {
    SCOPED_TRACE(c.method + " " + std::to_string(c.expires));
    auto r = presigned(c.method, c.path, c.expires);
    EXPECT_EQ(r.status, c.want_status) << r.body;
    if (!c.want_code.empty()) {
      EXPECT_EQ(r.json["code"], c.want_code) << r.body;
    }
  }
  EXPECT_EQ(h.Call("GET", "/v1/policies/a", "", &acme).status, 200);  // DELETE was refused
}

TEST(ApiAuditTest, RecordsChangesPerTenantInAnIntactChain) {
  ApiHarness h;
  const sigv4::Credentials acme = h.CreateTenant("acme");
  const sigv4::Credentials other = h.CreateTenant("other");
  h.set_peer("192.0.2.10");
  ASSERT_EQ(h.Call("PUT", "/v1/policies/a", PolicyText("a"), &acme).status, 201);
  // Behind an untrusted peer the forwarded address is ignored: the peer is the client.
  h.set_peer("192.0.2.11", {{"X-Forwarded-For", "198.51.100.1"}});
  ASSERT_EQ(h.Call("DELETE", "/v1/policies/a", "", &acme).status, 204);
  auto r = h.Call("GET", "/v1/audit", "", &acme);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.json["entries"].size(), 2u);
  EXPECT_EQ(r.json["entries"][0]["action"], "policy.put");
  EXPECT_EQ(r.json["entries"][0]["policy_version"], "a@1");
  EXPECT_EQ(r.json["entries"][0]["actor"], acme.access_key_id);
  EXPECT_EQ(r.json["entries"][0]["client_address"], "192.0.2.10");
  EXPECT_EQ(r.json["entries"][1]["action"], "policy.delete");
  EXPECT_EQ(r.json["entries"][1]["client_address"], "192.0.2.11");
  EXPECT_EQ(h.Call("GET", "/v1/audit", "", &other).json["entries"].size(), 0u);
  r = h.Call("GET", "/v1/audit?limit=1", "", &acme);
  ASSERT_EQ(r.json["entries"].size(), 1u);
  const int64_t next = r.json["next_after"];
  r = h.Call("GET", "/v1/audit?limit=1&after=" + std::to_string(next), "", &acme);
  EXPECT_EQ(r.json["entries"][0]["action"], "policy.delete");
  EXPECT_EQ(h.Call("GET", "/v1/audit?limit=0", "", &acme).status, 400);

  auto lease = h.pool().Acquire();
  ASSERT_TRUE(lease.ok());
  auto broken = (*lease)->VerifyAudit();
  ASSERT_TRUE(broken.ok());
  EXPECT_FALSE(broken->has_value());
}

TEST(ApiTenantTest, CreatesTenantsStrictly) {
  ApiHarness h;
  const sigv4::Credentials& op = h.operator_credentials();
  auto r = h.CallJson("POST", "/v1/tenants", nlohmann::json{{"name", "acme"}}, &op);
  ASSERT_EQ(r.status, 201);
  EXPECT_EQ(r.json["secret_access_key"].get<std::string>().size(), 40u);
  struct Case {
    std::string body;
    int status;
    std::string code;
  };
  const Case cases[] = {
      {R"({"name":"acme"})", 409, "store.already_exists"},
      {R"({"name":"a b"})", 400, "api.invalid_field"},
      {R"({"name":""})", 400, "api.invalid_field"},
      {R"({})", 400, "api.invalid_field"},
      {R"({"name":"x","role":"operator"})", 400, "api.unknown_field"},
      {R"({"name":7})", 400, "api.invalid_field"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.body);
    r = h.Call("POST", "/v1/tenants", c.body, &op);
    EXPECT_EQ(r.status, c.status) << r.body;
    EXPECT_EQ(r.json["code"], c.code);
  }
}

TEST(ApiTenantTest, TenantsRotateTheirOwnKeysOnly) {
  ApiHarness h;
  const sigv4::Credentials acme = h.CreateTenant("acme");
  const sigv4::Credentials evil = h.CreateTenant("evil");
  auto r = h.Call("POST", "/v1/credentials", "", &acme);
  ASSERT_EQ(r.status, 201) << r.body;
  const sigv4::Credentials second{r.json["access_key_id"], r.json["secret_access_key"], ""};
  EXPECT_EQ(h.Call("GET", "/v1/policies", "", &second).status, 200);
  // Another tenant cannot revoke it; the answer is that of an unknown key.
  auto theirs = h.Call("DELETE", "/v1/credentials/" + second.access_key_id, "", &evil);
  auto unknown = h.Call("DELETE", "/v1/credentials/AKIANOSUCHKEY0000000", "", &evil);
  EXPECT_EQ(theirs.status, 404);
  EXPECT_EQ(theirs.json["code"], unknown.json["code"]);
  EXPECT_EQ(h.Call("DELETE", "/v1/credentials/" + acme.access_key_id, "", &second).status, 204);
  auto revoked = h.Call("GET", "/v1/policies", "", &acme);
  EXPECT_EQ(revoked.status, 403);
  EXPECT_EQ(revoked.json["code"], "InvalidAccessKeyId");
  EXPECT_EQ(h.Call("POST", "/v1/credentials", R"({"x":1})", &second).json["code"],
            "api.unknown_field");
}

TEST(ApiHostPolicyTest, OperatorsManageHostPolicies) {
  ApiHarness h;
  const sigv4::Credentials& op = h.operator_credentials();
  auto r =
      h.Call("PUT", "/v1/host-policies/host-secure-boot", Example("host-secure-boot.json"), &op);
  ASSERT_EQ(r.status, 201) << r.body;
  r = h.Call("PUT", "/v1/host-policies/bad", R"({"name":"bad","unknown":1})", &op);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.json["code"], "policy.invalid");
  // A tenant policy is not a host policy.
  r = h.Call("PUT", "/v1/host-policies/p", PolicyText("p"), &op);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(h.Call("GET", "/v1/host-policies", "", &op).json["policies"].size(), 1u);
}

TEST(ApiCollateralTest, ImportsCurrentDcapCollateralWithoutRollback) {
  ApiHarness h;
  const sigv4::Credentials& op = h.operator_credentials();
  const std::string bundle = attest::testing::ReadVectorText("tdx/dcap-qvl-v4/collateral.json");
  ASSERT_TRUE(ParseRfc3339("2025-07-01T00:00:00Z").ok());
  h.set_now(*ParseRfc3339("2025-07-01T00:00:00Z"));
  auto r = h.Call("POST", "/v1/collateral", bundle, &op);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.json["key"], "dcap/TDX/b0c06f000000");
  EXPECT_EQ(h.Call("POST", "/v1/collateral", bundle, &op).status, 201);  // same again: fine

  // Verified before it is stored: past its window, or with a signature that does not verify
  // over the exact bytes, it is refused (issue 19).
  h.set_now(*ParseRfc3339("2025-08-01T00:00:00Z"));
  r = h.Call("POST", "/v1/collateral", bundle, &op);
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.json["code"], "collateral.expired");
  h.set_now(*ParseRfc3339("2025-07-01T00:00:00Z"));
  nlohmann::json tampered = nlohmann::json::parse(bundle);
  std::string sig = tampered["tcb_info_signature"];
  sig[0] = sig[0] == '0' ? '1' : '0';
  tampered["tcb_info_signature"] = sig;
  r = h.Call("POST", "/v1/collateral", tampered.dump(), &op);
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.json["code"], "collateral.signature_invalid");
  tampered = nlohmann::json::parse(bundle);
  tampered["root_ca_crl"] = attest::HexEncode(
      attest::testing::ReadVector("tdx/gotdx-v4-spr/root_ca_crl.der"));  // expired 2024-04-02
  r = h.Call("POST", "/v1/collateral", tampered.dump(), &op);
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.json["code"], "collateral.expired");
  r = h.Call("POST", "/v1/collateral", R"({"tcb_info":"x"})", &op);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.json["code"], "tdx.collateral_malformed");
}

TEST(ApiCollateralTest, ExportedCacheImportsAtAnotherSiteItemByItemVerified) {
  const std::string t = "2025-07-01T00:00:00Z";
  ApiHarness site_a;
  site_a.set_now(*ParseRfc3339(t));
  const sigv4::Credentials& op_a = site_a.operator_credentials();
  ASSERT_EQ(site_a
                .Call("POST", "/v1/collateral",
                      attest::testing::ReadVectorText("tdx/dcap-qvl-v4/collateral.json"), &op_a)
                .status,
            201);
  auto exported = site_a.Call("GET", "/v1/collateral", "", &op_a);
  ASSERT_EQ(exported.status, 200) << exported.body;
  ASSERT_EQ(exported.json["items"].size(), 1u) << exported.body;
  EXPECT_EQ(exported.json["items"][0]["kind"], "dcap");
  EXPECT_EQ(exported.json["items"][0]["key"], "TDX/B0C06F000000/platform");

  // Site B also receives AMD items in the same bundle: the VCEK after its chain and CRL.
  nlohmann::json bundle = exported.json;
  auto add = [&](const char* kind, const std::string& key, const char* file) {
    bundle["items"].push_back(
        {{"kind", kind}, {"key", key}, {"value", Base64Encode(attest::testing::ReadVector(file))}});
  };
  add("snp.vcek",
      "Milan/"
      "3ac3fe21e13fb0990eb28a802e3fb6a29483a6b0753590c951bdd3b8e53786184ca39e359669a2b76a1936776b"
      "564ea464cdce40c05f63c9b610c5068b006b5d/4405000000000002",
      "snp/gsg-milan-v2/vcek.der");
  add("snp.cert_chain", "vcek/Milan", "snp/certs/ask_ark_milan.pem");
  add("snp.crl", "vcek/Milan", "collateral/kds/openpcc-2025/vcek-Milan-crl.body.der");
  // Refused ones: a Genoa CRL under Milan's key, an unknown kind, a VCEK under another TCB.
  add("snp.crl", "vcek/Genoa", "collateral/kds/openpcc-2025/vcek-Milan-crl.body.der");
  add("sev.cek", "x", "snp/gsg-milan-v2/vcek.der");
  add("snp.vcek",
      "Milan/"
      "3ac3fe21e13fb0990eb28a802e3fb6a29483a6b0753590c951bdd3b8e53786184ca39e359669a2b76a1936776b"
      "564ea464cdce40c05f63c9b610c5068b006b5d/0000000000000000",
      "snp/gsg-milan-v2/vcek.der");

  ApiHarness site_b;
  site_b.set_now(*ParseRfc3339(t));
  const sigv4::Credentials& op_b = site_b.operator_credentials();
  auto imported = site_b.Call("POST", "/v1/collateral", bundle.dump(), &op_b);
  ASSERT_EQ(imported.status, 201) << imported.body;
  EXPECT_EQ(imported.json["stored"], 4) << imported.body;
  std::set<std::string> refused;
  for (const auto& r : imported.json["refused"]) {
    refused.insert(r["kind"].get<std::string>() + " " + r["code"].get<std::string>());
  }
  EXPECT_EQ(refused, (std::set<std::string>{"snp.crl collateral.chain_untrusted",
                                            "sev.cek collateral.bad_request",
                                            "snp.vcek collateral.mismatch"}))
      << imported.body;
  EXPECT_EQ(site_b.Call("GET", "/v1/collateral", "", &op_b).json["items"].size(), 4u);

  // The same bundle again: nothing is older, so it is all kept; bodies that are no bundle fail.
  EXPECT_EQ(site_b.Call("POST", "/v1/collateral", bundle.dump(), &op_b).json["stored"], 4);
  for (const char* bad : {R"({"items":{}})", R"({"format":2,"items":[]})",
                          R"({"format":1,"items":[{"kind":"dcap"}]})",
                          R"({"format":1,"items":[{"kind":"dcap","key":"k","value":"!!"}]})"}) {
    SCOPED_TRACE(bad);
    auto r = site_b.Call("POST", "/v1/collateral", bad, &op_b);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.json["code"], "api.invalid_field");
  }
}

}  // namespace
}  // namespace attest::service::api
