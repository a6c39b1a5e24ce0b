#include "protocol/host_credential.h"

#include <gtest/gtest.h>

#include <numeric>

namespace attest::protocol {
namespace {

// Expected values computed independently with Python's `cryptography` HKDF and `hmac`:
//   HKDF(SHA256, length=30, salt=None, info=b"attestd host credential v1\0" + host_id)
//     .derive(bytes(range(32)))  -> base64
//   hmac.new(key_b64, b"attestd host activation v1\0" + host_id, sha256).hexdigest()
constexpr char kHostId[] = "h-0011223344556677";
constexpr char kKey[] = "rCmGvFCwmD7s+rnbCIdaadEyljQwNM4vHI3XeDMr";
constexpr char kOtherHostKey[] = "mHiBauc9Mmc31wjeYnWFtJ0hr3zwF1YDaxWvJB0F";  // host id "h-other"
constexpr char kProof[] = "b13a526fcc3992a56a5ad93b216c1e8236f0bf9a0579e17db534c817fe3de908";

Bytes Secret() {
  Bytes s(kHostActivationSecretBytes);
  std::iota(s.begin(), s.end(), 0);
  return s;
}

TEST(HostCredentialTest, DerivesTheIndependentlyComputedKey) {
  EXPECT_EQ(DeriveHostSecretKey(Secret(), kHostId).value(), kKey);
  EXPECT_EQ(DeriveHostSecretKey(Secret(), "h-other").value(), kOtherHostKey);
}

TEST(HostCredentialTest, RefusesASecretOfTheWrongSize) {
  for (size_t n : {0u, 31u, 33u, 64u}) {
    EXPECT_EQ(DeriveHostSecretKey(Bytes(n, 1), kHostId).status().reason_id(), "core.internal") << n;
  }
}

TEST(HostCredentialTest, ProofMatchesTheIndependentHmac) {
  EXPECT_EQ(HostActivationProof(kKey, kHostId), kProof);
  EXPECT_TRUE(CheckHostActivationProof(kKey, kHostId, kProof));
}

TEST(HostCredentialTest, AnyOtherProofIsRefused) {
  std::string flipped = kProof;
  flipped[10] = flipped[10] == 'a' ? 'b' : 'a';
  const struct {
    const char* name;
    std::string key, host_id, proof;
  } cases[] = {
      {"one digit changed", kKey, kHostId, flipped},
      {"upper case", kKey, kHostId,
       "B13A526FCC3992A56A5AD93B216C1E8236F0BF9A0579E17DB534C817FE3DE908"},
      {"truncated", kKey, kHostId, std::string(kProof).substr(0, 63)},
      {"empty", kKey, kHostId, ""},
      {"another host's id", kKey, "h-other", kProof},
      {"another key", kOtherHostKey, kHostId, kProof},
      {"the key itself", kKey, kHostId, kKey},
  };
  for (const auto& c : cases) {
    EXPECT_FALSE(CheckHostActivationProof(c.key, c.host_id, c.proof)) << c.name;
  }
}

}  // namespace
}  // namespace attest::protocol
