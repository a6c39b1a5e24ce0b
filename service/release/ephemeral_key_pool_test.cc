#include "service/release/ephemeral_key_pool.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>

namespace attest::service::release {
namespace {

// Each key handed out is a different key: from the pool while it lasts, then made on demand.
TEST(EphemeralKeyPool, EveryKeyIsHandedOutOnce) {
  struct Case {
    std::string name;
    size_t capacity;
    size_t takes;
    size_t want_min_from_pool;
  };
  const std::vector<Case> cases = {
      {"no pool: every key made on demand", 0, 3, 0},
      {"pool of 1", 1, 4, 1},
      {"pool of 4, drained", 4, 6, 4},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EphemeralKeyPool pool(c.capacity);
    pool.WaitFull();
    std::set<std::string> seen;
    for (size_t i = 0; i < c.takes; ++i) {
      Result<protocol::EphemeralKey> key = pool.Take();
      ASSERT_TRUE(key.ok());
      EXPECT_EQ(key->public_jwk()["crv"], "P-384");
      EXPECT_TRUE(seen.insert(key->public_jwk().dump()).second) << "a key was handed out twice";
    }
    EXPECT_EQ(pool.served_from_pool() + pool.generated_on_demand(), c.takes);
    EXPECT_GE(pool.served_from_pool(), c.want_min_from_pool);
    if (c.capacity == 0) {
      EXPECT_EQ(pool.generated_on_demand(), c.takes);
    }
  }
}

// The refill thread makes the pool full again after it was drained, and never beyond capacity.
TEST(EphemeralKeyPool, RefillsToCapacityAfterDraining) {
  EphemeralKeyPool pool(2);
  pool.WaitFull();
  ASSERT_TRUE(pool.Take().ok());
  ASSERT_TRUE(pool.Take().ok());
  pool.WaitFull();
  ASSERT_TRUE(pool.Take().ok());
  ASSERT_TRUE(pool.Take().ok());
  EXPECT_EQ(pool.served_from_pool(), 4u);
  EXPECT_EQ(pool.generated_on_demand(), 0u);
}

}  // namespace
}  // namespace attest::service::release
