// VolumeStore: wrapped keys and crypto-shredding.
#include <gtest/gtest.h>

#include <string>

#include "service/store/store_test_fixture.h"

namespace attest::service::store {
namespace {

using std::chrono::seconds;

TEST_P(StoreTest, VolumesKeepOnlyWrappedKeysAndShredOnDelete) {
  auto v = store_->CreateVolume(a_, MakeVolume("vol-1"), T0());
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->tenant_id, a_);
  ASSERT_TRUE(store_->CreateVolume(a_, MakeVolume("vol-2", 2), T0()).ok());
  auto got = store_->GetVolume(a_, "vol-1");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->wrapped_key, Bytes(60, 1));
  EXPECT_EQ(got->size_bytes, uint64_t{32} << 20);
  EXPECT_EQ(got->kek_id, "file:00112233");
  EXPECT_EQ(got->created_at, T0());
  EXPECT_EQ(store_->ListVolumes(a_)->size(), 2u);

  Volume no_key = MakeVolume("vol-3");
  no_key.wrapped_key.clear();
  Volume no_id = MakeVolume("");
  Volume no_kek = MakeVolume("vol-4");
  no_kek.kek_id.clear();
  const struct {
    std::string name;
    Volume volume;
    std::string want;
  } bad[] = {{"taken id", MakeVolume("vol-1"), "store.already_exists"},
             {"no wrapped key", no_key, "store.invalid_argument"},
             {"no id", no_id, "store.invalid_argument"},
             {"no kek id", no_kek, "store.invalid_argument"}};
  for (const auto& c : bad) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(store_->CreateVolume(a_, c.volume, T0()).status().reason_id(), c.want);
  }

  ASSERT_TRUE(store_->DeleteVolume(a_, "vol-1", T0() + seconds(5)).ok());
  EXPECT_EQ(store_->GetVolume(a_, "vol-1").status().reason_id(), "store.not_found");
  EXPECT_EQ(store_->DeleteVolume(a_, "vol-1", T0()).reason_id(), "store.not_found");
  EXPECT_EQ(store_->ListVolumes(a_)->size(), 1u);
  // Crypto-shredding: the row stays for the audit trail, the wrapped key is gone from it.
  auto raw = Raw();
  auto rows = raw->Exec("SELECT wrapped_key, deleted_at FROM volumes WHERE id = 'vol-1'");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_FALSE((*rows)[0][0].has_value());
  EXPECT_EQ((*rows)[0][1], std::to_string(ToUnixSeconds(T0()) + 5));
  // A deleted id is not reusable (its image and audit entries name it).
  EXPECT_EQ(store_->CreateVolume(a_, MakeVolume("vol-1"), T0()).status().reason_id(),
            "store.already_exists");
}

}  // namespace
}  // namespace attest::service::store
