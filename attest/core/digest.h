// One-shot digests.
#pragma once

#include <array>
#include <cstdint>

#include "attest/core/bytes.h"

namespace attest {

using Sha256Digest = std::array<uint8_t, 32>;
using Sha384Digest = std::array<uint8_t, 48>;
using Sha512Digest = std::array<uint8_t, 64>;

Sha256Digest Sha256(ByteSpan data);
Sha384Digest Sha384(ByteSpan data);
Sha512Digest Sha512(ByteSpan data);

}  // namespace attest
