#include "tests/integration/e2e_support.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "agent/tpm_device.h"
#include "attest/core/digest.h"
#include "attest/core/encoding.h"
#include "attest/core/file_io.h"
#include "attest/tpm/eventlog.h"

namespace attest::e2e {
namespace {

Output Run(const std::string& command) {
  Output out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    return out;
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) {
    out.text.append(buf, n);
  }
  const int status = pclose(pipe);
  out.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

Bytes Sha(const EVP_MD* md, ByteSpan data) {
  Bytes out(EVP_MD_size(md));
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr);
  return out;
}

std::vector<std::pair<uint16_t, Bytes>> DigestsOf(const Measurement& m) {
  const Bytes& hashed = m.image.empty() ? m.data : m.image;
  return {{tpm::kAlgSha1, Sha(EVP_sha1(), hashed)}, {tpm::kAlgSha256, Sha(EVP_sha256(), hashed)}};
}

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

}  // namespace

Output Sh(const std::string& command) { return Run(command + " 2>&1"); }
Output ShOut(const std::string& command) { return Run(command); }
std::string Quoted(const std::string& s) { return "'" + s + "'"; }
Bytes B(const std::string& s) { return Bytes(s.begin(), s.end()); }
bool StrictCi() { return Env("CI") == "true"; }

