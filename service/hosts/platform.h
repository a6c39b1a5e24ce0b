// The host platform identity document as the host API carries it: the "platform" member of a
// registration (and, later, enrollment) request and of every quote submission.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "attest/core/status.h"
#include "protocol/host_platform.h"

namespace attest::service::hosts {

// ReadPlatformMember reads a request's "platform" member (nlohmann null when absent) and returns
// the canonical document (protocol::SerializeHostPlatform) that the store keeps and the quote
// binding hashes. Absent or null is the empty document: a host without SEV-SNP or TDX. Fails
// with host.platform_invalid (protocol::HostPlatformFromJson), the message naming the member.
Result<std::string> ReadPlatformMember(const nlohmann::json& value);

}  // namespace attest::service::hosts
