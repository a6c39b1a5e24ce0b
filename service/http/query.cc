#include "service/http/query.h"

#include <algorithm>
#include <charconv>

#include "attest/core/encoding.h"

namespace attest::service::http {
namespace {

Result<std::string> DecodeEscapes(std::string_view s) {
  std::optional<std::string> out = PercentDecode(s);
  if (!out) {
    return Status(reasons::kApiInvalidQuery, "bad or truncated percent escape");
  }
  return *std::move(out);
}

}  // namespace

Result<std::map<std::string, std::string>> ParseQuery(std::string_view raw,
                                                      const std::vector<std::string>& allowed) {
  std::map<std::string, std::string> out;
  while (!raw.empty()) {
    size_t amp = raw.find('&');
    std::string_view pair = raw.substr(0, amp);
    raw.remove_prefix(amp == std::string_view::npos ? raw.size() : amp + 1);
    if (pair.empty()) {
      continue;
    }
    size_t eq = pair.find('=');
    ATTEST_ASSIGN_OR_RETURN(std::string key, DecodeEscapes(pair.substr(0, eq)));
    ATTEST_ASSIGN_OR_RETURN(
        std::string value,
        DecodeEscapes(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1)));
    if (key.rfind("X-Amz-", 0) == 0) {
      continue;
    }
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return Status(reasons::kApiInvalidQuery, "unknown query parameter \"" + key + "\"");
    }
    if (!out.emplace(key, value).second) {
      return Status(reasons::kApiInvalidQuery, "query parameter \"" + key + "\" repeated");
    }
  }
  return out;
}

Result<int64_t> QueryInt(const std::map<std::string, std::string>& query, const std::string& key,
                         int64_t min, int64_t max, int64_t fallback) {
  auto it = query.find(key);
  if (it == query.end()) {
    return fallback;
  }
  int64_t n = 0;
  const std::string& s = it->second;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || end != s.data() + s.size() || n < min || n > max) {
    return Status(reasons::kApiInvalidQuery, "query parameter \"" + key +
                                                 "\" must be an integer in " + std::to_string(min) +
                                                 ".." + std::to_string(max));
  }
  return n;
}

}  // namespace attest::service::http
