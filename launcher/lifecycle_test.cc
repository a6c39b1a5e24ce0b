// The lifecycle of a launched VM against the fake host: start again (a full launch each time,
// SEV's pre-attestation included), graceful shutdown with a deadline, reboot = stop + launch.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

#include "launcher/launch.h"
#include "launcher/testing/launch_test_fixture.h"

namespace attest::launcher {
namespace {

using namespace std::chrono_literals;

constexpr char kDomain[] = "vm-3f1c9a52";
constexpr char kVmFilter[] = "attest-vm-3f1c9a52-0d4e-4b7a-9c61-2a8e5b7d9f01";

class LifecycleTest : public LaunchTest {
 protected:
  // Launched launches `tee` and powers the guest off, leaving the domain defined and shut off.
  LaunchRequest LaunchedThenStopped(TeeType tee) {
    if (tee == TeeType::kSevSnp || tee == TeeType::kTdx) {
      fake_.domain_capabilities_xml = kSnpTdxCaps;
      fake_.lib_version = LibvirtVersion(11, 6, 0);
    }
    LaunchRequest req = SevRequest(tee);
    auto launched = LaunchVm(fake_, req, options_);
    EXPECT_TRUE(launched.ok()) << launched.status().ToString();
    EXPECT_TRUE(ShutdownVm(fake_, kDomain, 0ms).ok());
    EXPECT_EQ(fake_.domains().at(kDomain).state, DomainState::kShutoff);
    return req;
  }

  size_t Count(Op op, size_t from = 0) const {
    return std::count(fake_.calls().begin() + static_cast<std::ptrdiff_t>(from),
                      fake_.calls().end(), op);
  }
};

TEST_F(LifecycleTest, SevStartsAgainThroughAFreshPreAttestation) {
  for (TeeType tee : {TeeType::kSev, TeeType::kSevEs}) {
    SCOPED_TRACE(TeeTypeName(tee));
    fake_ = FakeHypervisor();
    SetUp();
    LaunchedThenStopped(tee);
    const std::string first_xml = fake_.domains().at(kDomain).xml;
    // A new owner session for the new launch: a new dhCert/session and a new key table.
    LaunchRequest again = SevRequest(tee);
    sev::SecretEntry key{*sev::ParseGuid(sev::kDiskKeyGuid), Bytes(32, 0x99)};
    again.sev->secret_table = *sev::BuildSecretTable(std::span(&key, 1));
    const size_t mark = fake_.calls().size();
    auto started = StartVm(fake_, again, options_);
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    EXPECT_EQ(started->state, DomainState::kRunning);
    EXPECT_EQ(started->sev_measurement.size(), 48u);
    EXPECT_EQ(fake_.injected_secret(kDomain), again.sev->secret_table);
    const std::string& xml = fake_.domains().at(kDomain).xml;
    EXPECT_NE(xml, first_xml);
    EXPECT_NE(xml.find(Base64Encode(again.spec.sev.session)), std::string::npos);
    EXPECT_EQ(Count(Op::kDefineDomain, mark), 1u);   // redefined with the new session
    EXPECT_EQ(Count(Op::kDefineNetwork, mark), 0u);  // the net still exists
    EXPECT_EQ(Count(Op::kSetSevLaunchSecret, mark), 1u);
    EXPECT_EQ(Count(Op::kResumeDomain, mark), 1u);
  }
}

TEST_F(LifecycleTest, SnpAndTdxStartAgainRunning) {
  for (TeeType tee : {TeeType::kSevSnp, TeeType::kTdx}) {
    SCOPED_TRACE(TeeTypeName(tee));
    fake_ = FakeHypervisor();
    SetUp();
    LaunchRequest req = LaunchedThenStopped(tee);
    const size_t mark = fake_.calls().size();
    auto started = StartVm(fake_, req, options_);
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    EXPECT_EQ(started->state, DomainState::kRunning);
    EXPECT_TRUE(started->sev_measurement.empty());
    EXPECT_EQ(Count(Op::kStartDomain, mark), 1u);
    EXPECT_EQ(Count(Op::kResumeDomain, mark), 0u);  // started running, not paused
    EXPECT_EQ(Count(Op::kGetSevLaunchInfo, mark), 0u);
  }
}

TEST_F(LifecycleTest, StartingARunningVmChangesNothing) {
  LaunchRequest req = SevRequest();
  ASSERT_TRUE(LaunchVm(fake_, req, options_).ok());
  const size_t mark = fake_.calls().size();
  auto started = StartVm(fake_, req, options_);
  ASSERT_TRUE(started.ok());
  EXPECT_EQ(started->state, DomainState::kRunning);
  EXPECT_EQ(fake_.calls().size(), mark + 1);  // one state read
}

TEST_F(LifecycleTest, StartRefusesWhatIsNotAStoppedVm) {
  // No domain: LaunchVm creates VMs, StartVm does not.
  auto missing = StartVm(fake_, SevRequest(), options_);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().reason_id(), "launcher.not_found");
  EXPECT_TRUE(fake_.domains().empty());
  EXPECT_TRUE(fake_.networks().empty());

