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
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <openssl/evp.h>

#include <nlohmann/json.hpp>

#include "agent/tpm_device.h"
#include "attest/core/digest.h"
#include "attest/core/encoding.h"
#include "attest/core/file_io.h"
#include "attest/tpm/alg.h"
#include "attest/tpm/eventlog.h"
#include "attest/tpm/log_builder.h"
#include "tests/tpm/swtpm_harness.h"

namespace attest {
namespace {

namespace fs = std::filesystem;

struct Output {
  int rc = -1;
  std::string text;  // stdout + stderr
};

// Sh runs command through /bin/sh and returns its exit code and output.
Output Sh(const std::string& command) {
  Output out;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) out.text.append(buf, n);
  const int status = pclose(pipe);
  out.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

Bytes B(const std::string& s) { return Bytes(s.begin(), s.end()); }

std::string Quoted(const std::string& s) { return "'" + s + "'"; }

int FreePort() {
  for (int attempt = 0; attempt < 50; ++attempt) {
    const int port =
        20000 +
        static_cast<int>(Sha256(AsBytes(std::to_string(getpid()) + ":" + std::to_string(attempt) +
                                        ":" + std::to_string(time(nullptr))))[0] *
                         157 % 40000);
    if (Sh("bash -c " + Quoted("exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(port))).rc != 0) {
      return port;
    }
  }
  return 0;
}

Bytes Sha(const EVP_MD* md, ByteSpan data) {
  Bytes out(EVP_MD_size(md));
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr);
  return out;
}

// Measurement is one event: what the firmware logs and extends.
struct Measurement {
  uint32_t pcr;
  uint32_t type;
  Bytes data;
  Bytes image;  // for boot applications: the digest is of the image, not the event data
};

std::vector<std::pair<uint16_t, Bytes>> DigestsOf(const Measurement& m) {
  const Bytes& hashed = m.image.empty() ? m.data : m.image;
  return {{tpm::kAlgSha1, Sha(EVP_sha1(), hashed)}, {tpm::kAlgSha256, Sha(EVP_sha256(), hashed)}};
}

class HostEndToEnd : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/attest-host-e2e-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    if (GetParam() == "postgres") {
      if (std::getenv("PGHOST") == nullptr) {
        if (std::getenv("CI") != nullptr && std::string(std::getenv("CI")) == "true") {
          FAIL() << "PGHOST not set under CI=true (scripts/services.sh start DIR; . DIR/env)";
        }
        GTEST_SKIP() << "PGHOST not set: start PostgreSQL with scripts/services.sh";
      }
      db_name_ = "attest_host_e2e_" + std::to_string(getpid());
      Output created = Sh("psql -qtAc " + Quoted("CREATE DATABASE " + db_name_));
      ASSERT_EQ(created.rc, 0) << created.text;
    }
    attest::testing::SwtpmOptions options;
    options.ek_certificate = true;
    auto tpm = attest::testing::Swtpm::Start(options);
    ASSERT_TRUE(tpm.ok()) << tpm.status().ToString();
    swtpm_ = std::move(tpm).value();
  }

