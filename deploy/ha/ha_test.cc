// deploy/ha end to end (issue 21): ha.sh's two attestd replicas on one PostgreSQL behind HAProxy.
// Through the front, with attestctl and curl --aws-sigv4: a tenant, a host policy, a swtpm host
// enrolled and trusted by attest-agent, a policy, a volume, a VM, and a key release by
// `attest-agent guest unlock` with the software TEE. Then, on the replicas directly: a nonce
// issued by one is redeemed on the other once and refused on the first. Then replica 1 killed
// with SIGKILL: HAProxy's /readyz checks take it out while the front keeps answering, and it
// rejoins after a restart; PostgreSQL cut off (iptables, as root) takes both out of rotation and
// they return with it. Needs haproxy and Debian's PostgreSQL server (skipped without them,
// failed under CI=true); ha.sh starts its own PostgreSQL.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "attest/core/encoding.h"
#include "protocol/jwe.h"
#include "tests/integration/e2e_support.h"

namespace attest {
namespace {

namespace fs = std::filesystem;
using e2e::B;
using e2e::HttpStatus;
using e2e::JsonBody;
using e2e::Output;
using e2e::Quoted;
using e2e::Sh;
using e2e::ShOut;

constexpr char kHa[] = "deploy/ha/ha.sh";  // tests run from the repository root

class HaDeployment : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* need : {"command -v haproxy", "ls /usr/lib/postgresql/*/bin/initdb"}) {
      if (Sh(std::string(need) + " >/dev/null 2>&1").rc != 0) {
        if (e2e::StrictCi()) {
          FAIL() << "missing under CI=true: " << need << " (scripts/deps.sh test)";
        }
        GTEST_SKIP() << "not installed: " << need;
      }
    }
    char tmpl[] = "/tmp/attest-ha-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ha_ = dir_ + "/ha";
    ASSERT_EQ(chmod(dir_.c_str(), 0755), 0);  // PostgreSQL runs as postgres under DIR
  }

  void TearDown() override {
    if (!ha_.empty()) {
      Sh(std::string(kHa) + " stop " + ha_);
    }
    host_.reset();
    if (!dir_.empty()) {
      fs::remove_all(dir_);
    }
  }

  // StartHa runs `ha.sh start` with the settings key release needs beyond init's defaults: the
  // swtpm's EK CA and the software TEE's SNP roots.
  void StartHa() {
    fs::create_directories(dir_ + "/host");  // the host's event log goes there
    host_ = std::make_unique<e2e::MeasuredHost>(dir_ + "/host");
    ASSERT_NO_FATAL_FAILURE(host_->Start());
    ASSERT_NO_FATAL_FAILURE(host_->Boot(loader_));
    ASSERT_EQ(ShOut(Tee("init")).rc, 0);
    Output roots = ShOut(Tee("roots"));
    ASSERT_EQ(roots.rc, 0) << roots.text;
    std::ofstream(dir_ + "/snp-test-roots.pem") << roots.text;
    std::ofstream(dir_ + "/test-roots.json")
        << nlohmann::json{{"snp_root_chains", {dir_ + "/snp-test-roots.pem"}}};
    std::ofstream(dir_ + "/settings.json") << nlohmann::json{
        {"ek_ca_bundle", host_->swtpm().CaDir()}, {"test_roots", dir_ + "/test-roots.json"}};
    Output out = Sh("ATTESTD_BIN=" + std::string(ATTESTD_BIN) + " " + kHa + " start " + ha_ +
                    " --replicas 2 --settings " + dir_ + "/settings.json");
    ASSERT_EQ(out.rc, 0) << out.text;
    front_ = Env("HA_FRONT_URL");
    ca_ = Env("HA_CA_CERT");
    ASSERT_FALSE(front_.empty());
  }

  // Env is NAME's value in the env file ha.sh wrote.
  std::string Env(const std::string& name) const {
    return ShOut(". " + ha_ + "/env && printf %s \"$" + name + "\"").text;
  }

  std::string Tee(const std::string& verb) const {
    return std::string(SOFTWARE_TEE_BIN) + " " + verb + " --state " + dir_ + "/tee.state";
  }

  // Ctl runs attestctl as profile against url (default: the front); credentials come from the
  // operator's file plus the tenant's profile the test adds.
  Output Ctl(const std::string& profile, const std::string& args, std::string url = "") const {
    if (url.empty()) {
      url = front_;
    }
    return ShOut("AWS_SHARED_CREDENTIALS_FILE=" + dir_ + "/credentials " + ATTESTCTL_BIN +
                 " --endpoint " + url + " --ca-cert " + ca_ + " --profile " + profile + " " + args);
  }
  nlohmann::json CtlJson(const std::string& profile, const std::string& args) const {
    Output out = Ctl(profile, args);
    EXPECT_EQ(out.rc, 0) << args << ": " << out.text;
    return nlohmann::json::parse(out.text, nullptr, false);
  }

  // Curl: curl against url + path; signed with --aws-sigv4 when user ("ID:SECRET") is set.
  Output Curl(const std::string& url, const std::string& user, const std::string& method,
              const std::string& path, const std::string& body = "") const {
    std::string cmd = "curl -sS -m 10 --cacert " + ca_ + " -X " + method + " -w ' %{http_code}' ";
    if (!user.empty()) {
      cmd += "--aws-sigv4 aws:amz:local:attestd --user " + Quoted(user) +
             " -H \"X-Request-Id: $(od -An -tx1 -N12 /dev/urandom | tr -d ' \\n')\" ";
    }
    if (!body.empty()) {
      cmd += "-H 'Content-Type: application/json' --data-binary " + Quoted(body) + " ";
    }
    return Sh(cmd + Quoted(url + path));
  }

  // ServersUp is how many replicas HAProxy counts as up (`ha.sh status`: "servers up: N/2").
  std::string ServersUp() const {
    Output out = Sh(std::string(kHa) + " status " + ha_);
    const size_t at = out.text.find("servers up: ");
    return at == std::string::npos ? "" : out.text.substr(at + 12, 3);
  }
  bool WaitServersUp(const std::string& want, int tenths = 100) const {
    for (int i = 0; i < tenths; ++i) {
      if (ServersUp() == want) {
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  // AttestBody is a POST /v1/attest body for nonce with the software TEE's evidence, bound to a
  // fresh guest key.
  nlohmann::json AttestBody(const std::string& vm_id, const std::string& nonce_hex,
                            const std::string& host_data_b64) const {
    const std::string pub_json = protocol::PublicJwk(protocol::GenerateGuestKey().value()).value();
    const Bytes nonce = HexDecode(nonce_hex).value();
    const Sha512Digest report_data =
        protocol::ReportDataBinding(nonce, protocol::ParseGuestJwk(pub_json).value());
    Output ev =
        ShOut(Tee("snp") + " --host-data-b64 " + host_data_b64 + " " + HexEncode(report_data));
    EXPECT_EQ(ev.rc, 0) << ev.text;
    return {{"vm_id", vm_id},
            {"nonce", nonce_hex},
            {"guest_key", nlohmann::json::parse(pub_json)},
            {"evidence", nlohmann::json::parse(ev.text, nullptr, false)}};
  }

  std::string dir_, ha_, front_, ca_;
  const Bytes loader_ = B("ha boot loader v1");
  std::unique_ptr<e2e::MeasuredHost> host_;
};

TEST_F(HaDeployment, ReplicasShareStateAndSurviveAKill) {
  ASSERT_NO_FATAL_FAILURE(StartHa());
  const std::string op = "attestd-operator";
  ASSERT_EQ(Sh("cp " + Env("HA_OPERATOR_CREDENTIALS") + " " + dir_ + "/credentials").rc, 0);

  // --- the operator, through the front: a tenant, a host policy, the host enrolled and trusted ---
  nlohmann::json tenant = CtlJson(op, "tenant create acme");
  ASSERT_TRUE(tenant.contains("secret_access_key")) << tenant.dump();
  const std::string acme_user = tenant["access_key_id"].get<std::string>() + ":" +
                                tenant["secret_access_key"].get<std::string>();
  std::ofstream(dir_ + "/credentials", std::ios::app)
      << "\n[acme]\naws_access_key_id = " << tenant["access_key_id"].get<std::string>()
      << "\naws_secret_access_key = " << tenant["secret_access_key"].get<std::string>() << "\n";
  std::ofstream(dir_ + "/host-policy.json")
      << nlohmann::json{{"name", "ha"},
                        {"any_firmware", true},
                        {"boot_application_digests", {e2e::Sha256Hex(loader_)}}};
  ASSERT_EQ(Ctl(op, "host-policy put ha " + dir_ + "/host-policy.json").rc, 0);
  nlohmann::json enrollment = CtlJson(op, "host enrollment create --host-policy ha --tees snp");
  ASSERT_TRUE(enrollment.contains("token")) << enrollment.dump();
  const std::string agent = std::string(AGENT_BIN) + " host ";
  const std::string at_front = " --endpoint " + front_ + " --ca-cert " + ca_ + " --tcti " +
                               Quoted(host_->swtpm().Tcti()) + " ";
  const std::string platform = " --platform-file " + dir_ + "/platform.json";
  ASSERT_EQ(ShOut(Tee("platform") + " > " + dir_ + "/platform.json").rc, 0);
  Output out = Sh(agent + "enroll" + at_front + "--out " + host_->CredentialsPath() + " --token " +
                  enrollment["token"].get<std::string>() + platform);
  ASSERT_EQ(out.rc, 0) << out.text;
  out = Sh(agent + "run" + at_front + "--credentials " + host_->CredentialsPath() +
           " --once --eventlog " + host_->EventLogPath() + platform);
  ASSERT_EQ(out.rc, 0) << out.text;

  // --- the tenant, through the front: policy (curl), volume and VM (attestctl) ---
  Output measurement = ShOut(Tee("measurement"));
  ASSERT_EQ(measurement.rc, 0);
  const nlohmann::json policy = {
      {"name", "guest"},
      {"snp",
       {{"measurements", {measurement.text.substr(0, 96)}},
        {"host_data_launch_ticket", true},
        {"allow_debug", false}}},
      {"host", {{"host_policy", "ha"}, {"max_quote_age_seconds", 3600}}}};
  out = Curl(front_, acme_user, "PUT", "/v1/policies/guest", policy.dump());
  ASSERT_EQ(HttpStatus(out), "201") << out.text;
  nlohmann::json volume = CtlJson("acme", "volume create root");
  ASSERT_TRUE(volume.contains("volume_id")) << volume.dump();
  const std::string volume_id = volume["volume_id"];
  nlohmann::json vm = CtlJson("acme", "vm create --tee snp --policy guest --volume " + volume_id);
  ASSERT_TRUE(vm.contains("vm_id")) << vm.dump();
  const std::string vm_id = vm["vm_id"];
  const std::string host_data = vm["host_data"];

  // --- a full key release through the front, as a guest does it ---
  const std::string key_file = dir_ + "/key.bin";
  out = Sh(std::string(AGENT_BIN) + " guest unlock --endpoint " + front_ + " --ca-cert " + ca_ +
           " --vm-id " + vm_id + " --volume " + volume_id + " --out " + key_file +
           " --evidence-command " + Quoted(Tee("snp") + " --host-data-b64 " + host_data));
  ASSERT_EQ(out.rc, 0) << out.text;
  EXPECT_EQ(fs::file_size(key_file), 32u);

  // --- one nonce, two replicas: issued by 1, redeemed on 2, then refused on 1 and 2 ---
  const std::string r1 = Env("HA_REPLICA_1_URL"), r2 = Env("HA_REPLICA_2_URL");
  out = Curl(r1, "", "POST", "/v1/attest/challenge", nlohmann::json{{"vm_id", vm_id}}.dump());
  ASSERT_EQ(HttpStatus(out), "201") << out.text;
  const std::string nonce = JsonBody(out)["nonce"];
  const std::string body = AttestBody(vm_id, nonce, host_data).dump();
  out = Curl(r2, "", "POST", "/v1/attest", body);
  ASSERT_EQ(HttpStatus(out), "200") << out.text;
  EXPECT_EQ(JsonBody(out)["keys"].size(), 1u) << out.text;
  const struct {
    std::string name, url, body;
  } refused[] = {
      {"same nonce again on replica 1", r1, body},
      {"same nonce again on replica 2", r2, body},
      {"same nonce, fresh evidence, replica 1", r1, AttestBody(vm_id, nonce, host_data).dump()},
      {"a nonce nobody issued, replica 2", r2,
       AttestBody(vm_id, std::string(64, 'a'), host_data).dump()},
  };
  for (const auto& c : refused) {
    SCOPED_TRACE(c.name);
    out = Curl(c.url, "", "POST", "/v1/attest", c.body);
    EXPECT_EQ(HttpStatus(out), "403") << out.text;
    EXPECT_NE(out.text.find("release.nonce_rejected"), std::string::npos) << out.text;
    EXPECT_EQ(out.text.find("\"keys\""), std::string::npos) << out.text;
  }

  // --- the replicas see the client's address (PROXY v2), never HAProxy's own (its checks) ---
  const std::string logs = Env("HA_REPLICA_1_LOG") + " " + Env("HA_REPLICA_2_LOG");
  const std::string proxy = "client=" + Env("HA_PROXY_SOURCE");
  EXPECT_EQ(Sh("grep -h 'route=/v1/' " + logs + " | grep -c " + proxy).text, "0\n");
  EXPECT_NE(Sh("grep -h 'route=/readyz' " + logs + " | grep -c " + proxy).text, "0\n");

  // --- replica 1 killed: the front keeps answering, HAProxy takes it out, then back in ---
  ASSERT_EQ(ServersUp(), "2/2");
  ASSERT_EQ(Sh(std::string(kHa) + " replica " + ha_ + " 1 kill").rc, 0);
  for (int i = 0; i < 10; ++i) {  // before and after the checks notice: retries + redispatch
    SCOPED_TRACE("request " + std::to_string(i) + " after the kill");
    out = Curl(front_, acme_user, "GET", "/v1/policies/guest");
    EXPECT_EQ(HttpStatus(out), "200") << out.text;
  }
  EXPECT_TRUE(WaitServersUp("1/2")) << Sh(std::string(kHa) + " status " + ha_).text;
  EXPECT_NE(Sh(std::string(kHa) + " status " + ha_).rc, 0);  // a component is down
  nlohmann::json again =
      CtlJson("acme", "vm create --tee snp --policy guest --volume " + volume_id);
  EXPECT_TRUE(again.contains("vm_id")) << again.dump();
  EXPECT_EQ(Ctl("acme", "policy get guest", r1).rc, 2);  // nothing listens there

  ASSERT_EQ(Sh(std::string(kHa) + " replica " + ha_ + " 1 start").rc, 0);
  EXPECT_TRUE(WaitServersUp("2/2")) << Sh(std::string(kHa) + " status " + ha_).text;
  EXPECT_EQ(Sh(std::string(kHa) + " status " + ha_).rc, 0);
  out = Ctl("acme", "vm get " + again.value("vm_id", std::string("none")), Env("HA_REPLICA_1_URL"));
  EXPECT_EQ(out.rc, 0) << out.text;  // what replica 2 wrote while 1 was down

  // --- PostgreSQL unreachable (packets dropped, as README "Scale out" says to cut it): the
  // replicas' /readyz turns 503 within seconds instead of serving the last "ready", and both come
  // back once the database does. Needs root (iptables); elsewhere this part is left out. ---
  const std::string rule =
      "INPUT -i lo -d " + Env("PGHOST") + " -p tcp --dport " + Env("PGPORT") + " -j DROP";
  if (Sh("iptables -I " + rule).rc == 0) {
    bool all_unready = false;
    for (int i = 0; i < 150 && !all_unready; ++i) {  // 15 s: the 5 s bound, plus a check's wait
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      all_unready = HttpStatus(Curl(r1, "", "GET", "/readyz")) == "503" &&
                    HttpStatus(Curl(r2, "", "GET", "/readyz")) == "503";
    }
    Sh("iptables -D " + rule);
    EXPECT_TRUE(all_unready) << Curl(r1, "", "GET", "/readyz").text;
    EXPECT_TRUE(WaitServersUp("2/2", 300)) << Sh(std::string(kHa) + " status " + ha_).text;
    out = Curl(front_, acme_user, "GET", "/v1/policies/guest");
    EXPECT_EQ(HttpStatus(out), "200") << out.text;
  } else {
    EXPECT_NE(geteuid(), 0u) << "iptables -I " << rule << " failed as root";
    std::cout << "[ NOTE ] not root: the PostgreSQL cut is not tested\n";
  }

  // --- stop: everything ends, and a second stop is no error ---
  const std::string pids =
      Env("HA_REPLICA_1_PID") + " " + Env("HA_REPLICA_2_PID") + " " + Env("HA_HAPROXY_PID");
  ASSERT_EQ(Sh(std::string(kHa) + " stop " + ha_).rc, 0);
  EXPECT_NE(Sh("kill -0 " + pids + " 2>/dev/null").rc, 0);
  EXPECT_EQ(Sh(std::string(kHa) + " stop " + ha_).rc, 0);
  EXPECT_NE(Sh(std::string(kHa) + " status " + ha_).rc, 0);
}

// What ha.sh refuses, each before it starts anything.
TEST_F(HaDeployment, StartRefusesWhatCannotWork) {
  const struct {
    std::string name, args, want;
  } cases[] = {
      {"sqlite cannot back replicas", "--db sqlite", "only postgres"},
      {"one replica is no replicas", "--replicas 1", "--replicas wants 2 or 3"},
      {"four replicas", "--replicas 4", "--replicas wants 2 or 3"},
      {"settings not a JSON object", "--settings /dev/null", "is not a JSON object"},
      {"an unknown flag", "--frobnicate", "ha.sh start DIR"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Output out = Sh("ATTESTD_BIN=" + std::string(ATTESTD_BIN) + " " + kHa + " start " + dir_ +
                    "/refused " + c.args);
    EXPECT_NE(out.rc, 0) << out.text;
    EXPECT_NE(out.text.find(c.want), std::string::npos) << out.text;
    EXPECT_FALSE(fs::exists(dir_ + "/refused/run")) << "started something";
  }
  Output out = Sh(std::string(kHa) + " replica " + dir_ + "/refused 1 kill");
  EXPECT_NE(out.rc, 0) << out.text;
}

}  // namespace
}  // namespace attest