  // A paused domain (a launch in progress, or paused by hand) is not restarted over.
  LaunchRequest req = LaunchedThenStopped(TeeType::kSevSnp);
  ASSERT_TRUE(fake_.StartDomain(kDomain, /*paused=*/true).ok());
  auto paused = StartVm(fake_, req, options_);
  ASSERT_FALSE(paused.ok());
  EXPECT_EQ(paused.status().reason_id(), "launcher.wrong_state");
  EXPECT_EQ(fake_.domains().at(kDomain).state, DomainState::kPaused);
}

TEST_F(LifecycleTest, InvalidRestartRequestLeavesTheVmStopped) {
  const struct {
    const char* name;
    void (*mutate)(LaunchRequest&);
    const char* want;
  } cases[] = {
      {"disk of another tenant",
       [](LaunchRequest& r) { r.spec.disks[0].owner_tenant = "tenant-b"; },
       "launcher.disk_not_owned"},
      {"no pre-attestation", [](LaunchRequest& r) { r.sev.reset(); }, "launcher.invalid_spec"},
      {"kernel path with dotdot",
       [](LaunchRequest& r) {
         r.spec.direct_boot = DirectKernelBoot{"/a/../k", "", ""};
       },
       "launcher.invalid_spec"},
      {"net of another tenant", [](LaunchRequest& r) { r.nets[0].tenant = "tenant-b"; },
       "launcher.net_not_owned"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    fake_ = FakeHypervisor();
    SetUp();
    LaunchedThenStopped(TeeType::kSev);
    const std::string xml = fake_.domains().at(kDomain).xml;
    LaunchRequest req = SevRequest();
    c.mutate(req);
    auto r = StartVm(fake_, req, options_);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().reason_id(), c.want) << r.status().ToString();
    EXPECT_EQ(fake_.domains().at(kDomain).state, DomainState::kShutoff);
    EXPECT_EQ(fake_.domains().at(kDomain).xml, xml);
  }
}

// A failing step of a restart leaves the VM defined and shut off (never running unattested, never
// half-removed), and a later start succeeds.
TEST_F(LifecycleTest, EveryFailureOfARestartLeavesItStopped) {
  const std::pair<const char*, Op> cases[] = {
      {"lib version", Op::kLibVersion},
      {"network exists", Op::kNetworkExists},
      {"define filter", Op::kDefineNwFilter},
      {"define domain", Op::kDefineDomain},
      {"start", Op::kStartDomain},
      {"launch info", Op::kGetSevLaunchInfo},
      {"inject secret", Op::kSetSevLaunchSecret},
      {"resume", Op::kResumeDomain},
  };
  for (const auto& [name, op] : cases) {
    SCOPED_TRACE(name);
    fake_ = FakeHypervisor();
    SetUp();
    LaunchedThenStopped(TeeType::kSev);
    fake_.FailNext(op);
    auto r = StartVm(fake_, SevRequest(), options_);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().reason_id(), "launcher.hypervisor_error") << r.status().ToString();
    ASSERT_TRUE(fake_.domains().contains(kDomain));
    EXPECT_EQ(fake_.domains().at(kDomain).state, DomainState::kShutoff);
    EXPECT_TRUE(fake_.nwfilters().contains(kVmFilter));
    EXPECT_TRUE(fake_.networks().contains("attest-net-net-1"));
    auto retry = StartVm(fake_, SevRequest(), options_);
    ASSERT_TRUE(retry.ok()) << retry.status().ToString();
    EXPECT_EQ(retry->state, DomainState::kRunning);
  }
}

TEST_F(LifecycleTest, WrongMeasurementOnRestartKeepsTheSecret) {
  LaunchedThenStopped(TeeType::kSev);
  fake_.sev_launch_digest = Digest(0x22);  // the host now loads other firmware
  const size_t mark = fake_.calls().size();
  auto r = StartVm(fake_, SevRequest(), options_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().reason_id(), "sev.measurement_mismatch");
  EXPECT_EQ(Count(Op::kSetSevLaunchSecret, mark), 0u);
  EXPECT_EQ(fake_.domains().at(kDomain).state, DomainState::kShutoff);
}

