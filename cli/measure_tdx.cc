// attestctl measure tdx: the MRTD and RTMR0..3 a TDX guest will show, from its firmware and boot
// inputs (attest/measure/tdx_measure.h). Exit 0 computed, 1 the inputs cannot be measured (a
// firmware without usable TDX metadata, a kernel that is not an EFI-stub bzImage...), 2 usage.
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "attest/core/encoding.h"
#include "attest/core/file_io.h"
#include "attest/measure/tdx_measure.h"
#include "cli/commands.h"
#include "cli/sev_files.h"
#include "cli/verify_output.h"
#include "flags/args.h"

namespace attest::cli {

using flags::Args;
using flags::FlagSpec;

namespace {

constexpr char kUsage[] =
    "attestctl measure tdx --firmware F [--kernel F] [--initrd F] [--append S]\n"
    "    [--acpi-tables F] [--memory-mib N | --memory-bytes N] [--vcpus N] [--json]\n"
    "    [--two-pass] [--separator-layout legacy|edk2-stable202411] [--no-efi-stub-rtmr2]\n"
    "    [--mrtd-only]\n"
    "  RTMRs need --kernel, --acpi-tables (the guest's etc/acpi/tables) and the memory size;\n"
    "  --mrtd-only needs only --firmware.";

constexpr size_t kMaxFirmwareBytes = 64u << 20;
constexpr size_t kMaxKernelBytes = 256u << 20;
constexpr size_t kMaxInitrdBytes = 1024u << 20;
constexpr size_t kMaxAcpiBytes = 16u << 20;

struct Files {
  Bytes firmware, kernel, initrd, acpi;
};

Result<measure::TdxMeasureOptions> ParseOptions(const Args& args) {
  measure::TdxMeasureOptions options;
  if (args.Has("two-pass")) {
    options.page_order = measure::MrtdPageOrder::kTwoPass;
  }
  if (const auto layout = args.Get("separator-layout")) {
    if (*layout == "edk2-stable202411") {
      options.separator = measure::SeparatorLayout::kEdk2Stable202411;
    } else if (*layout != "legacy") {
      return Status(reasons::kCliUsage, "--separator-layout: legacy or edk2-stable202411");
    }
  }
  options.efi_stub_measures_rtmr2 = !args.Has("no-efi-stub-rtmr2");
  if (const auto n = args.Get("vcpus")) {
    ATTEST_ASSIGN_OR_RETURN(uint64_t vcpus, ParseUnsigned("vcpus", *n, measure::kMaxTdxVcpus));
    options.vcpus = static_cast<uint32_t>(vcpus);
  }
  return options;
}

Result<uint64_t> MemoryBytes(const Args& args) {
  const auto mib = args.Get("memory-mib");
  const auto bytes = args.Get("memory-bytes");
  if (mib && bytes) {
    return Status(reasons::kCliUsage, "give --memory-mib or --memory-bytes, not both");
  }
  if (mib) {
    ATTEST_ASSIGN_OR_RETURN(uint64_t n, ParseUnsigned("memory-mib", *mib, 64ull << 20));
    return n << 20;
  }
  if (bytes) {
    return ParseUnsigned("memory-bytes", *bytes, 64ull << 40);
  }
  return Status(reasons::kCliUsage, "RTMRs need --memory-mib or --memory-bytes");
}

// LoadInputs reads the files and fills the calculator's inputs; usage and file problems exit 2.
Result<measure::TdxBootInputs> LoadInputs(const Args& args, Files& files) {
  measure::TdxBootInputs in;
  ATTEST_ASSIGN_OR_RETURN(std::string firmware, args.Require("firmware"));
  ATTEST_ASSIGN_OR_RETURN(files.firmware, ReadFileBytes(firmware, kMaxFirmwareBytes));
  in.firmware = files.firmware;
  if (args.Has("mrtd-only")) {
    for (const char* flag : {"kernel", "initrd", "append", "acpi-tables", "memory-mib",
                             "memory-bytes", "vcpus", "separator-layout"}) {
      if (args.Get(flag)) {
        return Status(reasons::kCliUsage, std::string("--") + flag + " has no effect on MRTD");
      }
    }
    return in;
  }
  ATTEST_ASSIGN_OR_RETURN(std::string kernel, args.Require("kernel"));
  ATTEST_ASSIGN_OR_RETURN(files.kernel, ReadFileBytes(kernel, kMaxKernelBytes));
  in.kernel = files.kernel;
  ATTEST_ASSIGN_OR_RETURN(std::string acpi, args.Require("acpi-tables"));
  ATTEST_ASSIGN_OR_RETURN(files.acpi, ReadFileBytes(acpi, kMaxAcpiBytes));
  in.acpi_tables = files.acpi;
  if (const auto initrd = args.Get("initrd")) {
    ATTEST_ASSIGN_OR_RETURN(files.initrd, ReadFileBytes(*initrd, kMaxInitrdBytes));
    in.initrd = measure::DigestInitrd(files.initrd);
  }
  in.cmdline = args.Get("append").value_or("");
  ATTEST_ASSIGN_OR_RETURN(in.memory_bytes, MemoryBytes(args));
  return in;
}

int PrintResult(const Sha384Digest& mrtd, const std::array<Sha384Digest, 4>* rtmr, bool json) {
  if (json) {
    nlohmann::json out{{"mrtd", HexEncode(mrtd)}};
    if (rtmr != nullptr) {
      out["rtmr"] = nlohmann::json::array();
      for (const Sha384Digest& r : *rtmr) {
        out["rtmr"].push_back(HexEncode(r));
      }
    }
    std::cout << out.dump() << "\n";
  } else {
    std::cout << "mrtd:  " << HexEncode(mrtd) << "\n";
    for (size_t i = 0; rtmr != nullptr && i < rtmr->size(); ++i) {
      std::cout << "rtmr" << i << ": " << HexEncode((*rtmr)[i]) << "\n";
    }
  }
  return kExitAccepted;
}

int PrintMeasureError(const Status& status, bool json) {
  if (json) {
    std::cout << nlohmann::json{{"code", status.reason_id()}, {"message", status.message()}}.dump()
              << "\n";
  }
  std::cerr << "attestctl measure tdx: " << status.ToString() << "\n";
  return kExitRejected;
}

}  // namespace

int RunMeasureTdx(int argc, char** argv, int first) {
  const FlagSpec spec{{"firmware", "kernel", "initrd", "append", "acpi-tables", "memory-mib",
                       "memory-bytes", "vcpus", "separator-layout"},
                      {"json", "two-pass", "no-efi-stub-rtmr2", "mrtd-only"}};
  auto args = Args::Parse(argc, argv, first, spec);
  if (!args.ok()) {
    return PrintUsageError(args.status(), kUsage);
  }
  if (!args->positional().empty()) {
    return PrintUsageError(Status(reasons::kCliUsage, "unexpected argument"), kUsage);
  }
  auto options = ParseOptions(*args);
  if (!options.ok()) {
    return PrintUsageError(options.status(), kUsage);
  }
  Files files;
  auto inputs = LoadInputs(*args, files);
  if (!inputs.ok()) {
    return PrintUsageError(inputs.status(),
                           inputs.status().reason_id() == "cli.usage" ? kUsage : "");
  }
  const bool json = args->Has("json");
  if (args->Has("mrtd-only")) {
    auto mrtd = measure::MeasureTdxMrtd(inputs->firmware, options->page_order);
    return mrtd.ok() ? PrintResult(*mrtd, nullptr, json) : PrintMeasureError(mrtd.status(), json);
  }
  auto m = measure::MeasureTdx(*inputs, *options);
  return m.ok() ? PrintResult(m->mrtd, &m->rtmr, json) : PrintMeasureError(m.status(), json);
}

}  // namespace attest::cli
