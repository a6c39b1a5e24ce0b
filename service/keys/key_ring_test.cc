#include "service/keys/key_ring.h"

#include <gtest/gtest.h>

#include "service/keys/local_kek.h"
#include "service/keys/volume.h"

namespace attest::service::keys {
namespace {

std::shared_ptr<const KeyEncryptionKey> Kek(uint8_t fill) {
  return LocalKeyFileKek::FromKey(Bytes(32, fill)).value();
}

std::shared_ptr<const KeyRing> Ring(uint8_t current, const std::vector<uint8_t>& previous) {
  std::vector<std::shared_ptr<const KeyEncryptionKey>> keks;
  keks.reserve(previous.size());
  for (uint8_t fill : previous) {
    keks.push_back(Kek(fill));
  }
  return KeyRing::Make(Kek(current), std::move(keks)).value();
}

TEST(KeyRing, WrapsWithCurrentUnwrapsWithAnyConfigured) {
  const auto ring = Ring(2, {1});
  EXPECT_EQ(ring->key_id(), Kek(2)->key_id());
  EXPECT_EQ(ring->previous_ids(), std::vector<std::string>{Kek(1)->key_id()});
  EXPECT_TRUE(ring->Knows(Kek(1)->key_id()));
  EXPECT_FALSE(ring->Knows(Kek(3)->key_id()));
  const Bytes key = NewVolumeKey();
  const Bytes under_old = WrapVolumeKey(*Kek(1), "v-1", key).value();
  const Bytes under_new = WrapVolumeKey(*ring, "v-1", key).value();
  EXPECT_EQ(ParseWrappedHeader(under_new)->key_id, Kek(2)->key_id());
  EXPECT_EQ(UnwrapVolumeKey(*ring, "v-1", under_old).value(), key);
  EXPECT_EQ(UnwrapVolumeKey(*ring, "v-1", under_new).value(), key);
  // The new KEK alone opens what the ring wrapped; the old one alone does not.
  EXPECT_EQ(UnwrapVolumeKey(*Kek(2), "v-1", under_new).value(), key);
  EXPECT_EQ(UnwrapVolumeKey(*Kek(1), "v-1", under_new).status().reason_id(), "keys.wrong_key");
  EXPECT_TRUE(ring->CheckAvailable().ok());
}

TEST(KeyRing, Refusals) {
  const auto ring = Ring(2, {1});
  const Bytes key = NewVolumeKey();
  const Bytes under_old = WrapVolumeKey(*Kek(1), "v-1", key).value();
  Bytes flipped = under_old;
  flipped.at(flipped.size() - 1) ^= 1;
  Bytes bad_magic = under_old;
  bad_magic[0] = 'X';
  struct Case {
    const char* name;
    Bytes blob;
    const char* volume;
    const char* want;
  } cases[] = {
      {"unknown KEK", WrapVolumeKey(*Kek(3), "v-1", key).value(), "v-1", "keys.kek_unknown"},
      {"other volume", under_old, "v-2", "keys.unwrap_failed"},
      {"altered tag", flipped, "v-1", "keys.unwrap_failed"},
      {"bad magic", bad_magic, "v-1", "keys.blob_malformed"},
      {"empty", Bytes{}, "v-1", "keys.blob_malformed"},
      {"truncated", Bytes(under_old.begin(), under_old.begin() + 10), "v-1", "keys.blob_malformed"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(UnwrapVolumeKey(*ring, c.volume, c.blob).status().reason_id(), c.want);
  }
}

TEST(KeyRing, MakeRefusesTheSameKekTwice) {
  struct Case {
    const char* name;
    uint8_t current;
    std::vector<uint8_t> previous;
    bool ok;
  } cases[] = {
      {"current only", 1, {}, true},        {"two distinct", 2, {1}, true},
      {"three distinct", 3, {2, 1}, true},  {"current is previous", 1, {1}, false},
      {"previous twice", 3, {1, 1}, false}, {"current among previous", 2, {1, 2}, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<std::shared_ptr<const KeyEncryptionKey>> previous;
    for (uint8_t fill : c.previous) {
      previous.push_back(Kek(fill));
    }
    auto ring = KeyRing::Make(Kek(c.current), previous);
    EXPECT_EQ(ring.ok(), c.ok);
    if (!c.ok) {
      EXPECT_EQ(ring.status().reason_id(), "keys.config_invalid");
    }
  }
  EXPECT_EQ(KeyRing::Make(nullptr, {}).status().reason_id(), "keys.config_invalid");
  EXPECT_EQ(KeyRing::Make(Kek(1), {nullptr}).status().reason_id(), "keys.config_invalid");
}

}  // namespace
}  // namespace attest::service::keys
