// JsonToMessage: strict JSON -> protobuf message conversion that names the JSON path of every
// problem ("snp.measurements[2]: expected 48 bytes of hex, got 47").
//
// Stricter than protobuf's own JSON parser: duplicate keys, nulls, unknown fields, numbers out of
// range or with fractions, and strings that break a field's (hex_bytes)/(hex_digest) option are
// all errors. Field names may be the proto name or its lowerCamel JSON name.
#pragma once

#include <google/protobuf/message.h>

#include <string_view>

#include "attest/core/status.h"
#include "policy/reasons.h"

namespace attest::policy {

// JsonToMessage parses text into message (which it clears first). Fails with policy.invalid.
Status JsonToMessage(std::string_view text, google::protobuf::Message* message);

}  // namespace attest::policy
