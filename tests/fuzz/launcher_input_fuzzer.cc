// Fuzzes the launcher's readers of untrusted text: libvirt's domain and host capabilities (a
// compromised host controls them) and security-group CIDRs (tenant API input). The first byte
// picks the reader. Every outcome must be a value or a Status, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "launcher/capabilities.h"
#include "launcher/nwfilter.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 3) {
    case 0: {
      auto caps = attest::launcher::ParseDomainCapabilities(text);
      if (caps.ok()) {
        for (auto tee : {attest::launcher::TeeType::kSev, attest::launcher::TeeType::kSevEs,
                         attest::launcher::TeeType::kSevSnp, attest::launcher::TeeType::kTdx}) {
          static_cast<void>(attest::launcher::CheckTeeSupported(*caps, tee));
        }
      }
      break;
    }
    case 1: {
      auto host = attest::launcher::ParseHostCapabilities(text);
      if (host.ok()) {
        static_cast<void>(attest::launcher::ChooseSecLabelModel(*host, true));
      }
      break;
    }
    case 2: {
      auto cidr = attest::launcher::ParseCidr(text);
      if (cidr.ok() && attest::launcher::ParseCidr(cidr->ToString()).value() != *cidr) {
        __builtin_trap();  // printing and re-reading must round-trip
      }
      break;
    }
  }
  return 0;
}
