#include "launcher/hypervisor.h"

namespace attest::launcher {

std::string_view DomainStateName(DomainState state) {
  switch (state) {
    case DomainState::kRunning:
      return "running";
    case DomainState::kPaused:
      return "paused";
    case DomainState::kShutoff:
      return "shutoff";
    case DomainState::kCrashed:
      return "crashed";
    case DomainState::kOther:
      return "other";
  }
  return "other";
}

}  // namespace attest::launcher