  void TearDown() override {
    StopAttestd();
    swtpm_.reset();
    if (!db_name_.empty()) (void)Sh("psql -qtAc " + Quoted("DROP DATABASE IF EXISTS " + db_name_));
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Measure extends each measurement into the swtpm and appends it to the log file.
  void Measure(const std::vector<Measurement>& events) {
    auto tpm = agent::TpmDevice::Open(swtpm_->Tcti());
    ASSERT_TRUE(tpm.ok()) << tpm.status().ToString();
    for (const Measurement& m : events) {
      ASSERT_TRUE((*tpm)->ExtendPcr(m.pcr, DigestsOf(m), 0).ok());
      log_.AddWithDigests(m.pcr, m.type, m.data, DigestsOf(m));
    }
    std::ofstream(EventLogPath(), std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(log_.bytes().data()),
               static_cast<std::streamsize>(log_.bytes().size()));
  }

  // ExtendUnlogged extends PCR pcr with data's digest without logging it.
  void ExtendUnlogged(uint32_t pcr, const std::string& data) {
    auto tpm = agent::TpmDevice::Open(swtpm_->Tcti());
    ASSERT_TRUE(tpm.ok());
    ASSERT_TRUE((*tpm)->ExtendPcr(pcr, DigestsOf(Measurement{pcr, 0, B(data), {}}), 0).ok());
  }

  std::string EventLogPath() const { return dir_ + "/eventlog.bin"; }
  std::string Data() const { return dir_ + "/attestd"; }
  std::string Url() const { return "https://127.0.0.1:" + std::to_string(port_); }

  void StartAttestd() {
    port_ = FreePort();
    ASSERT_NE(port_, 0);
    std::string init = std::string(ATTESTD_BIN) + " init --data-dir " + Data() + " --listen-port " +
                       std::to_string(port_);
    if (!db_name_.empty()) {
      init += " --database " + Quoted("postgres:host=" + std::string(std::getenv("PGHOST")) +
                                      " port=" + std::getenv("PGPORT") +
                                      " user=" + std::getenv("PGUSER") + " dbname=" + db_name_);
    }
    Output out = Sh(init);
    ASSERT_EQ(out.rc, 0) << out.text;
    // The operator trusts the swtpm's local CA for EK certificates.
    const std::string config_path = Data() + "/attestd.json";
    auto text = ReadFileBytes(config_path);
    ASSERT_TRUE(text.ok());
    nlohmann::json config = nlohmann::json::parse(text->begin(), text->end());
    config["ek_ca_bundle"] = swtpm_->CaDir();
    std::ofstream(config_path, std::ios::trunc) << config.dump(2);

    pid_ = fork();
    if (pid_ == 0) {
      const std::string log = dir_ + "/attestd.log";
      freopen(log.c_str(), "w", stdout);
      freopen(log.c_str(), "a", stderr);
      execl(ATTESTD_BIN, ATTESTD_BIN, "serve", "--config", config_path.c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 100; ++i) {
      if (Curl("", "GET", "/healthz").rc == 0) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL() << "attestd did not start: " << Sh("cat " + dir_ + "/attestd.log").text;
  }

  void StopAttestd() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
      pid_ = 0;
    }
  }

  // Curl calls the API with Debian's curl; with sign, as the operator with --aws-sigv4.
  Output Curl(const std::string& sign, const std::string& method, const std::string& path,
              const std::string& body = "") {
    std::string cmd =
        "curl -sS --cacert " + Data() + "/tls-cert.pem -X " + method + " -w ' %{http_code}' ";
    if (!sign.empty()) cmd += "--aws-sigv4 aws:amz:local:attestd --user " + Quoted(sign) + " ";
    if (!body.empty()) {
      cmd += "-H 'Content-Type: application/json' --data-binary " + Quoted(body) + " ";
    }
    return Sh(cmd + Quoted(Url() + path));
  }

  std::string OperatorUser() {
    auto text = ReadFileBytes(Data() + "/operator-credentials");
    EXPECT_TRUE(text.ok());
    std::string id, secret, line;
    std::istringstream in(std::string(text->begin(), text->end()));
    while (std::getline(in, line)) {
      const auto eq = line.find(" = ");
      if (eq == std::string::npos) continue;
      if (line.rfind("aws_access_key_id", 0) == 0) id = line.substr(eq + 3);
      if (line.rfind("aws_secret_access_key", 0) == 0) secret = line.substr(eq + 3);
    }
    return id + ":" + secret;
  }

  Output Agent(const std::string& verb, const std::string& extra) {
    return Sh("AWS_SHARED_CREDENTIALS_FILE=" + Data() + "/operator-credentials " +
              std::string(AGENT_BIN) + " host " + verb + " --endpoint " + Url() +
              " --profile attestd-operator --ca-cert " + Data() + "/tls-cert.pem --tcti " +
              Quoted(swtpm_->Tcti()) + " --state " + dir_ + "/agent/host.json " + extra);
  }

  nlohmann::json Json(const Output& out) {
    const std::string body = out.text.substr(0, out.text.rfind(' '));
    return nlohmann::json::parse(body, nullptr, false);
  }
  std::string Status(const Output& out) { return out.text.substr(out.text.rfind(' ') + 1); }

  std::string dir_, db_name_;
  std::unique_ptr<attest::testing::Swtpm> swtpm_;
  tpm::LogBuilder log_ = tpm::LogBuilder::Agile({tpm::kAlgSha1, tpm::kAlgSha256});
  int port_ = 0;
  pid_t pid_ = 0;
};

TEST_P(HostEndToEnd, AgentEnrollsQuotesAndIsTrustedThenRejected) {
  const Bytes loader_v1 = B("bootloader image v1");
  std::vector<Measurement> boot = {
      {0, tpm::kEvSCrtmVersion, B("e2e firmware 1.0"), {}},
      {4, tpm::kEvEfiBootServicesApplication, B("\\EFI\\BOOT\\BOOTX64.EFI"), loader_v1}};
  for (uint32_t pcr = 0; pcr < 8; ++pcr) boot.push_back({pcr, tpm::kEvSeparator, Bytes(4, 0), {}});
  Measure(boot);
  ASSERT_NO_FATAL_FAILURE(StartAttestd());
  const std::string op = OperatorUser();

  // The operator's host policy, uploaded with curl --aws-sigv4: the known boot loader only.
  const std::string policy = R"({"name": "e2e", "any_firmware": true,
      "boot_application_digests": [")" +
                             HexEncode(Sha(EVP_sha256(), loader_v1)) + R"("]})";
  Output out = Curl(op, "PUT", "/v1/host-policies/e2e", policy);
  ASSERT_EQ(Status(out), "201") << out.text;

