#include "service/http/concurrency_gate.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace attest::service::http {
namespace {

TEST(ConcurrencyGateTest, RefusesBeyondMaxAndReopensOnLeave) {
  ConcurrencyGate gate(2);
  EXPECT_TRUE(gate.TryEnter());
  EXPECT_TRUE(gate.TryEnter());
  EXPECT_FALSE(gate.TryEnter());
  EXPECT_EQ(gate.inside(), 2u);
  gate.Leave();
  EXPECT_EQ(gate.inside(), 1u);
  EXPECT_TRUE(gate.TryEnter());
  EXPECT_FALSE(gate.TryEnter());
}

TEST(ConcurrencyGateTest, PassHoldsOnePlaceForItsScope) {
  ConcurrencyGate gate(1);
  {
    ConcurrencyGate::Pass first(gate);
    EXPECT_TRUE(first.held());
    ConcurrencyGate::Pass second(gate);
    EXPECT_FALSE(second.held());  // refused: it must not give back a place it never took
  }
  EXPECT_EQ(gate.inside(), 0u);
  ConcurrencyGate::Pass again(gate);
  EXPECT_TRUE(again.held());
}

// Many threads racing for few places never get more than max at once.
TEST(ConcurrencyGateTest, NeverMoreThanMaxInsideUnderContention) {
  constexpr size_t kMax = 3;
  ConcurrencyGate gate(kMax);
  std::atomic<size_t> inside{0}, most{0}, admitted{0};
  std::vector<std::thread> threads;
  threads.reserve(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        ConcurrencyGate::Pass pass(gate);
        if (!pass.held()) {
          continue;
        }
        admitted.fetch_add(1);
        const size_t now = inside.fetch_add(1) + 1;
        size_t seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        inside.fetch_sub(1);
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  EXPECT_LE(most.load(), kMax);
  EXPECT_GT(admitted.load(), 0u);
  EXPECT_EQ(gate.inside(), 0u);
}

}  // namespace
}  // namespace attest::service::http
