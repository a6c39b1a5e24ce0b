#include "attest/core/time.h"

#include <cstdio>

namespace attest {
namespace {

bool ParseDigits(std::string_view text, size_t pos, size_t count, int* out) {
  if (pos + count > text.size()) {
    return false;
  }
  int value = 0;
  for (size_t i = 0; i < count; ++i) {
    const char c = text[pos + i];
    if (c < '0' || c > '9') {
      return false;
    }
    value = value * 10 + (c - '0');
  }
  *out = value;
  return true;
}

bool Expect(std::string_view text, size_t pos, char c) {
  return pos < text.size() && (text[pos] == c || (c == 'T' && text[pos] == 't'));
}

}  // namespace

Result<TimePoint> ParseRfc3339(std::string_view text) {
  using namespace std::chrono;
  const auto bad = [&](std::string_view why) {
    return Status(reasons::kBadTime, "time \"" + std::string(text.substr(0, 64)) +
                                         "\": " + std::string(why) + " (want RFC 3339)");
  };
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (!ParseDigits(text, 0, 4, &y) || !Expect(text, 4, '-') || !ParseDigits(text, 5, 2, &mo) ||
      !Expect(text, 7, '-') || !ParseDigits(text, 8, 2, &d) || !Expect(text, 10, 'T') ||
      !ParseDigits(text, 11, 2, &h) || !Expect(text, 13, ':') || !ParseDigits(text, 14, 2, &mi) ||
      !Expect(text, 16, ':') || !ParseDigits(text, 17, 2, &s)) {
    return bad("bad date or time");
  }
  size_t pos = 19;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    const size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      ++pos;
    }
    if (pos == start) {
      return bad("empty fraction");
    }
  }
  int offset_seconds = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const int sign = text[pos] == '+' ? 1 : -1;
    int oh = 0, om = 0;
    if (!ParseDigits(text, pos + 1, 2, &oh) || !Expect(text, pos + 3, ':') ||
        !ParseDigits(text, pos + 4, 2, &om) || oh > 23 || om > 59) {
      return bad("bad offset");
    }
    offset_seconds = sign * (oh * 3600 + om * 60);
    pos += 6;
  } else {
    return bad("missing zone");
  }
  if (pos != text.size()) {
    return bad("trailing characters");
  }
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)},
                           day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 60) {
    return bad("field out of range");
  }
  const int leap_second_clamp = s == 60 ? 59 : s;
  return TimePoint(sys_days(ymd).time_since_epoch() + hours(h) + minutes(mi) +
                   seconds(leap_second_clamp) - seconds(offset_seconds));
}

std::string FormatRfc3339(TimePoint t) {
  using namespace std::chrono;
  const auto day_point = floor<days>(t);
  const year_month_day ymd(day_point);
  const hh_mm_ss<seconds> tod(t - day_point);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02u-%02uT%02ld:%02ld:%02ldZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<long>(tod.hours().count()), static_cast<long>(tod.minutes().count()),
                static_cast<long>(tod.seconds().count()));
  return buf;
}

TimePoint WallClockNow() {
  return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

}  // namespace attest