int FreePort() {
  for (int attempt = 0; attempt < 50; ++attempt) {
    // 10000..31999: below the kernel's ephemeral range (32768 and up), so the local end of an
    // outgoing connection can never hold the port before the server binds it.
    const int port =
        10000 +
        static_cast<int>(Sha256(AsBytes(std::to_string(getpid()) + ":" + std::to_string(attempt) +
                                        ":" + std::to_string(time(nullptr))))[0] *
                         157 % 22000);
    if (Sh("bash -c " + Quoted("exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(port))).rc != 0) {
      return port;
    }
  }
  return 0;
}

std::string HttpStatus(const Output& out) { return out.text.substr(out.text.rfind(' ') + 1); }

nlohmann::json JsonBody(const Output& out) {
  const size_t space = out.text.rfind(' ');
  return nlohmann::json::parse(out.text.substr(0, space == std::string::npos ? 0 : space), nullptr,
                               false);
}

std::string Sha256Hex(ByteSpan data) { return HexEncode(Sha(EVP_sha256(), data)); }

void PostgresDatabase::Create(const std::string& prefix) {
  if (Env("PGHOST").empty()) {
    if (StrictCi()) {
      FAIL() << "PGHOST not set under CI=true (scripts/services.sh start DIR)";
    }
    GTEST_SKIP() << "PGHOST not set: start PostgreSQL with scripts/services.sh";
  }
  name_ = prefix + "_" + std::to_string(getpid());
  Output created = Sh("psql -qtAc " + Quoted("CREATE DATABASE " + name_));
  ASSERT_EQ(created.rc, 0) << created.text;
}

PostgresDatabase::~PostgresDatabase() {
  if (!name_.empty()) {
    (void)Sh("psql -qtAc " + Quoted("DROP DATABASE IF EXISTS " + name_));
  }
}

std::string PostgresDatabase::Conninfo() const {
  if (name_.empty()) {
    return "";
  }
  return "postgres:host=" + Env("PGHOST") + " port=" + Env("PGPORT") + " user=" + Env("PGUSER") +
         " dbname=" + name_;
}

void Attestd::Init(const std::string& database, const std::string& extra) {
  port_ = FreePort();
  ASSERT_NE(port_, 0);
  std::string init =
      bin_ + " init --data-dir " + Data() + " --listen-port " + std::to_string(port_);
  if (!database.empty()) {
    init += " --database " + Quoted(database);
  }
  if (!extra.empty()) {
    init += " " + extra;
  }
  Output out = Sh(init);
  ASSERT_EQ(out.rc, 0) << out.text;
  auto text = ReadFileBytes(Data() + "/attestd.json");
  ASSERT_TRUE(text.ok());
  config_ = nlohmann::json::parse(text->begin(), text->end());
  config_["collateral_fetch"] = false;  // no test ever reaches AMD's or Intel's servers
}

void Attestd::Start() {
  const std::string config_path = Data() + "/attestd.json";
  std::ofstream(config_path, std::ios::trunc) << config_.dump(2);
  pid_ = fork();
  if (pid_ == 0) {
    const std::string log = dir_ + "/attestd.log";
    if (freopen(log.c_str(), "a", stdout) == nullptr ||
        freopen(log.c_str(), "a", stderr) == nullptr) {
      _exit(126);
    }
    execl(bin_.c_str(), bin_.c_str(), "serve", "--config", config_path.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 100; ++i) {
    if (Curl("", "GET", "/healthz").rc == 0) {
      return;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = 0;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  FAIL() << "attestd did not start: " << Log();
}

void Attestd::InitReplicaOf(const Attestd& first) {
  port_ = FreePort();
  ASSERT_NE(port_, 0);
  Output out = Sh("mkdir -p " + Quoted(Data()) + " && cp -a " + Quoted(first.Data() + "/.") + " " +
                  Quoted(Data()));
  ASSERT_EQ(out.rc, 0) << out.text;
  config_ = first.config_;
  config_["listen_port"] = port_;
}

void Attestd::Kill() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = 0;
  }
}

void Attestd::Stop() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
    pid_ = 0;
  }
}

std::string Attestd::Log() const { return Sh("cat " + dir_ + "/attestd.log").text; }

std::string Attestd::OperatorUser() const {
  auto text = ReadFileBytes(Data() + "/operator-credentials");
  EXPECT_TRUE(text.ok());
  if (!text.ok()) {
    return "";
  }
  std::string id, secret, line;
  std::istringstream in(std::string(text->begin(), text->end()));
  while (std::getline(in, line)) {
    const auto eq = line.find(" = ");
    if (eq == std::string::npos) {
      continue;
    }
    if (line.rfind("aws_access_key_id", 0) == 0) {
      id = line.substr(eq + 3);
    }
    if (line.rfind("aws_secret_access_key", 0) == 0) {
      secret = line.substr(eq + 3);
    }
  }
  return id + ":" + secret;
}

Output Attestd::Curl(const std::string& user, const std::string& method, const std::string& path,
                     const std::string& body) const {
  std::string cmd = "curl -sS --cacert " + CaCert() + " -X " + method + " -w ' %{http_code}' ";
  if (!user.empty()) {
    // A fresh signed X-Request-Id per call: attestd accepts each signature of a change once, and
    // two identical calls within one second would otherwise sign alike.
    cmd += "--aws-sigv4 aws:amz:local:attestd --user " + Quoted(user) +
           " -H \"X-Request-Id: $(od -An -tx1 -N12 /dev/urandom | tr -d ' \\n')\" ";
  }
  if (!body.empty()) {
    cmd += "-H 'Content-Type: application/json' --data-binary " + Quoted(body) + " ";
  }
  return Sh(cmd + Quoted(Url() + path));
}

void MeasuredHost::Start() {
  testing::SwtpmOptions options;
  options.ek_certificate = true;
  auto tpm = testing::Swtpm::Start(options);
  ASSERT_TRUE(tpm.ok()) << tpm.status().ToString();
  swtpm_ = std::move(tpm).value();
}

void MeasuredHost::Boot(const Bytes& loader_image) {
  std::vector<Measurement> boot = {
      {0, tpm::kEvSCrtmVersion, B("e2e firmware 1.0"), {}},
      {4, tpm::kEvEfiBootServicesApplication, B("\\EFI\\BOOT\\BOOTX64.EFI"), loader_image}};
  for (uint32_t pcr = 0; pcr < 8; ++pcr) {
    boot.push_back({pcr, tpm::kEvSeparator, Bytes(4, 0), {}});
  }
  Measure(boot);
}

void MeasuredHost::Measure(const std::vector<Measurement>& events) {
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

void MeasuredHost::ExtendUnlogged(uint32_t pcr, const std::string& data) {
  auto tpm = agent::TpmDevice::Open(swtpm_->Tcti());
  ASSERT_TRUE(tpm.ok());
  ASSERT_TRUE((*tpm)->ExtendPcr(pcr, DigestsOf(Measurement{pcr, 0, B(data), {}}), 0).ok());
}

std::string MeasuredHost::HostId() const {
  auto text = ReadFileBytes(CredentialsPath());
  if (!text.ok()) {
    return "";
  }
  const std::string s(text->begin(), text->end());
  const std::string key = "host_id = ";
  const size_t at = s.find(key);
  return at == std::string::npos ? ""
                                 : s.substr(at + key.size(), s.find('\n', at) - at - key.size());
}

Output MeasuredHost::Agent(const std::string& agent_bin, const Attestd& attestd,
                           const std::string& verb, const std::string& extra) const {
  const std::string credential =
      verb == "enroll" ? " --out " + CredentialsPath() : " --credentials " + CredentialsPath();
  return Sh(agent_bin + " host " + verb + " --endpoint " + attestd.Url() + " --ca-cert " +
            attestd.CaCert() + " --tcti " + Quoted(swtpm_->Tcti()) + credential + " " + extra);
}

std::string Attestd::EnrollmentToken(const nlohmann::json& body) const {
  const Output out = Curl(OperatorUser(), "POST", "/v1/host-enrollments", body.dump());
  EXPECT_EQ(HttpStatus(out), "201") << out.text;
  const nlohmann::json j = JsonBody(out);
  return j.is_object() ? j.value("token", "") : "";
}

}  // namespace attest::e2e
