#include "service/http/request_id.h"

#include <openssl/rand.h>

#include <array>

#include "attest/core/encoding.h"
#include "service/http/json_body.h"

namespace attest::service::http {

bool IsValidRequestId(std::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdLength) {
    return false;
  }
  for (const char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) {
      return false;
    }
  }
  return true;
}

std::string RequestIdFor(const HttpRequest& request) {
  std::string chosen = HeaderValue(request, "X-Request-Id");
  if (IsValidRequestId(chosen)) {
    return chosen;
  }
  std::array<uint8_t, 16> random{};
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) {
    random.fill(0);  // ids are for correlation, not security: an all-zero id is still an id
  }
  return HexEncode(random);
}

}  // namespace attest::service::http
