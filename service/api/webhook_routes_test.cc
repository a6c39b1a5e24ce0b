// Webhook routes (issue 15): who may subscribe to what, URL and secret rules with their codes,
// the write-only secret, and the events the API raises (release.denied; host and VM events come
// from the store's writes, webhook_store_test.cc).
#include <gtest/gtest.h>

#include <string>

#include "service/api/testing/api_harness.h"
#include "service/api/testing/release_world.h"

namespace attest::service::api {
namespace {

using testing::ApiHarness;
using testing::Guest;
using testing::ReleaseWorld;

constexpr char kSecret[] = "s3cret-webhook-key-0123";

nlohmann::json Body(const std::string& url, nlohmann::json events,
                    const std::string& secret = kSecret) {
  return {{"url", url}, {"events", std::move(events)}, {"secret", secret}};
}

TEST(ApiWebhookTest, RolesUrlsAndSecretsHaveStableCodes) {
  ApiHarness h;
  const sigv4::Credentials tenant = h.CreateTenant("acme");
  const sigv4::Credentials* op = &h.operator_credentials();
  const std::string https = "https://hooks.example.com/attestd";
  const struct {
    std::string name;
    const sigv4::Credentials* who;
    std::string path;
    nlohmann::json body;
    int want_status;
    std::string want_code;
  } cases[] = {
      {"operator, host events", op, "/v1/webhooks/ops",
       Body(https, {"host.trusted", "host.untrusted", "host.revoked", "host.platform_changed"}),
       200, ""},
      {"operator, every event", op, "/v1/webhooks/all",
       Body(https, {"host.trusted", "vm.host_untrusted", "release.denied"}), 200, ""},
      {"tenant, its VMs' events", &tenant, "/v1/webhooks/mine",
       Body(https, {"vm.host_untrusted", "release.denied"}), 200, ""},
      {"tenant asks for host events", &tenant, "/v1/webhooks/x", Body(https, {"host.trusted"}), 400,
       "webhook.event_not_allowed"},
      {"tenant asks for host.revoked among others", &tenant, "/v1/webhooks/x",
       Body(https, {"release.denied", "host.revoked"}), 400, "webhook.event_not_allowed"},
      {"unknown event", op, "/v1/webhooks/x", Body(https, {"host.on_fire"}), 400,
       "webhook.event_unknown"},
      {"no events", op, "/v1/webhooks/x", Body(https, nlohmann::json::array()), 400,
       "api.invalid_field"},
      {"events not an array", op, "/v1/webhooks/x", Body(https, "host.trusted"), 400,
       "api.invalid_field"},
      {"event not a string", op, "/v1/webhooks/x", Body(https, {7}), 400, "api.invalid_field"},
      {"repeated event", op, "/v1/webhooks/x", Body(https, {"host.trusted", "host.trusted"}), 400,
       "api.invalid_field"},
      {"http", op, "/v1/webhooks/x", Body("http://hooks.example.com/", {"host.trusted"}), 400,
       "webhook.url_not_https"},
      {"http to loopback, not allowed here", op, "/v1/webhooks/x",
       Body("http://127.0.0.1:9/", {"host.trusted"}), 400, "webhook.url_not_https"},
      {"credentials in the URL", op, "/v1/webhooks/x",
       Body("https://u:p@hooks.example.com/", {"host.trusted"}), 400,
       "webhook.url_has_credentials"},
      {"fragment", op, "/v1/webhooks/x", Body(https + "#f", {"host.trusted"}), 400,
       "webhook.url_has_fragment"},
      {"file scheme", op, "/v1/webhooks/x", Body("file:///etc/passwd", {"host.trusted"}), 400,
       "webhook.url_scheme_refused"},
      {"not a URL", op, "/v1/webhooks/x", Body("hooks.example.com", {"host.trusted"}), 400,
       "webhook.url_invalid"},
      {"short secret", op, "/v1/webhooks/x", Body(https, {"host.trusted"}, "123456789012345"), 400,
       "webhook.secret_invalid"},
      {"long secret", op, "/v1/webhooks/x", Body(https, {"host.trusted"}, std::string(257, 'k')),
       400, "webhook.secret_invalid"},
      {"no secret",
       op,
       "/v1/webhooks/x",
       {{"url", https}, {"events", {"host.trusted"}}},
       400,
       "api.invalid_field"},
      {"unknown member",
       op,
       "/v1/webhooks/x",
       {{"url", https}, {"events", {"host.trusted"}}, {"secret", kSecret}, {"x", 1}},
       400,
       "api.unknown_field"},
      {"bad name", op, "/v1/webhooks/a%20b", Body(https, {"host.trusted"}), 404, "api.not_found"},
      {"unsigned", nullptr, "/v1/webhooks/x", Body(https, {"host.trusted"}), 403, ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = h.CallJson("PUT", c.path, c.body, c.who);
    EXPECT_EQ(r.status, c.want_status) << r.body;
    if (!c.want_code.empty()) {
      EXPECT_EQ(r.json.value("code", ""), c.want_code) << r.body;
    }
  }
  // Nothing refused was stored.
  auto list = h.Call("GET", "/v1/webhooks", "", op);
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.json["webhooks"].size(), 2u) << list.body;
}

TEST(ApiWebhookTest, TheSecretIsWriteOnlyAndWebhooksAreTheCallers) {
  ApiHarness h;
  const sigv4::Credentials acme = h.CreateTenant("acme");
  const sigv4::Credentials other = h.CreateTenant("other");
  auto put = h.CallJson("PUT", "/v1/webhooks/mine",
                        Body("https://hooks.example.com/a?token=q", {"release.denied"}), &acme);
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(put.json["name"], "mine");
  EXPECT_EQ(put.json["events"], nlohmann::json({"release.denied"}));
  const ApiHarness::Reply reads[] = {
      put,
      h.Call("GET", "/v1/webhooks/mine", "", &acme),
      h.Call("GET", "/v1/webhooks", "", &acme),
      h.Call("GET", "/v1/audit", "", &acme),
  };
  for (const auto& r : reads) {
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body.find(kSecret), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("secret"), std::string::npos) << r.body;
  }
  EXPECT_EQ(reads[3].body.find("token=q"), std::string::npos) << "URL kept out of the audit";
  // Another tenant sees nothing and cannot delete it.
  EXPECT_EQ(h.Call("GET", "/v1/webhooks/mine", "", &other).status, 404);
  EXPECT_TRUE(h.Call("GET", "/v1/webhooks", "", &other).json["webhooks"].empty());
  EXPECT_EQ(h.Call("DELETE", "/v1/webhooks/mine", "", &other).status, 404);
  EXPECT_EQ(h.Call("GET", "/v1/webhooks/mine/deliveries", "", &other).status, 404);
  // Replacing changes the URL; the owner deletes it.
  auto again = h.CallJson("PUT", "/v1/webhooks/mine",
                          Body("https://hooks.example.com/b", {"vm.host_untrusted"}), &acme);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.json["url"], "https://hooks.example.com/b");
  EXPECT_EQ(h.Call("DELETE", "/v1/webhooks/mine", "", &acme).status, 204);
  EXPECT_EQ(h.Call("GET", "/v1/webhooks/mine", "", &acme).status, 404);
  EXPECT_EQ(h.Call("DELETE", "/v1/webhooks/mine", "", &acme).status, 404);
}

