// attestctl measure end to end: every run of sev-snp-measure recorded in
// measure/snp/generated.json, replayed with the same argv from the same folder, must print the
// same line and exit with the same code; the few runs where we are stricter are listed by name.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <array>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

const std::string kSnpDir = "../shared/vectors/measure/snp";

struct CliRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string Drain(int fd) {
  std::string text;
  std::array<char, 4096> buf{};
  ssize_t n = 0;
  while ((n = read(fd, buf.data(), buf.size())) > 0) {
    text.append(buf.data(), static_cast<size_t>(n));
  }
  close(fd);
  return text;
}

// Attestctl runs `attestctl measure args...` in dir, without a shell (arguments may be empty or
// hold spaces).
CliRun Attestctl(const std::string& dir, const std::vector<std::string>& args) {
  int out[2], err[2];
  if (pipe(out) != 0 || pipe(err) != 0) {
    return {};
  }
  const std::string binary = std::filesystem::absolute(ATTESTCTL_PATH).string();
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], 1);
    dup2(err[1], 2);
    close(out[0]);
    close(err[0]);
    if (chdir(dir.c_str()) != 0) {
      _exit(127);
    }
    std::vector<char*> argv = {const_cast<char*>(binary.c_str()), const_cast<char*>("measure")};
    for (const std::string& a : args) {
      argv.push_back(const_cast<char*>(a.c_str()));
    }
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  CliRun run;
  run.out = Drain(out[0]);  // outputs are a line or two: neither pipe fills while the other waits
  run.err = Drain(err[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

// Runs the reference accepted and we refuse: firmware without SEV metadata measured for SEV-SNP
// (sev-snp-measure prints a digest no launch produces; attest/measure/README.md). By "id tag".
const std::map<std::string, std::string> kStricterThanReference = {
    {"285 edge/debian-OVMF_CODE_4M-no-sev-metadata", "measure.ovmf_no_sev_metadata"},
};

// Runs the reference refused too, with the reason we give.
const std::map<std::string, std::string> kRefusedByBoth = {
    {"282 error/ovmfx64-kernel", "measure.ovmf_no_kernel_hashes"},
    {"283 error/debian-ovmf-kernel", "measure.ovmf_no_kernel_hashes"},
    {"284 error/debian-ovmf-kernel-seves", "measure.ovmf_no_kernel_hashes"},
    {"286 edge/debian-OVMF_CODE_4M-no-sev-metadata-kernel", "measure.ovmf_no_sev_metadata"},
};

// Debian's OVMF_CODE_4M.fd is named by absolute path (the vectors do not copy it); a host without
// Debian's ovmf package cannot replay those runs. attest/measure's SevLaunch tests cover the same
// refusal with a firmware built from a fixture.
bool HostFileMissing(const std::vector<std::string>& argv) {
  for (const std::string& a : argv) {
    if (!a.empty() && a[0] == '/' && !std::filesystem::exists(a)) {
      return true;
    }
  }
  return false;
}

TEST(MeasureSevCli, ReplaysEveryReferenceRun) {
  std::ifstream file(kSnpDir + "/generated.json");
  ASSERT_TRUE(file.good());
  const auto runs = nlohmann::json::parse(file);
  ASSERT_EQ(runs.size(), 186u);
  size_t stricter = 0, refused = 0, matched = 0, not_replayed = 0;
  for (const auto& r : runs) {
    const std::string name =
        std::to_string(r.at("id").get<int>()) + " " + r.at("tag").get<std::string>();
    SCOPED_TRACE(name);
    std::vector<std::string> argv = r.at("argv").get<std::vector<std::string>>();
    ASSERT_EQ(argv.front(), "sev-snp-measure");
    argv.erase(argv.begin());
    if (HostFileMissing(argv)) {
      std::cerr << "note: " << name << " not replayed: a file it names is not on this host\n";
      ++not_replayed;
      continue;
    }
    const CliRun run = Attestctl(kSnpDir, argv);
    const auto stricter_it = kStricterThanReference.find(name);
    const auto refused_it = kRefusedByBoth.find(name);
    if (stricter_it != kStricterThanReference.end() || refused_it != kRefusedByBoth.end()) {
      const std::string& reason =
          stricter_it != kStricterThanReference.end() ? stricter_it->second : refused_it->second;
      EXPECT_EQ(run.exit_code, 1);
      EXPECT_EQ(run.out, "");
      EXPECT_EQ(run.err.rfind("Error: " + reason + ": ", 0), 0u) << run.err;
      if (stricter_it != kStricterThanReference.end()) {
        EXPECT_EQ(r.at("rc").get<int>(), 0);  // the reference accepted it
        ++stricter;
      } else {
        EXPECT_EQ(r.at("rc").get<int>(), 1);
        ++refused;
      }
      continue;
    }
    ASSERT_EQ(r.at("rc").get<int>(), 0) << "a refused run missing from kRefusedByBoth";
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(run.out, r.at("expected").get<std::string>() + "\n");
    EXPECT_EQ(run.err, "");
    ++matched;
  }
  EXPECT_EQ(stricter + refused + matched + not_replayed, runs.size());
  EXPECT_LE(not_replayed, 2u);  // only the two runs over /usr/share/OVMF/OVMF_CODE_4M.fd
  if (not_replayed == 0) {
    EXPECT_EQ(stricter, kStricterThanReference.size());
    EXPECT_EQ(refused, kRefusedByBoth.size());
  }
}

TEST(MeasureSevCli, UsageAndInputErrors) {
  const std::string amd = "fixtures/ovmf_AmdSev_suffix.bin";
  const std::vector<std::string> snp = {"--mode", "snp", "--vcpus", "1", "--ovmf", amd};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = snp;
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  struct Case {
    std::string name;
    std::vector<std::string> args;
    int want_exit;
    std::string want_err_prefix;
  } cases[] = {
      {"no mode", {"--ovmf", amd}, 2, "attestctl: cli.usage"},
      {"unknown mode", {"--mode", "tdx", "--ovmf", amd}, 2, "attestctl: cli.usage"},
      {"no ovmf",
       {"--mode", "snp", "--vcpus", "1", "--vcpu-type", "EPYC"},
       2,
       "attestctl: cli.usage"},
      {"no vcpus",
       {"--mode", "snp", "--ovmf", amd, "--vcpu-type", "EPYC"},
       2,
       "attestctl: cli.usage"},
      {"no vcpu type under QEMU", snp, 2, "attestctl: cli.usage"},
      {"unknown vcpu type", with({"--vcpu-type", "Skylake"}), 2, "attestctl: cli.usage"},
      {"family without model", with({"--vcpu-family", "25"}), 2, "attestctl: cli.usage"},
      {"vcpus not a number",
       {"--mode", "snp", "--vcpus", "x", "--ovmf", amd},
       2,
       "attestctl: cli.usage"},
      {"unknown vmm", with({"--vcpu-type", "EPYC", "--vmm-type", "xen"}), 2,
       "attestctl: cli.usage"},
      {"initrd without kernel", with({"--vcpu-type", "EPYC", "--initrd", "inputs/initrd.bin"}), 2,
       "attestctl: cli.usage"},
      {"append without kernel", with({"--vcpu-type", "EPYC", "--append", "quiet"}), 2,
       "attestctl: cli.usage"},
      {"bad output format", with({"--vcpu-type", "EPYC", "--output-format", "raw"}), 2,
       "attestctl: cli.usage"},
      {"svsm outside snp:svsm", with({"--vcpu-type", "EPYC", "--svsm", "fixtures/svsm.bin"}), 2,
       "attestctl: cli.usage"},
      {"svsm without vars",
       {"--mode", "snp:svsm", "--vcpus", "1", "--vcpu-type", "EPYC", "--ovmf",
        "fixtures/svsm_ovmf.fd", "--svsm", "fixtures/svsm.bin"},
       2,
       "attestctl: cli.usage"},
      {"vars size and file",
       {"--mode", "snp:svsm", "--vcpus", "1", "--vcpu-type", "EPYC", "--ovmf",
        "fixtures/svsm_ovmf.fd", "--svsm", "fixtures/svsm.bin", "--vars-size", "4096",
        "--vars-file", "inputs/debian12_OVMF_VARS_4M.fd"},
       2,
       "attestctl: cli.usage"},
      {"unknown flag", with({"--dump-vmsa"}), 2, "attestctl: cli.usage"},
      {"missing ovmf file",
       {"--mode", "sev", "--ovmf", "inputs/nonexistent.fd"},
       1,
       "Error: core.file_unreadable"},
      {"vcpus twice", with({"--vcpu-type", "EPYC", "--vcpus", "2"}), 2, "attestctl: cli.usage"},
      {"zero vCPUs",
       {"--mode", "snp", "--vcpus", "0", "--vcpu-type", "EPYC", "--ovmf", amd},
       1,
       "Error: measure.vcpu_count_invalid"},
      {"ovmf hash not hex", with({"--vcpu-type", "EPYC", "--snp-ovmf-hash", "zz"}), 1,
       "Error: measure.sev_bad_argument"},
      {"ovmf hash with seves",
       {"--mode", "seves", "--vcpus", "1", "--vcpu-type", "EPYC", "--ovmf", amd, "--snp-ovmf-hash",
        std::string(96, '0')},
       1,
       "Error: measure.sev_bad_argument"},
      {"dstack's header size 0",
       {"--mode", "snp", "--vcpus", "1", "--vcpu-type", "EPYC", "--ovmf",
        "inputs/dstack_synthetic_snp_ovmf.bin"},
       1,
       "Error: measure.ovmf_sev_metadata_malformed"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const CliRun run = Attestctl(kSnpDir, c.args);
    EXPECT_EQ(run.exit_code, c.want_exit) << run.err;
    EXPECT_EQ(run.out, "");
    EXPECT_EQ(run.err.rfind(c.want_err_prefix, 0), 0u) << run.err;
  }
}

TEST(MeasureSevCli, VerboseAndOvmfHashOutput) {
  const CliRun verbose = Attestctl(
      kSnpDir, {"--mode", "seves", "--vcpus", "1", "--vcpu-type", "EPYC-v4", "--ovmf",
                "fixtures/ovmf_AmdSev_suffix.bin", "--kernel", "inputs/empty.bin", "--verbose"});
  EXPECT_EQ(verbose.exit_code, 0);
  EXPECT_EQ(verbose.out,
            "Calculated SEV_ES guest measurement: "
            "13810ae661ea11e2bb205621f582fee268f0367c8f97bc297b7fadef3e12002c\n");
  // snp:ovmf-hash prints hex whatever --output-format says, as the reference does.
  const CliRun hash =
      Attestctl(kSnpDir, {"--mode", "snp:ovmf-hash", "--ovmf", "fixtures/ovmf_AmdSev_suffix.bin",
                          "--output-format", "base64"});
  EXPECT_EQ(hash.exit_code, 0);
  EXPECT_EQ(hash.out,
            "086e2e9149ebf45abdc3445fba5b2da8270bdbb04094d7a2c37faaa4b24af3aa16aff8c374c2a55c467a5"
            "0da6d466b74\n");
}

}  // namespace
