#include "sigv4/request_file.h"

#include <string>

namespace attest::sigv4 {
namespace {

// IsTchar: RFC 9110 section 5.6.2 token characters (method and header names).
bool IsTchar(unsigned char c) {
  if (c >= '0' && c <= '9') {
    return true;
  }
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') {
    return true;
  }
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool IsToken(std::string_view s) {
  if (s.empty()) {
    return false;
  }
  for (unsigned char c : s) {
    if (!IsTchar(c)) {
      return false;
    }
  }
  return true;
}

// HasControl is true for bytes that no request line or header value may carry (HTAB allowed in
// values only when allow_tab).
bool HasControl(std::string_view s, bool allow_tab) {
  for (unsigned char c : s) {
    if (c == '\t' && allow_tab) {
      continue;
    }
    if (c < 0x20 || c == 0x7f) {
      return true;
    }
  }
  return false;
}

Status Malformed(size_t line_no, std::string_view what) {
  return Status(reasons::kSigv4RequestMalformed,
                "request line " + std::to_string(line_no) + ": " + std::string(what));
}

// NextLine returns the line at *pos (without LF / CRLF) and advances *pos past it. *at_end is set
// when no LF terminated it.
std::string_view NextLine(std::string_view text, size_t* pos, bool* terminated) {
  const size_t start = *pos;
  const size_t lf = text.find('\n', start);
  std::string_view line;
  if (lf == std::string_view::npos) {
    line = text.substr(start);
    *pos = text.size();
    *terminated = false;
  } else {
    line = text.substr(start, lf - start);
    *pos = lf + 1;
    *terminated = true;
  }
  if (!line.empty() && line.back() == '\r') {
    line.remove_suffix(1);
  }
  return line;
}

}  // namespace

Result<HttpRequest> ParseRequestFile(std::string_view text) {
  if (text.size() > kMaxRequestFileBytes) {
    return Status(reasons::kSigv4RequestMalformed, "request: " + std::to_string(text.size()) +
                                                       " bytes, limit " +
                                                       std::to_string(kMaxRequestFileBytes));
  }
  size_t pos = 0;
  bool terminated = false;
  size_t line_no = 1;
  const std::string_view request_line = NextLine(text, &pos, &terminated);
  const size_t first_space = request_line.find(' ');
  const size_t last_space = request_line.rfind(' ');
  if (first_space == std::string_view::npos || last_space == first_space) {
    return Malformed(line_no, "want \"METHOD target HTTP/x.y\"");
  }
  HttpRequest req;
  req.method = std::string(request_line.substr(0, first_space));
  const std::string_view target =
      request_line.substr(first_space + 1, last_space - first_space - 1);
  const std::string_view version = request_line.substr(last_space + 1);
  if (!IsToken(req.method)) {
    return Malformed(line_no, "method is not a token");
  }
  if (version.substr(0, 5) != "HTTP/" || version.size() != 8) {
    return Malformed(line_no, "version is not HTTP/x.y");
  }
  if (target.empty() || target.front() != '/' || HasControl(target, false)) {
    return Malformed(line_no, "target must start with '/' and hold no control characters");
  }
  const size_t question = target.find('?');
  req.path = std::string(target.substr(0, question));
  if (question != std::string_view::npos) {
    req.query = std::string(target.substr(question + 1));
  }

  while (terminated && pos < text.size()) {
    ++line_no;
    const std::string_view line = NextLine(text, &pos, &terminated);
    if (line.empty()) {
      if (terminated) {
        const std::string_view body = text.substr(pos);
        req.body.assign(body.begin(), body.end());
      }
      return req;
    }
    if (line.front() == ' ' || line.front() == '\t') {
      if (req.headers.empty()) {
        return Malformed(line_no, "continuation line before any header");
      }
      if (HasControl(line, true)) {
        return Malformed(line_no, "control character in header value");
      }
      const size_t first = line.find_first_not_of(" \t");
      if (first != std::string_view::npos) {
        req.headers.back().value += ' ';
        req.headers.back().value += line.substr(first);
      }
      continue;
    }
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      return Malformed(line_no, "header line without ':'");
    }
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = line.substr(colon + 1);
    if (!IsToken(name)) {
      return Malformed(line_no, "header name is not a token");
    }
    if (HasControl(value, true)) {
      return Malformed(line_no, "control character in header value");
    }
    if (req.headers.size() >= kMaxHeaderCount) {
      return Malformed(line_no, "more than " + std::to_string(kMaxHeaderCount) + " headers");
    }
    req.headers.push_back({std::string(name), std::string(value)});
  }
  return req;
}

std::string SerializeRequest(const HttpRequest& req) {
  std::string out = req.method + " " + req.path;
  if (!req.query.empty()) {
    out += "?" + req.query;
  }
  out += " HTTP/1.1\n";
  for (const HttpHeader& h : req.headers) {
    out += h.name + ":" + h.value + "\n";
  }
  out += "\n";
  out.append(req.body.begin(), req.body.end());
  return out;
}

}  // namespace attest::sigv4
