// NetworkStore: nets and security groups.
#include <gtest/gtest.h>

#include <string>

#include "service/store/store_test_fixture.h"

namespace attest::service::store {
namespace {

using std::chrono::seconds;

TEST_P(StoreTest, SecurityGroupsKeepTheirIdAcrossReplaces) {
  const TimePoint t1 = T0() + seconds(60);
  auto created = store_->PutSecurityGroup(a_, "web", "sg-1", "front", R"([{"x":1}])", T0());
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->id, "sg-1");
  EXPECT_EQ(created->tenant_id, a_);
  EXPECT_EQ(created->created_at, T0());
  EXPECT_EQ(created->updated_at, T0());

  // A replace keeps the id (the host's filter name) and created_at; new_id is ignored.
  auto replaced = store_->PutSecurityGroup(a_, "web", "sg-2", "front v2", "[]", t1);
  ASSERT_TRUE(replaced.ok()) << replaced.status().ToString();
  EXPECT_EQ(replaced->id, "sg-1");
  EXPECT_EQ(replaced->description, "front v2");
  EXPECT_EQ(replaced->rules, "[]");
  EXPECT_EQ(replaced->created_at, T0());
  EXPECT_EQ(replaced->updated_at, t1);

  // The same name in another tenant is another group; a reused id is refused.
  EXPECT_EQ(store_->PutSecurityGroup(b_, "web", "sg-1", "", "[]", T0()).status().reason_id(),
            "store.already_exists");
  ASSERT_TRUE(store_->PutSecurityGroup(b_, "web", "sg-3", "", "[]", T0()).ok());
  ASSERT_TRUE(store_->PutSecurityGroup(a_, "db", "sg-4", "", "[]", T0()).ok());
  auto list = store_->ListSecurityGroups(a_);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "db");
  EXPECT_EQ((*list)[1].name, "web");
  EXPECT_EQ((*list)[1].rules, "[]");

  EXPECT_TRUE(store_->DeleteSecurityGroup(a_, "web").ok());
  EXPECT_EQ(store_->GetSecurityGroup(a_, "web").status().reason_id(), "store.not_found");
  EXPECT_EQ(store_->DeleteSecurityGroup(a_, "web").reason_id(), "store.not_found");
  EXPECT_EQ(store_->GetSecurityGroup(b_, "web")->id, "sg-3");
  // After a delete the name is new again: a fresh id.
  EXPECT_EQ(store_->PutSecurityGroup(a_, "web", "sg-5", "", "[]", t1)->id, "sg-5");
  EXPECT_EQ(store_->PutSecurityGroup(a_, "", "sg-6", "", "[]", t1).status().reason_id(),
            "store.invalid_argument");
}

TEST_P(StoreTest, NetsKeepTheirIdAcrossReplaces) {
  const TimePoint t1 = T0() + seconds(60);
  auto created = store_->PutNet(a_, "lan", "net-1", "10.0.0.0/24", false, T0());
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->id, "net-1");
  EXPECT_FALSE(created->internet_gateway);
  auto replaced = store_->PutNet(a_, "lan", "net-2", "10.1.0.0/16", true, t1);
  ASSERT_TRUE(replaced.ok()) << replaced.status().ToString();
  EXPECT_EQ(replaced->id, "net-1");
  EXPECT_EQ(replaced->cidr, "10.1.0.0/16");
  EXPECT_TRUE(replaced->internet_gateway);
  EXPECT_EQ(replaced->created_at, T0());
  EXPECT_EQ(replaced->updated_at, t1);
  EXPECT_TRUE(store_->GetNet(a_, "lan")->internet_gateway);

  // Equal CIDRs in two tenants are two nets.
  ASSERT_TRUE(store_->PutNet(b_, "lan", "net-3", "10.1.0.0/16", false, T0()).ok());
  EXPECT_EQ(store_->PutNet(b_, "other", "net-1", "10.9.0.0/16", false, T0()).status().reason_id(),
            "store.already_exists");
  ASSERT_TRUE(store_->PutNet(a_, "dmz", "net-4", "192.168.0.0/24", false, T0()).ok());
  auto list = store_->ListNets(a_);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "dmz");
  EXPECT_FALSE((*list)[0].internet_gateway);
  EXPECT_EQ((*list)[1].name, "lan");
  EXPECT_TRUE(store_->DeleteNet(a_, "lan").ok());
  EXPECT_EQ(store_->DeleteNet(a_, "lan").reason_id(), "store.not_found");
  EXPECT_EQ(store_->GetNet(b_, "lan")->id, "net-3");
  EXPECT_EQ(store_->PutNet(a_, "x", "net-5", "", false, T0()).status().reason_id(),
            "store.invalid_argument");
}

}  // namespace
}  // namespace attest::service::store
