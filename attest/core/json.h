// ReadJson: the project's one strict JSON reader (RFC 8259), building nlohmann::json, for every
// JSON document the project reads: API request bodies, tenant and host policies, Intel DCAP
// collateral, attestd's configuration.
//
// Why not nlohmann's own parser: it keeps the last of two equal keys (two readers of one document
// could then see two different values), stops at a NUL byte and ignores what follows, has no
// nesting limit, and its lexer appends a string one character at a time (a host quote carries its
// 33 KB event log as one 44 KB base64 string; that lexing was a quarter of the quote handler's
// time). Otherwise this reader accepts exactly what nlohmann accepts, with the same value types
// (tested side by side in service/http/json_parse_test.cc and json_test.cc).
//
// It can also hand back the exact text of a top-level member's value: Intel signs the bytes of
// "tcbInfo" / "enclaveIdentity" as they appear in the PCS response, never a re-encoding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "attest/core/status.h"

namespace attest {

// kMaxJsonDepth is the default bound on the nesting of objects and arrays.
inline constexpr int kMaxJsonDepth = 64;

// JsonErrorKind tells the rules apart, so that each caller can keep its own wording.
enum class JsonErrorKind {
  kSyntax,        // not RFC 8259 JSON (including bytes after the value, NUL bytes, bad UTF-8)
  kDuplicateKey,  // a member name repeated in one object
  kTooDeep,       // objects and arrays nested deeper than the limit
  kTooLarge,      // the text is longer than the limit
};

// JsonError says why and where a text was refused.
struct JsonError {
  JsonErrorKind kind = JsonErrorKind::kSyntax;
  size_t offset = 0;   // byte offset where the reader stopped
  std::string detail;  // lower case, e.g. "unexpected character", "nesting deeper than 64"
  std::string key;     // kDuplicateKey: the repeated member name, as decoded

  // Describe returns "<detail> at byte <offset>", or for a repeated key "duplicate key "<key>""
  // with the key cut to 128 bytes.
  std::string Describe() const;
};

// JsonMemberText is one member of a top-level object: its decoded name and the exact text of its
// value (a view into the text that was read).
struct JsonMemberText {
  std::string name;
  std::string_view text;
};

// JsonReadOptions are the limits and outputs of ReadJson.
struct JsonReadOptions {
  size_t max_bytes = SIZE_MAX;    // a longer text fails with kTooLarge before any parsing
  int max_depth = kMaxJsonDepth;  // deeper nesting fails with kTooDeep
  // top_level_members, when set and the text is an object, receives its members in text order.
  std::vector<JsonMemberText>* top_level_members = nullptr;
};

// ReadJson parses text as exactly one JSON value: RFC 8259 syntax, strict UTF-8 (RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF), \u escapes with surrogates paired, an
// optional leading UTF-8 byte order mark (as nlohmann), nothing but whitespace after the value.
// Numbers: a non-negative integer is an unsigned, a negative one a signed integer, either falling
// back to a double when out of range; anything with a fraction or exponent is a double; a number a
// double cannot hold (overflow or underflow) is refused, where nlohmann would give infinity or
// zero. Fails with `reason` and JsonError::Describe() as the message; *error (when given) receives
// the details.
Result<nlohmann::json> ReadJson(std::string_view text, Reason reason,
                                const JsonReadOptions& options = {}, JsonError* error = nullptr);

// SkipJsonValue checks the one JSON value that starts exactly at text[pos] (no whitespace is
// skipped) by the rules of ReadJson and returns the offset just past it; what follows is not
// looked at. Fails like ReadJson.
Result<size_t> SkipJsonValue(std::string_view text, size_t pos, Reason reason,
                             int max_depth = kMaxJsonDepth, JsonError* error = nullptr);

// StringMember is j[name] when j is an object holding a string there, and "" otherwise: the
// reading for documents from a peer, where nlohmann's value(name, "") throws on a member that
// holds another type.
std::string StringMember(const nlohmann::json& j, std::string_view name);

// BoolMember is j[name] when j is an object holding a boolean there, and false otherwise.
bool BoolMember(const nlohmann::json& j, std::string_view name);

}  // namespace attest