  out = Agent("enroll", "--host-policy e2e");
  ASSERT_EQ(out.rc, 0) << out.text;
  auto id = ReadFileBytes(dir_ + "/agent/host.json");
  ASSERT_TRUE(id.ok());
  const std::string host_id =
      nlohmann::json::parse(id->begin(), id->end())["host_id"].get<std::string>();
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

  // 3. A measurement the log does not show: the quote contradicts the log.
  ExtendUnlogged(7, "hidden change");
  out = Agent("run", "--once --eventlog " + EventLogPath());
  EXPECT_EQ(out.rc, 1) << out.text;
  EXPECT_NE(out.text.find("HTTP 422"), std::string::npos) << out.text;
  EXPECT_NE(out.text.find("eventlog.pcr_mismatch"), std::string::npos) << out.text;
  out = Curl(op, "GET", "/v1/hosts");
  ASSERT_EQ(Status(out), "200") << out.text;
  ASSERT_EQ(Json(out)["hosts"].size(), 1u);
  EXPECT_EQ(Json(out)["hosts"][0]["state"], "untrusted");
  EXPECT_EQ(Json(out)["hosts"][0]["last_quote_result"]["verified"], false);

  out = Curl("", "GET", "/metrics");
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
  const std::string loop_log = dir_ + "/loop.log";
  Output loop = Sh("timeout --preserve-status -s TERM 4 env AWS_SHARED_CREDENTIALS_FILE=" + Data() +
                   "/operator-credentials " + AGENT_BIN + " host run --endpoint " + Url() +
                   " --profile attestd-operator --ca-cert " + Data() + "/tls-cert.pem --tcti " +
                   Quoted(swtpm_->Tcti()) + " --state " + dir_ + "/agent/host.json --interval 60");
  EXPECT_EQ(loop.rc, 0) << loop.text;  // stopped by SIGTERM, cleanly
  EXPECT_GE(static_cast<int>(std::count(loop.text.begin(), loop.text.end(), '\n')), 2)
      << loop.text;  // retried after 1 s and 2 s instead of waiting the 60 s interval
  EXPECT_NE(loop.text.find("client.transport_error"), std::string::npos) << loop.text;
}

INSTANTIATE_TEST_SUITE_P(Databases, HostEndToEnd, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace attest
