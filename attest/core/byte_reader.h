// ByteReader: the one way untrusted bytes are read in this project.
//
// Every read is checked against remaining() once, before any byte is touched (the shape of
// BoringSSL's CBS). A failed read returns the reader's Reason (chosen by the parser, e.g.
// reasons::kSnpMalformed) with the absolute offset in the message, and leaves the reader unchanged.
// Byte order is in the method name: little-endian for AMD/Intel structures, big-endian for TPM.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "attest/core/status.h"

namespace attest {

class ByteReader {
 public:
  // what names the structure in error messages ("snp report", "tpms_attest").
  explicit ByteReader(std::span<const uint8_t> data, Reason on_error = reasons::kTruncated,
                      std::string_view what = "input")
      : data_(data), on_error_(on_error), what_(what) {}

  size_t remaining() const { return data_.size() - pos_; }
  bool empty() const { return remaining() == 0; }
  // offset is the absolute offset of the next byte, counting from the outermost reader.
  size_t offset() const { return base_ + pos_; }

  Result<uint8_t> ReadU8();
  Result<uint16_t> ReadU16Le();
  Result<uint32_t> ReadU32Le();
  Result<uint64_t> ReadU64Le();
  Result<uint16_t> ReadU16Be();
  Result<uint32_t> ReadU32Be();
  Result<uint64_t> ReadU64Be();

  // ReadBytes returns a view of the next n bytes (valid while the underlying buffer lives).
  Result<std::span<const uint8_t>> ReadBytes(size_t n);

  template <size_t N>
  Result<std::array<uint8_t, N>> ReadArray() {
    auto bytes = ReadBytes(N);
    if (!bytes.ok()) {
      return bytes.status();
    }
    std::array<uint8_t, N> out{};
    for (size_t i = 0; i < N; ++i) {
      out[i] = (*bytes)[i];
    }
    return out;
  }

  Status Skip(size_t n);
  // SkipZeros skips n bytes that must all be zero (reserved fields); field names the range. A
  // non-zero byte fails with `reason` (the reader's own reason when not given).
  Status SkipZeros(size_t n, std::string_view field, std::optional<Reason> reason = std::nullopt);

  // SubReader consumes n bytes and returns a reader over exactly them; its errors report absolute
  // offsets. The caller parses it and then calls ExpectEnd() on it.
  Result<ByteReader> SubReader(size_t n);

  // ExpectEnd fails with kTrailingBytes-style detail unless every byte was consumed.
  Status ExpectEnd() const;

  // Error returns a Status with this reader's reason and "<what>: <message> at offset N".
  Status Error(std::string_view message) const { return Error(on_error_, message); }
  Status Error(Reason reason, std::string_view message) const;

 private:
  Status Need(size_t n) const;
  template <typename T, bool kLittleEndian>
  Result<T> ReadInt();

  std::span<const uint8_t> data_;
  size_t pos_ = 0;
  size_t base_ = 0;
  Reason on_error_;
  std::string_view what_;
};

}  // namespace attest
