// TenantStore: tenants and sealed credentials.
#include <gtest/gtest.h>

#include <string>

#include "service/store/store_test_fixture.h"

namespace attest::service::store {
namespace {

using std::chrono::seconds;

TEST_P(StoreTest, TenantsAndCredentials) {
  EXPECT_EQ(store_->CreateTenant("tenant-a", Role::kTenant, T0()).status().reason_id(),
            "store.already_exists");
  auto op = store_->CreateTenant("ops", Role::kOperator, T0());
  ASSERT_TRUE(op.ok());
  auto got = store_->GetTenant(op->id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->role, Role::kOperator);
  EXPECT_EQ(got->name, "ops");
  EXPECT_EQ(store_->GetTenant("t-missing").status().reason_id(), "store.not_found");

  auto cred = store_->CreateCredential(a_, T0());
  ASSERT_TRUE(cred.ok()) << cred.status().ToString();
  EXPECT_EQ(cred->access_key_id.size(), 20u);
  EXPECT_EQ(cred->secret_access_key.size(), 40u);
  auto found = store_->LookupCredential(cred->access_key_id);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(found->secret_access_key, cred->secret_access_key);
  EXPECT_EQ(found->tenant_id, a_);
  EXPECT_EQ(store_->LookupCredential("AKIAUNKNOWN").status().reason_id(), "store.not_found");
  EXPECT_EQ(store_->CreateCredential("t-missing", T0()).status().reason_id(), "store.not_found");

  // The database holds only the sealed form.
  auto raw = Raw();
  auto rows = raw->Exec("SELECT sealed_secret FROM credentials WHERE access_key_id = $1",
                        {cred->access_key_id});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  const std::string sealed = *(*rows)[0][0];
  EXPECT_EQ(sealed.find(cred->secret_access_key), std::string::npos);
  // The KEK blob (service/keys/kek.h): header "AKW" 01 kind id-length, key id, nonce, ct, tag.
  EXPECT_EQ(sealed.substr(0, 4), std::string("AKW\x01", 4));
  EXPECT_EQ(sealed.size(), 6 + 21 + 12 + cred->secret_access_key.size() + 16);

  EXPECT_EQ(store_->DeleteCredential(b_, cred->access_key_id).reason_id(), "store.not_found");
  EXPECT_TRUE(store_->DeleteCredential(a_, cred->access_key_id).ok());
  EXPECT_EQ(store_->LookupCredential(cred->access_key_id).status().reason_id(), "store.not_found");
}

TEST_P(StoreTest, SealedSecretsNeedTheKekAndTheirOwnRow) {
  auto one = store_->CreateCredential(a_, T0());
  auto two = store_->CreateCredential(b_, T0());
  ASSERT_TRUE(one.ok() && two.ok());
  auto other_kek = Open(Sealer(9));
  ASSERT_TRUE(other_kek.ok());
  EXPECT_EQ((*other_kek)->LookupCredential(one->access_key_id).status().reason_id(),
            "store.secret_unseal_failed");
  // A sealed secret copied into another key's row does not open (access key id is the AAD).
  auto raw = Raw();
  ASSERT_TRUE(raw->Exec("UPDATE credentials SET sealed_secret = (SELECT sealed_secret FROM "
                        "credentials WHERE access_key_id = $1) WHERE access_key_id = $2",
                        {one->access_key_id, two->access_key_id})
                  .ok());
  EXPECT_EQ(store_->LookupCredential(two->access_key_id).status().reason_id(),
            "store.secret_unseal_failed");
  EXPECT_TRUE(store_->LookupCredential(one->access_key_id).ok());
}

}  // namespace
}  // namespace attest::service::store
