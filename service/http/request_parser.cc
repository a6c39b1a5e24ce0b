#include "service/http/request_parser.h"

#include <algorithm>
#include <charconv>
#include <vector>

#include "service/http/header_text.h"

namespace attest::service::http {
namespace {

constexpr std::string_view kCrlf = "\r\n";
constexpr size_t kMaxMethodBytes = 32;
constexpr size_t kMaxChunkLineBytes = 1024;

// RFC 9110 5.6.2: tchar.
bool IsTokenChar(unsigned char c) {
  if (c >= '0' && c <= '9') {
    return true;
  }
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') {
    return true;
  }
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool IsToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return IsTokenChar(static_cast<unsigned char>(c));
  });
}

// RFC 9110 5.5: field-content is VCHAR / obs-text with SP and HTAB inside; no other control.
bool IsFieldValue(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c == '\t' || (c >= 0x20 && c != 0x7f);
  });
}

// A request-target is visible ASCII only: anything else must arrive percent-encoded.
bool IsTargetText(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c > 0x20 && c < 0x7f;
  });
}

// ListItems splits a comma-separated field value into its trimmed, non-empty members.
std::vector<std::string_view> ListItems(std::string_view value) {
  std::vector<std::string_view> out;
  while (true) {
    const size_t comma = value.find(',');
    std::string_view item = TrimOws(value.substr(0, comma));
    if (!item.empty()) {
      out.push_back(item);
    }
    if (comma == std::string_view::npos) {
      return out;
    }
    value.remove_prefix(comma + 1);
  }
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && EqualsIgnoreCase(s.substr(0, prefix.size()), prefix);
}

}  // namespace

RequestParser::State RequestParser::Fail(int status, const Reason& reason, std::string message) {
  stage_ = Stage::kError;
  error_ = ParseError{status, reason, std::move(message)};
  return State::kError;
}

RequestParser::State RequestParser::Feed(std::string_view data, size_t* consumed) {
  *consumed = 0;
  if (stage_ == Stage::kError) {
    return State::kError;
  }
  if (stage_ == Stage::kDone) {
    // The previous request was taken: this data starts the next one.
    *this = RequestParser(limits_, std::move(planner_));
  }
  while (true) {
    size_t used = 0;
    State state = State::kNeedMore;
    switch (stage_) {
      case Stage::kHead:
        state = FeedHead(data, &used);
        break;
      case Stage::kBody:
        state = FeedBody(data, &used);
        break;
      case Stage::kChunkSize:
      case Stage::kChunkData:
      case Stage::kChunkDataEnd:
      case Stage::kTrailers:
        state = FeedChunked(data, &used);
        break;
      case Stage::kDone:
        return State::kComplete;
      case Stage::kError:
        return State::kError;
    }
    *consumed += used;
    data.remove_prefix(used);
    if (state != State::kNeedMore || stage_ == Stage::kDone) {
      return stage_ == Stage::kDone ? State::kComplete : state;
    }
    if (data.empty() || used == 0) {
      return State::kNeedMore;  // used == 0: a stage waits for more than a partial line end
    }
  }
}

RequestParser::State RequestParser::FeedHead(std::string_view data, size_t* used) {
  // RFC 9112 2.2: empty lines before the request line (some clients end a body with an extra
  // CRLF) are skipped, not buffered.
  while (head_.empty() && data.size() >= 2 && data.substr(0, 2) == kCrlf) {
    data.remove_prefix(2);
    *used += 2;
  }
  if (data.empty() || (head_.empty() && data == "\r")) {
    return State::kNeedMore;
  }
  const size_t room = limits_.max_header_bytes - std::min(head_.size(), limits_.max_header_bytes);
  const size_t take = std::min(data.size(), room);
  head_.append(data.substr(0, take));
  const size_t from = head_scanned_ >= 3 ? head_scanned_ - 3 : 0;
  const size_t end = head_.find("\r\n\r\n", from);
  if (end == std::string::npos) {
    head_scanned_ = head_.size();
    *used += take;
    if (head_.size() >= limits_.max_header_bytes) {
      return Fail(
          431, reasons::kApiHeadersTooLarge,
          "request header section exceeds " + std::to_string(limits_.max_header_bytes) + " bytes");
    }
    return State::kNeedMore;
  }
  const size_t head_size = end + 4;
  *used += take - (head_.size() - head_size);  // what follows the blank line is the body's
  head_.resize(head_size);
  return ParseHead(std::string_view(head_).substr(0, end + 2));
}

