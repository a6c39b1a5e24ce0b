// Little-endian stores into a buffer the caller has sized (the structures the calculators build:
// TD HOB, QEMU loader commands, EFI variable records, patched kernel headers).
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>

#include "attest/core/bytes.h"

namespace attest::measure {

template <typename T>
void PutLe(Bytes& out, size_t at, T value) {
  assert(at + sizeof(T) <= out.size());
  for (size_t i = 0; i < sizeof(T); ++i) {
    out[at + i] = static_cast<uint8_t>(static_cast<uint64_t>(value) >> (8 * i));
  }
}
inline void PutLe16(Bytes& out, size_t at, uint16_t v) { PutLe<uint16_t>(out, at, v); }
inline void PutLe32(Bytes& out, size_t at, uint32_t v) { PutLe<uint32_t>(out, at, v); }
inline void PutLe64(Bytes& out, size_t at, uint64_t v) { PutLe<uint64_t>(out, at, v); }

// LoadLe reads a little-endian value at an offset the caller has bounds-checked.
template <typename T>
T LoadLe(ByteSpan in, size_t at) {
  assert(at + sizeof(T) <= in.size());
  uint64_t v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) {
    v |= static_cast<uint64_t>(in[at + i]) << (8 * i);
  }
  return static_cast<T>(v);
}

}  // namespace attest::measure
