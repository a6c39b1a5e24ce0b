#include "service/http/client_address.h"

#include <optional>
#include <string_view>

#include "service/http/header_text.h"

namespace attest::service::http {
namespace {

// A hop as the headers name it; malformed (nullopt text) when its element did not parse.
using Hop = std::optional<std::string>;

// RFC 7230 tchar.
bool IsTokenChar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
    return true;
  }
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsToken(std::string_view s) {
  if (s.empty()) {
    return false;
  }
  for (char c : s) {
    if (!IsTokenChar(c)) {
      return false;
    }
  }
  return true;
}

// IsPort: 1..65535 in decimal digits (RFC 7239 node-port; obfuscated ports are not needed to
// find the address, so "_abc" is accepted too).
bool IsPort(std::string_view s) {
  if (!s.empty() && s.front() == '_') {
    return IsToken(s);
  }
  if (s.empty() || s.size() > 5) {
    return false;
  }
  int n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') {
      return false;
    }
    n = n * 10 + (c - '0');
  }
  return n >= 1 && n <= 65535;
}

// ParseNode reads "[IPv6]", "[IPv6]:port", "IPv4", "IPv4:port" and, only when bare_v6 (as
// X-Forwarded-For writes it), a bare IPv6 literal.
std::optional<IpAddress> ParseNode(std::string_view node, bool bare_v6) {
  if (!node.empty() && node.front() == '[') {
    const size_t close = node.find(']');
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    const std::string_view rest = node.substr(close + 1);
    if (!rest.empty() && (rest.front() != ':' || !IsPort(rest.substr(1)))) {
      return std::nullopt;
    }
    const std::string_view inner = node.substr(1, close - 1);
    if (inner.find(':') == std::string_view::npos) {
      return std::nullopt;  // "[192.0.2.1]" is not an IPv6 literal
    }
    return ParseIpAddress(inner);
  }
  const size_t colon = node.find(':');
  if (colon == std::string_view::npos) {
    return ParseIpAddress(node);
  }
  if (node.find(':', colon + 1) == std::string_view::npos) {
    // One colon: IPv4 and a port.
    if (!IsPort(node.substr(colon + 1))) {
      return std::nullopt;
    }
    std::optional<IpAddress> a = ParseIpAddress(node.substr(0, colon));
    return a && a->v4 ? a : std::nullopt;
  }
  if (!bare_v6) {
    return std::nullopt;
  }
  return ParseIpAddress(node);
}

// ForwardedFor returns the unquoted for= value of one Forwarded element (pairs separated by
// ';'), or nullopt when the element is malformed or has no (or two) for= pairs.
Hop ForwardedFor(std::string_view element) {
  Hop out;
  size_t i = 0;
  while (true) {
    // One pair: token "=" (token / quoted-string).
    const size_t eq = element.find('=', i);
    if (eq == std::string_view::npos) {
      return std::nullopt;
    }
    const std::string_view name = TrimOws(element.substr(i, eq - i));
    if (!IsToken(name)) {
      return std::nullopt;
    }
    size_t j = eq + 1;
    std::string value;
    if (j < element.size() && element[j] == '"') {
      ++j;
      bool closed = false;
      while (j < element.size()) {
        char c = element[j++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\') {
          if (j == element.size()) {
            return std::nullopt;
          }
          c = element[j++];
        }
        value.push_back(c);
      }
      if (!closed) {
        return std::nullopt;
      }
    } else {
      while (j < element.size() && IsTokenChar(element[j])) {
        value.push_back(element[j++]);
      }
      if (value.empty()) {
        return std::nullopt;
      }
    }
    while (j < element.size() && (element[j] == ' ' || element[j] == '\t')) {
      ++j;
    }
    if (EqualsIgnoreCase(name, "for")) {
      if (out.has_value()) {
        return std::nullopt;
      }
      out = std::move(value);
    }
    if (j == element.size()) {
      return out;
    }
    if (element[j] != ';') {
      return std::nullopt;
    }
    i = j + 1;
  }
}

// SplitForwarded appends the for= of each element of one Forwarded field. Commas inside quoted
// strings do not split; a field whose quotes do not balance is one malformed hop.
void SplitForwarded(std::string_view field, std::vector<Hop>& hops) {
  std::vector<std::string_view> elements;
  bool quoted = false;
  size_t start = 0;
  for (size_t i = 0; i < field.size(); ++i) {
    const char c = field[i];
    if (quoted && c == '\\') {
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (!quoted && c == ',') {
      elements.push_back(field.substr(start, i - start));
      start = i + 1;
    }
  }
  if (quoted) {
    hops.emplace_back(std::nullopt);
    return;
  }
  elements.push_back(field.substr(start));
  for (std::string_view e : elements) {
    e = TrimOws(e);
    if (!e.empty()) {  // RFC 7230 #rule: empty list elements are ignored
      hops.push_back(ForwardedFor(e));
    }
  }
}

void SplitForwardedFor(std::string_view field, std::vector<Hop>& hops) {
  size_t start = 0;
  while (start <= field.size()) {
    size_t comma = field.find(',', start);
    if (comma == std::string_view::npos) {
      comma = field.size();
    }
    const std::string_view hop = TrimOws(field.substr(start, comma - start));
    if (!hop.empty()) {
      hops.emplace_back(std::string(hop));
    }
    start = comma + 1;
  }
}

}  // namespace

std::string ResolveClientAddress(const HttpRequest& request,
                                 const std::vector<IpNetwork>& trusted_proxies) {
  const std::optional<IpAddress> peer = ParseIpAddress(request.remote_address);
  if (!peer) {
    return request.remote_address;
  }
  std::string peer_text = peer->ToString();
  if (!InAnyNetwork(*peer, trusted_proxies)) {
    return peer_text;
  }
  std::vector<Hop> hops;
  bool forwarded = false;
  for (const HttpHeader& h : request.headers) {
    if (EqualsIgnoreCase(h.name, "forwarded")) {
      if (!forwarded) {
        hops.clear();  // X-Forwarded-For fields seen before are ignored too
        forwarded = true;
      }
      SplitForwarded(h.value, hops);
    } else if (!forwarded && EqualsIgnoreCase(h.name, "x-forwarded-for")) {
      SplitForwardedFor(h.value, hops);
    }
  }
  std::optional<IpAddress> client;
  size_t walked = 0;
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    if (++walked > kMaxForwardedHops || !it->has_value()) {
      return peer_text;
    }
    client = ParseNode(**it, /*bare_v6=*/!forwarded);
    if (!client) {
      return peer_text;
    }
    if (!InAnyNetwork(*client, trusted_proxies)) {
      return client->ToString();
    }
  }
  return client ? client->ToString() : peer_text;
}

}  // namespace attest::service::http
