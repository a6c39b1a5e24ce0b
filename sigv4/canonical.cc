#include "sigv4/canonical.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "attest/core/digest.h"
#include "attest/core/encoding.h"

namespace attest::sigv4 {
namespace {

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

}  // namespace

std::string UriEncode(std::string_view in, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(in.size() * 3);
  for (unsigned char c : in) {
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

std::string PercentDecode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size() && HexDigitValue(in[i + 1]) >= 0 &&
        HexDigitValue(in[i + 2]) >= 0) {
      out += static_cast<char>(HexDigitValue(in[i + 1]) * 16 + HexDigitValue(in[i + 2]));
      i += 2;
    } else {
      out += in[i];
    }
  }
  return out;
}

std::string NormalizePath(std::string_view path) {
  std::vector<std::string_view> segments;
  bool trailing_slash = false;
  size_t pos = 0;
  while (pos <= path.size()) {
    const size_t slash = path.find('/', pos);
    const size_t end = slash == std::string_view::npos ? path.size() : slash;
    const std::string_view segment = path.substr(pos, end - pos);
    const bool last = slash == std::string_view::npos;
    if (segment == "..") {
      if (!segments.empty()) {
        segments.pop_back();
      }
    } else if (!segment.empty() && segment != ".") {
      segments.push_back(segment);
    }
    if (last) {
      // "/a/" "/a/." "/a/.." all name a directory: keep the trailing slash (RFC 3986 5.2.4).
      trailing_slash = segment.empty() || segment == "." || segment == "..";
      break;
    }
    pos = slash + 1;
  }
  std::string out;
  for (std::string_view s : segments) {
    out += '/';
    out += s;
  }
  if (out.empty() || trailing_slash) {
    out += '/';
  }
  return out;
}

std::string CanonicalUri(std::string_view raw_path, bool normalize, bool double_encode) {
  const std::string path = normalize ? NormalizePath(raw_path) : std::string(raw_path);
  if (path.empty()) {
    return "/";
  }
  return UriEncode(double_encode ? path : PercentDecode(path), true);
}

std::vector<QueryParam> ParseQuery(std::string_view raw_query) {
  std::vector<QueryParam> params;
  size_t pos = 0;
  while (pos <= raw_query.size()) {
    size_t amp = raw_query.find('&', pos);
    if (amp == std::string_view::npos) {
      amp = raw_query.size();
    }
    const std::string_view piece = raw_query.substr(pos, amp - pos);
    if (!piece.empty()) {
      const size_t eq = piece.find('=');
      if (eq == std::string_view::npos) {
        params.push_back({PercentDecode(piece), ""});
      } else {
        params.push_back({PercentDecode(piece.substr(0, eq)), PercentDecode(piece.substr(eq + 1))});
      }
    }
    pos = amp + 1;
  }
  return params;
}

std::string CanonicalQuery(const std::vector<QueryParam>& params, std::string_view skip_key) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(params.size());
  for (const QueryParam& p : params) {
    if (!skip_key.empty() && p.key == skip_key) {
      continue;
    }
    encoded.emplace_back(UriEncode(p.key, false), UriEncode(p.value, false));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [key, value] : encoded) {
    if (!out.empty()) {
      out += '&';
    }
    out += key;
    out += '=';
    out += value;
  }
  return out;
}

std::string TrimAll(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool pending_space = false;
  for (char c : value) {
    if (IsSpace(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) {
      out += ' ';
    }
    pending_space = false;
    out += c;
  }
  return out;
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

Result<std::string> CanonicalHeaders(const HttpRequest& req,
                                     const std::vector<std::string>& signed_names) {
  std::vector<std::string> lower_names;
  lower_names.reserve(req.headers.size());
  for (const HttpHeader& h : req.headers) {
    lower_names.push_back(ToLower(h.name));
  }
  std::string out;
  for (const std::string& name : signed_names) {
    bool found = false;
    out += name;
    out += ':';
    for (size_t i = 0; i < req.headers.size(); ++i) {
      if (lower_names[i] != name) {
        continue;
      }
      if (found) {
        out += ',';
      }
      out += TrimAll(req.headers[i].value);
      found = true;
    }
    if (!found) {
      return Status(reasons::kSigv4AuthorizationMalformed,
                    "signed header \"" + name + "\" is not in the request");
    }
    out += '\n';
  }
  return out;
}

std::string JoinSignedHeaders(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) {
    if (!out.empty()) {
      out += ';';
    }
    out += n;
  }
  return out;
}

std::string CanonicalRequest(std::string_view method, std::string_view canonical_uri,
                             std::string_view canonical_query, std::string_view canonical_headers,
                             std::string_view signed_headers, std::string_view payload_hash) {
  std::string out;
  out.reserve(method.size() + canonical_uri.size() + canonical_query.size() +
              canonical_headers.size() + signed_headers.size() + payload_hash.size() + 8);
  out.append(method).append("\n");
  out.append(canonical_uri).append("\n");
  out.append(canonical_query).append("\n");
  out.append(canonical_headers).append("\n");
  out.append(signed_headers).append("\n");
  out.append(payload_hash);
  return out;
}

std::string StringToSign(std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request) {
  std::string out(kAlgorithm);
  out.append("\n").append(amz_date).append("\n").append(scope).append("\n");
  out.append(HexSha256(AsBytes(canonical_request)));
  return out;
}

std::string CredentialScope(std::string_view date, std::string_view region,
                            std::string_view service) {
  std::string out(date);
  out.append("/").append(region).append("/").append(service).append("/aws4_request");
  return out;
}

Result<TimePoint> ParseAmzDate(std::string_view text) {
  auto bad = [&] {
    return Status(reasons::kSigv4BadDate,
                  "date \"" + std::string(text.substr(0, 32)) + "\" is not YYYYMMDDTHHMMSSZ");
  };
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') {
    return bad();
  }
  int digits[14];
  size_t n = 0;
  for (size_t i = 0; i < 15; ++i) {
    if (i == 8) {
      continue;
    }
    if (text[i] < '0' || text[i] > '9') {
      return bad();
    }
    digits[n++] = text[i] - '0';
  }
  const int year = digits[0] * 1000 + digits[1] * 100 + digits[2] * 10 + digits[3];
  const unsigned month = digits[4] * 10 + digits[5];
  const unsigned day = digits[6] * 10 + digits[7];
  const int hour = digits[8] * 10 + digits[9];
  const int minute = digits[10] * 10 + digits[11];
  const int second = digits[12] * 10 + digits[13];
  const std::chrono::year_month_day ymd{std::chrono::year(year), std::chrono::month(month),
                                        std::chrono::day(day)};
  if (!ymd.ok() || hour > 23 || minute > 59 || second > 59) {
    return bad();
  }
  return TimePoint(std::chrono::sys_days(ymd)) + std::chrono::hours(hour) +
         std::chrono::minutes(minute) + std::chrono::seconds(second);
}

std::string FormatAmzDate(TimePoint t) {
  const auto days = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd{days};
  const std::chrono::hh_mm_ss hms{t - days};
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

std::string HexSha256(ByteSpan data) { return HexEncode(Sha256(data)); }

}  // namespace attest::sigv4
