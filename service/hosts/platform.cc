#include "service/hosts/platform.h"

namespace attest::service::hosts {

Result<std::string> ReadPlatformMember(const nlohmann::json& value) {
  if (value.is_null()) {
    return protocol::SerializeHostPlatform(protocol::HostPlatform{});
  }
  Result<protocol::HostPlatform> platform = protocol::HostPlatformFromJson(value);
  if (!platform.ok()) {
    return Status(platform.status().reason(), "field \"platform\": " + platform.status().message());
  }
  return protocol::SerializeHostPlatform(*platform);
}

}  // namespace attest::service::hosts
