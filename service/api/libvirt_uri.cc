#include "service/api/libvirt_uri.h"

#include <algorithm>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "attest/core/encoding.h"
#include "service/api/reasons.h"
#include "service/http/ip_address.h"

namespace attest::service::api {
namespace {

constexpr size_t kMaxUriBytes = 256;
constexpr char kAllowed[] =
    "allowed: qemu:///system, qemu+tls://HOST[:PORT]/system, "
    "qemu+ssh://[USER@]HOST[:PORT]/system";

Status Refused(const std::string& what) {
  return Status(reasons::kApiLibvirtUriRefused, "libvirt_uri: " + what);
}

// kRefusedParameters: every extra parameter libvirt's remote driver documents
// (https://libvirt.org/uri.html#remote-uris, libvirt 9.0), and why attestd never passes it.
// Parameters libvirt does not know are passed on to the driver, so they are refused too.
struct RefusedParameter {
  std::string_view name;
  std::string_view why;
};
constexpr RefusedParameter kRefusedParameters[] = {
    {"command",
     "runs a program on attestd's machine (ext: the tunnel, ssh: the ssh binary), inside the "
     "process that holds the KEK"},
    {"no_verify",
     "turns off the server check (tls: no certificate verification; ssh: new host keys are "
     "accepted)"},
    {"known_hosts_verify", "only \"normal\" keeps host key checking on (auto, ignore weaken it)"},
    {"known_hosts", "names another known_hosts file, trusting host keys the request chooses"},
    {"pkipath", "names another client PKI directory (CA, certificate, key) on attestd's machine"},
    {"tls_priority", "a GnuTLS priority string can re-enable weak protocol versions and ciphers"},
    {"keyfile", "names a private key file on attestd's machine"},
    {"socket", "connects to another Unix socket than libvirtd's"},
    {"netcat", "names the command run on the host after login"},
    {"sshauth", "selects ssh authentication methods (password, keyboard-interactive)"},
    {"name", "replaces the driver URI the remote daemon opens"},
    {"mode", "selects another daemon than the default"},
    {"proxy", "selects another proxy on the host than the default"},
};

// AllowedParameter: the qemu+ssh parameters that keep checks on, with their only value.
struct AllowedParameter {
  std::string_view name;
  std::string_view value;
};
constexpr AllowedParameter kSshParameters[] = {
    // ssh -T -o BatchMode=yes: attestd has no terminal, so a prompt could only hang.
    {"no_tty", "1"},
    // The default: a host key must already be in known_hosts.
    {"known_hosts_verify", "normal"},
};

bool IsAsciiAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return out;
}

// Printable renders decoded text for a message: non-printable bytes as \xNN.
std::string Printable(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char c : text.substr(0, 64)) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  return out;
}

// CheckHost accepts a DNS name (labels of A-Z a-z 0-9 -, not starting or ending with "-"), an
// IPv4 address, or an IPv6 address in brackets.
Status CheckHost(std::string_view host) {
  if (host.empty()) {
    return Refused("a remote URI needs a host");
  }
  if (host.front() == '[') {
    if (host.back() != ']') {
      return Refused("host \"" + std::string(host) + "\": an IPv6 address ends with \"]\"");
    }
    const std::optional<http::IpAddress> v6 = http::ParseIpAddress(host.substr(1, host.size() - 2));
    if (!v6 || v6->v4) {
      return Refused("host \"" + std::string(host) + "\": not an IPv6 address");
    }
    return Status::Ok();
  }
  if (host.size() > 253) {
    return Refused("host name longer than 253 characters");
  }
  bool all_numeric = true;
  size_t start = 0;
  while (start <= host.size()) {
    size_t dot = host.find('.', start);
    if (dot == std::string_view::npos) {
      dot = host.size();
    }
    const std::string_view label = host.substr(start, dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-' ||
        !std::all_of(label.begin(), label.end(),
                     [](char c) { return IsAsciiAlnum(c) || c == '-'; })) {
      return Refused("host \"" + Printable(host) +
                     "\": want a DNS name (labels of A-Z a-z 0-9 -), an IPv4 address or [IPv6]");
    }
    all_numeric = all_numeric && std::all_of(label.begin(), label.end(),
                                             [](char c) { return c >= '0' && c <= '9'; });
    start = dot + 1;
  }
  if (all_numeric) {
    const std::optional<http::IpAddress> v4 = http::ParseIpAddress(host);
    if (!v4 || !v4->v4) {
      return Refused("host \"" + std::string(host) + "\": not an IPv4 address");
    }
  }
  return Status::Ok();
}

