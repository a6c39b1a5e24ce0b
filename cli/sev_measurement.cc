// attestctl sev measurement: recompute a legacy SEV launch measurement (LAUNCH_MEASURE) with the
// guest owner's TIK and compare it with the value the platform reported. The launch digest is
// given (--digest) or computed from the images (--firmware, optionally --kernel/--initrd/--cmdline
// for kernelHashes, --vmsa-bsp/--vmsa-ap or --cpu with --vcpus for SEV-ES). Exit 0 match,
// 1 mismatch, 2 usage.
#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>

#include "attest/core/encoding.h"
#include "attest/core/file_io.h"
#include "attest/sev/measurement.h"
#include "attest/sev/vmsa.h"
#include "cli/commands.h"
#include "cli/sev_files.h"
#include "cli/verify_output.h"
#include "flags/args.h"

namespace attest::cli {

using flags::Args;
using flags::FlagSpec;

namespace {

constexpr char kUsage[] =
    "attestctl sev measurement --tik HEX --api-major N --api-minor N --build N --policy HEX\n"
    "    (--digest HEX | --firmware F [--kernel F [--initrd F] [--cmdline S]]\n"
    "                  [(--vmsa-bsp F [--vmsa-ap F] | --cpu QEMU-MODEL) --vcpus N])\n"
    "    (--mnonce HEX --measure HEX | --measurement B64) [--json]";

template <size_t N>
std::array<uint8_t, N> ToArray(const Bytes& b) {
  std::array<uint8_t, N> out{};
  std::copy(b.begin(), b.begin() + N, out.begin());
  return out;
}

struct Parsed {
  Bytes tik;
  sev::LaunchMeasureInput input;
  Bytes measure;
};

Result<Bytes> ReadImage(const std::string& path) { return ReadFileBytes(path, 256u << 20); }

// ParseArgs fills everything; a usage or file problem is returned as a Status (exit 2).
Result<Parsed> ParseArgs(const Args& args) {
  Parsed p;
  ATTEST_ASSIGN_OR_RETURN(std::string tik, args.Require("tik"));
  ATTEST_ASSIGN_OR_RETURN(p.tik, ParseHexFlag("tik", tik, 16));
  const char* version_flags[] = {"api-major", "api-minor", "build"};
  uint8_t* version_fields[] = {&p.input.api_major, &p.input.api_minor, &p.input.build};
  for (int i = 0; i < 3; ++i) {
    ATTEST_ASSIGN_OR_RETURN(std::string text, args.Require(version_flags[i]));
    ATTEST_ASSIGN_OR_RETURN(uint64_t v, ParseUnsigned(version_flags[i], text, 255));
    *version_fields[i] = static_cast<uint8_t>(v);
  }
  ATTEST_ASSIGN_OR_RETURN(std::string policy_hex, args.Require("policy"));
  if (policy_hex.rfind("0x", 0) != 0) {
    policy_hex.insert(0, "0x");
  }
  ATTEST_ASSIGN_OR_RETURN(uint64_t policy_value, ParseUnsigned("policy", policy_hex, 0xffffffff));
  p.input.policy = static_cast<uint32_t>(policy_value);

  const auto digest = args.Get("digest");
  const auto firmware = args.Get("firmware");
  if (digest.has_value() == firmware.has_value()) {
    return Status(reasons::kCliUsage, "give exactly one of --digest and --firmware");
  }
  if (digest) {
    for (const char* image_flag :
         {"kernel", "initrd", "cmdline", "vmsa-bsp", "vmsa-ap", "vcpus", "cpu"}) {
      if (args.Get(image_flag)) {
        return Status(reasons::kCliUsage, std::string("--") + image_flag + " needs --firmware");
      }
    }
    ATTEST_ASSIGN_OR_RETURN(Bytes ld, ParseHexFlag("digest", *digest, 32));
    p.input.launch_digest = ToArray<32>(ld);
  } else {
    ATTEST_ASSIGN_OR_RETURN(Bytes fw, ReadImage(*firmware));
    Bytes kernel, initrd, bsp, ap;
    sev::LaunchDigestInput in;
    in.firmware = fw;
    in.policy = p.input.policy;
    if (const auto k = args.Get("kernel")) {
      ATTEST_ASSIGN_OR_RETURN(kernel, ReadImage(*k));
      sev::KernelBoot boot;
      boot.kernel = kernel;
      if (const auto i = args.Get("initrd")) {
        ATTEST_ASSIGN_OR_RETURN(initrd, ReadImage(*i));
        boot.initrd = ByteSpan(initrd);
      }
      boot.cmdline = args.Get("cmdline");
      in.kernel = boot;
    } else if (args.Get("initrd") || args.Get("cmdline")) {
      return Status(reasons::kCliUsage, "--initrd and --cmdline need --kernel");
    }
    if (const auto b = args.Get("vmsa-bsp")) {
      ATTEST_ASSIGN_OR_RETURN(bsp, ReadImage(*b));
    }
    if (const auto a = args.Get("vmsa-ap")) {
      ATTEST_ASSIGN_OR_RETURN(ap, ReadImage(*a));
    }
    if (const auto cpu = args.Get("cpu")) {
      // SEV-ES pages from the QEMU model (vmsa.h) instead of captured ones.
      if (args.Get("vmsa-bsp") || args.Get("vmsa-ap")) {
        return Status(reasons::kCliUsage, "--cpu replaces --vmsa-bsp/--vmsa-ap");
      }
      auto sig = sev::QemuCpuSignature(*cpu);
      if (!sig.ok()) {
        return Status(reasons::kCliUsage, sig.status().message());
      }
      auto vmsas = sev::BuildQemuSevEsVmsas(fw, *sig);
      if (!vmsas.ok()) {
        return Status(reasons::kCliUsage, vmsas.status().message());
      }
      bsp = std::move(vmsas->bsp);
      ap = std::move(vmsas->ap);
    }
    in.vmsa_bsp = bsp;
    in.vmsa_ap = ap;
    if (const auto n = args.Get("vcpus")) {
      ATTEST_ASSIGN_OR_RETURN(uint64_t vcpus, ParseUnsigned("vcpus", *n, sev::kMaxVcpus));
      in.num_vcpus = static_cast<uint32_t>(vcpus);
    }
    auto ld = sev::ComputeLaunchDigest(in);
    if (!ld.ok()) {
      return Status(reasons::kCliUsage, ld.status().message());
    }
    p.input.launch_digest = *ld;
  }

  const auto measurement = args.Get("measurement");
  const auto mnonce = args.Get("mnonce");
  const auto measure = args.Get("measure");
  if (measurement) {
    if (mnonce || measure) {
      return Status(reasons::kCliUsage, "--measurement replaces --mnonce and --measure");
    }
    auto raw = Base64Decode(*measurement);
    if (!raw.ok()) {
      return Status(reasons::kCliUsage, "--measurement: not base64");
    }
    auto m = sev::ParseLaunchMeasurement(*raw);
    if (!m.ok()) {
      return Status(reasons::kCliUsage, m.status().message());
    }
    p.input.mnonce = m->mnonce;
    p.measure.assign(m->measure.begin(), m->measure.end());
  } else {
    if (!mnonce || !measure) {
      return Status(reasons::kCliUsage, "give --mnonce and --measure, or --measurement");
    }
    ATTEST_ASSIGN_OR_RETURN(Bytes n, ParseHexFlag("mnonce", *mnonce, 16));
    p.input.mnonce = ToArray<16>(n);
    ATTEST_ASSIGN_OR_RETURN(p.measure, ParseHexFlag("measure", *measure, 32));
  }
  return p;
}

}  // namespace

int RunSevMeasurement(int argc, char** argv, int first) {
  const FlagSpec spec{
      {"tik", "api-major", "api-minor", "build", "policy", "digest", "firmware", "kernel", "initrd",
       "cmdline", "vmsa-bsp", "vmsa-ap", "vcpus", "mnonce", "measure", "measurement", "cpu"},
      {"json"}};
  auto args = Args::Parse(argc, argv, first, spec);
  if (!args.ok()) {
    return PrintUsageError(args.status(), kUsage);
  }
  auto parsed = ParseArgs(*args);
  if (!parsed.ok()) {
    return PrintUsageError(parsed.status(),
                           parsed.status().reason_id() == "cli.usage" ? kUsage : "");
  }
  VerifyOutcome outcome;
  outcome.evidence = "sev-measurement";
  char policy[16];
  std::snprintf(policy, sizeof(policy), "0x%x", parsed->input.policy);
  outcome.claims = nlohmann::json{{"api_major", parsed->input.api_major},
                                  {"api_minor", parsed->input.api_minor},
                                  {"build", parsed->input.build},
                                  {"policy", policy},
                                  {"launch_digest", HexEncode(parsed->input.launch_digest)},
                                  {"mnonce", HexEncode(parsed->input.mnonce)}};
  const Status status = sev::VerifyLaunchMeasure(parsed->tik, parsed->input, parsed->measure);
  if (!status.ok()) {
    outcome.errors.push_back(status);
  }
  return PrintVerifyOutcome(outcome, args->Has("json"));
}

}  // namespace attest::cli
