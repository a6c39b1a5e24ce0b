// attestctl verify tdx|sgx end to end: exit codes, JSON shape, binary/hex quotes, both collateral
// forms (vectors' JSON file and a directory of raw PCS responses), --ccel.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "attest/core/encoding.h"
#include "tests/testing/vectors.h"

namespace {

namespace fs = std::filesystem;
using attest::testing::VectorPath;
using nlohmann::json;

struct CliResult {
  int exit_code = -1;
  std::string out;
};

CliResult Attestctl(const std::string& args) {
  CliResult r;
  FILE* p = popen((std::string(ATTESTCTL_PATH) + " " + args + " 2>/dev/null").c_str(), "r");
  if (p == nullptr) {
    return r;
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) {
    r.out.append(buf, n);
  }
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

json Parse(const CliResult& r) { return json::parse(r.out, nullptr, false); }

fs::path TempDir(const std::string& name) {
  fs::path dir =
      fs::temp_directory_path() / ("attest_tdx_cli_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void Write(const fs::path& path, const std::string& data) {
  std::ofstream f(path, std::ios::binary);
  f << data;
}

const std::string kV4 = " --quote " + VectorPath("tdx/dcap-qvl-v4/quote.bin") + " --collateral " +
                        VectorPath("tdx/dcap-qvl-v4/collateral.json");

TEST(VerifyTdxCli, AcceptedWithClaims) {
  CliResult r = Attestctl("verify tdx" + kV4 + " --at 2025-07-01T00:00:00Z --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  json j = Parse(r);
  EXPECT_EQ(j["verdict"], "accepted");
  EXPECT_EQ(j["evidence"], "tdx");
  EXPECT_EQ(j["claims"]["tcb_status"], "UpToDate");
  EXPECT_EQ(j["claims"]["advisory_ids"], json::array());
  EXPECT_EQ(j["claims"]["fmspc"], "b0c06f000000");
  EXPECT_EQ(j["errors"], json::array());
}

TEST(VerifyTdxCli, SgxQuote) {
  CliResult r = Attestctl("verify sgx --quote " + VectorPath("tdx/dcap-qvl-sgx-v3/quote.bin") +
                          " --collateral " + VectorPath("tdx/dcap-qvl-sgx-v3/collateral.json") +
                          " --at 2025-07-01T00:00:00Z --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  json j = Parse(r);
  EXPECT_EQ(j["claims"]["tcb_status"], "ConfigurationAndSWHardeningNeeded");
  EXPECT_EQ(j["claims"]["advisory_ids"], json({"INTEL-SA-00289", "INTEL-SA-00615"}));
  // A TDX quote is not an SGX quote.
  CliResult wrong = Attestctl("verify sgx" + kV4 + " --at 2025-07-01T00:00:00Z --json");
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_EQ(Parse(wrong)["errors"][0]["code"], "tdx.unsupported_quote");
}

TEST(VerifyTdxCli, RejectedOutsideWindowKeepsClaims) {
  CliResult r = Attestctl("verify tdx" + kV4 + " --at 2025-07-20T00:00:00Z --json");
  EXPECT_EQ(r.exit_code, 1);
  json j = Parse(r);
  EXPECT_EQ(j["verdict"], "rejected");
  EXPECT_EQ(j["errors"][0]["code"], "tdx.tcb_info_expired");
  EXPECT_EQ(j["claims"]["mr_td"].get<std::string>().substr(0, 8), "91eb2b44");
}

TEST(VerifyTdxCli, HexQuoteAndUsageErrors) {
  const fs::path dir = TempDir("hex");
  std::ifstream in(VectorPath("tdx/dcap-qvl-v4/quote.bin"), std::ios::binary);
  const std::string bin((std::istreambuf_iterator<char>(in)), {});
  Write(dir / "quote.hex", attest::HexEncode(attest::AsBytes(bin)) + "\n");
  CliResult r = Attestctl("verify tdx --quote " + (dir / "quote.hex").string() + " --collateral " +
                          VectorPath("tdx/dcap-qvl-v4/collateral.json") +
                          " --at 2025-07-01T00:00:00Z --json");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(Attestctl("verify tdx --collateral x --at 2025-07-01T00:00:00Z").exit_code, 2);
  EXPECT_EQ(Attestctl("verify tdx --quote /nonexistent").exit_code, 2);
  EXPECT_EQ(Attestctl("verify tdx" + kV4 + " --collateral-dir " + dir.string()).exit_code, 2);
  EXPECT_EQ(Attestctl("verify tdx" + kV4 + " --at yesterday").exit_code, 2);
  EXPECT_EQ(Attestctl("verify tdx" + kV4 + " --bogus 1").exit_code, 2);
  EXPECT_EQ(Attestctl("verify sgx" + kV4 + " --ccel " + dir.string()).exit_code, 2);
  fs::remove_all(dir);
}

TEST(VerifyTdxCli, CollateralDirOfPcsResponses) {
  // Rebuild the raw PCS responses from the vector: the signed bodies are embedded verbatim.
  std::ifstream in(VectorPath("tdx/dcap-qvl-v4/collateral.json"));
  const json c = json::parse(in);
  const fs::path dir = TempDir("pcs");
  Write(dir / "tcb_info.json", "{\"tcbInfo\":" + c["tcb_info"].get<std::string>() +
                                   ",\"signature\":\"" +
                                   c["tcb_info_signature"].get<std::string>() + "\"}");
  Write(dir / "qe_identity.json", "{\"enclaveIdentity\":" + c["qe_identity"].get<std::string>() +
                                      ",\"signature\":\"" +
                                      c["qe_identity_signature"].get<std::string>() + "\"}");
  Write(dir / "tcb_info_issuer_chain.pem", c["tcb_info_issuer_chain"].get<std::string>());
  Write(dir / "qe_identity_issuer_chain.pem", c["qe_identity_issuer_chain"].get<std::string>());
  Write(dir / "pck_crl_issuer_chain.pem", c["pck_crl_issuer_chain"].get<std::string>());
  auto der = [](const json& v) {
    const attest::Bytes b = attest::HexDecode(v.get<std::string>()).value();
    return std::string(b.begin(), b.end());
  };
  Write(dir / "pck_crl.der", der(c["pck_crl"]));
  Write(dir / "root_ca_crl.der", der(c["root_ca_crl"]));
  const std::string quote = " --quote " + VectorPath("tdx/dcap-qvl-v4/quote.bin");
  CliResult r = Attestctl("verify tdx" + quote + " --collateral-dir " + dir.string() +
                          " --at 2025-07-01T00:00:00Z --json");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(Parse(r)["claims"]["tcb_status"], "UpToDate");

  // Pretty-printing a signed body breaks its signature: bytes are verified, not meaning.
  Write(dir / "tcb_info.json",
        "{\"tcbInfo\": " + json::parse(c["tcb_info"].get<std::string>()).dump(2) +
            ",\"signature\":\"" + c["tcb_info_signature"].get<std::string>() + "\"}");
  CliResult pretty = Attestctl("verify tdx" + quote + " --collateral-dir " + dir.string() +
                               " --at 2025-07-01T00:00:00Z --json");
  EXPECT_EQ(pretty.exit_code, 1);
  EXPECT_EQ(Parse(pretty)["errors"][0]["code"], "tdx.tcb_info_signature_invalid");

  fs::remove(dir / "root_ca_crl.der");
  CliResult missing = Attestctl("verify tdx" + quote + " --collateral-dir " + dir.string() +
                                " --at 2025-07-01T00:00:00Z --json");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(Parse(missing)["errors"][0]["code"], "tdx.collateral_missing");
  fs::remove_all(dir);
}

TEST(VerifyTdxCli, CcelReplay) {
  const std::string base = "verify tdx --quote " + VectorPath("tdx/gotdx-ccel/quote.bin") +
                           " --at 2025-01-01T00:00:00Z --json --ccel ";
  CliResult ok = Attestctl(base + VectorPath("tdx/gotdx-ccel/ccel_data.dat"));
  ASSERT_EQ(ok.exit_code, 0) << ok.out;
  EXPECT_EQ(Parse(ok)["claims"]["ccel"]["rtmr_replay_ok"], true);
  EXPECT_EQ(Parse(ok)["claims"].count("tcb_status"), 0u);  // no collateral given
  CliResult wrong = Attestctl(base + VectorPath("tdx/gotdx-ccel/ccel_table.dat"));
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_EQ(Parse(wrong)["errors"][0]["code"], "tdx.ccel_malformed");
}

}  // namespace
