#include "launcher/launch.h"

#include <gtest/gtest.h>

#include <functional>

#include "launcher/testing/launch_test_fixture.h"

namespace attest::launcher {
namespace {

TEST_F(LaunchTest, SevPreAttestationInjectsSecretAndResumes) {
  LaunchRequest req = SevRequest();
  auto r = LaunchVm(fake_, req, options_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->state, DomainState::kRunning);
  EXPECT_EQ(r->sev_measurement.size(), 48u);
  EXPECT_EQ(fake_.injected_secret("vm-3f1c9a52"), req.sev->secret_table);
  EXPECT_TRUE(fake_.networks().contains("attest-net-net-1"));
  EXPECT_TRUE(fake_.nwfilters().contains("attest-sg-web"));
  EXPECT_TRUE(fake_.nwfilters().contains("attest-vm-3f1c9a52-0d4e-4b7a-9c61-2a8e5b7d9f01"));
  const std::string& xml = fake_.domains().at("vm-3f1c9a52").xml;
  EXPECT_NE(xml.find("filter=\"attest-vm-3f1c9a52-0d4e-4b7a-9c61-2a8e5b7d9f01\""),
            std::string::npos);
  EXPECT_NE(xml.find("<cbitpos>51</cbitpos>"), std::string::npos);  // from the host's domcaps
  EXPECT_NE(xml.find("model=\"selinux\""), std::string::npos);
  // Started paused, then the owner's checks, then resumed: in that order.
  const auto& calls = fake_.calls();
  auto at = [&](Op op) { return std::find(calls.begin(), calls.end(), op) - calls.begin(); };
  EXPECT_LT(at(Op::kStartDomain), at(Op::kGetSevLaunchInfo));
  EXPECT_LT(at(Op::kGetSevLaunchInfo), at(Op::kSetSevLaunchSecret));
  EXPECT_LT(at(Op::kSetSevLaunchSecret), at(Op::kResumeDomain));

  ASSERT_TRUE(StopVm(fake_, r->domain, req.spec.uuid).ok());
  EXPECT_TRUE(fake_.domains().empty());
  EXPECT_FALSE(fake_.nwfilters().contains("attest-vm-3f1c9a52-0d4e-4b7a-9c61-2a8e5b7d9f01"));
  // The net and the group's filter are tenant resources: they outlive the VM.
  EXPECT_TRUE(fake_.networks().contains("attest-net-net-1"));
  EXPECT_TRUE(fake_.nwfilters().contains("attest-sg-web"));
  // Stopping again finds nothing and succeeds.
  EXPECT_TRUE(StopVm(fake_, r->domain, req.spec.uuid).ok());
}

TEST_F(LaunchTest, SevEsLaunches) {
  auto r = LaunchVm(fake_, SevRequest(TeeType::kSevEs), options_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->state, DomainState::kRunning);
}

TEST_F(LaunchTest, WrongMeasurementDestroysEverything) {
  fake_.sev_launch_digest = Digest(0x22);  // the host loaded other firmware
  auto r = LaunchVm(fake_, SevRequest(), options_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason_id(), "sev.measurement_mismatch");
  EXPECT_FALSE(fake_.injected_secret("vm-3f1c9a52").has_value());
  EXPECT_EQ(std::count(fake_.calls().begin(), fake_.calls().end(), Op::kSetSevLaunchSecret), 0);
  ExpectNothingLeft();
}

// The owner's release step runs once, after MEASURE verified, and what it returns is injected.
TEST_F(LaunchTest, ReleaseStepBuildsTheSecretAfterTheMeasurement) {
  LaunchRequest req = SevRequest();
  const Bytes table = req.sev->secret_table;
  req.sev->secret_table.clear();
  int calls = 0;
  size_t calls_before = 0;
  req.sev->release_secret = [&](const SevLaunchInfo& info) -> Result<Bytes> {
    ++calls;
    calls_before = fake_.calls().size();
    EXPECT_EQ(info.measurement.size(), 48u);
    EXPECT_EQ(info.policy, 0x33u);
    return table;
  };
  auto r = LaunchVm(fake_, req, options_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(fake_.injected_secret("vm-3f1c9a52"), table);
  // Called after the launch info was read and before the secret went to the host.
  ASSERT_GT(calls_before, 0u);
  EXPECT_EQ(fake_.calls()[calls_before - 1], Op::kGetSevLaunchInfo);
  EXPECT_EQ(fake_.calls()[calls_before], Op::kSetSevLaunchSecret);
}

TEST_F(LaunchTest, ReleaseStepRefusalOrMismatchLeavesNothingAndInjectsNothing) {
  const struct {
    std::string name;
    bool mismatch;  // the host measured other firmware: the step must not even run
    Status refusal;
    std::string want;
  } cases[] = {
      {"owner refuses", false, Status(reasons::kLauncherInvalidSpec, "host untrusted now"),
       "launcher.invalid_spec"},
      {"wrong measurement", true, Status::Ok(), "sev.measurement_mismatch"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    FakeHypervisor fake;
    MakeSevHost(fake);
    if (c.mismatch) {
      fake.sev_launch_digest = Digest(0x22);
    }
    LaunchRequest req = SevRequest();
    req.sev->secret_table.clear();
    int calls = 0;
    req.sev->release_secret = [&](const SevLaunchInfo&) -> Result<Bytes> {
      ++calls;
      if (!c.refusal.ok()) {
        return c.refusal;
      }
      return Bytes(64, 1);
    };
    auto r = LaunchVm(fake, req, options_);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().reason_id(), c.want);
    EXPECT_EQ(calls, c.mismatch ? 0 : 1);
    EXPECT_FALSE(fake.injected_secret("vm-3f1c9a52").has_value());
    EXPECT_TRUE(fake.domains().empty());
  }
  // Neither a table nor a release step: refused before anything is created.
  LaunchRequest none = SevRequest();
  none.sev->secret_table.clear();
  auto r = LaunchVm(fake_, none, options_);
  EXPECT_EQ(r.status().reason_id(), "launcher.invalid_spec");
  EXPECT_TRUE(fake_.calls().empty());
}

TEST_F(LaunchTest, FirmwareReportingAnotherPolicyIsRefused) {
  fake_.sev_reported_policy = 0x32;
  auto r = LaunchVm(fake_, SevRequest(), options_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason_id(), "launcher.sev_policy_mismatch");
  ExpectNothingLeft();
}

TEST_F(LaunchTest, EveryHypervisorFailureLeavesNothingBehind) {
  const std::pair<const char*, Op> cases[] = {
      {"lib version", Op::kLibVersion},
      {"domain capabilities", Op::kDomainCapabilities},
      {"host capabilities", Op::kHostCapabilities},
      {"network exists", Op::kNetworkExists},
      {"define network", Op::kDefineNetwork},
      {"define filter", Op::kDefineNwFilter},
      {"define domain", Op::kDefineDomain},
      {"start", Op::kStartDomain},
      {"launch info", Op::kGetSevLaunchInfo},
      {"inject secret", Op::kSetSevLaunchSecret},
      {"resume", Op::kResumeDomain},
      {"state", Op::kGetDomainState},
  };
  for (const auto& [name, op] : cases) {
    SCOPED_TRACE(name);
    FakeHypervisor fake;
    MakeSevHost(fake);
    fake.FailNext(op);
    auto r = LaunchVm(fake, SevRequest(), options_);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().reason_id(), "launcher.hypervisor_error") << r.status().ToString();
    EXPECT_EQ(r.status().message().find("cleanup incomplete"), std::string::npos);
    EXPECT_TRUE(fake.domains().empty());
    EXPECT_TRUE(fake.networks().empty());
    EXPECT_FALSE(fake.nwfilters().contains("attest-vm-3f1c9a52-0d4e-4b7a-9c61-2a8e5b7d9f01"));
  }
}

TEST_F(LaunchTest, CleanupFailureIsReportedWithTheCause) {
  fake_.FailNext(Op::kResumeDomain);
  fake_.FailNext(Op::kDestroyDomain);
  auto r = LaunchVm(fake_, SevRequest(), options_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason_id(), "launcher.hypervisor_error");
  EXPECT_NE(r.status().message().find("cleanup incomplete"), std::string::npos);
  // A later StopVm finishes the job.
  ASSERT_TRUE(StopVm(fake_, "vm-3f1c9a52", "3f1c9a52-0d4e-4b7a-9c61-2a8e5b7d9f01").ok());
  EXPECT_TRUE(fake_.domains().empty());
}

TEST_F(LaunchTest, ExistingNetworkIsKeptOnFailure) {
  ASSERT_TRUE(
      fake_.DefineNetwork(*BuildNetworkXml({"net-1", "tenant-a", "10.20.0.0/24", false})).ok());
  fake_.FailNext(Op::kStartDomain);
  auto r = LaunchVm(fake_, SevRequest(), options_);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(fake_.networks().contains("attest-net-net-1"));
  EXPECT_EQ(std::count(fake_.calls().begin(), fake_.calls().end(), Op::kDefineNetwork), 1);
}

TEST_F(LaunchTest, SnpAndTdxLaunchOnNewLibvirt) {
  fake_.domain_capabilities_xml = kSnpTdxCaps;
  fake_.lib_version = LibvirtVersion(11, 6, 0);
  auto snp = LaunchVm(fake_, SevRequest(TeeType::kSevSnp), options_);
  ASSERT_TRUE(snp.ok()) << snp.status().ToString();
  const std::string& xml = fake_.domains().at("vm-3f1c9a52").xml;
  EXPECT_NE(xml.find("<hostData>" + Base64Encode(Bytes(32, 0x7e)) + "</hostData>"),
            std::string::npos);
  EXPECT_EQ(fake_.calls().end(),
            std::find(fake_.calls().begin(), fake_.calls().end(), Op::kGetSevLaunchInfo));
  ASSERT_TRUE(StopVm(fake_, "vm-3f1c9a52", "3f1c9a52-0d4e-4b7a-9c61-2a8e5b7d9f01").ok());
  auto tdx = LaunchVm(fake_, SevRequest(TeeType::kTdx), options_);
  ASSERT_TRUE(tdx.ok()) << tdx.status().ToString();
  EXPECT_NE(fake_.domains().at("vm-3f1c9a52").xml.find("<mrConfigId>"), std::string::npos);
}

TEST_F(LaunchTest, RefusedBeforeAnythingIsCreated) {
  struct Case {
    std::string name;
    std::function<void(LaunchRequest&, FakeHypervisor&)> mutate;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"plain vm",
       [](LaunchRequest& r, FakeHypervisor&) {
         r.spec.tee = TeeType::kNone;
         r.sev.reset();
       },
       "launcher.invalid_spec"},
      {"sev without pre-attestation", [](LaunchRequest& r, FakeHypervisor&) { r.sev.reset(); },
       "launcher.invalid_spec"},
      {"sev without secret", [](LaunchRequest& r, FakeHypervisor&) { r.sev->secret_table.clear(); },
       "launcher.invalid_spec"},
      {"host lacks the tee",
       [](LaunchRequest&, FakeHypervisor& f) { f.domain_capabilities_xml = kNoTeeCaps; },
       "launcher.tee_unavailable"},
      {"host lacks sev-es",
       [](LaunchRequest& r, FakeHypervisor& f) {
         f.domain_capabilities_xml =
             "<domainCapabilities><features><sev supported='yes'><cbitpos>51</cbitpos>"
             "<reducedPhysBits>1</reducedPhysBits></sev></features></domainCapabilities>";
         r.spec.tee = TeeType::kSevEs;
       },
       "launcher.tee_unavailable"},
      {"dac-only host",
       [](LaunchRequest&, FakeHypervisor& f) { f.host_capabilities_xml = kDacHost; },
       "launcher.security_driver_unavailable"},
      {"garbage capabilities",
       [](LaunchRequest&, FakeHypervisor& f) {
         f.domain_capabilities_xml = "<domainCapabilities>";
       },
       "launcher.capabilities_malformed"},
      {"disk of another tenant",
       [](LaunchRequest& r, FakeHypervisor&) { r.spec.disks[0].owner_tenant = "tenant-b"; },
       "launcher.disk_not_owned"},
      {"net of another tenant",
       [](LaunchRequest& r, FakeHypervisor&) { r.nets[0].tenant = "tenant-b"; },
       "launcher.net_not_owned"},
      {"group of another tenant",
       [](LaunchRequest& r, FakeHypervisor&) { r.groups[0].tenant = "tenant-b"; },
       "launcher.group_not_owned"},
      {"interface on an unknown net",
       [](LaunchRequest& r, FakeHypervisor&) { r.spec.interfaces[0].network = "attest-net-other"; },
       "launcher.invalid_spec"},
      {"bad group rule",
       [](LaunchRequest& r, FakeHypervisor&) { r.groups[0].rules[0].source_cidr = "10.0.0.1/8"; },
       "launcher.invalid_cidr"},
      {"bad net cidr", [](LaunchRequest& r, FakeHypervisor&) { r.nets[0].cidr = "10.20.0.0/31"; },
       "launcher.invalid_cidr"},
      {"snp on libvirt 9.0",
       [](LaunchRequest& r, FakeHypervisor& f) {
         r.spec.tee = TeeType::kSevSnp;
         r.sev.reset();
         std::array<uint8_t, 32> hd{};
         r.spec.snp.host_data = hd;
         f.domain_capabilities_xml = kSnpTdxCaps;
       },
       "launcher.libvirt_too_old"},
      {"snp without host data",
       [](LaunchRequest& r, FakeHypervisor&) {
         r.spec.tee = TeeType::kSevSnp;
         r.sev.reset();
       },
       "launcher.invalid_spec"},
      {"tdx without mrconfigid",
       [](LaunchRequest& r, FakeHypervisor&) {
         r.spec.tee = TeeType::kTdx;
         r.sev.reset();
       },
       "launcher.invalid_spec"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    FakeHypervisor fake;
    MakeSevHost(fake);
    LaunchRequest req = SevRequest();
    c.mutate(req, fake);
    auto r = LaunchVm(fake, req, options_);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().reason_id(), c.want) << r.status().ToString();
    for (Op op : fake.calls()) {
      EXPECT_TRUE(op == Op::kLibVersion || op == Op::kDomainCapabilities ||
                  op == Op::kHostCapabilities)
          << "created something: op " << static_cast<int>(op);
    }
    EXPECT_TRUE(fake.domains().empty());
  }
}

TEST_F(LaunchTest, StopReportsHypervisorFailures) {
  auto r = LaunchVm(fake_, SevRequest(), options_);
  ASSERT_TRUE(r.ok());
  fake_.FailNext(Op::kDestroyDomain);
  EXPECT_EQ(StopVm(fake_, r->domain, "3f1c9a52-0d4e-4b7a-9c61-2a8e5b7d9f01").reason_id(),
            "launcher.hypervisor_error");
  fake_.FailNext(Op::kUndefineNwFilter);
  EXPECT_EQ(StopVm(fake_, r->domain, "3f1c9a52-0d4e-4b7a-9c61-2a8e5b7d9f01").reason_id(),
            "launcher.hypervisor_error");
  EXPECT_TRUE(StopVm(fake_, r->domain, "3f1c9a52-0d4e-4b7a-9c61-2a8e5b7d9f01").ok());
  EXPECT_TRUE(fake_.domains().empty());
}

}  // namespace
}  // namespace attest::launcher
