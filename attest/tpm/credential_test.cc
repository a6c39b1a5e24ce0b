#include "attest/tpm/credential.h"

#include <gtest/gtest.h>

#include <openssl/hmac.h>

#include "attest/core/encoding.h"
#include "attest/core/file_io.h"
#include "attest/tpm/alg.h"

namespace attest::tpm {
namespace {

Bytes ReadRepoFile(const std::string& path) {
  auto bytes = ReadFileBytes(path);
  EXPECT_TRUE(bytes.ok()) << path;
  return bytes.ok() ? *bytes : Bytes{};
}

// A swtpm EK made with the TCG template L-1 (tpm2_createek -G rsa), as TPM2B_PUBLIC.
Bytes EkTpm2b() { return ReadRepoFile("attest/tpm/testdata/swtpm/ek-rsa.tpm2b"); }

TEST(KdfA, IsCounterModeHmacWithLabelNulAndBitLength) {
  // Recompute the first block by hand: HMAC(key, 00000001 || "STORAGE" 00 || u || v || 00000080).
  const Bytes key(32, 0x11), u = {1, 2, 3}, v = {4};
  const EVP_MD* md = FindHashAlg(kAlgSha256)->md;
  Bytes msg = {0, 0, 0, 1, 'S', 'T', 'O', 'R', 'A', 'G', 'E', 0, 1, 2, 3, 4, 0, 0, 0, 128};
  uint8_t mac[32];
  unsigned int len = 0;
  HMAC(md, key.data(), 32, msg.data(), msg.size(), mac, &len);
  EXPECT_EQ(KdfA(md, key, "STORAGE", u, v, 128), Bytes(mac, mac + 16));
  // Longer outputs continue with counter 2 and keep the requested length in every block.
  const Bytes long_out = KdfA(md, key, "INTEGRITY", {}, {}, 512);
  EXPECT_EQ(long_out.size(), 64u);
  EXPECT_NE(Bytes(long_out.begin(), long_out.begin() + 32),
            Bytes(long_out.begin() + 32, long_out.end()));
}

TEST(MakeCredential, ProducesTpmStructuresOfTheRightShape) {
  auto ek = ParseEkPublic(EkTpm2b());
  ASSERT_TRUE(ek.ok()) << ek.status().ToString();
  EXPECT_EQ(ek->name_alg, kAlgSha256);
  EXPECT_EQ(ek->symmetric_bits, 128);
  const Bytes name = *HexDecode("000b" + std::string(64, 'a'));
  auto made = MakeCredential(*ek, name, Bytes(16, 7), Bytes(32, 9));
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  // TPM2B_ID_OBJECT: size || (u16 32 || HMAC) || CFB(u16 16 || credential).
  EXPECT_EQ(made->credential_blob.size(), 2u + 2 + 32 + 2 + 16);
  EXPECT_EQ(made->credential_blob[2], 0);
  EXPECT_EQ(made->credential_blob[3], 32);
  // TPM2B_ENCRYPTED_SECRET: size || RSA-2048 OAEP ciphertext.
  EXPECT_EQ(made->encrypted_secret.size(), 2u + 256);
  // Deterministic for a fixed seed except for OAEP's own randomness: the blob is the same.
  auto again = MakeCredential(*ek, name, Bytes(16, 7), Bytes(32, 9));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->credential_blob, made->credential_blob);
  auto other_name =
      MakeCredential(*ek, *HexDecode("000b" + std::string(64, 'b')), Bytes(16, 7), Bytes(32, 9));
  ASSERT_TRUE(other_name.ok());
  EXPECT_NE(other_name->credential_blob, made->credential_blob);
}

TEST(MakeCredential, Rejections) {
  auto ek = ParseEkPublic(EkTpm2b());
  ASSERT_TRUE(ek.ok());
  const Bytes name = *HexDecode("000b" + std::string(64, 'a'));
  struct Case {
    std::string name;
    Bytes ak_name, credential;
    std::string want;
  };
  const Case cases[] = {
      {"empty credential", name, {}, "tpm.credential_malformed"},
      {"credential longer than the nameAlg digest", name, Bytes(33, 1), "tpm.credential_malformed"},
      {"short ak name", Bytes(4, 0), Bytes(16, 1), "tpm.credential_malformed"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(MakeCredential(*ek, c.ak_name, c.credential).status().reason_id(), c.want);
  }
  EXPECT_TRUE(CheckActivatedCredential(Bytes(16, 1), Bytes(16, 1)).ok());
  EXPECT_EQ(CheckActivatedCredential(Bytes(16, 1), Bytes(15, 1)).reason_id(),
            "tpm.credential_invalid");
  EXPECT_EQ(CheckActivatedCredential(Bytes(16, 1), Bytes(16, 2)).reason_id(),
            "tpm.credential_invalid");
}

TEST(ParseEkPublic, RejectsKeysThatCannotBeEks) {
  const Bytes ek = EkTpm2b();
  const Bytes ak = ReadRepoFile("attest/tpm/testdata/swtpm/ecc256-ecdsa/ak.tpm2b");
  const Bytes rsa_ak = ReadRepoFile("attest/tpm/testdata/swtpm/rsa-rsassa/ak.tpm2b");
  Bytes trailing = ek;
  trailing.push_back(0);
  struct Case {
    std::string name;
    Bytes input;
    std::string want;
  };
  const Case cases[] = {
      {"ecc key", ak, "tpm.unsupported_algorithm"},
      {"rsa signing key", rsa_ak, "tpm.unsupported_algorithm"},
      {"trailing byte", trailing, "tpm.public_malformed"},
      {"truncated", Bytes(ek.begin(), ek.end() - 1), "tpm.public_malformed"},
      {"empty", {}, "tpm.public_malformed"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(ParseEkPublic(c.input).status().reason_id(), c.want);
  }
}

TEST(LoadCaBundleDir, MissingDirectoryIsAFileError) {
  EXPECT_EQ(LoadCaBundleDir("/nonexistent-ca-dir").status().reason_id(), "core.file_unreadable");
}

}  // namespace
}  // namespace attest::tpm
