// EmbeddedFile: a data file from the repository compiled into the binary (cmake/embed.cmake).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace attest {

struct EmbeddedFile {
  std::string_view name;
  std::span<const uint8_t> bytes;
};

}  // namespace attest
