// PolicyStore: immutable policy versions.
#include <gtest/gtest.h>

#include <string>

#include "attest/core/digest.h"
#include "attest/core/encoding.h"
#include "service/store/store_test_fixture.h"

namespace attest::service::store {
namespace {

using std::chrono::seconds;

TEST_P(StoreTest, PoliciesAreImmutableVersions) {
  for (PolicyKind kind : {PolicyKind::kTenantPolicy, PolicyKind::kHostPolicy}) {
    SCOPED_TRACE(kind == PolicyKind::kHostPolicy ? "host policy" : "policy");
    auto v1 = store_->PutPolicy(kind, a_, "prod", R"({"v":1})", T0());
    auto v2 = store_->PutPolicy(kind, a_, "prod", R"({"v":2})", T0() + seconds(1));
    ASSERT_TRUE(v1.ok() && v2.ok()) << v1.status().ToString();
    EXPECT_EQ(v1->version, 1);
    EXPECT_EQ(v2->version, 2);
    EXPECT_EQ(v1->sha256, HexEncode(Sha256(AsBytes(R"({"v":1})"))));
    ASSERT_TRUE(store_->PutPolicy(kind, a_, "dev", "{}", T0()).ok());
    auto latest = store_->GetPolicy(kind, a_, "prod");
    ASSERT_TRUE(latest.ok());
    EXPECT_EQ(latest->version, 2);
    EXPECT_EQ(latest->document, R"({"v":2})");
    auto first = store_->GetPolicy(kind, a_, "prod", 1);
    ASSERT_TRUE(first.ok());
    EXPECT_EQ(first->document, R"({"v":1})");
    EXPECT_EQ(first->created_at, T0());
    auto list = store_->ListPolicies(kind, a_);
    ASSERT_TRUE(list.ok());
    ASSERT_EQ(list->size(), 2u);
    EXPECT_EQ((*list)[0].name, "dev");
    EXPECT_EQ((*list)[1].version, 2);

    ASSERT_TRUE(store_->DeletePolicy(kind, a_, "prod", T0()).ok());
    EXPECT_EQ(store_->GetPolicy(kind, a_, "prod").status().reason_id(), "store.not_found");
    EXPECT_EQ(store_->DeletePolicy(kind, a_, "prod", T0()).reason_id(), "store.not_found");
    EXPECT_TRUE(store_->GetPolicy(kind, a_, "prod", 2).ok());  // kept for the audit trail
    auto v3 = store_->PutPolicy(kind, a_, "prod", R"({"v":3})", T0());
    ASSERT_TRUE(v3.ok());
    EXPECT_EQ(v3->version, 3);  // numbers are never reused
    EXPECT_EQ(store_->ListPolicies(kind, a_)->size(), 2u);
  }
}

TEST_P(StoreTest, APolicyVersionIsRevokedOnceAndForItsTenantOnly) {
  ASSERT_TRUE(store_->PutPolicy(PolicyKind::kTenantPolicy, a_, "prod", "{}", T0()).ok());
  ASSERT_TRUE(store_->PutPolicy(PolicyKind::kTenantPolicy, a_, "prod", "{ }", T0()).ok());
  auto revoked = store_->RevokePolicyVersion(a_, "prod", 1, T0() + seconds(5));
  ASSERT_TRUE(revoked.ok()) << revoked.status().ToString();
  EXPECT_EQ(revoked->version, 1);
  EXPECT_EQ(revoked->revoked_at, T0() + seconds(5));
  // Again: the first time stays.
  EXPECT_EQ(store_->RevokePolicyVersion(a_, "prod", 1, T0() + seconds(9))->revoked_at,
            T0() + seconds(5));
  // Only that version.
  EXPECT_FALSE(store_->GetPolicy(PolicyKind::kTenantPolicy, a_, "prod", 2)->revoked_at);
  EXPECT_EQ(store_->GetPolicy(PolicyKind::kTenantPolicy, a_, "prod", 1)->revoked_at,
            T0() + seconds(5));
  const struct {
    std::string name, tenant, policy;
    int64_t version;
  } refused[] = {
      {"another tenant's", b_, "prod", 2},
      {"unknown version", a_, "prod", 3},
      {"unknown policy", a_, "other", 1},
  };
  for (const auto& c : refused) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(store_->RevokePolicyVersion(c.tenant, c.policy, c.version, T0()).status().reason_id(),
              "store.not_found");
  }
  EXPECT_FALSE(store_->GetPolicy(PolicyKind::kTenantPolicy, a_, "prod", 2)->revoked_at);
  // A deleted policy's versions read back with deleted_at.
  ASSERT_TRUE(store_->DeletePolicy(PolicyKind::kTenantPolicy, a_, "prod", T0()).ok());
  EXPECT_EQ(store_->GetPolicy(PolicyKind::kTenantPolicy, a_, "prod", 2)->deleted_at, T0());
}

}  // namespace
}  // namespace attest::service::store
