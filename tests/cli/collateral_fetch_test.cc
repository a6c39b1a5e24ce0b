// attestctl collateral fetch against the loopback KDS / PCS replay, then the offline verifiers on
// what it wrote: the air-gapped flow of README "Collateral", end to end through the binary.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "tests/testing/replay_https_server.h"
#include "tests/testing/vectors.h"

namespace {

namespace fs = std::filesystem;
using attest::testing::ReplayHttpsServer;
using attest::testing::VectorPath;

int Attestctl(const std::string& args) {
  const int rc =
      std::system((std::string(ATTESTCTL_PATH) + " " + args + " >/dev/null 2>&1").c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

class CollateralFetchCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = ReplayHttpsServer::Start();
    ASSERT_NE(server_, nullptr);
    dir_ = fs::temp_directory_path() /
           ("attestctl-collateral-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Vendor() const { return " --ca-cert " + server_->ca_file(); }

  std::unique_ptr<ReplayHttpsServer> server_;
  fs::path dir_;
};

TEST_F(CollateralFetchCliTest, SnpFetchThenVerifyFromTheDirectory) {
  ASSERT_TRUE(server_->LoadScenario("kds-2025").ok());
  const std::string report = VectorPath("snp/gsg-milan-v2/report.bin");
  const std::string out = (dir_ / "milan").string();
  ASSERT_EQ(Attestctl("collateral fetch snp --report " + report + " --product Milan --kds-url " +
                      server_->url() + Vendor() + " --at 2025-07-01T00:00:00Z --out " + out),
            0);
  for (const char* name : {"vcek.der", "cert_chain.pem", "crl.der"}) {
    EXPECT_TRUE(fs::exists(fs::path(out) / name)) << name;
  }
  EXPECT_EQ(Attestctl("verify snp --report " + report + " --collateral-dir " + out +
                      " --at 2025-07-01T00:00:00Z"),
            0);
  // Past the fetched CRL's nextUpdate the same files are refused.
  EXPECT_EQ(Attestctl("verify snp --report " + report + " --collateral-dir " + out +
                      " --at 2026-06-01T00:00:00Z"),
            1);
  // Files are never overwritten.
  EXPECT_EQ(Attestctl("collateral fetch snp --report " + report + " --product Milan --kds-url " +
                      server_->url() + Vendor() + " --at 2025-07-01T00:00:00Z --out " + out),
            2);
}

TEST_F(CollateralFetchCliTest, DcapFetchThenVerifyTheBundle) {
  ASSERT_TRUE(server_->LoadScenario("pcs-2025-06-19").ok());
  for (const char* tee : {"tdx", "sgx"}) {
    SCOPED_TRACE(tee);
    const std::string quote = VectorPath(
        std::string(tee) == "tdx" ? "tdx/dcap-qvl-v4/quote.bin" : "tdx/dcap-qvl-sgx-v3/quote.bin");
    const std::string out = (dir_ / (std::string(tee) + ".json")).string();
    ASSERT_EQ(
        Attestctl(std::string("collateral fetch ") + tee + " --quote " + quote + " --pcs-url " +
                  server_->url() + " --root-crl-url " + server_->url() + "/IntelSGXRootCA.der" +
                  Vendor() + " --at 2025-06-27T00:00:00Z --out " + out),
        0);
    EXPECT_EQ(Attestctl(std::string("verify ") + tee + " --quote " + quote + " --collateral " +
                        out + " --at 2025-06-27T00:00:00Z"),
              0);
    EXPECT_EQ(Attestctl(std::string("verify ") + tee + " --quote " + quote + " --collateral " +
                        out + " --at 2025-07-20T00:00:00Z"),
              1);
  }
}

TEST_F(CollateralFetchCliTest, RefusalsAndUsageErrors) {
  ASSERT_TRUE(server_->LoadScenario("kds-2025").ok());
  ASSERT_TRUE(server_->LoadScenario("synthetic-errors").ok());  // the Milan VCEK answers 429
  const std::string report = VectorPath("snp/gsg-milan-v2/report.bin");
  const std::string base = "collateral fetch snp --report " + report + " --kds-url " +
                           server_->url() + Vendor() + " --at 2025-07-01T00:00:00Z";
  struct Case {
    const char* name;
    std::string args;
    int want;
  } cases[] = {
      {"throttled", base + " --product Milan --out " + (dir_ / "a").string(), 1},
      {"v2 report without a product", base + " --out " + (dir_ / "b").string(), 1},
      {"unknown product", base + " --product Rome --out " + (dir_ / "c").string(), 2},
      {"no --out", base + " --product Milan", 2},
      {"unknown TEE", "collateral fetch sev --report " + report, 2},
      {"no TEE", "collateral fetch", 2},
      {"CA bundle that does not trust the server",
       "collateral fetch snp --report " + report + " --product Milan --kds-url " + server_->url() +
           " --ca-cert " + VectorPath("snp/certs/ask_ark_milan.pem") + " --out " +
           (dir_ / "d").string(),
       1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(Attestctl(c.args), c.want);
  }
  EXPECT_FALSE(fs::exists(dir_ / "a" / "vcek.der"));
}

}  // namespace
