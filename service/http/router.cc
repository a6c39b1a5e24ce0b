#include "service/http/router.h"

namespace attest::service::http {
namespace {

bool IsNameByte(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

// NextSegment splits off the segment after a leading '/'; false when s does not start with '/'.
bool NextSegment(std::string_view* s, std::string_view* segment) {
  if (s->empty() || s->front() != '/') {
    return false;
  }
  s->remove_prefix(1);
  size_t end = s->find('/');
  *segment = s->substr(0, end);
  s->remove_prefix(end == std::string_view::npos ? s->size() : end);
  return true;
}

}  // namespace

bool IsValidName(std::string_view s) {
  if (s.empty() || s.size() > 128 || s == "." || s == "..") {
    return false;
  }
  for (char c : s) {
    if (!IsNameByte(c)) {
      return false;
    }
  }
  return true;
}

bool MatchPattern(std::string_view pattern, std::string_view path, PathParams* params) {
  params->clear();
  std::string_view want, got;
  while (NextSegment(&pattern, &want)) {
    if (!NextSegment(&path, &got)) {
      return false;
    }
    if (want.size() > 2 && want.front() == '{' && want.back() == '}') {
      if (!IsValidName(got)) {
        return false;
      }
      params->emplace(std::string(want.substr(1, want.size() - 2)), std::string(got));
    } else if (want != got) {
      return false;
    }
  }
  return path.empty();
}

}  // namespace attest::service::http
