// The stable error reasons of every module, gathered: what `attestctl reasons` prints and what
// cli/reason_tables_test keeps unique and stable (cli/reasons_golden.txt).
//
// Only reason_tables.cc includes every module's reasons.h; those are headers only, so this library
// links nothing but attest_core.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "attest/core/reasons.h"

namespace attest::cli {

// ReasonTable is one module's reasons; module is the directory of its reasons.h ("attest/snp").
struct ReasonTable {
  std::string_view module;
  std::span<const Reason> reasons;
};

// AllReasonTables returns every module's table, lower layers first (attest/core, then attest/*,
// policy, launcher, service/*, agent, cli).
std::span<const ReasonTable> AllReasonTables();

// FormatReasonList returns one line per reason of tables, in table order: the reason, its
// ErrorCode name and its module, in space-padded columns ("snp.bad_size  MALFORMED_EVIDENCE
// attest/snp").
std::string FormatReasonList(std::span<const ReasonTable> tables);

}  // namespace attest::cli