TEST_F(LifecycleTest, ShutdownAsksFirstThenDestroysAfterTheGrace) {
  struct Case {
    const char* name;
    bool ignores;
    std::chrono::milliseconds grace;
    size_t destroys;
  };
  const Case cases[] = {
      {"guest powers off", false, 5000ms, 0},
      {"guest ignores, no grace", true, 0ms, 1},
      {"guest ignores, short grace", true, 30ms, 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    fake_ = FakeHypervisor();
    SetUp();
    ASSERT_TRUE(LaunchVm(fake_, SevRequest(), options_).ok());
    fake_.guest_ignores_shutdown = c.ignores;
    const size_t mark = fake_.calls().size();
    ASSERT_TRUE(ShutdownVm(fake_, kDomain, c.grace).ok());
    EXPECT_EQ(fake_.domains().at(kDomain).state, DomainState::kShutoff);
    EXPECT_EQ(Count(Op::kShutdownDomain, mark), 1u);
    EXPECT_EQ(Count(Op::kDestroyDomain, mark), c.destroys);
    EXPECT_TRUE(fake_.nwfilters().contains(kVmFilter));  // still defined, filter and all
    // Stopping a stopped VM is done already.
    const size_t again = fake_.calls().size();
    EXPECT_TRUE(ShutdownVm(fake_, kDomain, 0ms).ok());
    EXPECT_EQ(Count(Op::kShutdownDomain, again) + Count(Op::kDestroyDomain, again), 0u);
  }
}

TEST_F(LifecycleTest, ShutdownOfPausedUnaskableOrMissingVms) {
  // A paused guest cannot answer the power button: destroyed at once.
  LaunchRequest req = LaunchedThenStopped(TeeType::kSevSnp);
  ASSERT_TRUE(fake_.StartDomain(kDomain, /*paused=*/true).ok());
  size_t mark = fake_.calls().size();
  ASSERT_TRUE(ShutdownVm(fake_, kDomain, 5000ms).ok());
  EXPECT_EQ(Count(Op::kShutdownDomain, mark), 0u);
  EXPECT_EQ(fake_.domains().at(kDomain).state, DomainState::kShutoff);

  // The request fails: destroyed without waiting.
  ASSERT_TRUE(StartVm(fake_, req, options_).ok());
  fake_.FailNext(Op::kShutdownDomain);
  ASSERT_TRUE(ShutdownVm(fake_, kDomain, 5000ms).ok());
  EXPECT_EQ(fake_.domains().at(kDomain).state, DomainState::kShutoff);

  // The destroy fails: the error, and the VM still runs.
  ASSERT_TRUE(StartVm(fake_, req, options_).ok());
  fake_.guest_ignores_shutdown = true;
  fake_.FailNext(Op::kDestroyDomain);
  Status s = ShutdownVm(fake_, kDomain, 0ms);
  EXPECT_EQ(s.reason_id(), "launcher.hypervisor_error");
  EXPECT_EQ(fake_.domains().at(kDomain).state, DomainState::kRunning);

  EXPECT_EQ(ShutdownVm(fake_, "vm-nobody", 0ms).reason_id(), "launcher.not_found");
  fake_.FailNext(Op::kGetDomainState);
  EXPECT_EQ(ShutdownVm(fake_, kDomain, 0ms).reason_id(), "launcher.hypervisor_error");
}

TEST_F(LifecycleTest, RebootIsAStopAndAFreshLaunch) {
  LaunchRequest req = SevRequest();
  ASSERT_TRUE(LaunchVm(fake_, req, options_).ok());
  for (bool ignores : {false, true}) {
    SCOPED_TRACE(ignores ? "guest ignores the power button" : "guest powers off");
    fake_.guest_ignores_shutdown = ignores;
    LaunchRequest again = SevRequest();
    const size_t mark = fake_.calls().size();
    auto r = RebootVm(fake_, again, options_, 0ms);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->state, DomainState::kRunning);
    EXPECT_EQ(r->sev_measurement.size(), 48u);
    EXPECT_EQ(Count(Op::kDestroyDomain, mark), ignores ? 1u : 0u);
    EXPECT_EQ(Count(Op::kSetSevLaunchSecret, mark), 1u);
    const auto& calls = fake_.calls();
    auto at = [&](Op op) { return std::find(calls.begin() + mark, calls.end(), op); };
    EXPECT_LT(at(Op::kShutdownDomain), at(Op::kStartDomain));
  }
  // A reboot of a VM that is gone fails before anything is created.
  ASSERT_TRUE(StopVm(fake_, kDomain, req.spec.uuid).ok());
  auto gone = RebootVm(fake_, SevRequest(), options_, 0ms);
  EXPECT_EQ(gone.status().reason_id(), "launcher.not_found");
  EXPECT_TRUE(fake_.domains().empty());
}

TEST_F(LifecycleTest, StateOfTheDomain) {
  EXPECT_EQ(VmState(fake_, kDomain).status().reason_id(), "launcher.not_found");
  ASSERT_TRUE(LaunchVm(fake_, SevRequest(), options_).ok());
  EXPECT_EQ(*VmState(fake_, kDomain), DomainState::kRunning);
  ASSERT_TRUE(ShutdownVm(fake_, kDomain, 0ms).ok());
  EXPECT_EQ(*VmState(fake_, kDomain), DomainState::kShutoff);
  fake_.FailNext(Op::kGetDomainState);
  EXPECT_EQ(VmState(fake_, kDomain).status().reason_id(), "launcher.hypervisor_error");
}

}  // namespace
}  // namespace attest::launcher
