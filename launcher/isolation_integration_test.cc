// Isolation proof: a security group's rules, applied the way a host applies them (iptables, with
// the same semantics as the nwfilter: replies accepted, listed NEW flows accepted, everything else
// dropped), between two network namespaces this test creates and joins with a veth pair. Nothing
// touches the host's own interfaces or firewall. Root only (CAP_NET_ADMIN); skipped otherwise
// unless CI=true.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string_view>
#include <thread>

#include "launcher/integration_util.h"
#include "launcher/nwfilter.h"

namespace attest::launcher {
namespace {

using itest::RunCommand;

class IsolationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0 || RunCommand({"ip", "netns", "list"}).exit_code != 0) {
      const char* ci = std::getenv("CI");
      if (ci != nullptr && std::string_view(ci) == "true") {
        FAIL() << "needs root and iproute2";
      }
      GTEST_SKIP() << "needs root (network namespaces)";
    }
    std::string s = itest::RandomSuffix();
    client_ = "attest-c-" + s;
    vm_ = "attest-v-" + s;
    ASSERT_EQ(RunCommand({"ip", "netns", "add", client_}).exit_code, 0);
    ASSERT_EQ(RunCommand({"ip", "netns", "add", vm_}).exit_code, 0);
    // The veth pair is created inside the client namespace, so it never exists on the host.
    ASSERT_EQ(Exec(client_, {"ip", "link", "add", "veth0", "type", "veth", "peer", "name", "veth1",
                             "netns", vm_})
                  .exit_code,
              0);
    ASSERT_EQ(Exec(client_, {"ip", "addr", "add", "10.232.0.1/24", "dev", "veth0"}).exit_code, 0);
    ASSERT_EQ(Exec(vm_, {"ip", "addr", "add", "10.232.0.2/24", "dev", "veth1"}).exit_code, 0);
    for (const auto& [ns, dev] : {std::pair{client_, "veth0"}, std::pair{vm_, "veth1"}}) {
      ASSERT_EQ(Exec(ns, {"ip", "link", "set", "lo", "up"}).exit_code, 0);
      ASSERT_EQ(Exec(ns, {"ip", "link", "set", dev, "up"}).exit_code, 0);
    }
  }

  void TearDown() override {
    for (int pid : listeners_) {
      itest::Stop(pid);
    }
    if (!client_.empty()) {
      static_cast<void>(RunCommand({"ip", "netns", "del", client_}));
    }
    if (!vm_.empty()) {
      static_cast<void>(RunCommand({"ip", "netns", "del", vm_}));
    }
  }

  static itest::CommandResult Exec(const std::string& ns, std::vector<std::string> argv) {
    argv.insert(argv.begin(), {"ip", "netns", "exec", ns});
    return RunCommand(argv);
  }

  // Listen starts a TCP server in ns on port that answers "hello".
  void Listen(const std::string& ns, int port) {
    listeners_.push_back(itest::Spawn({"ip", "netns", "exec", ns, "socat",
                                       "TCP-LISTEN:" + std::to_string(port) + ",reuseaddr,fork",
                                       "SYSTEM:echo hello"}));
  }

  // Connect returns what a client in ns reads from addr:port (empty when the flow is dropped).
  static std::string Connect(const std::string& ns, const std::string& addr, int port) {
    auto r = Exec(ns, {"socat", "-T", "2", "-",
                       "TCP:" + addr + ":" + std::to_string(port) + ",connect-timeout=2"});
    return r.exit_code == 0 ? r.output : "";
  }

  std::string client_, vm_;
  std::vector<int> listeners_;
};

TEST_F(IsolationTest, ListedFlowPassesUnlistedIsDropped) {
  SecurityGroup group{"web",
                      "tenant-a",
                      {{Protocol::kTcp, 2222, 2222, "10.232.0.1/32", ""},
                       {Protocol::kTcp, 8080, 8080, "10.99.0.0/16", ""}}};
  auto rules = ResolveRules(group, {});
  ASSERT_TRUE(rules.ok()) << rules.status().ToString();
  ASSERT_EQ(Exec(vm_, {"iptables", "-N", "SG"}).exit_code, 0);
  ASSERT_EQ(Exec(vm_, {"iptables", "-A", "INPUT", "-i", "veth1", "-j", "SG"}).exit_code, 0);
  for (auto argv : IptablesArgv(*rules, "SG")) {
    argv.insert(argv.begin(), "iptables");
    auto r = Exec(vm_, argv);
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  Listen(vm_, 2222);  // listed for the client's address
  Listen(vm_, 8080);  // listed, but only for another source prefix
  Listen(vm_, 9090);  // not listed
  Listen(client_, 7070);
  // Wait until the listeners are up (checked from inside the VM namespace, which is not filtered).
  for (int i = 0; i < 50 && Connect(vm_, "127.0.0.1", 9090).empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(Connect(vm_, "127.0.0.1", 2222), "hello\n");

  EXPECT_EQ(Connect(client_, "10.232.0.2", 2222), "hello\n");
  EXPECT_EQ(Connect(client_, "10.232.0.2", 8080), "");
  EXPECT_EQ(Connect(client_, "10.232.0.2", 9090), "");
  // Outbound from the VM is allowed and its replies come back (conntrack ESTABLISHED).
  EXPECT_EQ(Connect(vm_, "10.232.0.1", 7070), "hello\n");
  // The drop rule counted the refused SYNs.
  auto counters = Exec(vm_, {"iptables", "-L", "SG", "-v", "-n", "-x"});
  EXPECT_NE(counters.output.find("DROP"), std::string::npos) << counters.output;
}

}  // namespace
}  // namespace attest::launcher
