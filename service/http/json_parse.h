// ParseJsonText: a strict JSON parser (RFC 8259) for request bodies, building nlohmann::json.
//
// Why not nlohmann's own parser: its lexer appends a string one character at a time, and a host
// quote carries its 33 KB event log as one 44 KB base64 string; that lexing was a quarter of the
// quote handler's time. This parser copies runs of plain characters at once and otherwise accepts
// exactly what nlohmann accepts, with the same value types (tested side by side in
// json_parse_test.cc), plus the two rules request bodies need: no duplicate key in an object and a
// nesting limit.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "attest/core/status.h"
#include "service/http/reasons.h"

namespace attest::service::http {

// kMaxJsonDepth bounds the nesting of objects and arrays in a request body.
inline constexpr int kMaxJsonDepth = 64;

// ParseJsonText parses text as one JSON value: RFC 8259 syntax, strict UTF-8 (RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF), \u escapes with surrogates paired, an
// optional leading UTF-8 byte order mark (as nlohmann). Numbers: a non-negative integer is an
// unsigned, a negative one a signed integer, either falling back to a double when out of range;
// anything with a fraction or exponent is a double; a number a double cannot hold (overflow or
// underflow) is refused, where nlohmann would give infinity or zero.
// Fails with reasons::kApiMalformedJson naming the byte offset, also for a key repeated in one
// object and for nesting deeper than max_depth.
Result<nlohmann::json> ParseJsonText(std::string_view text, int max_depth = kMaxJsonDepth);

}  // namespace attest::service::http
