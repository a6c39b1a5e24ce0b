// ReleaseStore: a release is recorded only while the VM, its volumes and its host still hold
// (issue 17 #4), also against a deletion racing it on another connection.
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "service/store/store_test_fixture.h"

namespace attest::service::store {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

class ReleaseWorld {
 public:
  ReleaseWorld(Store& store, const std::string& tenant) : store_(store), tenant_(tenant) {
    host_ = store_.RegisterHost(tenant_, {{1}, {}, {2}, "hp", ""}, T0()).value().id;
    // MakeVm pins "prod" version 2.
    for (int i = 0; i < 2; ++i) {
      EXPECT_TRUE(store_.PutPolicy(PolicyKind::kTenantPolicy, tenant_, "prod", "{}", T0()).ok());
    }
    Trust();
  }

  // Trust records a passing quote at T0, trusted for an hour.
  void Trust() {
    EXPECT_TRUE(
        store_.UpdateHostState(tenant_, host_, HostState::kTrusted, "{}", T0() + hours(1), T0())
            .ok());
  }

  // NewVm makes a VM with one volume on the host; returns its basis at T0.
  ReleaseBasis NewVm(const std::string& id) {
    EXPECT_TRUE(store_.CreateVolume(tenant_, MakeVolume("vol-" + id), T0()).ok());
    Vm vm = MakeVm("vm-" + id, {"vol-" + id});
    vm.host_id = host_;
    EXPECT_TRUE(store_.CreateVm(tenant_, vm, T0()).ok());
    return {tenant_, vm.id, host_, vm.volume_ids, vm.policy_name, vm.policy_version, T0()};
  }

  AuditRecord Released(const ReleaseBasis& b) const {
    return AuditRecord{tenant_, b.now, "guest", "vm.release", b.vm_id, "", "", "released", ""};
  }

  const std::string& host() const { return host_; }

 private:
  Store& store_;
  std::string tenant_;
  std::string host_;
};

TEST_P(StoreTest, ReleaseIsRecordedOnlyWhileWhatItReliedOnHolds) {
  using Check = ReleaseChange::Check;
  ReleaseWorld w(*store_, a_);
  struct Case {
    std::string name;
    std::function<void(ReleaseBasis&)> change;  // applied after the basis was read
    std::optional<Check> want;
  };
  const Case cases[] = {
      {"nothing changed", [](ReleaseBasis&) {}, std::nullopt},
      {"vm deleted",
       [&](ReleaseBasis& b) { ASSERT_TRUE(store_->DeleteVm(a_, b.vm_id, T0()).ok()); }, Check::kVm},
      {"volume deleted",
       [&](ReleaseBasis& b) { ASSERT_TRUE(store_->DeleteVolume(a_, b.volume_ids[0], T0()).ok()); },
       Check::kVolume},
      {"host quote failed",
       [&](ReleaseBasis&) {
         ASSERT_TRUE(
             store_->UpdateHostState(a_, w.host(), HostState::kUntrusted, "{}", std::nullopt, T0())
                 .ok());
       },
       Check::kHost},
      {"host failed and was trusted again",
       [&](ReleaseBasis&) {
         ASSERT_TRUE(
             store_->UpdateHostState(a_, w.host(), HostState::kUntrusted, "{}", std::nullopt, T0())
                 .ok());
         w.Trust();
       },
       Check::kHost},
      {"host trust expired", [](ReleaseBasis& b) { b.now = T0() + hours(1) + seconds(1); },
       Check::kHost},
      {"another tenant's vm", [&](ReleaseBasis& b) { b.tenant_id = b_; }, Check::kVm},
      {"policy version revoked",
       [&](ReleaseBasis& b) {
         ASSERT_TRUE(store_->RevokePolicyVersion(a_, b.policy_name, b.policy_version, T0()).ok());
       },
       Check::kPolicy},
      {"policy deleted",
       [&](ReleaseBasis& b) {
         ASSERT_TRUE(store_->DeletePolicy(PolicyKind::kTenantPolicy, a_, b.policy_name, T0()).ok());
       },
       Check::kPolicy},
  };
  int i = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    w.Trust();
    ReleaseBasis basis = w.NewVm(std::to_string(i++));
    c.change(basis);
    const int64_t before = AuditHeadSeq(Raw().get());
    auto got = store_->CommitRelease(basis, w.Released(basis));
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    if (!c.want) {
      EXPECT_FALSE(got->has_value()) << (*got)->detail;
      EXPECT_EQ(AuditHeadSeq(Raw().get()), before + 1);
      continue;
    }
    ASSERT_TRUE(got->has_value());
    EXPECT_EQ((*got)->check, *c.want) << (*got)->detail;
    EXPECT_FALSE((*got)->detail.empty());
    EXPECT_EQ(AuditHeadSeq(Raw().get()), before) << "nothing written";
  }
}

// A deletion that committed before the release began is always seen: 100 rounds on two
// connections, the VM deleted on even rounds and its volume on odd ones.
TEST_P(StoreTest, ReleaseRacingADeletionNeverOutlivesIt) {
  auto one = Open(Sealer());
  auto two = Open(Sealer());
  ASSERT_TRUE(one.ok() && two.ok());
  ReleaseWorld w(*store_, a_);
  constexpr int kRounds = 100;
  std::vector<ReleaseBasis> bases;
  bases.reserve(kRounds);
  for (int i = 0; i < kRounds; ++i) {
    bases.push_back(w.NewVm(std::to_string(i)));
  }
  std::vector<std::atomic<bool>> deleted(kRounds);
  std::atomic<int> released{0}, refused{0}, late{0};
  const RaceOutcome race = RaceTwoConnections(kRounds, "", [&](int racer, int round) -> Status {
    const ReleaseBasis& b = bases[static_cast<size_t>(round)];
    if (racer == 0) {
      Store& s = **one;
      Status st = round % 2 == 0 ? s.DeleteVm(a_, b.vm_id, T0())
                                 : s.DeleteVolume(a_, b.volume_ids[0], T0());
      deleted[static_cast<size_t>(round)] = st.ok();
      return st;
    }
    // Started at staggered moments, so the deletion is sometimes done, sometimes in flight.
    std::this_thread::sleep_for(std::chrono::microseconds(100 * (round % 20)));
    const bool gone_before = deleted[static_cast<size_t>(round)].load();
    auto got = (*two)->CommitRelease(b, w.Released(b));
    if (!got.ok()) {
      return got.status();
    }
    if (got->has_value()) {
      ++refused;
    } else {
      ++released;
      late += gone_before ? 1 : 0;  // recorded after a committed deletion: the bug
    }
    return Status::Ok();
  });
  EXPECT_EQ(race.errors, 0);
  EXPECT_EQ(late.load(), 0);
  EXPECT_EQ(released.load() + refused.load(), kRounds);
  EXPECT_GT(refused.load(), 0) << "no round saw the deletion: the race was never run";
  for (int i = 0; i < kRounds; ++i) {
    EXPECT_TRUE(deleted[static_cast<size_t>(i)].load()) << "round " << i;
  }
}

}  // namespace
}  // namespace attest::service::store
