#include "attest/core/encoding.h"

#include <array>

namespace attest {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";
constexpr char kStdAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrlAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string Base64EncodeWith(ByteSpan data, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const uint32_t v = (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8) | data[i + 2];
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  const size_t rest = data.size() - i;
  if (rest == 1) {
    const uint32_t v = uint32_t{data[i]} << 16;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    if (pad) {
      out += "==";
    }
  } else if (rest == 2) {
    const uint32_t v = (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    if (pad) {
      out += '=';
    }
  }
  return out;
}

using Base64Table = std::array<int8_t, 256>;

constexpr Base64Table MakeBase64Table(const char* alphabet) {
  Base64Table table{};
  for (int8_t& v : table) {
    v = -1;
  }
  for (int i = 0; i < 64; ++i) {
    table[static_cast<uint8_t>(alphabet[i])] = static_cast<int8_t>(i);
  }
  return table;
}
constexpr Base64Table kStdTable = MakeBase64Table(kStdAlphabet);
constexpr Base64Table kUrlTable = MakeBase64Table(kUrlAlphabet);

Status InvalidCharacter(std::string_view text, const Base64Table& table, size_t from) {
  size_t i = from;
  while (i < text.size() && table[static_cast<uint8_t>(text[i])] >= 0) {
    ++i;
  }
  return Status(reasons::kBadBase64, "base64: invalid character at offset " + std::to_string(i));
}

// Base64DecodeWith decodes four characters into three bytes per step (event logs and quotes are
// tens of kilobytes), into an output sized once.
Result<Bytes> Base64DecodeWith(std::string_view text, const Base64Table& table) {
  size_t len = text.size();
  size_t padding = 0;
  while (len > 0 && text[len - 1] == '=' && padding < 2) {
    --len;
    ++padding;
  }
  if (padding > 0 && text.size() % 4 != 0) {
    return Status(reasons::kBadBase64, "base64: padding on a length not a multiple of 4");
  }
  if (len % 4 == 1) {
    return Status(reasons::kBadBase64, "base64: impossible length");
  }

  const size_t rest = len % 4;  // 0, 2 or 3 characters after the last full group
  Bytes out(len / 4 * 3 + (rest == 0 ? 0 : rest - 1));
  auto at = [&](size_t i) { return static_cast<int32_t>(table[static_cast<uint8_t>(text[i])]); };
  size_t o = 0;
  const size_t full = len - rest;
  for (size_t i = 0; i < full; i += 4) {
    const int32_t a = at(i), b = at(i + 1), c = at(i + 2), d = at(i + 3);
    if ((a | b | c | d) < 0) {
      return InvalidCharacter(text, table, i);
    }
    const uint32_t v = static_cast<uint32_t>(a << 18 | b << 12 | c << 6 | d);
    out[o++] = static_cast<uint8_t>(v >> 16);
    out[o++] = static_cast<uint8_t>(v >> 8);
    out[o++] = static_cast<uint8_t>(v);
  }
  if (rest > 0) {
    const int32_t a = at(full), b = at(full + 1), c = rest == 3 ? at(full + 2) : 0;
    if ((a | b | c) < 0) {
      return InvalidCharacter(text, table, full);
    }
    out[o++] = static_cast<uint8_t>(a << 2 | b >> 4);
    if (rest == 3) {
      out[o++] = static_cast<uint8_t>((b & 0x0F) << 4 | c >> 2);
    }
    // Leftover bits must be zero so that each byte string has exactly one encoding.
    const bool leftover = rest == 2 ? (b & 0x0F) != 0 : (c & 0x03) != 0;
    if (leftover) {
      return Status(reasons::kBadBase64, "base64: non-zero trailing bits");
    }
  }
  return out;
}

}  // namespace

int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

std::optional<std::string> PercentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) {
      return std::nullopt;
    }
    const int hi = HexDigitValue(text[i + 1]), lo = HexDigitValue(text[i + 2]);
    if (hi < 0 || lo < 0) {
      return std::nullopt;
    }
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::string HexEncode(ByteSpan data) {
  std::string out;
  out.reserve(data.size() * 2);
  for (uint8_t b : data) {
    out += kHexDigits[b >> 4];
    out += kHexDigits[b & 15];
  }
  return out;
}

Result<Bytes> HexDecode(std::string_view text) {
  if (text.size() % 2 != 0) {
    return Status(reasons::kBadHex, "hex: odd length " + std::to_string(text.size()));
  }
  Bytes out(text.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = HexDigitValue(text[2 * i]);
    const int lo = HexDigitValue(text[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return Status(reasons::kBadHex,
                    "hex: invalid character at offset " + std::to_string(2 * i + (hi < 0 ? 0 : 1)));
    }
    out[i] = static_cast<uint8_t>((hi << 4) | lo);
  }
  return out;
}

std::string Base64Encode(ByteSpan data) { return Base64EncodeWith(data, kStdAlphabet, true); }
std::string Base64UrlEncode(ByteSpan data) { return Base64EncodeWith(data, kUrlAlphabet, false); }
Result<Bytes> Base64Decode(std::string_view text) { return Base64DecodeWith(text, kStdTable); }
Result<Bytes> Base64UrlDecode(std::string_view text) { return Base64DecodeWith(text, kUrlTable); }

}  // namespace attest
