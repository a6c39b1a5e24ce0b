#include "service/events/signature.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>

#include "attest/core/bytes.h"
#include "attest/core/encoding.h"

namespace attest::service::events {

std::string SignPayload(std::string_view secret, int64_t unix_seconds, std::string_view body) {
  const std::string message = std::to_string(unix_seconds) + "." + std::string(body);
  uint8_t mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  // One-shot HMAC cannot fail for SHA-256 with in-memory buffers short of allocation failure;
  // an empty result then fails every receiver's check instead of passing it.
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const uint8_t*>(message.data()), message.size(), mac,
           &mac_len) == nullptr) {
    return "";
  }
  return HexEncode(ByteSpan(mac, mac_len));
}

std::string SignatureHeader(std::string_view secret, int64_t unix_seconds, std::string_view body) {
  return "t=" + std::to_string(unix_seconds) + ",v1=" + SignPayload(secret, unix_seconds, body);
}

Status VerifySignatureHeader(std::string_view secret, std::string_view header,
                             std::string_view body, TimePoint now, std::chrono::seconds tolerance) {
  std::optional<int64_t> t;
  std::vector<std::string_view> v1;
  size_t start = 0;
  while (start <= header.size()) {
    const size_t comma = header.find(',', start);
    const std::string_view item = header.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      return Status(reasons::kWebhookSignatureMalformed, "signature header: item without '='");
    }
    const std::string_view key = item.substr(0, eq);
    const std::string_view value = item.substr(eq + 1);
    if (key == "t") {
      int64_t parsed = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), parsed);
      if (t || ec != std::errc() || end != value.data() + value.size() || value.empty() ||
          parsed < 0) {
        return Status(reasons::kWebhookSignatureMalformed,
                      "signature header: t is not one unsigned number");
      }
      t = parsed;
    } else if (key == "v1") {
      v1.push_back(value);
    }
    if (comma == std::string_view::npos) {
      break;
    }
    start = comma + 1;
  }
  if (!t || v1.empty()) {
    return Status(reasons::kWebhookSignatureMalformed, "signature header: needs t and v1");
  }
  const int64_t skew = ToUnixSeconds(now) - *t;
  if (skew > tolerance.count() || -skew > tolerance.count()) {
    return Status(reasons::kWebhookSignatureExpired,
                  "signature header: t is " + std::to_string(skew) + " s from now, window " +
                      std::to_string(tolerance.count()) + " s");
  }
  const std::string want = SignPayload(secret, *t, body);
  for (std::string_view got : v1) {
    if (got.size() == want.size() &&
        ConstantTimeEquals(AsBytes(want),
                           ByteSpan(reinterpret_cast<const uint8_t*>(got.data()), got.size()))) {
      return Status::Ok();
    }
  }
  return Status(reasons::kWebhookSignatureInvalid, "signature header: no v1 value matches");
}

}  // namespace attest::service::events
