// Loading tenant and host policies from JSON, with every check done at load time.
#pragma once

#include <string>
#include <string_view>

#include "attest/core/status.h"
#include "attest/policy/v1/policy.pb.h"
#include "policy/reasons.h"

namespace attest::policy {

using v1::HostPolicy;
using v1::TenantPolicy;

// LoadTenantPolicy parses and checks a tenant policy: JSON shape and types (json_proto.h), then
// the rules: a name is given; each TEE section present either lists what it accepts or waives it
// with an explicit any_* field, never both; one host_data / mr_config_id rule at most; indices and
// version strings in range. Fails with policy.invalid naming the JSON path.
Result<TenantPolicy> LoadTenantPolicy(std::string_view json);

// LoadHostPolicy does the same for an operator's host policy.
Result<HostPolicy> LoadHostPolicy(std::string_view json);

// PolicyIdentity is "<name>@sha256:<hex>" over the canonical form: the deterministic protobuf
// encoding, so that reformatting or reordering the JSON does not make a new version.
std::string PolicyIdentity(const google::protobuf::Message& policy, const std::string& name);

// ParseVersionString reads "major.minor" or "major.minor.build" into parts (missing = 0).
Result<std::array<uint32_t, 3>> ParseVersionString(std::string_view text, int num_parts,
                                                   const std::string& path);

}  // namespace attest::policy