RequestParser::State RequestParser::ParseHead(std::string_view head) {
  bool first = true;
  while (!head.empty()) {
    const size_t eol = head.find(kCrlf);  // head ends with CRLF: always found
    const std::string_view line = head.substr(0, eol);
    head.remove_prefix(eol + 2);
    if (line.find_first_of("\r\n") != std::string_view::npos) {
      return Fail(400, reasons::kApiBadRequest, "bare CR or LF in the request header section");
    }
    const State s = first ? ParseRequestLine(line) : ParseField(line);
    if (s == State::kError) {
      return s;
    }
    first = false;
  }
  return Framing();
}

RequestParser::State RequestParser::ParseRequestLine(std::string_view line) {
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return Fail(400, reasons::kApiBadRequest, "malformed request line");
  }
  const std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!IsToken(method) || method.size() > kMaxMethodBytes) {
    return Fail(400, reasons::kApiBadRequest, "malformed request method");
  }
  if (version == "HTTP/1.0") {
    http10_ = true;
  } else if (version != "HTTP/1.1") {
    const bool looks_like_http = version.size() == 8 && version.substr(0, 5) == "HTTP/" &&
                                 version[5] >= '0' && version[5] <= '9' && version[6] == '.' &&
                                 version[7] >= '0' && version[7] <= '9';
    if (looks_like_http) {
      return Fail(505, reasons::kApiHttpVersion, "only HTTP/1.1 and HTTP/1.0 are served");
    }
    return Fail(400, reasons::kApiBadRequest, "malformed HTTP version");
  }
  if (target.size() > limits_.max_target_bytes) {
    return Fail(414, reasons::kApiUriTooLong,
                "request target exceeds " + std::to_string(limits_.max_target_bytes) + " bytes");
  }
  if (target.empty() || !IsTargetText(target) || target.find('#') != std::string_view::npos) {
    return Fail(400, reasons::kApiBadRequest, "malformed request target");
  }
  // RFC 9112 3.2.2: absolute-form is accepted from any client; only its path and query matter.
  if (StartsWithNoCase(target, "http://") || StartsWithNoCase(target, "https://")) {
    const size_t authority = target.find("//") + 2;
    const size_t path = target.find_first_of("/?", authority);
    if (path == authority) {
      return Fail(400, reasons::kApiBadRequest, "request target without a host");
    }
    target = path == std::string_view::npos ? std::string_view("/") : target.substr(path);
    if (target.front() == '?') {
      request_.path = "/";
    }
  } else if (target == "*") {
    if (method != "OPTIONS") {
      return Fail(400, reasons::kApiBadRequest, "\"*\" is a target for OPTIONS only");
    }
  } else if (target.front() != '/') {
    return Fail(400, reasons::kApiBadRequest, "request target must be a path");
  }
  request_.method = std::string(method);
  is_head_ = method == "HEAD";
  const size_t q = target.find('?');
  if (request_.path.empty()) {
    request_.path = std::string(target.substr(0, q));
  }
  if (q != std::string_view::npos) {
    request_.query = std::string(target.substr(q + 1));
  }
  return State::kNeedMore;
}

RequestParser::State RequestParser::ParseField(std::string_view line) {
  if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
    return Fail(400, reasons::kApiBadRequest, "obsolete line folding in a header field");
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos || !IsToken(line.substr(0, colon))) {
    return Fail(400, reasons::kApiBadRequest, "malformed header field");
  }
  const std::string_view value = TrimOws(line.substr(colon + 1));
  if (!IsFieldValue(value)) {
    return Fail(400, reasons::kApiBadRequest, "control character in a header field value");
  }
  if (request_.headers.size() >= limits_.max_headers) {
    return Fail(431, reasons::kApiHeadersTooLarge,
                "more than " + std::to_string(limits_.max_headers) + " header fields");
  }
  request_.headers.push_back({std::string(line.substr(0, colon)), std::string(value)});
  return State::kNeedMore;
}

