#include "service/log/log.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>

#include <nlohmann/json.hpp>

namespace attest::service::log {
namespace {

std::atomic<Format> g_format{Format::kText};

const char* LevelName(Level level) {
  switch (level) {
    case Level::kInfo:
      return "info";
    case Level::kWarning:
      return "warning";
    case Level::kError:
      return "error";
  }
  return "info";
}

std::string Rfc3339Millis(long long unix_ms) {
  const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buf[96];  // ample for any int fields: gcc checks the worst case
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03lldZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, unix_ms % 1000);
  return buf;
}

bool NeedsQuotes(std::string_view v) {
  if (v.empty()) {
    return true;
  }
  for (const char c : v) {
    if (c == ' ' || c == '"' || c == '\\' || c == '=' || static_cast<unsigned char>(c) < 0x20 ||
        c == 0x7f) {
      return true;
    }
  }
  return false;
}

// AppendText appends v, quoted and escaped when needed, so one event is always one line.
void AppendText(std::string& out, std::string_view v) {
  if (!NeedsQuotes(v)) {
    out += v;
    return;
  }
  out += '"';
  for (const char c : v) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "\\x%02x", u);
      out += hex;
    } else {
      out += c;
    }
  }
  out += '"';
}

}  // namespace

void SetFormat(Format format) { g_format.store(format); }

std::string FormatLine(Format format, Level level, std::string_view message,
                       std::initializer_list<Field> fields, long long unix_ms) {
  if (format == Format::kJson) {
    nlohmann::json line = {
        {"ts", Rfc3339Millis(unix_ms)}, {"level", LevelName(level)}, {"msg", std::string(message)}};
    for (const Field& f : fields) {
      line[std::string(f.key)] = f.value;
    }
    // Invalid UTF-8 (a hostile header echoed into a field) is replaced, never thrown on.
    return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  std::string out = "attestd: ";
  if (level != Level::kInfo) {
    out += LevelName(level);
    out += ": ";
  }
  for (const char c : message) {
    out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c;
  }
  for (const Field& f : fields) {
    out += ' ';
    out += f.key;
    out += '=';
    AppendText(out, f.value);
  }
  return out;
}

void Write(Level level, std::string_view message, std::initializer_list<Field> fields) {
  const long long now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  std::string line = FormatLine(g_format.load(), level, message, fields, now_ms);
  line += '\n';
  // One write(2) per line: lines from concurrent requests never interleave (stderr unbuffered).
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(STDERR_FILENO, line.data() + done, line.size() - done);
    if (n <= 0) {
      return;  // a log that cannot be written must not stop a request
    }
    done += static_cast<size_t>(n);
  }
}

}  // namespace attest::service::log
