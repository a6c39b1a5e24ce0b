#include "service/api/placement.h"

#include <gtest/gtest.h>

#include <functional>

namespace attest::service::api {
namespace {

using std::chrono::seconds;

const TimePoint kNow = FromUnixSeconds(1764000000);

store::Host Good(const std::string& id, seconds quote_age = seconds(60)) {
  store::Host h;
  h.id = id;
  h.state = store::HostState::kTrusted;
  h.tees = {"snp", "tdx"};
  h.host_policy = "prod-hosts";
  h.last_good_quote = kNow - quote_age;
  h.trusted_until = kNow + seconds(600);
  return h;
}

TEST(PlaceVmHostTest, PicksTheFreshestEligibleHost) {
  std::vector<store::Host> hosts = {Good("h-a", seconds(300)), Good("h-b", seconds(30)),
                                    Good("h-c", seconds(30))};
  auto placed = PlaceVmHost(hosts, "snp", "prod-hosts", seconds(3600), kNow);
  ASSERT_TRUE(placed.ok()) << placed.status().ToString();
  EXPECT_EQ((*placed)->id, "h-b");  // freshest quote, then the smaller id
  // No maximum age: an old but still trusted host qualifies.
  hosts = {Good("h-old", seconds(86400))};
  EXPECT_TRUE(PlaceVmHost(hosts, "tdx", "prod-hosts", std::nullopt, kNow).ok());
  // A tenant policy that names no host policy takes any host policy.
  EXPECT_TRUE(PlaceVmHost(hosts, "tdx", "", std::nullopt, kNow).ok());
}

TEST(PlaceVmHostTest, OnlyHostsUnderTheTenantsHostPolicyQualify) {
  std::vector<store::Host> hosts = {Good("h-fresh-lab", seconds(10)), Good("h-old-prod")};
  hosts[0].host_policy = "lab-hosts";
  auto placed = PlaceVmHost(hosts, "snp", "prod-hosts", std::nullopt, kNow);
  ASSERT_TRUE(placed.ok()) << placed.status().ToString();
  EXPECT_EQ((*placed)->id, "h-old-prod");  // the fresher host is under another host policy
  placed = PlaceVmHost(hosts, "snp", "lab-hosts", std::nullopt, kNow);
  ASSERT_TRUE(placed.ok());
  EXPECT_EQ((*placed)->id, "h-fresh-lab");
  // Host policy names compare exactly: no prefix, no case folding.
  for (const std::string want : {"prod", "Prod-hosts", "prod-hosts ", "other"}) {
    SCOPED_TRACE(want);
    placed = PlaceVmHost(hosts, "snp", want, std::nullopt, kNow);
    ASSERT_FALSE(placed.ok());
    EXPECT_EQ(placed.status().reason_id(), "launcher.no_trusted_host");
    EXPECT_NE(placed.status().message().find("2 under another host policy"), std::string::npos)
        << placed.status().message();
    EXPECT_EQ(placed.status().message().find("prod-hosts"), std::string::npos);
  }
}

TEST(PlaceVmHostTest, RefusesEveryIneligibleHost) {
  struct Case {
    std::string name;
    std::function<void(store::Host&)> edit;
    std::string tee = "snp";
    std::optional<seconds> max_age = seconds(3600);
  };
  const std::vector<Case> cases = {
      {"untrusted", [](store::Host& h) { h.state = store::HostState::kUntrusted; }},
      {"activated only", [](store::Host& h) { h.state = store::HostState::kActivated; }},
      {"trust expired", [](store::Host& h) { h.trusted_until = kNow; }},
      {"no trusted_until", [](store::Host& h) { h.trusted_until.reset(); }},
      {"stale quote", [](store::Host& h) { h.last_good_quote = kNow - seconds(3601); }},
      {"no good quote", [](store::Host& h) { h.last_good_quote.reset(); }},
      {"quote from the future", [](store::Host& h) { h.last_good_quote = kNow + seconds(5); }},
      {"wrong tee", [](store::Host& h) { h.tees = {"tdx"}; }},
      {"no tees", [](store::Host& h) { h.tees.clear(); }},
      {"sev is not snp",
       [](store::Host& h) {
         h.tees = {"sev", "sev-es"};
       }},
      {"unknown tee asked", [](store::Host&) {}, "sev-snp"},
      {"another host policy", [](store::Host& h) { h.host_policy = "lab-hosts"; }},
      {"no host policy", [](store::Host& h) { h.host_policy.clear(); }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<store::Host> hosts = {Good("h-1")};
    c.edit(hosts[0]);
    auto placed = PlaceVmHost(hosts, c.tee, "prod-hosts", c.max_age, kNow);
    ASSERT_FALSE(placed.ok());
    EXPECT_EQ(placed.status().reason_id(), "launcher.no_trusted_host");
    // Operator host ids are not told to tenants.
    EXPECT_EQ(placed.status().message().find("h-1"), std::string::npos);
  }
  auto none = PlaceVmHost({}, "snp", "", std::nullopt, kNow);
  EXPECT_EQ(none.status().reason_id(), "launcher.no_trusted_host");
}

}  // namespace
}  // namespace attest::service::api
