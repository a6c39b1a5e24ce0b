#include "cli/reason_tables.h"

#include <algorithm>
#include <cstddef>

#include "agent/reasons.h"
#include "attest/measure/reasons.h"
#include "attest/sev/reasons.h"
#include "attest/snp/reasons.h"
#include "attest/tdx/reasons.h"
#include "attest/tpm/reasons.h"
#include "client/reasons.h"
#include "flags/reasons.h"
#include "launcher/reasons.h"
#include "policy/reasons.h"
#include "protocol/reasons.h"
#include "service/api/reasons.h"
#include "service/collateral/reasons.h"
#include "service/events/reasons.h"
#include "service/http/reasons.h"
#include "service/keys/reasons.h"
#include "service/release/reasons.h"
#include "service/store/reasons.h"
#include "service/work/reasons.h"
#include "sigv4/reasons.h"

namespace attest::cli {

namespace {

// One entry per line so that parallel work merges as a union of lines.
constexpr ReasonTable kTables[] = {
    {"attest/core", reasons::kCoreTable},
    {"attest/snp", reasons::kSnpTable},
    {"attest/tdx", reasons::kTdxTable},
    {"attest/tpm", reasons::kTpmTable},
    {"attest/sev", reasons::kSevTable},
    {"policy", reasons::kPolicyTable},
    {"launcher", reasons::kLauncherTable},
    {"sigv4", reasons::kSigv4Table},
    {"protocol", reasons::kProtocolTable},
    {"service/keys", reasons::kKeysTable},
    {"service/store", reasons::kStoreTable},
    {"service/http", reasons::kHttpTable},
    {"service/api", reasons::kApiTable},
    {"service/release", reasons::kReleaseTable},
    {"client", reasons::kClientTable},
    {"agent", reasons::kGuestTable},
    {"flags", reasons::kFlagsTable},
    {"service/events", reasons::kWebhookTable},
    {"service/work", reasons::kWorkTable},
    {"attest/measure", reasons::kMeasureSevTable},
    {"attest/measure", reasons::kMeasureTdxTable},
    {"service/collateral", reasons::kCollateralTable},
    {"service/api", reasons::kBootTable},
};

}  // namespace

std::span<const ReasonTable> AllReasonTables() { return kTables; }

std::string FormatReasonList(std::span<const ReasonTable> tables) {
  size_t id_width = 0;
  size_t code_width = 0;
  for (const ReasonTable& table : tables) {
    for (const Reason& r : table.reasons) {
      id_width = std::max(id_width, r.id.size());
      code_width = std::max(code_width, ErrorCodeName(r.code).size());
    }
  }
  std::string out;
  for (const ReasonTable& table : tables) {
    for (const Reason& r : table.reasons) {
      const std::string_view code = ErrorCodeName(r.code);
      out.append(r.id).append(id_width - r.id.size() + 2, ' ');
      out.append(code).append(code_width - code.size() + 2, ' ');
      out.append(table.module).append("\n");
    }
  }
  return out;
}

}  // namespace attest::cli
