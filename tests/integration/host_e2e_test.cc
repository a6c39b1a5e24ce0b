// End to end on real components: a swtpm with an EK certificate from its own local CA, the real
// attestd process over HTTPS (SQLite, then PostgreSQL), the real attest-agent enrolling and
// quoting, and Debian's curl with --aws-sigv4 for the operator's calls.
//
// The host's firmware log is crafted here (LogBuilder) and each of its events is extended into
// the swtpm, so the quote and the log agree as on a real machine. Then:
//   1. the host policy accepts it: the host is trusted and counted by the gauge;
//   2. the log changes (an unapproved boot application, measured and logged): the evidence still
//      verifies but the policy rejects it: untrusted;
//   3. the TPM is extended with something the log does not show: the evidence does not verify
//      (422): untrusted;
// and /metrics shows the decisions.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include <nlohmann/json.hpp>

#include "attest/tpm/eventlog.h"
#include "tests/integration/e2e_support.h"

namespace attest {
namespace {

namespace fs = std::filesystem;
using e2e::B;
using e2e::Output;
using e2e::Quoted;
using e2e::Sh;

class HostEndToEnd : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/attest-host-e2e-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    attestd_ = std::make_unique<e2e::Attestd>(ATTESTD_BIN, dir_);
    host_ = std::make_unique<e2e::MeasuredHost>(dir_);
    if (GetParam() == "postgres") {
      ASSERT_NO_FATAL_FAILURE(db_.Create("attest_host_e2e"));
    }
    if (IsSkipped()) {
      return;
    }
    ASSERT_NO_FATAL_FAILURE(host_->Start());
  }

