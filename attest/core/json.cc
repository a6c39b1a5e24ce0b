#include "attest/core/json.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>

namespace attest {
namespace {

using json = nlohmann::json;

// kPlain[b] is true for a byte that stands for itself inside a string: printable ASCII other than
// '"' and '\\' (RFC 8259 section 7: control characters must be escaped).
constexpr std::array<bool, 256> MakePlainTable() {
  std::array<bool, 256> t{};
  for (int b = 0x20; b < 0x80; ++b) {
    t[b] = b != '"' && b != '\\';
  }
  return t;
}
constexpr std::array<bool, 256> kPlain = MakePlainTable();

// Parser reads one value; every failure is recorded in error_ and returned as a Status with the
// caller's reason.
class Parser {
 public:
  Parser(std::string_view text, size_t pos, Reason reason, int max_depth,
         std::vector<JsonMemberText>* members)
      : in_(text), pos_(pos), reason_(reason), max_depth_(max_depth), members_(members) {}

  Status ParseDocument(json* out) {
    // A UTF-8 byte order mark may precede the text (RFC 8259 section 8.1 lets a parser ignore it;
    // nlohmann does).
    if (in_.substr(0, 3) == "\xEF\xBB\xBF") {
      pos_ = 3;
    }
    SkipSpace();
    ATTEST_RETURN_IF_ERROR(ParseValue(out, 0));
    SkipSpace();
    if (pos_ != in_.size()) {
      return Error("trailing characters after the JSON value");
    }
    return Status::Ok();
  }

  Status ParseOneValue(json* out) { return ParseValue(out, 0); }

  size_t pos() const { return pos_; }
  const JsonError& error() const { return error_; }

 private:
  Status Fail(JsonErrorKind kind, std::string detail, std::string key = "") {
    error_ = JsonError{kind, pos_, std::move(detail), std::move(key)};
    return Status(reason_, error_.Describe());
  }
  Status Error(std::string_view what) { return Fail(JsonErrorKind::kSyntax, std::string(what)); }

  bool AtEnd() const { return pos_ >= in_.size(); }
  uint8_t Peek() const { return static_cast<uint8_t>(in_[pos_]); }

  void SkipSpace() {
    while (!AtEnd()) {
      const char c = in_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
        return;
      }
      ++pos_;
    }
  }

  Status ParseValue(json* out, int depth) {
    if (AtEnd()) {
      return Error("unexpected end of text");
    }
    switch (Peek()) {
      case '{':
        return ParseObject(out, depth + 1);
      case '[':
        return ParseArray(out, depth + 1);
      case '"': {
        std::string s;
        ATTEST_RETURN_IF_ERROR(ParseString(&s));
        *out = std::move(s);
        return Status::Ok();
      }
      case 't':
        return ParseLiteral("true", json(true), out);
      case 'f':
        return ParseLiteral("false", json(false), out);
      case 'n':
        return ParseLiteral("null", json(nullptr), out);
      default:
        if (Peek() == '-' || (Peek() >= '0' && Peek() <= '9')) {
          return ParseNumber(out);
        }
        return Error("unexpected character");
    }
  }

  Status ParseLiteral(std::string_view word, json value, json* out) {
    if (in_.substr(pos_, word.size()) != word) {
      return Error("invalid literal");
    }
    pos_ += word.size();
    *out = std::move(value);
    return Status::Ok();
  }

  Status TooDeep() {
    return Fail(JsonErrorKind::kTooDeep, "nesting deeper than " + std::to_string(max_depth_));
  }

  Status ParseObject(json* out, int depth) {
    if (depth > max_depth_) {
      return TooDeep();
    }
    ++pos_;  // '{'
    *out = json::object();
    json::object_t& members = out->get_ref<json::object_t&>();
    SkipSpace();
    if (!AtEnd() && Peek() == '}') {
      ++pos_;
      return Status::Ok();
    }
    while (true) {
      SkipSpace();
      if (AtEnd() || Peek() != '"') {
        return Error("expected a string key");
      }
      std::string key;
      ATTEST_RETURN_IF_ERROR(ParseString(&key));
      SkipSpace();
      if (AtEnd() || Peek() != ':') {
        return Error("expected ':'");
      }
      ++pos_;
      SkipSpace();
      // Two readers of one document must never see different values: a repeated key is refused.
      auto [it, inserted] = members.emplace(std::move(key), nullptr);
      if (!inserted) {
        return Fail(JsonErrorKind::kDuplicateKey, "duplicate key", it->first);
      }
      const size_t value_begin = pos_;
      ATTEST_RETURN_IF_ERROR(ParseValue(&it->second, depth));
      if (depth == 1 && members_ != nullptr) {
        members_->push_back({it->first, in_.substr(value_begin, pos_ - value_begin)});
      }
      SkipSpace();
      if (AtEnd()) {
        return Error("unexpected end of text in an object");
      }
      if (Peek() == '}') {
        ++pos_;
        return Status::Ok();
      }
      if (Peek() != ',') {
        return Error("expected ',' or '}'");
      }
      ++pos_;
    }
  }