RequestParser::State RequestParser::Framing() {
  size_t hosts = 0;
  std::vector<std::string_view> lengths;
  std::vector<std::string_view> codings;
  bool has_transfer_encoding = false;
  keep_alive_ = !http10_;
  for (const HttpHeader& h : request_.headers) {
    if (EqualsIgnoreCase(h.name, "host")) {
      ++hosts;
    } else if (EqualsIgnoreCase(h.name, "content-length")) {
      lengths.emplace_back(h.value);
    } else if (EqualsIgnoreCase(h.name, "transfer-encoding")) {
      has_transfer_encoding = true;
      for (std::string_view c : ListItems(h.value)) {
        codings.push_back(c);
      }
    } else if (EqualsIgnoreCase(h.name, "connection")) {
      for (std::string_view option : ListItems(h.value)) {
        if (EqualsIgnoreCase(option, "close")) {
          keep_alive_ = false;
        } else if (EqualsIgnoreCase(option, "keep-alive") && http10_) {
          keep_alive_ = true;
        }
      }
    } else if (EqualsIgnoreCase(h.name, "expect")) {
      expect_continue_ = EqualsIgnoreCase(h.value, "100-continue");
    }
  }
  // RFC 9112 3.2: an HTTP/1.1 request has exactly one Host.
  if (hosts > 1 || (hosts == 0 && !http10_)) {
    return Fail(400, reasons::kApiBadRequest, "a request needs exactly one Host header field");
  }
  body_max_ = limits_.max_body_bytes;
  if (planner_) {
    if (const uint64_t streamed_max = planner_(request_); streamed_max > 0) {
      streamed_ = true;
      body_max_ = streamed_max;
    }
  }
  if (has_transfer_encoding) {
    // RFC 9112 6.1 and 6.3: both framings at once, or one an HTTP/1.0 client cannot mean, is how
    // requests are smuggled past a proxy that reads them differently.
    if (!lengths.empty() || http10_) {
      return Fail(400, reasons::kApiBadRequest,
                  "Transfer-Encoding with Content-Length or HTTP/1.0");
    }
    if (codings.empty() || !EqualsIgnoreCase(codings.back(), "chunked")) {
      return Fail(400, reasons::kApiBadRequest, "a request body's last coding must be chunked");
    }
    if (codings.size() != 1) {
      return Fail(501, reasons::kApiUnsupportedTransferEncoding,
                  "only the chunked transfer coding is supported");
    }
    chunked_ = true;
    stage_ = Stage::kChunkSize;
    if (!streamed_) {
      request_.body.reserve(4096);
    }
    return State::kNeedMore;
  }
  if (lengths.size() > 1) {
    return Fail(400, reasons::kApiBadRequest, "more than one Content-Length");
  }
  uint64_t length = 0;
  if (!lengths.empty()) {
    const std::string_view v = lengths.front();
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), length);
    if (v.empty() || ec == std::errc::result_out_of_range) {
      return Fail(v.empty() ? 400 : 413,
                  v.empty() ? reasons::kApiBadRequest : reasons::kApiBodyTooLarge,
                  "malformed or oversized Content-Length");
    }
    if (ec != std::errc() || end != v.data() + v.size() || v.front() == '+') {
      return Fail(400, reasons::kApiBadRequest, "malformed Content-Length");
    }
  }
  if (length > body_max_) {
    return Fail(413, reasons::kApiBodyTooLarge,
                "request body exceeds " + std::to_string(body_max_) + " bytes");
  }
  body_left_ = static_cast<size_t>(length);
  if (!streamed_) {
    request_.body.reserve(std::min<size_t>(body_left_, size_t{64} * 1024));
  }
  stage_ = body_left_ == 0 ? Stage::kDone : Stage::kBody;
  if (stage_ == Stage::kDone) {
    expect_continue_ = false;
  }
  return State::kNeedMore;
}