  void TearDown() override {
    attestd_.reset();
    host_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  void Measure(const std::vector<e2e::Measurement>& events) { host_->Measure(events); }
  void ExtendUnlogged(uint32_t pcr, const std::string& data) { host_->ExtendUnlogged(pcr, data); }
  std::string EventLogPath() const { return host_->EventLogPath(); }
  std::string Data() const { return attestd_->Data(); }
  std::string Url() const { return attestd_->Url(); }

  void StartAttestd() {
    ASSERT_NO_FATAL_FAILURE(attestd_->Init(db_.Conninfo()));
    // The operator trusts the swtpm's local CA for EK certificates.
    attestd_->config()["ek_ca_bundle"] = host_->swtpm().CaDir();
    ASSERT_NO_FATAL_FAILURE(attestd_->Start());
  }
  void StopAttestd() { attestd_->Stop(); }

  Output Curl(const std::string& sign, const std::string& method, const std::string& path,
              const std::string& body = "") {
    return attestd_->Curl(sign, method, path, body);
  }
  std::string OperatorUser() { return attestd_->OperatorUser(); }
  Output Agent(const std::string& verb, const std::string& extra) {
    return host_->Agent(AGENT_BIN, *attestd_, verb, extra);
  }
  nlohmann::json Json(const Output& out) { return e2e::JsonBody(out); }
  std::string Status(const Output& out) { return e2e::HttpStatus(out); }

  std::string dir_;
  e2e::PostgresDatabase db_;
  std::unique_ptr<e2e::Attestd> attestd_;
  std::unique_ptr<e2e::MeasuredHost> host_;
};

TEST_P(HostEndToEnd, AgentEnrollsQuotesAndIsTrustedThenRejected) {
  const Bytes loader_v1 = B("bootloader image v1");
  ASSERT_NO_FATAL_FAILURE(host_->Boot(loader_v1));
  ASSERT_NO_FATAL_FAILURE(StartAttestd());
  const std::string op = OperatorUser();

  // The operator's host policy, uploaded with curl --aws-sigv4: the known boot loader only.
  const std::string policy = R"({"name": "e2e", "any_firmware": true,
      "boot_application_digests": [")" +
                             e2e::Sha256Hex(loader_v1) + R"("]})";
  Output out = Curl(op, "PUT", "/v1/host-policies/e2e", policy);
  ASSERT_EQ(Status(out), "201") << out.text;

  out = Agent("enroll", "--token " + attestd_->EnrollmentToken({{"host_policy", "e2e"}}));
  ASSERT_EQ(out.rc, 0) << out.text;
  const std::string host_id = host_->HostId();
  ASSERT_FALSE(host_id.empty());
  out = Curl(op, "GET", "/v1/hosts/" + host_id);
  EXPECT_EQ(Json(out)["state"], "activated") << out.text;
  EXPECT_EQ(Json(out)["ek_certificate"], true);  // checked against the swtpm's local CA

  // 1. Accepted.
  out = Agent("run", "--once --eventlog " + EventLogPath());
  EXPECT_EQ(out.rc, 0) << out.text;
  EXPECT_NE(out.text.find("trusted until"), std::string::npos) << out.text;
  out = Curl(op, "GET", "/v1/hosts/" + host_id);
  EXPECT_EQ(Json(out)["state"], "trusted") << out.text;
  EXPECT_EQ(Json(out)["last_quote_result"]["policy"], "e2e@1");
  out = Curl("", "GET", "/metrics");
  EXPECT_NE(out.text.find("attestd_trusted_hosts 1"), std::string::npos) << out.text;

  // 2. The host boots another loader: logged and measured, so the evidence verifies, but the
  // policy does not know the loader.
  Measure({{4, tpm::kEvEfiBootServicesApplication, B("\\EFI\\evil.efi"), B("unapproved loader")}});
  out = Agent("run", "--once --eventlog " + EventLogPath());
  EXPECT_EQ(out.rc, 1) << out.text;
  EXPECT_NE(out.text.find("host.boot_application_rejected"), std::string::npos) << out.text;
  out = Curl(op, "GET", "/v1/hosts/" + host_id);
  EXPECT_EQ(Json(out)["state"], "untrusted") << out.text;
  EXPECT_EQ(Json(out)["trusted"], false);

  // 3. A measurement the log does not show: the quote contradicts the log. Evidence that does not
  // verify is recorded as the last attempt and changes no trust state.
  ExtendUnlogged(7, "hidden change");
  out = Agent("run", "--once --eventlog " + EventLogPath());
  EXPECT_EQ(out.rc, 1) << out.text;
  EXPECT_NE(out.text.find("HTTP 422"), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("eventlog.pcr_mismatch"), std::string::npos) << out.text;
  out = Curl(op, "GET", "/v1/hosts");
  ASSERT_EQ(Status(out), "200") << out.text;
  ASSERT_EQ(Json(out)["hosts"].size(), 1u);
  EXPECT_EQ(Json(out)["hosts"][0]["state"], "untrusted");
  EXPECT_EQ(Json(out)["hosts"][0]["last_quote_result"]["verified"], true);
  EXPECT_EQ(Json(out)["hosts"][0]["last_attempt_result"]["verified"], false);

  // The database gauges are a snapshot refreshed once a second: wait (bounded) for the one taken
  // after the host lost its trust.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    out = Curl("", "GET", "/metrics");
    if (out.text.find("attestd_trusted_hosts 0") != std::string::npos ||
        std::chrono::steady_clock::now() >= deadline) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(out.text.find(R"(attestd_decisions_total{kind="host",outcome="accepted"} 1)"),
            std::string::npos)
      << out.text;
  EXPECT_NE(out.text.find(R"(attestd_decisions_total{kind="host",outcome="rejected"} 2)"),
            std::string::npos);
  EXPECT_NE(out.text.find(R"(attestd_verification_duration_seconds_count{evidence="tpm"} 3)"),
            std::string::npos);
  EXPECT_NE(out.text.find("attestd_trusted_hosts 0"), std::string::npos);

  // The loop never exits on a transient error: with attestd gone it backs off and keeps going.
  StopAttestd();
  Output loop =
      Sh("timeout --preserve-status -s TERM 4 " + std::string(AGENT_BIN) + " host run --endpoint " +
         Url() + " --ca-cert " + Data() + "/tls-cert.pem --tcti " + Quoted(host_->swtpm().Tcti()) +
         " --credentials " + host_->CredentialsPath() + " --interval 60");
  EXPECT_EQ(loop.rc, 0) << loop.text;  // stopped by SIGTERM, cleanly
  EXPECT_GE(static_cast<int>(std::count(loop.text.begin(), loop.text.end(), '\n')), 2)
      << loop.text;  // retried after 1 s and 2 s instead of waiting the 60 s interval
  EXPECT_NE(loop.text.find("client.transport_error"), std::string::npos) << loop.text;
}

INSTANTIATE_TEST_SUITE_P(Databases, HostEndToEnd, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace attest
