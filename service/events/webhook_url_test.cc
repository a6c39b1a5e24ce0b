#include "service/events/webhook_url.h"

#include <gtest/gtest.h>

#include <string>

namespace attest::service::events {
namespace {

TEST(WebhookUrl, RulesHaveStableReasons) {
  const struct {
    std::string name;
    std::string url;
    bool allow_loopback_http;
    std::string want;
  } cases[] = {
      {"https", "https://hooks.example.com/attestd", false, "ok"},
      {"https with port and query", "https://hooks.example.com:8443/a?b=c&d=%20", false, "ok"},
      {"https IPv6", "https://[2001:db8::1]:443/x", false, "ok"},
      {"scheme case", "HTTPS://hooks.example.com/", false, "ok"},
      {"http loopback allowed", "http://127.0.0.1:9000/hook", true, "ok"},
      {"http localhost allowed", "http://localhost/hook", true, "ok"},
      {"http IPv6 loopback allowed", "http://[::1]:9000/hook", true, "ok"},
      {"http not allowed", "http://127.0.0.1:9000/hook", false, "webhook.url_not_https"},
      {"http elsewhere", "http://hooks.example.com/", true, "webhook.url_not_https"},
      {"http to 10/8", "http://10.0.0.1/", true, "webhook.url_not_https"},
      {"ftp", "ftp://hooks.example.com/", false, "webhook.url_scheme_refused"},
      {"file", "file:///etc/passwd", true, "webhook.url_scheme_refused"},
      {"gopher", "gopher://127.0.0.1:70/", true, "webhook.url_scheme_refused"},
      {"credentials", "https://user:pw@hooks.example.com/", false, "webhook.url_has_credentials"},
      {"user only", "https://user@hooks.example.com/", false, "webhook.url_has_credentials"},
      {"fragment", "https://hooks.example.com/#x", false, "webhook.url_has_fragment"},
      {"empty", "", false, "webhook.url_invalid"},
      {"relative", "/hook", false, "webhook.url_invalid"},
      {"no scheme", "://hooks.example.com", false, "webhook.url_invalid"},
      {"no host", "https:///hook", false, "webhook.url_invalid"},
      {"space", "https://hooks.example.com/a b", false, "webhook.url_invalid"},
      {"newline", "https://hooks.example.com/\r\nX: y", false, "webhook.url_invalid"},
      {"backslash", "https://hooks.example.com\\@evil/", false, "webhook.url_invalid"},
      {"non-ASCII", "https://h\xc3\xa9.example/", false, "webhook.url_invalid"},
      {"port zero", "https://hooks.example.com:0/", false, "webhook.url_invalid"},
      {"port too big", "https://hooks.example.com:65536/", false, "webhook.url_invalid"},
      {"port not digits", "https://hooks.example.com:x/", false, "webhook.url_invalid"},
      {"empty port", "https://hooks.example.com:/", false, "webhook.url_invalid"},
      {"unclosed IPv6", "https://[::1/", false, "webhook.url_invalid"},
      {"bracket in name", "https://a]b/", false, "webhook.url_invalid"},
      {"too long", "https://h.example/" + std::string(kMaxUrlBytes, 'a'), false,
       "webhook.url_invalid"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(CheckWebhookUrl(c.url, c.allow_loopback_http).status().reason_id(), c.want);
  }
  auto parsed = CheckWebhookUrl("HTTPS://[::1]:8443/x", false);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->scheme, "https");
  EXPECT_EQ(parsed->host, "[::1]");
  EXPECT_EQ(parsed->port, 8443);
}

}  // namespace
}  // namespace attest::service::events
