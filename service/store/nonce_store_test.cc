// NonceStore: single-use, expiring, bound nonces.
#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <string>
#include <thread>

#include "service/store/store_test_fixture.h"

namespace attest::service::store {
namespace {

using std::chrono::seconds;

TEST_P(StoreTest, NonceIsSingleUseExpiringAndBound) {
  auto fresh = [&] { return store_->IssueNonce(a_, "host-1", seconds(60), T0()).value(); };
  const struct {
    std::string name;
    std::string tenant, subject;
    TimePoint at;
    bool issue_new;
    std::string want;
  } cases[] = {
      {"ok", a_, "host-1", T0() + seconds(59), true, "ok"},
      {"expired", a_, "host-1", T0() + seconds(60), true, "store.nonce_rejected"},
      {"other subject", a_, "host-2", T0(), true, "store.nonce_rejected"},
      {"other tenant", b_, "host-1", T0(), true, "store.nonce_rejected"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const Nonce n = fresh();
    EXPECT_EQ(n.value.size(), 64u);
    // The check answers as the consume would, and twice: it consumes nothing.
    EXPECT_EQ(store_->CheckNonce(c.tenant, c.subject, n.value, c.at).reason_id(), c.want);
    EXPECT_EQ(store_->CheckNonce(c.tenant, c.subject, n.value, c.at).reason_id(), c.want);
    EXPECT_EQ(store_->ConsumeNonce(c.tenant, c.subject, n.value, c.at).reason_id(), c.want);
    EXPECT_EQ(store_->CheckNonce(c.tenant, c.subject, n.value, c.at).reason_id(),
              "store.nonce_rejected");
  }
  const Nonce n = fresh();
  EXPECT_TRUE(store_->ConsumeNonce(a_, "host-1", n.value, T0()).ok());
  EXPECT_EQ(store_->ConsumeNonce(a_, "host-1", n.value, T0()).reason_id(), "store.nonce_rejected");
  EXPECT_EQ(store_->ConsumeNonce(a_, "host-1", std::string(64, '0'), T0()).reason_id(),
            "store.nonce_rejected");
  EXPECT_EQ(store_->IssueNonce(a_, "h", seconds(0), T0()).status().reason_id(),
            "store.invalid_argument");
}

TEST_P(StoreTest, TwoConnectionsRacingForANonceHaveExactlyOneWinner) {
  auto one = Open(Sealer());
  auto two = Open(Sealer());
  ASSERT_TRUE(one.ok() && two.ok());
  Store* racers[2] = {one->get(), two->get()};
  constexpr int kRounds = 100;
  std::vector<std::string> nonces;
  nonces.reserve(kRounds);
  for (int i = 0; i < kRounds; ++i) {
    nonces.push_back(store_->IssueNonce(a_, "vm-1", seconds(60), T0()).value().value);
  }
  std::atomic<int> wins[kRounds] = {};
  std::atomic<int> errors{0};
  std::barrier sync(2);
  auto race = [&](Store* s) {
    for (int i = 0; i < kRounds; ++i) {
      sync.arrive_and_wait();
      const Status st = s->ConsumeNonce(a_, "vm-1", nonces[i], T0());
      if (st.ok()) {
        ++wins[i];
      } else if (st.reason_id() != "store.nonce_rejected") {
        ++errors;
      }
    }
  };
  std::thread t1(race, racers[0]);
  std::thread t2(race, racers[1]);
  t1.join();
  t2.join();
  EXPECT_EQ(errors.load(), 0);
  for (int i = 0; i < kRounds; ++i) {
    EXPECT_EQ(wins[i].load(), 1) << "round " << i;
  }
}

}  // namespace
}  // namespace attest::service::store