TEST(ApiWebhookTest, LoopbackHttpOnlyWhenConfigured) {
  ApiHarness h;
  h.api().service().config.webhooks_allow_loopback_http = true;
  const sigv4::Credentials* op = &h.operator_credentials();
  EXPECT_EQ(h.CallJson("PUT", "/v1/webhooks/t", Body("http://127.0.0.1:9/h", {"host.trusted"}), op)
                .status,
            200);
  auto r = h.CallJson("PUT", "/v1/webhooks/t", Body("http://10.1.2.3/h", {"host.trusted"}), op);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.json["code"], "webhook.url_not_https");
}

TEST(ApiWebhookTest, ADeniedReleaseRaisesReleaseDeniedToTheVmsOwner) {
  ReleaseWorld w;
  w.AddHost();
  ASSERT_EQ(w.h.CallJson("PUT", "/v1/webhooks/denials",
                         Body("https://hooks.example.com/", {"release.denied"}), &w.acme)
                .status,
            200);
  auto vm = w.NewVm(w.acme, "snp", {});
  ASSERT_EQ(vm.status, 201) << vm.body;
  const std::string vm_id = vm.json["vm_id"];
  Guest guest;
  const std::string nonce = w.Challenge(vm_id);
  const nlohmann::json body = ReleaseWorld::GoodBody(vm.json, nonce, guest);
  ASSERT_EQ(w.Attest(body).status, 200) << "a release raises nothing";
  auto none = w.h.Call("GET", "/v1/webhooks/denials/deliveries", "", &w.acme);
  ASSERT_EQ(none.status, 200) << none.body;
  EXPECT_TRUE(none.json["deliveries"].empty()) << none.body;

  // A spent nonce is refused before any check and raises nothing (anyone can send those)...
  ASSERT_EQ(w.Attest(body).status, 403) << "the nonce is spent";
  auto still_none = w.h.Call("GET", "/v1/webhooks/denials/deliveries", "", &w.acme);
  EXPECT_TRUE(still_none.json["deliveries"].empty()) << still_none.body;
  // ...a decision on a live nonce does: here a report bound to another key than the one sent.
  const std::string fresh = w.Challenge(vm_id);
  nlohmann::json wrong = ReleaseWorld::AttestBody(
      vm_id, fresh, guest,
      ReleaseWorld::Evidence("snp", ReleaseWorld::Launch(vm.json, fresh, Guest())));
  ASSERT_EQ(w.Attest(wrong).status, 403) << "REPORT_DATA names another key";
  auto one = w.h.Call("GET", "/v1/webhooks/denials/deliveries", "", &w.acme);
  ASSERT_EQ(one.json["deliveries"].size(), 1u) << one.body;
  const auto& d = one.json["deliveries"][0];
  EXPECT_EQ(d["type"], "release.denied");
  EXPECT_EQ(d["state"], "pending");
  EXPECT_EQ(d["attempts"], 0);
  auto db = w.h.pool().Acquire();
  auto row = (*db)->GetDelivery(d["id"]);
  ASSERT_TRUE(row.ok());
  const auto payload = nlohmann::json::parse(row->body);
  EXPECT_EQ(payload["subject"], vm_id);
  EXPECT_EQ(payload["data"]["vm_id"], vm_id);
  EXPECT_EQ(payload["data"]["failures"][0]["code"], "release.report_data_mismatch") << row->body;
  // The operator's webhooks hear nothing of the tenant's VM.
  EXPECT_TRUE((*db)->ListWebhooks(w.h.operator_tenant())->empty());

  const std::string metrics = w.h.Call("GET", "/metrics").body;
  EXPECT_NE(metrics.find("attestd_webhook_deliveries_pending 1"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("attestd_webhook_deliveries_failed 0"), std::string::npos);
}

}  // namespace
}  // namespace attest::service::api
