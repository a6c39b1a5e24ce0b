// attestctl measure tdx over ../shared/vectors/measure/tdx: the printed MRTD/RTMRs, and the exit
// code and reason of every refusal.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

#include "cli/command_test_run.h"
#include "cli/commands.h"
#include "tests/testing/vectors.h"

namespace attest::cli {
namespace {

using nlohmann::json;
using testing::ReadVectorText;
using testing::VectorPath;

CliRun Measure(std::vector<std::string> args) { return RunCommand(RunMeasureTdx, std::move(args)); }

std::string Tdx(const std::string& file) { return VectorPath("measure/tdx/" + file); }

// Args builds the command line of an RTMR vector whose memory is a whole number of MiB.
std::vector<std::string> Args(const json& v) {
  const json& in = v["inputs"];
  std::vector<std::string> args = {
      "--firmware",    Tdx(in["firmware"]),
      "--kernel",      Tdx(in["kernel"]),
      "--acpi-tables", Tdx(in["acpi_tables"]["file"]),
      "--memory-mib",  std::to_string(in["memory_bytes"].get<uint64_t>() >> 20),
      "--json"};
  if (!in["initrd"].is_null()) {
    args.insert(args.end(), {"--initrd", Tdx(in["initrd"])});
  }
  if (!in["cmdline"].is_null()) {
    args.insert(args.end(), {"--append", in["cmdline"]});
  }
  return args;
}

TEST(MeasureTdxCli, RtmrVectors) {
  const json vectors = json::parse(ReadVectorText("measure/tdx/rtmr_vectors.json"));
  int ran = 0;
  for (const json& v : vectors) {
    const json& in = v["inputs"];
    if (in["kernel"].get<std::string>().rfind("debian:", 0) == 0 ||
        in["memory_bytes"].get<uint64_t>() % (1u << 20) != 0) {
      continue;  // the library test covers these (Debian kernel, byte-sized memory)
    }
    SCOPED_TRACE(v["id"].get<std::string>());
    std::vector<std::string> args = Args(v);
    args.push_back("--two-pass");
    const CliRun r = Measure(args);
    ASSERT_EQ(r.code, 0) << r.out;
    const json out = json::parse(r.out);
    EXPECT_EQ(out["mrtd"], v["expected"]["mrtd_two_pass"]);
    ASSERT_EQ(out["rtmr"].size(), 4u);
    EXPECT_EQ(out["rtmr"][0], v["alternates_derived"]["rtmr0_pre202411_fortanix_loader"]);
    EXPECT_EQ(out["rtmr"][1], v["expected"]["rtmr1"]);
    EXPECT_EQ(out["rtmr"][2], v["expected"]["rtmr2"]);
    EXPECT_EQ(out["rtmr"][3], v["expected"]["rtmr3"]);

    args.insert(args.end(), {"--separator-layout", "edk2-stable202411"});
    const json post = json::parse(Measure(args).out);
    EXPECT_EQ(post["rtmr"][0], v["alternates_derived"]["rtmr0_post202411_fortanix_loader"]);
    EXPECT_EQ(post["rtmr"][1], v["alternates_derived"]["rtmr1_post202411"]);
    ++ran;
  }
  EXPECT_GE(ran, 14);
}

TEST(MeasureTdxCli, MrtdOnlyBothOrders) {
  const json v = json::parse(ReadVectorText("measure/tdx/mrtd_vectors.json"))[0];
  const std::string fw = Tdx(v["firmware"]);
  const CliRun single = Measure({"--firmware", fw, "--mrtd-only", "--json"});
  ASSERT_EQ(single.code, 0);
  EXPECT_EQ(json::parse(single.out), (json{{"mrtd", v["mrtd_single_pass"]}}));
  const CliRun two = Measure({"--firmware", fw, "--mrtd-only", "--two-pass", "--json"});
  ASSERT_EQ(two.code, 0);
  EXPECT_EQ(json::parse(two.out)["mrtd"], v["mrtd_two_pass_per_section"]);
  const CliRun text = Measure({"--firmware", fw, "--mrtd-only"});
  EXPECT_EQ(text.out, "mrtd:  " + v["mrtd_single_pass"].get<std::string>() + "\n");
}

TEST(MeasureTdxCli, Refusals) {
  const json v = json::parse(ReadVectorText("measure/tdx/rtmr_vectors.json"))[1];
  const std::vector<std::string> good = Args(v);
  const auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = good;
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  const auto replace = [&](const std::string& flag, const std::string& value) {
    std::vector<std::string> a = good;
    for (size_t i = 0; i + 1 < a.size(); ++i) {
      if (a[i] == flag) {
        a[i + 1] = value;
      }
    }
    return a;
  };
  const struct {
    const char* name;
    std::vector<std::string> args;
    int want_code;
    const char* want_reason;  // JSON "code" on exit 1
  } cases[] = {
      {"no firmware", {"--mrtd-only"}, 2, ""},
      {"firmware missing", {"--firmware", "/nonexistent", "--mrtd-only"}, 2, ""},
      {"unknown flag", with({"--bogus"}), 2, ""},
      {"positional", with({"extra"}), 2, ""},
      {"bad separator layout", with({"--separator-layout", "new"}), 2, ""},
      {"vcpus not a number", with({"--vcpus", "four"}), 2, ""},
      {"both memory flags", with({"--memory-bytes", "4096"}), 2, ""},
      {"mrtd-only with kernel", with({"--mrtd-only"}), 2, ""},
      {"no kernel",
       {"--firmware", Tdx("inputs/debian12_OVMF.fd"), "--acpi-tables",
        Tdx("acpi_tables/quex_generated/acpi_c1_m40000000_d1.bin"), "--memory-mib", "1024"},
       2,
       ""},
      {"no memory",
       {"--firmware", Tdx("inputs/debian12_OVMF.fd"), "--kernel",
        Tdx("inputs/synthetic_bzimage.efi"), "--acpi-tables",
        Tdx("acpi_tables/quex_generated/acpi_c1_m40000000_d1.bin")},
       2,
       ""},
      {"svsm ovmf", replace("--firmware", VectorPath("measure/snp/fixtures/svsm_ovmf.fd")), 1,
       "measure.tdvf_section_outside_file"},
      {"kernel not PE", replace("--kernel", Tdx("inputs/initrd_small.bin")), 1,
       "measure.pe_not_pe"},
      {"ACPI tables are a kernel", replace("--acpi-tables", Tdx("inputs/synthetic_bzimage.efi")), 1,
       "measure.acpi_malformed"},
      {"vcpus differ from MADT", with({"--vcpus", "2"}), 1, "measure.acpi_vcpus_mismatch"},
      {"vcpus zero", with({"--vcpus", "0"}), 1, "measure.vcpus_invalid"},
      {"memory too small", replace("--memory-mib", "4"), 1, "measure.memory_invalid"},
      {"cmdline not ASCII", replace("--append", "\xff"), 1, "measure.cmdline_invalid"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const CliRun r = Measure(c.args);
    EXPECT_EQ(r.code, c.want_code) << r.out;
    if (c.want_code == 1) {
      EXPECT_EQ(json::parse(r.out)["code"], c.want_reason) << r.out;
    }
  }
}

}  // namespace
}  // namespace attest::cli
