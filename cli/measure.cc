// attestctl measure: the expected SEV / SEV-ES / SEV-SNP launch digest of a firmware and its boot
// inputs, with sev-snp-measure's flags, defaults, one-line output and exit codes (0 printed,
// 1 refused or unreadable file, 2 usage), so that scripts written for that tool work unchanged.
// The calculation is attest/measure/sev_launch.h; this file only maps flags and files onto it.
#include <iostream>
#include <optional>
#include <string>

#include "attest/core/encoding.h"
#include "attest/core/file_io.h"
#include "attest/measure/sev_launch.h"
#include "cli/commands.h"
#include "cli/sev_files.h"
#include "cli/verify_output.h"
#include "flags/args.h"

namespace attest::cli {

using flags::Args;
using flags::FlagSpec;

namespace {

constexpr char kUsage[] =
    "attestctl measure --mode sev|seves|snp|snp:ovmf-hash|snp:svsm --ovmf F [--vcpus N]\n"
    "    [--vcpu-type T | --vcpu-sig V | --vcpu-family N --vcpu-model N --vcpu-stepping N]\n"
    "    [--vmm-type QEMU|ec2|gce] [--kernel F [--initrd F] [--append S]]\n"
    "    [--guest-features V] [--snp-ovmf-hash HEX] [--output-format hex|base64]\n"
    "    [--svsm F (--vars-size N | --vars-file F)] [--verbose]";

// Boot images larger than this are refused rather than read (a hostile path could be /dev/zero).
constexpr size_t kMaxBootFileBytes = size_t{1} << 30;

// Request is one command line: the launch to measure and the bytes its spans point into.
struct Request {
  std::string mode;
  measure::SevLaunchInput input;
  Bytes firmware, kernel, initrd, svsm;
  std::string output_format = "hex";
};

Status Usage(const std::string& message) { return Status(reasons::kCliUsage, message); }

Result<std::optional<uint32_t>> VcpuSignature(const Args& args, const Request& req) {
  if (req.input.mode == measure::SevMode::kSev) {
    return std::optional<uint32_t>();
  }
  const auto family = args.Get("vcpu-family");
  const auto model = args.Get("vcpu-model");
  const auto stepping = args.Get("vcpu-stepping");
  if (family || model || stepping) {
    if (!family || !model || !stepping) {
      return Usage("--vcpu-family, --vcpu-model and --vcpu-stepping go together");
    }
    ATTEST_ASSIGN_OR_RETURN(uint64_t f, ParseUnsigned("vcpu-family", *family, 0xff + 0xf));
    ATTEST_ASSIGN_OR_RETURN(uint64_t m, ParseUnsigned("vcpu-model", *model, 0xff));
    ATTEST_ASSIGN_OR_RETURN(uint64_t s, ParseUnsigned("vcpu-stepping", *stepping, 0xf));
    return std::optional<uint32_t>(sev::CpuSignature(
        static_cast<uint32_t>(f), static_cast<uint32_t>(m), static_cast<uint32_t>(s)));
  }
  if (const auto sig = args.Get("vcpu-sig")) {
    ATTEST_ASSIGN_OR_RETURN(uint64_t v, ParseUnsigned("vcpu-sig", *sig, 0xffffffff));
    return std::optional<uint32_t>(static_cast<uint32_t>(v));
  }
  if (const auto type = args.Get("vcpu-type")) {
    auto signature = measure::VcpuSignatureForType(*type);
    if (!signature.ok()) {
      return Usage("--vcpu-type: " + signature.status().message());
    }
    return std::optional<uint32_t>(*signature);
  }
  if (req.input.vmm == sev::VmmType::kQemu) {
    return Usage("missing --vcpu-type or --vcpu-sig or --vcpu-family in guest mode '" + req.mode +
                 "'");
  }
  return std::optional<uint32_t>();
}

// ParseFlags checks everything sev-snp-measure's argument parser checks (exit 2).
Result<Request> ParseFlags(const Args& args) {
  Request req;
  ATTEST_ASSIGN_OR_RETURN(req.mode, args.Require("mode"));
  ATTEST_RETURN_IF_ERROR(args.Require("ovmf").status());
  if (!args.positional().empty() &&
      !(args.positional().size() == 1 && args.positional()[0] == "-v")) {
    return Usage("unexpected argument " + args.positional()[0]);
  }
  if (const auto format = args.Get("output-format")) {
    if (*format != "hex" && *format != "base64") {
      return Usage("--output-format: hex or base64");
    }
    req.output_format = *format;
  }
  if (req.mode == "snp:ovmf-hash") {
    return req;
  }
  auto mode = measure::ParseSevMode(req.mode);
  if (!mode.ok()) {
    return Usage("--mode: sev, seves, snp, snp:ovmf-hash or snp:svsm");
  }
  req.input.mode = *mode;
  if (!args.Get("kernel") && (args.Get("initrd") || !args.Get("append").value_or("").empty())) {
    return Usage("--initrd and --append need --kernel");
  }
  const auto vcpus = args.Get("vcpus");
  if (req.input.mode != measure::SevMode::kSev && !vcpus) {
    return Usage("missing --vcpus N in guest mode '" + req.mode + "'");
  }
  if (vcpus) {
    ATTEST_ASSIGN_OR_RETURN(uint64_t n, ParseUnsigned("vcpus", *vcpus, 0xffffffff));
    req.input.num_vcpus = static_cast<uint32_t>(n);
  }
  auto vmm = measure::ParseVmmType(args.Get("vmm-type").value_or("QEMU"));
  if (!vmm.ok()) {
    return Usage(vmm.status().message());
  }
  req.input.vmm = *vmm;
  ATTEST_ASSIGN_OR_RETURN(req.input.cpu_signature, VcpuSignature(args, req));
  ATTEST_ASSIGN_OR_RETURN(
      req.input.guest_features,
      ParseUnsigned("guest-features", args.Get("guest-features").value_or("1"), UINT64_MAX));
  const bool svsm_mode = req.input.mode == measure::SevMode::kSnpSvsm;
  const auto vars_size = args.Get("vars-size");
  const auto vars_file = args.Get("vars-file");
  if (vars_size && vars_file) {
    return Usage("--vars-size and --vars-file exclude each other");
  }
  if (!svsm_mode && (args.Get("svsm") || vars_size || vars_file)) {
    return Usage("--svsm, --vars-size and --vars-file need --mode snp:svsm");
  }
  if (svsm_mode) {
    ATTEST_RETURN_IF_ERROR(args.Require("svsm").status());
    if (vars_size) {
      ATTEST_ASSIGN_OR_RETURN(req.input.ovmf_vars_bytes,
                              ParseUnsigned("vars-size", *vars_size, UINT32_MAX));
    }
    if (req.input.ovmf_vars_bytes == 0 && !vars_file) {
      return Usage("snp:svsm mode requires --vars-size or --vars-file");
    }
  }
  return req;
}

// LoadInputs reads the files and the precomputed hash (exit 1 on failure, as the reference).
Status LoadInputs(const Args& args, Request& req) {
  ATTEST_ASSIGN_OR_RETURN(req.firmware,
                          ReadFileBytes(*args.Get("ovmf"), measure::kMaxFirmwareBytes + 1));
  req.input.firmware = req.firmware;
  if (const auto kernel = args.Get("kernel")) {
    ATTEST_ASSIGN_OR_RETURN(req.kernel, ReadFileBytes(*kernel, kMaxBootFileBytes));
    std::optional<ByteSpan> initrd;
    if (const auto path = args.Get("initrd")) {
      ATTEST_ASSIGN_OR_RETURN(req.initrd, ReadFileBytes(*path, kMaxBootFileBytes));
      initrd = req.initrd;
    }
    ATTEST_ASSIGN_OR_RETURN(req.input.kernel,
                            measure::HashBootInputs(req.kernel, initrd, args.Get("append")));
  }
  if (const auto path = args.Get("svsm")) {
    ATTEST_ASSIGN_OR_RETURN(req.svsm, ReadFileBytes(*path, measure::kMaxFirmwareBytes + 1));
    req.input.svsm = req.svsm;
  }
  if (const auto path = args.Get("vars-file")) {
    ATTEST_ASSIGN_OR_RETURN(Bytes vars, ReadFileBytes(*path, kMaxBootFileBytes));
    req.input.ovmf_vars_bytes = vars.size();
  }
  if (const auto hash = args.Get("snp-ovmf-hash")) {
    auto raw = HexDecode(*hash);
    if (!raw.ok() || raw->size() != 48) {
      return Status(reasons::kMeasureSevBadArgument, "--snp-ovmf-hash: want 96 hex digits");
    }
    req.input.snp_ovmf_hash.emplace();
    std::copy(raw->begin(), raw->end(), req.input.snp_ovmf_hash->begin());
  }
  return Status::Ok();
}

std::string_view ModeName(measure::SevMode mode) {
  switch (mode) {
    case measure::SevMode::kSev:
      return "SEV";
    case measure::SevMode::kSevEs:
      return "SEV_ES";
    case measure::SevMode::kSnp:
      return "SEV_SNP";
    case measure::SevMode::kSnpSvsm:
      return "SEV_SNP_SVSM";
  }
  return "";
}

int Refused(const Status& status) {
  std::cerr << "Error: " << status.ToString() << "\n";
  return kExitRejected;
}

}  // namespace

int RunMeasure(int argc, char** argv, int first) {
  const FlagSpec spec{
      {"mode", "vcpus", "vcpu-type", "vcpu-sig", "vcpu-family", "vcpu-model", "vcpu-stepping",
       "vmm-type", "ovmf", "kernel", "initrd", "append", "guest-features", "output-format",
       "snp-ovmf-hash", "svsm", "vars-size", "vars-file"},
      {"verbose"}};
  auto args = Args::Parse(argc, argv, first, spec);
  if (!args.ok()) {
    return PrintUsageError(args.status(), kUsage);
  }
  auto req = ParseFlags(*args);
  if (!req.ok()) {
    return PrintUsageError(req.status(), kUsage);
  }
  if (req->mode == "snp:ovmf-hash") {
    // Printed in hex whatever --output-format says, as sev-snp-measure does.
    auto firmware = ReadFileBytes(*args->Get("ovmf"), measure::kMaxFirmwareBytes + 1);
    if (!firmware.ok()) {
      return Refused(firmware.status());
    }
    auto hash = measure::ComputeSnpOvmfHash(*firmware);
    if (!hash.ok()) {
      return Refused(hash.status());
    }
    std::cout << HexEncode(*hash) << "\n";
    return kExitAccepted;
  }
  if (const Status loaded = LoadInputs(*args, *req); !loaded.ok()) {
    return Refused(loaded);
  }
  auto digest = measure::ComputeSevLaunchDigest(req->input);
  if (!digest.ok()) {
    return Refused(digest.status());
  }
  const std::string text =
      req->output_format == "base64" ? Base64Encode(*digest) : HexEncode(*digest);
  if (args->Has("verbose") || !args->positional().empty()) {
    std::cout << "Calculated " << ModeName(req->input.mode) << " guest measurement: " << text
              << "\n";
  } else {
    std::cout << text << "\n";
  }
  return kExitAccepted;
}

}  // namespace attest::cli