  Status ParseArray(json* out, int depth) {
    if (depth > max_depth_) {
      return TooDeep();
    }
    ++pos_;  // '['
    *out = json::array();
    json::array_t& items = out->get_ref<json::array_t&>();
    SkipSpace();
    if (!AtEnd() && Peek() == ']') {
      ++pos_;
      return Status::Ok();
    }
    while (true) {
      SkipSpace();
      items.emplace_back();
      ATTEST_RETURN_IF_ERROR(ParseValue(&items.back(), depth));
      SkipSpace();
      if (AtEnd()) {
        return Error("unexpected end of text in an array");
      }
      if (Peek() == ']') {
        ++pos_;
        return Status::Ok();
      }
      if (Peek() != ',') {
        return Error("expected ',' or ']'");
      }
      ++pos_;
    }
  }

  // ReadHex4 reads the four hex digits of a \u escape.
  bool ReadHex4(uint32_t* out) {
    if (in_.size() - pos_ < 4) {
      return false;
    }
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = in_[pos_ + i];
      uint32_t d;
      if (c >= '0' && c <= '9') {
        d = c - '0';
      } else if (c >= 'a' && c <= 'f') {
        d = c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        d = c - 'A' + 10;
      } else {
        return false;
      }
      v = v << 4 | d;
    }
    pos_ += 4;
    *out = v;
    return true;
  }

  static void AppendUtf8(uint32_t cp, std::string* s) {
    if (cp < 0x80) {
      s->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      s->push_back(static_cast<char>(0xC0 | cp >> 6));
      s->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      s->push_back(static_cast<char>(0xE0 | cp >> 12));
      s->push_back(static_cast<char>(0x80 | (cp >> 6 & 0x3F)));
      s->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      s->push_back(static_cast<char>(0xF0 | cp >> 18));
      s->push_back(static_cast<char>(0x80 | (cp >> 12 & 0x3F)));
      s->push_back(static_cast<char>(0x80 | (cp >> 6 & 0x3F)));
      s->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  Status ParseEscape(std::string* s) {
    ++pos_;  // '\\'
    if (AtEnd()) {
      return Error("unexpected end of text in an escape");
    }
    const char c = in_[pos_++];
    switch (c) {
      case '"':
      case '\\':
      case '/':
        s->push_back(c);
        return Status::Ok();
      case 'b':
        s->push_back('\b');
        return Status::Ok();
      case 'f':
        s->push_back('\f');
        return Status::Ok();
      case 'n':
        s->push_back('\n');
        return Status::Ok();
      case 'r':
        s->push_back('\r');
        return Status::Ok();
      case 't':
        s->push_back('\t');
        return Status::Ok();
      case 'u':
        break;
      default:
        --pos_;
        return Error("invalid escape");
    }
    uint32_t cp;
    if (!ReadHex4(&cp)) {
      return Error("\\u needs four hex digits");
    }
    if (cp >= 0xDC00 && cp <= 0xDFFF) {
      return Error("unpaired low surrogate");
    }
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      // A high surrogate must be followed by an escaped low one (RFC 8259 section 7).
      uint32_t low;
      if (in_.substr(pos_, 2) != "\\u") {
        return Error("unpaired high surrogate");
      }
      pos_ += 2;
      if (!ReadHex4(&low)) {
        return Error("\\u needs four hex digits");
      }
      if (low < 0xDC00 || low > 0xDFFF) {
        return Error("unpaired high surrogate");
      }
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    AppendUtf8(cp, s);
    return Status::Ok();
  }

  // ParseUtf8 copies one multi-byte UTF-8 sequence, checked against the well-formed byte
  // sequences of the Unicode Standard (table 3-7): no overlong forms, no surrogates, at most
  // U+10FFFF.
  Status ParseUtf8(std::string* s) {
    const uint8_t b0 = Peek();
    int length;
    uint8_t lo = 0x80, hi = 0xBF;  // the range of the second byte
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      length = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      length = 3;
      if (b0 == 0xE0) {
        lo = 0xA0;
      }
      if (b0 == 0xED) {
        hi = 0x9F;
      }
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      length = 4;
      if (b0 == 0xF0) {
        lo = 0x90;
      }
      if (b0 == 0xF4) {
        hi = 0x8F;
      }
    } else {
      return Error("invalid UTF-8");
    }
    if (in_.size() - pos_ < static_cast<size_t>(length)) {
      return Error("invalid UTF-8");
    }
    for (int i = 1; i < length; ++i) {
      const uint8_t b = static_cast<uint8_t>(in_[pos_ + i]);
      if (b < (i == 1 ? lo : 0x80) || b > (i == 1 ? hi : 0xBF)) {
        return Error("invalid UTF-8");
      }
    }
    s->append(in_.data() + pos_, length);
    pos_ += length;
    return Status::Ok();
  }

  Status ParseString(std::string* s) {
    ++pos_;  // '"'
    while (true) {
      // A run of plain characters is copied at once: base64 blobs are nothing else.
      const size_t start = pos_;
      while (!AtEnd() && kPlain[Peek()]) {
        ++pos_;
      }
      s->append(in_.data() + start, pos_ - start);
      if (AtEnd()) {
        return Error("unterminated string");
      }
      const uint8_t c = Peek();
      if (c == '"') {
        ++pos_;
        return Status::Ok();
      }
      if (c == '\\') {
        ATTEST_RETURN_IF_ERROR(ParseEscape(s));
      } else if (c < 0x20) {
        return Error("control character in a string");
      } else {
        ATTEST_RETURN_IF_ERROR(ParseUtf8(s));
      }
    }
  }

  static bool IsDigit(char c) { return c >= '0' && c <= '9'; }

  Status ParseNumber(json* out) {
    // RFC 8259 section 6: -? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?
    const size_t start = pos_;
    const bool negative = in_[pos_] == '-';
    if (negative) {
      ++pos_;
    }
    if (AtEnd() || !IsDigit(in_[pos_])) {
      return Error("invalid number");
    }
    if (in_[pos_] == '0') {
      ++pos_;
    } else {
      while (!AtEnd() && IsDigit(in_[pos_])) {
        ++pos_;
      }
    }
    bool integer = true;
    if (!AtEnd() && in_[pos_] == '.') {
      integer = false;
      ++pos_;
      if (AtEnd() || !IsDigit(in_[pos_])) {
        return Error("invalid number");
      }
      while (!AtEnd() && IsDigit(in_[pos_])) {
        ++pos_;
      }
    }
    if (!AtEnd() && (in_[pos_] == 'e' || in_[pos_] == 'E')) {
      integer = false;
      ++pos_;
      if (!AtEnd() && (in_[pos_] == '+' || in_[pos_] == '-')) {
        ++pos_;
      }
      if (AtEnd() || !IsDigit(in_[pos_])) {
        return Error("invalid number");
      }
      while (!AtEnd() && IsDigit(in_[pos_])) {
        ++pos_;
      }
    }
    const char* first = in_.data() + start;
    const char* last = in_.data() + pos_;
    if (integer) {
      if (negative) {
        int64_t v;
        if (auto [p, ec] = std::from_chars(first, last, v); ec == std::errc() && p == last) {
          *out = v;
          return Status::Ok();
        }
      } else {
        uint64_t v;
        if (auto [p, ec] = std::from_chars(first, last, v); ec == std::errc() && p == last) {
          *out = v;
          return Status::Ok();
        }
      }
    }
    // from_chars is locale-independent (strtod reads the decimal point from the C locale).
    double d = 0;
    const auto [p, ec] = std::from_chars(first, last, d);
    if (ec != std::errc() || p != last || !std::isfinite(d)) {
      return Error("number out of the range of a double");
    }
    *out = d;
    return Status::Ok();
  }

  std::string_view in_;
  size_t pos_ = 0;
  Reason reason_;
  int max_depth_;
  std::vector<JsonMemberText>* members_;
  JsonError error_;
};

}  // namespace

