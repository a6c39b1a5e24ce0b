// TeeType: the confidential-computing technologies, with the one spelling the API, the store,
// launch tickets and the launcher all use ("snp", "tdx", "sev", "sev-es"). libvirt's own XML word
// for SNP ('sev-snp') is written only where the domain XML is built (launcher/domain_xml.cc).
#pragma once

#include <optional>
#include <string_view>

namespace attest {

// TeeType is the technology a VM is launched with or evidence comes from. kNone exists for tests
// and the plain TCG guests of the integration test; no tenant VM is launched as kNone.
enum class TeeType { kNone, kSev, kSevEs, kSevSnp, kTdx };

// TeeTypeName returns "none", "sev", "sev-es", "snp" or "tdx".
constexpr std::string_view TeeTypeName(TeeType tee) {
  switch (tee) {
    case TeeType::kNone:
      return "none";
    case TeeType::kSev:
      return "sev";
    case TeeType::kSevEs:
      return "sev-es";
    case TeeType::kSevSnp:
      return "snp";
    case TeeType::kTdx:
      return "tdx";
  }
  return "none";
}

// ParseTeeType reads one of the four TEE names ("snp", "tdx", "sev", "sev-es"), exactly as
// TeeTypeName spells them; anything else, "none" included, is nullopt.
constexpr std::optional<TeeType> ParseTeeType(std::string_view name) {
  for (TeeType t : {TeeType::kSev, TeeType::kSevEs, TeeType::kSevSnp, TeeType::kTdx}) {
    if (TeeTypeName(t) == name) {
      return t;
    }
  }
  return std::nullopt;
}

}  // namespace attest
