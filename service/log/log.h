// attestd's log: one line per event on stderr, as text (the default, for people) or JSON lines
// (log_format: json, for collectors), process-wide. Fields never carry secrets, keys or evidence
// bytes: callers pass identifiers, codes and sizes only.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

namespace attest::service::log {

enum class Format { kText, kJson };
enum class Level { kInfo, kWarning, kError };

struct Field {
  std::string_view key;
  std::string value;
};

// SetFormat chooses the format for every later line (set once, at start-up).
void SetFormat(Format format);

// FormatLine renders one line (without the newline). Text: "attestd: MESSAGE key=value ...", a
// value quoted when it is empty or holds a space, quote, backslash or control character. JSON: an
// object with "ts" (RFC 3339 UTC, milliseconds), "level", "msg" and each field as a string.
std::string FormatLine(Format format, Level level, std::string_view message,
                       std::initializer_list<Field> fields, long long unix_ms);

// Write renders one line in the chosen format and writes it to stderr in one write(2).
void Write(Level level, std::string_view message, std::initializer_list<Field> fields = {});

}  // namespace attest::service::log
