// The SigV4 keyed-hash primitives: HMAC-SHA256 over OpenSSL EVP_MAC and the signing-key chain.
#pragma once

#include <string_view>

#include "attest/core/bytes.h"
#include "attest/core/digest.h"

namespace attest::sigv4 {

// HmacSha256 returns HMAC-SHA256(key, data) (RFC 2104). OpenSSL failing here means memory
// exhaustion, not bad input, so it aborts rather than returning a status.
Sha256Digest HmacSha256(ByteSpan key, ByteSpan data);

// DeriveSigningKey returns the SigV4 signing key: HMAC chain over "AWS4" + secret, then the scope
// date (YYYYMMDD), region, service and the terminator "aws4_request" (AWS SigV4 documentation,
// "Derive a signing key"). Four HMACs.
Sha256Digest DeriveSigningKey(std::string_view secret, std::string_view date,
                              std::string_view region, std::string_view service);

}  // namespace attest::sigv4
