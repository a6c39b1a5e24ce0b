// Hex and base64 codecs for untrusted text.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "attest/core/bytes.h"
#include "attest/core/status.h"

namespace attest {

// HexDigitValue returns 0..15 for a hex digit of either case, else -1.
int HexDigitValue(char c);

// PercentDecode decodes %XX escapes of either case (RFC 3986, section 2.1) and keeps every other
// byte, '+' included; nullopt for a truncated or non-hex escape.
std::optional<std::string> PercentDecode(std::string_view text);

// HexEncode returns lower-case hex.
std::string HexEncode(ByteSpan data);

// HexDecode accepts upper or lower case; an odd length or a non-hex character fails with
// reasons::kBadHex naming the offset.
Result<Bytes> HexDecode(std::string_view text);

// Base64Encode returns standard base64 with padding (RFC 4648 section 4).
std::string Base64Encode(ByteSpan data);
// Base64UrlEncode returns unpadded base64url (RFC 4648 section 5), as JOSE uses.
std::string Base64UrlEncode(ByteSpan data);

// Base64Decode accepts the standard alphabet with or without padding; whitespace is not allowed.
// Fails with reasons::kBadBase64.
Result<Bytes> Base64Decode(std::string_view text);
// Base64UrlDecode accepts the url-safe alphabet, unpadded or padded.
Result<Bytes> Base64UrlDecode(std::string_view text);

}  // namespace attest
