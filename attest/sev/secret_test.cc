#include "attest/sev/secret.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>
#include <vector>

#include "attest/core/encoding.h"

namespace attest::sev {
namespace {

Guid DiskGuid() { return *ParseGuid(kDiskKeyGuid); }

TEST(SevSecret, TableLayout) {
  const SecretEntry entries[] = {{DiskGuid(), Bytes{1, 2, 3}}};
  auto table = BuildSecretTable(entries);
  ASSERT_TRUE(table.ok());
  // 20 + 20 + 3 = 43 -> padded to 48.
  ASSERT_EQ(table->size(), 48u);
  EXPECT_EQ(HexEncode(ByteSpan(*table).subspan(0, 16)), "42f5741edd71664d963eef4287ff173b");
  EXPECT_EQ((*table)[16], 43);
  EXPECT_EQ(HexEncode(ByteSpan(*table).subspan(20, 16)),
            "e5696873f0847349"
            "92ec06879ce3da0b");
  EXPECT_EQ((*table)[36], 23);
  EXPECT_EQ((*table)[40], 1);
  EXPECT_EQ((*table)[42], 3);
  EXPECT_TRUE(IsAllZero(ByteSpan(*table).subspan(43)));
}

TEST(SevSecret, ExactMultipleOf16GetsAFullPaddingBlock) {
  const SecretEntry entries[] = {{DiskGuid(), Bytes(8, 0xee)}};  // 20 + 20 + 8 = 48
  auto table = BuildSecretTable(entries);
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(table->size(), 64u);
}

TEST(SevSecret, TableRoundTrip) {
  const SecretEntry entries[] = {{DiskGuid(), Bytes(32, 0x11)},
                                 {*ParseGuid("00112233-4455-6677-8899-aabbccddeeff"), Bytes{}}};
  auto table = BuildSecretTable(entries);
  ASSERT_TRUE(table.ok());
  auto parsed = ParseSecretTable(*table);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0].value, Bytes(32, 0x11));
  EXPECT_TRUE((*parsed)[1].value.empty());
}

TEST(SevSecret, BuildBadArguments) {
  EXPECT_EQ(BuildSecretTable({}).status().reason_id(), "sev.bad_argument");
  const SecretEntry big[] = {{DiskGuid(), Bytes(4060, 0)}};
  EXPECT_EQ(BuildSecretTable(big).status().reason_id(), "sev.bad_argument");
  std::vector<SecretEntry> many(65, SecretEntry{DiskGuid(), Bytes{1}});
  EXPECT_EQ(BuildSecretTable(many).status().reason_id(), "sev.bad_argument");
}

TEST(SevSecret, ParseRejectsMalformedTables) {
  const SecretEntry entries[] = {{DiskGuid(), Bytes{1, 2, 3}}};
  const Bytes good = *BuildSecretTable(entries);
  struct Case {
    std::string name;
    size_t offset;
    uint8_t value;
  };
  const Case cases[] = {
      {"table guid", 0, 0x43},           {"length below header", 16, 19},
      {"length past end", 16, 49},       {"entry length below header", 36, 19},
      {"entry length overruns", 36, 24}, {"padding not zero", 47, 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Bytes t = good;
    t[c.offset] = c.value;
    EXPECT_EQ(ParseSecretTable(t).status().reason_id(), "sev.secret_table_malformed");
  }
  for (size_t n = 0; n < 43; ++n) {
    SCOPED_TRACE(n);
    EXPECT_EQ(ParseSecretTable(ByteSpan(good.data(), n)).status().reason_id(),
              "sev.secret_table_malformed");
  }
}

TEST(SevSecret, PackageLayoutAndMac) {
  TransportKeys keys;
  keys.tek.fill(0x01);
  keys.tik.fill(0x02);
  Key128 iv{};
  iv.fill(0x03);
  const Bytes measure(32, 0x04);
  const Bytes table(48, 0x05);
  auto secret = PackageLaunchSecretWithIv(keys, measure, table, iv);
  ASSERT_TRUE(secret.ok());
  ASSERT_EQ(secret->header.size(), 52u);
  EXPECT_TRUE(IsAllZero(ByteSpan(secret->header).subspan(0, 4)));
  EXPECT_EQ(Bytes(secret->header.begin() + 4, secret->header.begin() + 20), Bytes(16, 0x03));
  EXPECT_EQ(Aes128Ctr(keys.tek, iv, secret->ciphertext), table);
  // MAC over 0x01 || flags || iv || len || len || ciphertext || measure, written out by hand.
  Bytes msg = {0x01, 0, 0, 0, 0};
  msg.insert(msg.end(), 16, 0x03);
  msg.insert(msg.end(), {48, 0, 0, 0, 48, 0, 0, 0});
  msg.insert(msg.end(), secret->ciphertext.begin(), secret->ciphertext.end());
  msg.insert(msg.end(), 32, 0x04);
  uint8_t want[32];
  unsigned int len = 0;
  ASSERT_NE(HMAC(EVP_sha256(), keys.tik.data(), 16, msg.data(), msg.size(), want, &len), nullptr);
  EXPECT_EQ(Bytes(secret->header.begin() + 20, secret->header.end()), Bytes(want, want + 32));
}

TEST(SevSecret, PackageBadArguments) {
  const TransportKeys keys;
  EXPECT_EQ(PackageLaunchSecret(keys, Bytes(31), Bytes(16)).status().reason_id(),
            "sev.bad_argument");
  EXPECT_EQ(PackageLaunchSecret(keys, Bytes(32), Bytes()).status().reason_id(), "sev.bad_argument");
  EXPECT_EQ(PackageLaunchSecret(keys, Bytes(32), Bytes(4097)).status().reason_id(),
            "sev.bad_argument");
}

}  // namespace
}  // namespace attest::sev
