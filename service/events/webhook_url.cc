#include "service/events/webhook_url.h"

#include <algorithm>
#include <cctype>

#include "client/endpoint.h"

namespace attest::service::events {
namespace {

// UrlChar: RFC 3986 section 2: unreserved, reserved (gen-delims, sub-delims) and '%'.
bool UrlChar(char c) {
  if (std::isalnum(static_cast<unsigned char>(c)) != 0) {
    return true;
  }
  return std::string_view("-._~:/?#[]@!$&'()*+,;=%").find(c) != std::string_view::npos;
}

Status Invalid(const std::string& why) {
  return Status(reasons::kWebhookUrlInvalid, "webhook url: " + why);
}

}  // namespace

Result<WebhookUrl> CheckWebhookUrl(std::string_view url, bool allow_loopback_http) {
  if (url.empty() || url.size() > kMaxUrlBytes) {
    return Invalid("1.." + std::to_string(kMaxUrlBytes) + " bytes");
  }
  if (!std::all_of(url.begin(), url.end(), UrlChar)) {
    return Invalid("characters outside RFC 3986 (spaces, controls, non-ASCII, backslash...)");
  }
  const size_t sep = url.find("://");
  if (sep == std::string_view::npos || sep == 0) {
    return Invalid("not an absolute URL (scheme://host/...)");
  }
  WebhookUrl out;
  out.scheme = std::string(url.substr(0, sep));
  std::transform(out.scheme.begin(), out.scheme.end(), out.scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (out.scheme != "https" && out.scheme != "http") {
    return Status(reasons::kWebhookUrlScheme,
                  "webhook url: scheme " + out.scheme + " (only https)");
  }
  if (url.find('#') != std::string_view::npos) {
    return Status(reasons::kWebhookUrlFragment, "webhook url: has a #fragment");
  }
  const std::string_view rest = url.substr(sep + 3);
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?"));
  if (authority.find('@') != std::string_view::npos) {
    return Status(reasons::kWebhookUrlCredentials, "webhook url: has user information (@)");
  }
  std::string_view host = authority;
  std::string_view port;
  bool has_port = false;
  if (!authority.empty() && authority[0] == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos || close < 3) {
      return Invalid("malformed IPv6 address");
    }
    host = authority.substr(0, close + 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') {
        return Invalid("text after the IPv6 address");
      }
      has_port = true;
      port = after.substr(1);
    }
  } else if (const size_t colon = authority.find(':'); colon != std::string_view::npos) {
    has_port = true;
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty() || (host[0] != '[' && host.find_first_of("[]") != std::string_view::npos)) {
    return Invalid("no host, or a malformed one");
  }
  out.host = std::string(host);
  if (has_port) {
    const bool digits =
        !port.empty() && port.size() <= 5 && std::all_of(port.begin(), port.end(), [](char c) {
          return std::isdigit(static_cast<unsigned char>(c)) != 0;
        });
    const int p = digits ? std::stoi(std::string(port)) : 0;
    if (p < 1 || p > 65535) {
      return Invalid("port is not 1..65535");
    }
    out.port = static_cast<uint16_t>(p);
  }
  if (out.scheme == "http" && !(allow_loopback_http && client::IsLoopbackHost(out.host))) {
    return Status(reasons::kWebhookUrlInsecure, allow_loopback_http
                                                    ? "webhook url: http only to a loopback host"
                                                    : "webhook url: https only");
  }
  return out;
}

}  // namespace attest::service::events
