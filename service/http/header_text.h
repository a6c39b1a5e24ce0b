// Header text as RFC 9110 reads it: names compare ASCII case-insensitively, and optional
// whitespace (space, tab) around a value is not part of it.
#pragma once

#include <string_view>

namespace attest::service::http {

// EqualsIgnoreCase compares a and b with ASCII letters folded to lower case.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// TrimOws drops the spaces and tabs at both ends of s.
std::string_view TrimOws(std::string_view s);

}  // namespace attest::service::http
