// Bytes and small helpers over byte spans.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace attest {

using Bytes = std::vector<uint8_t>;
using ByteSpan = std::span<const uint8_t>;

// AsBytes views the characters of text as bytes.
inline ByteSpan AsBytes(std::string_view text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

// ConstantTimeEquals compares two spans without data-dependent early exit (lengths are public).
bool ConstantTimeEquals(ByteSpan a, ByteSpan b);

// IsAllZero is true when every byte of data is zero (true for an empty span).
bool IsAllZero(ByteSpan data);

}  // namespace attest
