#include "policy/policy_cache.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace attest::policy {
namespace {

std::string Doc(const std::string& name) {
  return R"({"name":")" + name + R"(","snp":{"any_measurement":true,"any_host_data":true}})";
}

TEST(TenantPolicyCacheTest, LoadsEachDocumentOnce) {
  TenantPolicyCache cache;
  auto a = cache.Load(Doc("a"));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ((*a)->name(), "a");
  auto again = cache.Load(Doc("a"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(a->get(), again->get());  // the same parse, not a second one
  auto b = cache.Load(Doc("b"));
  ASSERT_TRUE(b.ok());
  EXPECT_NE(a->get(), b->get());
  EXPECT_EQ(cache.size(), 2u);
}

// Same bytes, same parse; any other bytes (even an equivalent reformatting) are another key.
TEST(TenantPolicyCacheTest, KeyedByDocumentBytes) {
  TenantPolicyCache cache;
  auto compact = cache.Load(Doc("a"));
  auto spaced = cache.Load(" " + Doc("a"));
  ASSERT_TRUE(compact.ok() && spaced.ok());
  EXPECT_NE(compact->get(), spaced->get());
  EXPECT_EQ(cache.size(), 2u);
}

TEST(TenantPolicyCacheTest, FailuresAreReportedAndNotCached) {
  TenantPolicyCache cache;
  const struct {
    const char* name;
    std::string document;
    const char* want;
  } cases[] = {
      {"not json", "{", "policy.invalid"},
      {"no name", R"({"snp":{"any_measurement":true,"any_host_data":true}})", "policy.invalid"},
      {"unknown field", R"({"name":"p","snpp":{}})", "policy.invalid"},
  };
  for (const auto& k : cases) {
    SCOPED_TRACE(k.name);
    for (int i = 0; i < 2; ++i) {
      auto p = cache.Load(k.document);
      ASSERT_FALSE(p.ok());
      EXPECT_EQ(p.status().reason_id(), k.want);
    }
  }
  EXPECT_EQ(cache.size(), 0u);
}

TEST(TenantPolicyCacheTest, BoundedByEmptyingWhenFull) {
  TenantPolicyCache cache(2);
  for (const char* name : {"a", "b"}) {
    ASSERT_TRUE(cache.Load(Doc(name)).ok());
  }
  EXPECT_EQ(cache.size(), 2u);
  auto c = cache.Load(Doc("c"));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)->name(), "c");
  EXPECT_EQ(cache.size(), 1u);
}

}  // namespace
}  // namespace attest::policy
