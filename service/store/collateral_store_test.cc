// CollateralStore: the collateral cache.
#include <gtest/gtest.h>

#include <string>

#include "service/store/store_test_fixture.h"

namespace attest::service::store {
namespace {

using std::chrono::seconds;

TEST_P(StoreTest, CollateralCache) {
  EXPECT_EQ(store_->GetCollateral(a_, "k").status().reason_id(), "store.not_found");
  ASSERT_TRUE(store_->PutCollateral(a_, "k", {1, 2, 0, 3}, T0()).ok());
  auto e = store_->GetCollateral(a_, "k");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->value, (Bytes{1, 2, 0, 3}));
  EXPECT_EQ(e->fetched_at, T0());
  ASSERT_TRUE(store_->PutCollateral(a_, "k", {9}, T0() + seconds(10)).ok());
  e = store_->GetCollateral(a_, "k");
  EXPECT_EQ(e->value, Bytes{9});
  EXPECT_EQ(e->fetched_at, T0() + seconds(10));
  EXPECT_EQ(store_->PutCollateral(a_, "", {1}, T0()).reason_id(), "store.invalid_argument");
}

}  // namespace
}  // namespace attest::service::store
