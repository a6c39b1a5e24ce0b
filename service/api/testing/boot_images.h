// Synthetic kernel starts for boot image tests: the smallest headers CheckKernelHeader accepts,
// padded with a pattern so uploads span many reads.
#pragma once

#include <cstddef>

#include "attest/core/bytes.h"

namespace attest::service::api::testing {

// BzImageHeader: 1 KiB with the x86 boot protocol's boot_flag, "HdrS" and version 2.15.
inline Bytes BzImageHeader() {
  Bytes b(1024, 0);
  b[0x1fe] = 0x55;
  b[0x1ff] = 0xaa;
  b[0x202] = 'H';
  b[0x203] = 'd';
  b[0x204] = 'r';
  b[0x205] = 'S';
  b[0x206] = 0x0f;
  b[0x207] = 0x02;
  return b;
}

// PeHeader: 1 KiB with "MZ", e_lfanew 0x80 and "PE\0\0" there.
inline Bytes PeHeader() {
  Bytes b(1024, 0);
  b[0] = 'M';
  b[1] = 'Z';
  b[0x3c] = 0x80;
  b[0x80] = 'P';
  b[0x81] = 'E';
  return b;
}

// KernelOf returns head followed by pattern bytes up to size.
inline Bytes KernelOf(Bytes head, size_t size) {
  for (size_t i = head.size(); i < size; ++i) {
    head.push_back(static_cast<uint8_t>(i * 31 + 7));
  }
  return head;
}

}  // namespace attest::service::api::testing