Status CheckPort(std::string_view port) {
  if (port.empty() || port.size() > 5 || port.front() == '0' ||
      !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      std::stoi(std::string(port)) > 65535) {
    return Refused("port \"" + Printable(port) + "\": want 1..65535");
  }
  return Status::Ok();
}

Status CheckUser(std::string_view user) {
  if (user.empty() || user.size() > 32 || user.front() == '-' ||
      !std::all_of(user.begin(), user.end(),
                   [](char c) { return IsAsciiAlnum(c) || c == '.' || c == '_' || c == '-'; })) {
    return Refused("user \"" + Printable(user) +
                   "\": want 1..32 of A-Z a-z 0-9 . _ - not starting with \"-\" (no password)");
  }
  return Status::Ok();
}

// CheckAuthority reads [USER@]HOST[:PORT].
Status CheckAuthority(std::string_view authority, bool user_allowed) {
  const size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    if (!user_allowed) {
      return Refused("qemu+tls takes no user name");
    }
    ATTEST_RETURN_IF_ERROR(CheckUser(authority.substr(0, at)));
    authority.remove_prefix(at + 1);
  }
  std::string_view host = authority;
  const size_t close = authority.rfind(']');
  const size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && (close == std::string_view::npos || colon > close)) {
    host = authority.substr(0, colon);
    ATTEST_RETURN_IF_ERROR(CheckPort(authority.substr(colon + 1)));
  }
  return CheckHost(host);
}

// CheckParameters reads the query as libvirt does (name=value pairs split on "&", names and
// values percent-decoded, names compared without case) and accepts only the allowed pairs, each
// once, written plainly.
Status CheckParameters(std::string_view query, std::string_view scheme,
                       std::span<const AllowedParameter> allowed) {
  // libvirt splits on ";" only when the query has no "&", so the same text can read as other
  // pairs there than here: refused rather than guessed.
  if (query.find(';') != std::string_view::npos) {
    return Refused("\";\" in the parameters");
  }
  std::vector<std::string> seen;
  size_t start = 0;
  while (start <= query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string_view::npos) {
      end = query.size();
    }
    const std::string_view pair = query.substr(start, end - start);
    start = end + 1;
    if (pair.empty()) {
      return Refused("an empty parameter");
    }
    const size_t eq = pair.find('=');
    const std::string_view raw_name = pair.substr(0, eq);
    const std::string_view raw_value =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    const std::optional<std::string> name = PercentDecode(raw_name);
    const std::optional<std::string> value = PercentDecode(raw_value);
    if (!name || !value) {
      return Refused("parameter \"" + Printable(pair) + "\": broken percent-encoding");
    }
    const std::string key = Lower(*name);
    const std::string spelled = raw_name == key ? "" : " (written \"" + Printable(raw_name) + "\")";
    const auto ok = std::find_if(allowed.begin(), allowed.end(),
                                 [&](const AllowedParameter& a) { return a.name == key; });
    if (ok == allowed.end() || *value != ok->value) {
      const auto refused =
          std::find_if(std::begin(kRefusedParameters), std::end(kRefusedParameters),
                       [&](const RefusedParameter& r) { return r.name == key; });
      std::string why = refused != std::end(kRefusedParameters)
                            ? std::string(refused->why)
                            : "not a parameter attestd passes (libvirt hands unknown ones to "
                              "the driver)";
      if (ok != allowed.end()) {
        why = "only " + std::string(ok->name) + "=" + std::string(ok->value) + " is allowed";
      } else if (allowed.empty()) {
        why += "; " + std::string(scheme) + " takes no parameters";
      }
      return Refused("parameter \"" + Printable(key) + "\"" + spelled + " refused: " + why);
    }
    if (!spelled.empty() || raw_value != *value) {
      return Refused("parameter \"" + key + "\"" + spelled +
                     ": write parameters in lower case without percent-encoding");
    }
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
      return Refused("parameter \"" + key + "\" given twice");
    }
    seen.push_back(key);
  }
  return Status::Ok();
}

