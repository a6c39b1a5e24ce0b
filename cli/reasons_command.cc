// attestctl reasons: every stable error reason with its ErrorCode and the module defining it.
#include <iostream>

#include "cli/commands.h"
#include "cli/reason_tables.h"
#include "cli/verify_output.h"

namespace attest::cli {

int RunReasons(int argc, char** argv, int first) {
  (void)argv;
  if (argc > first) {
    return PrintUsageError(Status(reasons::kCliUsage, "no arguments expected"),
                           "attestctl reasons");
  }
  std::cout << FormatReasonList(AllReasonTables());
  return kExitAccepted;
}

}  // namespace attest::cli