size_t RequestParser::TakeBody(std::string_view data) {
  const size_t take = std::min(data.size(), body_left_);
  if (streamed_) {
    streamed_bytes_.append(data.substr(0, take));
  } else {
    request_.body.insert(request_.body.end(), data.begin(), data.begin() + take);
  }
  body_left_ -= take;
  body_received_ += take;
  return take;
}

RequestParser::State RequestParser::FeedBody(std::string_view data, size_t* used) {
  *used = TakeBody(data);
  if (body_left_ == 0) {
    stage_ = Stage::kDone;
    return State::kComplete;
  }
  return State::kNeedMore;
}

bool RequestParser::TakeLine(std::string_view data, size_t* used, size_t max, std::string* line,
                             bool* bad) {
  const size_t lf = data.find('\n');
  const std::string_view piece = data.substr(0, lf == std::string_view::npos ? data.size() : lf);
  *used = piece.size() + (lf == std::string_view::npos ? 0 : 1);
  if (line_.size() + piece.size() > max + 1) {  // + 1: the CR
    *bad = true;
    return false;
  }
  line_.append(piece);
  if (lf == std::string_view::npos) {
    return false;
  }
  if (line_.empty() || line_.back() != '\r' ||
      line_.find('\r') != line_.size() - 1) {  // a bare LF, or a bare CR inside
    *bad = true;
    return false;
  }
  line_.pop_back();
  *line = std::move(line_);
  line_.clear();
  return true;
}

// RFC 9112 7.1: chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF; last-chunk = "0" [ext]
// CRLF; then trailer fields and a blank line. Extensions and trailers are read and dropped.
RequestParser::State RequestParser::FeedChunked(std::string_view data, size_t* used) {
  if (stage_ == Stage::kChunkData) {
    *used = TakeBody(data);
    if (body_left_ == 0) {
      stage_ = Stage::kChunkDataEnd;
    }
    return State::kNeedMore;
  }
  std::string line;
  bool bad = false;
  const size_t max = stage_ == Stage::kTrailers ? limits_.max_header_bytes : kMaxChunkLineBytes;
  if (!TakeLine(data, used, max, &line, &bad)) {
    if (bad) {
      return Fail(400, reasons::kApiBadRequest, "malformed chunked body");
    }
    return State::kNeedMore;
  }
  switch (stage_) {
    case Stage::kChunkDataEnd:
      if (!line.empty()) {
        return Fail(400, reasons::kApiBadRequest, "chunk data longer than its size");
      }
      stage_ = Stage::kChunkSize;
      return State::kNeedMore;
    case Stage::kTrailers:
      trailer_bytes_ += line.size() + 2;
      if (trailer_bytes_ > limits_.max_header_bytes) {
        return Fail(431, reasons::kApiHeadersTooLarge, "chunked trailer section too large");
      }
      if (line.empty()) {
        stage_ = Stage::kDone;
        return State::kComplete;
      }
      if (line.find(':') == std::string::npos || !IsFieldValue(line)) {
        return Fail(400, reasons::kApiBadRequest, "malformed trailer field");
      }
      return State::kNeedMore;
    default:
      break;
  }
  // A chunk-size line: hex digits, then optional whitespace and extensions after ';'.
  std::string_view text = line;
  const size_t ext = text.find(';');
  const std::string_view digits = TrimOws(text.substr(0, ext));
  uint64_t size = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), size, 16);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() ||
      digits.size() > 16 || !IsFieldValue(text)) {
    return Fail(400, reasons::kApiBadRequest, "malformed chunk size");
  }
  if (size > body_max_ - body_received_) {
    return Fail(413, reasons::kApiBodyTooLarge,
                "request body exceeds " + std::to_string(body_max_) + " bytes");
  }
  if (size == 0) {
    stage_ = Stage::kTrailers;
    return State::kNeedMore;
  }
  body_left_ = static_cast<size_t>(size);
  stage_ = Stage::kChunkData;
  return State::kNeedMore;
}

HttpRequest RequestParser::Take() {
  HttpRequest out = std::move(request_);
  request_ = HttpRequest{};
  return out;
}

}  // namespace attest::service::http
