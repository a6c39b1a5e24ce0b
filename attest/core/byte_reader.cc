#include "attest/core/byte_reader.h"

#include <string>

namespace attest {

Status ByteReader::Error(Reason reason, std::string_view message) const {
  std::string text(what_);
  text += ": ";
  text += message;
  text += " at offset ";
  text += std::to_string(offset());
  return Status(reason, std::move(text));
}

Status ByteReader::Need(size_t n) const {
  if (n > remaining()) {
    return Error("need " + std::to_string(n) + " bytes, " + std::to_string(remaining()) + " left");
  }
  return Status::Ok();
}

template <typename T, bool kLittleEndian>
Result<T> ByteReader::ReadInt() {
  ATTEST_RETURN_IF_ERROR(Need(sizeof(T)));
  T value = 0;
  for (size_t i = 0; i < sizeof(T); ++i) {
    const size_t index = kLittleEndian ? sizeof(T) - 1 - i : i;
    value = static_cast<T>((value << 8) | data_[pos_ + index]);
  }
  pos_ += sizeof(T);
  return value;
}

Result<uint8_t> ByteReader::ReadU8() { return ReadInt<uint8_t, true>(); }
Result<uint16_t> ByteReader::ReadU16Le() { return ReadInt<uint16_t, true>(); }
Result<uint32_t> ByteReader::ReadU32Le() { return ReadInt<uint32_t, true>(); }
Result<uint64_t> ByteReader::ReadU64Le() { return ReadInt<uint64_t, true>(); }
Result<uint16_t> ByteReader::ReadU16Be() { return ReadInt<uint16_t, false>(); }
Result<uint32_t> ByteReader::ReadU32Be() { return ReadInt<uint32_t, false>(); }
Result<uint64_t> ByteReader::ReadU64Be() { return ReadInt<uint64_t, false>(); }

Result<std::span<const uint8_t>> ByteReader::ReadBytes(size_t n) {
  ATTEST_RETURN_IF_ERROR(Need(n));
  auto out = data_.subspan(pos_, n);
  pos_ += n;
  return out;
}

Status ByteReader::Skip(size_t n) {
  ATTEST_RETURN_IF_ERROR(Need(n));
  pos_ += n;
  return Status::Ok();
}

Status ByteReader::SkipZeros(size_t n, std::string_view field, std::optional<Reason> reason) {
  ATTEST_RETURN_IF_ERROR(Need(n));
  for (size_t i = 0; i < n; ++i) {
    if (data_[pos_ + i] != 0) {
      ByteReader at(*this);
      at.pos_ += i;
      return at.Error(reason.value_or(on_error_),
                      "reserved field " + std::string(field) + " not zero");
    }
  }
  pos_ += n;
  return Status::Ok();
}

Result<ByteReader> ByteReader::SubReader(size_t n) {
  const size_t start = offset();
  ATTEST_ASSIGN_OR_RETURN(auto bytes, ReadBytes(n));
  ByteReader sub(bytes, on_error_, what_);
  sub.base_ = start;
  return sub;
}

Status ByteReader::ExpectEnd() const {
  if (!empty()) {
    return Error(std::to_string(remaining()) + " trailing bytes");
  }
  return Status::Ok();
}

}  // namespace attest
