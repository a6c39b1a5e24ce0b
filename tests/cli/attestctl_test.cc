// attestctl end to end: runs the built binary on the shared vectors and checks exit codes and the
// JSON shape every `verify` subcommand shares.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace {

struct CliRun {
  int exit_code;
  std::string out;
};

CliRun Attestctl(const std::string& args) {
  const std::string command = std::string(ATTESTCTL_PATH) + " " + args + " 2>/dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) {
    out.append(buf.data(), n);
  }
  const int status = pclose(pipe);
  return {WEXITSTATUS(status), out};
}

const std::string kV = "../shared/vectors/snp/";

TEST(AttestctlTest, VerifySnpExitCodesAndJson) {
  struct Case {
    const char* name;
    std::string args;
    int want_exit;
    std::string want_verdict;  // "" when no JSON is expected (usage errors)
    std::string want_code;
    bool want_claims;
  } cases[] = {
      {"accepted",
       "--report " + kV + "gsg-milan-v2/report.bin --vcek " + kV +
           "gsg-milan-v2/vcek.der --at 2024-01-01T00:00:00Z",
       0, "accepted", "", true},
      {"hex report, PEM vcek",
       "--report " + kV + "virtee-milan-v2/report.hex --vcek " + kV +
           "virtee-milan-v2/vcek.der --chain " + kV +
           "certs/ask_ark_milan.pem --at 2024-01-01T00:00:00Z",
       0, "accepted", "", true},
      {"expired",
       "--report " + kV + "gsg-milan-v2/report.bin --vcek " + kV +
           "gsg-milan-v2/vcek.der --at 2030-01-01T00:00:00Z",
       1, "rejected", "snp.cert_expired", true},
      {"no vcek: claims still shown",
       "--report " + kV + "gsg-milan-v2/report.bin --at 2024-01-01T00:00:00Z", 1, "rejected",
       "snp.signing_key_missing", true},
      {"not a report",
       "--report " + kV + "gsg-milan-v2/vcek.der --vcek " + kV + "gsg-milan-v2/vcek.der", 1,
       "rejected", "snp.bad_size", false},
      {"policy rejects debug",
       "--report " + kV + "gsg-milan-v2/report.bin --vcek " + kV +
           "gsg-milan-v2/vcek.der --at 2024-01-01T00:00:00Z --policy "
           "policy/examples/snp-no-debug.json",
       1, "rejected", "snp.debug_forbidden", true},
      {"policy accepts",
       "--report " + kV + "virtee-milan-v2/report.bin --vcek " + kV +
           "virtee-milan-v2/vcek.der --at 2024-01-01T00:00:00Z --policy "
           "policy/examples/snp-milan-virtee.json",
       0, "accepted", "", true},
      {"missing file", "--report /nonexistent --vcek " + kV + "gsg-milan-v2/vcek.der", 2, "", "",
       false},
      {"missing flag", "--vcek " + kV + "gsg-milan-v2/vcek.der", 2, "", "", false},
      {"unknown flag", "--report x --frobnicate", 2, "", "", false},
      {"bad time", "--report " + kV + "gsg-milan-v2/report.bin --at yesterday", 2, "", "", false},
      {"bad policy",
       "--report " + kV + "gsg-milan-v2/report.bin --policy " + kV + "gsg-milan-v2/vcek.der", 2, "",
       "", false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const CliRun run = Attestctl("verify snp --json " + c.args);
    EXPECT_EQ(run.exit_code, c.want_exit) << run.out;
    if (c.want_verdict.empty()) {
      continue;
    }
    const auto json = nlohmann::json::parse(run.out, nullptr, false);
    ASSERT_TRUE(json.is_object()) << run.out;
    EXPECT_EQ(json["verdict"], c.want_verdict);
    EXPECT_EQ(json["evidence"], "snp");
    EXPECT_EQ(json.contains("claims"), c.want_claims);
    ASSERT_TRUE(json["errors"].is_array());
    if (c.want_code.empty()) {
      EXPECT_TRUE(json["errors"].empty());
    } else {
      ASSERT_FALSE(json["errors"].empty());
      EXPECT_EQ(json["errors"][0]["code"], c.want_code);
    }
  }
}

TEST(AttestctlTest, ReadableOutputAndUsage) {
  const CliRun ok = Attestctl("verify snp --report " + kV + "gsg-milan-v2/report.bin --vcek " + kV +
                              "gsg-milan-v2/vcek.der --at 2024-01-01T00:00:00Z");
  EXPECT_EQ(ok.exit_code, 0);
  EXPECT_NE(ok.out.find("snp: ACCEPTED"), std::string::npos);
  EXPECT_NE(ok.out.find("measurement: b07af962"), std::string::npos);
  EXPECT_EQ(Attestctl("").exit_code, 2);
  EXPECT_EQ(Attestctl("verify nothing").exit_code, 2);
}

TEST(AttestctlTest, PolicyCheckAndTokens) {
  EXPECT_EQ(Attestctl("policy check policy/examples/snp-no-debug.json").exit_code, 0);
  EXPECT_EQ(Attestctl("policy check " + kV + "gsg-milan-v2/vcek.der").exit_code, 1);
  EXPECT_EQ(Attestctl("policy check /nonexistent").exit_code, 2);

  const std::string dir = ::testing::TempDir();
  ASSERT_EQ(std::system(("openssl ecparam -name secp384r1 -genkey -noout -out " + dir +
                         "tk.pem && openssl ec -in " + dir + "tk.pem -pubout -out " + dir +
                         "tk.pub 2>/dev/null")
                            .c_str()),
            0);
  const CliRun signed_run =
      Attestctl("verify snp --json --report " + kV + "virtee-milan-v2/report.bin --vcek " + kV +
                "virtee-milan-v2/vcek.der --at 2024-01-01T00:00:00Z --policy "
                "policy/examples/snp-milan-virtee.json --token-key " +
                dir + "tk.pem");
  ASSERT_EQ(signed_run.exit_code, 0) << signed_run.out;
  const std::string token = nlohmann::json::parse(signed_run.out)["token"];
  const CliRun verified = Attestctl("token verify " + token + " --key " + dir + "tk.pub");
  EXPECT_EQ(verified.exit_code, 0) << verified.out;
  EXPECT_EQ(nlohmann::json::parse(verified.out)["payload"]["ear.status"], "affirming");
  EXPECT_EQ(Attestctl("token verify " + token + "x --key " + dir + "tk.pub").exit_code, 1);
  EXPECT_EQ(
      Attestctl("token verify " + token + " --key " + dir + "tk.pub --at 2099-01-01T00:00:00Z")
          .exit_code,
      1);
}

TEST(AttestctlTest, PoliciesOnTdxSgxAndTpm) {
  const std::string t = "../shared/vectors/tdx/";
  const std::string g = "../shared/vectors/tpm/quote-windows-gcp/";
  const std::string gcp = "verify tpm --json --quote " + g + "quote.attest --sig " + g +
                          "quote.sig --ak " + g + "ak_public.tpmt --pcrs " + g +
                          "pcrs.json --eventlog " + g + "eventlog.bin --nonce \"\" ";
  struct Case {
    const char* name;
    std::string args;
    int want_exit;
    std::string want_code;
    std::string want_status;
  } cases[] = {
      {"tdx accepted by its policy",
       "verify tdx --json --quote " + t + "dcap-qvl-v4/quote.bin --collateral " + t +
           "dcap-qvl-v4/collateral.json --at 2025-07-01T00:00:00Z --policy "
           "policy/examples/tdx-dcap-qvl.json",
       0, "", "affirming"},
      {"tdx rejected by a newer-module policy",
       "verify tdx --json --quote " + t + "dcap-qvl-v4/quote.bin --collateral " + t +
           "dcap-qvl-v4/collateral.json --at 2025-07-01T00:00:00Z --policy "
           "policy/examples/tdx-newer-module.json",
       1, "tdx.tee_tcb_svn_too_low", "contraindicated"},
      {"sgx status tolerated: a warning",
       "verify sgx --json --quote " + t + "dcap-qvl-sgx-v3/quote.bin --collateral " + t +
           "dcap-qvl-sgx-v3/collateral.json --at 2025-07-01T00:00:00Z --policy "
           "policy/examples/sgx-dcap-qvl.json",
       0, "", "warning"},
      {"sgx quote under a tdx-only policy",
       "verify sgx --json --quote " + t + "dcap-qvl-sgx-v3/quote.bin --collateral " + t +
           "dcap-qvl-sgx-v3/collateral.json --at 2025-07-01T00:00:00Z --policy "
           "policy/examples/tdx-dcap-qvl.json",
       1, "policy.no_rules_for_evidence", ""},
      {"host with secure boot", gcp + "--host-policy policy/examples/host-secure-boot.json", 0, "",
       "affirming"},
      {"host without txt", gcp + "--host-policy policy/examples/host-txt-required.json", 1,
       "host.drtm_missing", "contraindicated"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const CliRun run = Attestctl(c.args);
    EXPECT_EQ(run.exit_code, c.want_exit) << run.out;
    const auto json = nlohmann::json::parse(run.out, nullptr, false);
    ASSERT_TRUE(json.is_object()) << run.out;
    if (!c.want_code.empty()) {
      ASSERT_FALSE(json["errors"].empty());
      EXPECT_EQ(json["errors"][0]["code"], c.want_code);
    }
    if (!c.want_status.empty()) {
      EXPECT_EQ(json["appraisal"]["status"], c.want_status);
    }
  }
}

// attestctl reasons: one line per reason of cli/reasons_golden.txt, "<reason> <CODE> <module>";
// any argument is a usage error.
TEST(AttestctlTest, ReasonsListsEveryReason) {
  struct Case {
    const char* name;
    std::string args;
    int want_exit;
    std::string want_line;  // a whole line the output must hold ("" when no output is expected)
  } cases[] = {
      {"snp verifier", "reasons", 0, "snp.signature_invalid SIGNATURE_INVALID attest/snp"},
      {"sigv4", "reasons", 0, "sigv4.request_time_too_skewed EXPIRED sigv4"},
      {"policy appraisal", "reasons", 0, "tdx.mr_td_rejected POLICY_DENIED policy"},
      {"extra argument", "reasons snp", 2, ""},
      {"flag", "reasons --json", 2, ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const CliRun run = Attestctl(c.args);
    EXPECT_EQ(run.exit_code, c.want_exit);
    if (c.want_line.empty()) {
      EXPECT_EQ(run.out, "");
      continue;
    }
    // Columns are space-padded: compare with runs of spaces squeezed.
    std::istringstream lines(run.out);
    bool found = false;
    size_t count = 0;
    for (std::string line; std::getline(lines, line); ++count) {
      std::istringstream words(line);
      std::string word, squeezed;
      while (words >> word) {
        squeezed += (squeezed.empty() ? "" : " ") + word;
      }
      found = found || squeezed == c.want_line;
    }
    EXPECT_TRUE(found) << run.out;
    std::ifstream golden("cli/reasons_golden.txt");
    size_t want_count = 0;
    for (std::string line; std::getline(golden, line);) {
      if (!line.empty() && line[0] != '#') {
        ++want_count;
      }
    }
    EXPECT_EQ(count, want_count);
  }
}

}  // namespace
