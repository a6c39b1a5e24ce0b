// Reading JSON request bodies: hostile input gets a 4xx with a stable code, never an exception.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "attest/core/bytes.h"
#include "attest/core/status.h"
#include "service/http/reasons.h"
#include "sigv4/http_request.h"

namespace attest::service::http {

// kMaxBodyBytes caps every request body (the HTTP layer refuses larger ones with 413 before
// reading them when Content-Length says so).
inline constexpr size_t kMaxBodyBytes = size_t{4} * 1024 * 1024;

// HeaderValue returns the first header named name (case-insensitive), trimmed; "" when absent.
std::string HeaderValue(const HttpRequest& req, std::string_view name);

// ParseJsonObject checks the Content-Type is application/json (parameters allowed) and parses the
// body as one JSON object with no duplicate keys. Fails with reasons::kApiUnsupportedMediaType or
// reasons::kApiMalformedJson.
Result<nlohmann::json> ParseJsonObject(const HttpRequest& req);

// ObjectReader reads members of a parsed request object strictly: each Take* consumes one member,
// Finish fails on any member not consumed (reasons::kApiUnknownField), and type or encoding
// errors name the member (reasons::kApiInvalidField).
class ObjectReader {
 public:
  explicit ObjectReader(const nlohmann::json& object) : object_(object) {}

  Result<std::string> TakeString(std::string_view name, bool required = true);
  // TakeBase64 decodes standard base64 (padding optional); max_bytes caps the decoded size.
  Result<Bytes> TakeBase64(std::string_view name, bool required, size_t max_bytes);
  Result<int64_t> TakeInt(std::string_view name, bool required, int64_t min, int64_t max,
                          int64_t fallback = 0);
  // TakeJson returns the member as it is (any JSON type); null when absent and not required.
  Result<nlohmann::json> TakeJson(std::string_view name, bool required = true);
  Status Finish() const;

 private:
  const nlohmann::json* Find(std::string_view name, bool required, Status* error);
  const nlohmann::json& object_;
  std::vector<std::string> taken_;
};

// ReadNameList reads a member that must be an array of at most max_items distinct names of the
// IsValidName shape (http/router.h). field names the member in the messages (reasons::
// kApiInvalidField: not an array, too long, an item that is not such a name, a repeated item).
Result<std::vector<std::string>> ReadNameList(const nlohmann::json& value, std::string_view field,
                                              size_t max_items);

}  // namespace attest::service::http
