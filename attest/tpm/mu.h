// Mu: the one place where tpm2-tss's marshalling library (libtss2-mu) meets our Status/Result.
//
// TPM structures (TPM 2.0 Part 2) are parsed by Tss2_MU_*_Unmarshal rather than by hand-written
// layouts; this wrapper maps its TSS2_RC to a Reason and insists that the structure consumed
// exactly the bytes it was given, so trailing garbage after a TPMS_ATTEST or TPMT_SIGNATURE is an
// error.
#pragma once

#include <tss2/tss2_mu.h>

#include <string>
#include <string_view>

#include "attest/core/bytes.h"
#include "attest/core/status.h"
#include "attest/tpm/reasons.h"

namespace attest::tpm {

template <typename T>
using UnmarshalFn = TSS2_RC (*)(const uint8_t buffer[], size_t buffer_size, size_t* offset,
                                T* dest);

// UnmarshalPrefix parses one T from the start of bytes and stores how many bytes it consumed in
// *consumed. Fails with on_error (naming what and the TSS return code) when libtss2-mu refuses.
template <typename T>
Result<T> UnmarshalPrefix(UnmarshalFn<T> fn, ByteSpan bytes, size_t* consumed, Reason on_error,
                          std::string_view what) {
  T value{};
  size_t offset = 0;
  const TSS2_RC rc = fn(bytes.data(), bytes.size(), &offset, &value);
  if (rc != TSS2_RC_SUCCESS) {
    return Status(
        on_error, std::string(what) + ": tss2-mu unmarshal failed (rc 0x" + [rc] {
          static const char kHex[] = "0123456789abcdef";
          std::string out;
          for (int shift = 28; shift >= 0; shift -= 4) {
            out.push_back(kHex[(rc >> shift) & 0xf]);
          }
          return out;
        }() + ")");
  }
  *consumed = offset;
  return value;
}

// Unmarshal parses exactly one T spanning all of bytes. Fails with on_error when libtss2-mu
// refuses the bytes or leaves any of them unconsumed.
template <typename T>
Result<T> Unmarshal(UnmarshalFn<T> fn, ByteSpan bytes, Reason on_error, std::string_view what) {
  size_t consumed = 0;
  ATTEST_ASSIGN_OR_RETURN(T value, UnmarshalPrefix(fn, bytes, &consumed, on_error, what));
  if (consumed != bytes.size()) {
    return Status(on_error, std::string(what) + ": " + std::to_string(bytes.size() - consumed) +
                                " trailing bytes after offset " + std::to_string(consumed));
  }
  return value;
}

}  // namespace attest::tpm