// CheckTestPath accepts the test driver's "/default" or an absolute file path of
// A-Z a-z 0-9 . _ - / without empty, "." or ".." segments.
Status CheckTestPath(std::string_view path) {
  if (path == "/default") {
    return Status::Ok();
  }
  const bool chars_ok = std::all_of(path.begin(), path.end(), [](char c) {
    return IsAsciiAlnum(c) || c == '.' || c == '_' || c == '-' || c == '/';
  });
  bool segments_ok = chars_ok && path.size() > 1;
  for (size_t start = 1; segments_ok && start <= path.size();) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) {
      slash = path.size();
    }
    const std::string_view segment = path.substr(start, slash - start);
    segments_ok = !segment.empty() && segment != "." && segment != "..";
    start = slash + 1;
  }
  if (!segments_ok) {
    return Refused("test driver path \"" + Printable(path) +
                   "\": want /default or an absolute file path");
  }
  return Status::Ok();
}

}  // namespace

Status CheckLibvirtUri(std::string_view uri, bool allow_test_uris) {
  if (uri.size() > kMaxUriBytes) {
    return Refused("longer than " + std::to_string(kMaxUriBytes) + " characters");
  }
  if (!std::all_of(uri.begin(), uri.end(), [](char c) { return c > 0x20 && c < 0x7f; })) {
    return Refused("only printable ASCII without spaces");
  }
  if (uri.find('#') != std::string_view::npos) {
    return Refused("a fragment (\"#\")");
  }
  const size_t sep = uri.find("://");
  if (sep == std::string_view::npos) {
    return Refused("want DRIVER[+TRANSPORT]://...; " + std::string(kAllowed));
  }
  const std::string_view scheme = uri.substr(0, sep);
  const bool is_test = scheme == "test";
  if (scheme != "qemu" && scheme != "qemu+tls" && scheme != "qemu+ssh" && !is_test) {
    return Refused("driver and transport \"" + Printable(scheme) + "\" (" + kAllowed + ")");
  }
  if (is_test && !allow_test_uris) {
    return Refused("the test driver is for tests (allow_test_libvirt_uris is off)");
  }
  std::string_view rest = uri.substr(sep + 3);
  const size_t path_start = rest.find_first_of("/?");
  if (path_start == std::string_view::npos || rest[path_start] != '/') {
    return Refused("no path; " + std::string(kAllowed));
  }
  const std::string_view authority = rest.substr(0, path_start);
  rest.remove_prefix(path_start);
  const size_t question = rest.find('?');
  const std::string_view path = rest.substr(0, question);
  const std::optional<std::string_view> query =
      question == std::string_view::npos
          ? std::nullopt
          : std::optional<std::string_view>(rest.substr(question + 1));
  if (authority.find('%') != std::string_view::npos || path.find('%') != std::string_view::npos) {
    return Refused("percent-encoding outside the parameters");
  }

  if (scheme == "qemu" || is_test) {
    if (!authority.empty()) {
      return Refused(std::string(scheme) +
                     ":// is a local connection: no host (for a remote host use qemu+tls or "
                     "qemu+ssh)");
    }
    if (is_test) {
      ATTEST_RETURN_IF_ERROR(CheckTestPath(path));
    } else if (path != "/system") {
      return Refused("path \"" + Printable(path) + "\": want /system");
    }
    if (query) {
      return CheckParameters(*query, scheme, {});
    }
    return Status::Ok();
  }
  ATTEST_RETURN_IF_ERROR(CheckAuthority(authority, /*user_allowed=*/scheme == "qemu+ssh"));
  if (path != "/system") {
    return Refused("path \"" + Printable(path) + "\": want /system");
  }
  if (query) {
    return CheckParameters(*query, scheme,
                           scheme == "qemu+ssh" ? std::span<const AllowedParameter>(kSshParameters)
                                                : std::span<const AllowedParameter>());
  }
  return Status::Ok();
}

}  // namespace attest::service::api