std::string JsonError::Describe() const {
  if (kind == JsonErrorKind::kDuplicateKey) {
    return "duplicate key \"" + key.substr(0, 128) + "\"";
  }
  return detail + " at byte " + std::to_string(offset);
}

Result<nlohmann::json> ReadJson(std::string_view text, Reason reason,
                                const JsonReadOptions& options, JsonError* error) {
  if (text.size() > options.max_bytes) {
    JsonError e{JsonErrorKind::kTooLarge, options.max_bytes,
                "text larger than " + std::to_string(options.max_bytes) + " bytes", ""};
    Status status(reason, e.Describe());
    if (error != nullptr) {
      *error = std::move(e);
    }
    return status;
  }
  if (options.top_level_members != nullptr) {
    options.top_level_members->clear();
  }
  json doc;
  Parser parser(text, 0, reason, options.max_depth, options.top_level_members);
  if (Status s = parser.ParseDocument(&doc); !s.ok()) {
    if (error != nullptr) {
      *error = parser.error();
    }
    return s;
  }
  return doc;
}

Result<size_t> SkipJsonValue(std::string_view text, size_t pos, Reason reason, int max_depth,
                             JsonError* error) {
  json ignored;
  Parser parser(text, pos, reason, max_depth, nullptr);
  if (Status s = parser.ParseOneValue(&ignored); !s.ok()) {
    if (error != nullptr) {
      *error = parser.error();
    }
    return s;
  }
  return parser.pos();
}

std::string StringMember(const json& j, std::string_view name) {
  if (!j.is_object()) {
    return "";
  }
  auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

bool BoolMember(const json& j, std::string_view name) {
  if (!j.is_object()) {
    return false;
  }
  auto it = j.find(name);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

}  // namespace attest
