#include "attest/tpm/credential.h"

#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <tss2/tss2_mu.h>

#include <functional>

#include "attest/core/encoding.h"
#include "attest/core/file_io.h"
#include "attest/core/x509.h"
#include "attest/tpm/alg.h"
#include "attest/tpm/ek_seed.h"
#include "attest/tpm/wire.h"
#include "tests/testing/fake_tpm.h"
#include "tests/testing/test_pki.h"

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
      {"ecc signing key", ak, "tpm.unsupported_algorithm"},
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

TEST(KdfE, IsHashOfCounterZLabelNulAndPartyInfosWithoutLength) {
  const Bytes z(32, 0x22), u = {1, 2}, v = {3};
  Bytes msg = {0, 0, 0, 1};
  msg.insert(msg.end(), z.begin(), z.end());
  const std::string label = "IDENTITY";
  msg.insert(msg.end(), label.begin(), label.end());
  const Bytes tail = {0, 1, 2, 3};  // the label's NUL, party U, party V
  msg.insert(msg.end(), tail.begin(), tail.end());
  auto sha256 = [](const Bytes& m) {
    Bytes out(32);
    unsigned int len = 0;
    EVP_Digest(m.data(), m.size(), out.data(), &len, EVP_sha256(), nullptr);
    return out;
  };
  const Bytes block1 = sha256(msg);
  EXPECT_EQ(KdfE(EVP_sha256(), z, "IDENTITY", u, v, 256), block1);
  EXPECT_EQ(KdfE(EVP_sha256(), z, "IDENTITY", u, v, 128),
            Bytes(block1.begin(), block1.begin() + 16));
  // A second block uses counter 2.
  msg[3] = 2;
  const Bytes block2 = sha256(msg);
  Bytes both = block1;
  both.insert(both.end(), block2.begin(), block2.begin() + 8);
  EXPECT_EQ(KdfE(EVP_sha256(), z, "IDENTITY", u, v, 320), both);
}

// Every EK kind: MakeCredential here, TPM2_ActivateCredential in the software TPM (its own seed
// recovery and KDFe, written from the spec), for several credential sizes.
TEST(MakeCredential, RoundTripsThroughASoftwareActivateCredential) {
  using attest::testing::FakeEk;
  using attest::testing::FakeTpm;
  struct Kind {
    std::string name;
    FakeEk ek;
    size_t digest, secret_bytes;
  };
  const Kind kinds[] = {
      {"rsa-2048 L-1", FakeEk::kRsa2048, 32, 2 + 256},
      {"ecc-p256 L-2", FakeEk::kEccP256, 32, 2 + 2 + 32 + 2 + 32},
      {"ecc-p384 H-4", FakeEk::kEccP384, 48, 2 + 2 + 48 + 2 + 48},
  };
  for (const Kind& k : kinds) {
    SCOPED_TRACE(k.name);
    const FakeTpm tpm = FakeTpm::Create(attest::testing::kFakeAkAttributes, k.ek);
    auto ek = ParseEkPublic(tpm.ek_public());
    ASSERT_TRUE(ek.ok()) << ek.status().ToString();
    for (size_t size : {size_t{1}, size_t{16}, k.digest}) {
      const Bytes credential(size, static_cast<uint8_t>(size));
      auto made = MakeCredential(*ek, tpm.ak_name(), credential);
      ASSERT_TRUE(made.ok()) << made.status().ToString();
      EXPECT_EQ(made->encrypted_secret.size(), k.secret_bytes);
      auto got = tpm.ActivateCredential(made->credential_blob, made->encrypted_secret);
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      EXPECT_EQ(*got, credential);
    }
    // Negatives: another AK name, another TPM of the same kind, any flipped bit, truncation.
    const Bytes credential(16, 0x5a);
    auto made = MakeCredential(*ek, tpm.ak_name(), credential);
    ASSERT_TRUE(made.ok());
    Bytes other_name = tpm.ak_name();
    other_name.back() ^= 1;
    const FakeTpm other = FakeTpm::Create(attest::testing::kFakeAkAttributes, k.ek);
    struct Bad {
      std::string name;
      std::function<Result<Bytes>()> activate;
    };
    auto flip = [](Bytes b, size_t at) {
      b[at] ^= 0x01;
      return b;
    };
    const MadeCredential& m = *made;
    const Bad bad[] = {
        {"another ak name",
         [&] { return tpm.ActivateCredential(m.credential_blob, m.encrypted_secret, other_name); }},
        {"another tpm",
         [&] { return other.ActivateCredential(m.credential_blob, m.encrypted_secret); }},
        {"hmac bit",
         [&] { return tpm.ActivateCredential(flip(m.credential_blob, 5), m.encrypted_secret); }},
        {"ciphertext bit",
         [&] {
           return tpm.ActivateCredential(flip(m.credential_blob, m.credential_blob.size() - 1),
                                         m.encrypted_secret);
         }},
        {"secret bit",
         [&] { return tpm.ActivateCredential(m.credential_blob, flip(m.encrypted_secret, 10)); }},
        {"secret truncated",
         [&] {
           Bytes cut(m.encrypted_secret.begin(), m.encrypted_secret.end() - 1);
           cut[1] = static_cast<uint8_t>(cut[1] - 1);
           return tpm.ActivateCredential(m.credential_blob, cut);
         }},
    };
    for (const Bad& b : bad) {
      SCOPED_TRACE(b.name);
      EXPECT_EQ(b.activate().status().reason_id(), "tpm.credential_invalid");
    }
    // A fresh ephemeral key (ECC) or OAEP randomness (RSA) per credential.
    auto again = MakeCredential(*ek, tpm.ak_name(), credential);
    ASSERT_TRUE(again.ok());
    EXPECT_NE(again->encrypted_secret, made->encrypted_secret);
  }
}

TEST(MakeCredential, EccEkTakesNoFixedSeed) {
  const auto tpm = attest::testing::FakeTpm::Create(attest::testing::kFakeAkAttributes,
                                                    attest::testing::FakeEk::kEccP256);
  auto ek = ParseEkPublic(tpm.ek_public());
  ASSERT_TRUE(ek.ok());
  EXPECT_EQ(MakeCredential(*ek, tpm.ak_name(), Bytes(16, 1), Bytes(32, 9)).status().reason_id(),
            "tpm.credential_malformed");
}

// MutateEk unmarshals a TPM2B_PUBLIC, lets edit change it and marshals it back.
Bytes MutateEk(const Bytes& tpm2b, const std::function<void(TPMT_PUBLIC&)>& edit) {
  TPM2B_PUBLIC pub{};
  size_t offset = 0;
  EXPECT_EQ(Tss2_MU_TPM2B_PUBLIC_Unmarshal(tpm2b.data(), tpm2b.size(), &offset, &pub),
            TSS2_RC_SUCCESS);
  edit(pub.publicArea);
  Bytes out(sizeof(TPM2B_PUBLIC));
  offset = 0;
  EXPECT_EQ(Tss2_MU_TPM2B_PUBLIC_Marshal(&pub, out.data(), out.size(), &offset), TSS2_RC_SUCCESS);
  out.resize(offset);
  return out;
}

TEST(ParseEkPublic, EccEksAcceptedAndRejected) {
  using attest::testing::FakeEk;
  const auto p256 =
      attest::testing::FakeTpm::Create(attest::testing::kFakeAkAttributes, FakeEk::kEccP256);
  const auto p384 =
      attest::testing::FakeTpm::Create(attest::testing::kFakeAkAttributes, FakeEk::kEccP384);
  const auto rsa = attest::testing::FakeTpm::Create();
  const Bytes& good = p256.ek_public();
  struct Case {
    std::string name;
    Bytes input;
    std::string want;  // "" = accepted
    std::string alg;
  };
  const Case cases[] = {
      {"p256 L-2", good, "", "ecc-p256"},
      {"p384 H-4", p384.ek_public(), "", "ecc-p384"},
      {"rsa L-1", rsa.ek_public(), "", "rsa-2048"},
      {"sha1 nameAlg", MutateEk(good, [](TPMT_PUBLIC& p) { p.nameAlg = TPM2_ALG_SHA1; }), "",
       "ecc-p256"},
      {"p521", MutateEk(good, [](TPMT_PUBLIC& p) { p.parameters.eccDetail.curveID = 0x0005; }),
       "tpm.unsupported_algorithm"},
      {"bn256",
       MutateEk(good, [](TPMT_PUBLIC& p) { p.parameters.eccDetail.curveID = TPM2_ECC_BN_P256; }),
       "tpm.unsupported_algorithm"},
      {"ecdh scheme",
       MutateEk(good,
                [](TPMT_PUBLIC& p) {
                  p.parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDH;
                  p.parameters.eccDetail.scheme.details.ecdh.hashAlg = TPM2_ALG_SHA256;
                }),
       "tpm.unsupported_algorithm"},
      {"kdf set",
       MutateEk(good,
                [](TPMT_PUBLIC& p) {
                  p.parameters.eccDetail.kdf.scheme = TPM2_ALG_KDF1_SP800_56A;
                  p.parameters.eccDetail.kdf.details.kdf1_sp800_56a.hashAlg = TPM2_ALG_SHA256;
                }),
       "tpm.unsupported_algorithm"},
      {"no symmetric",
       MutateEk(good,
                [](TPMT_PUBLIC& p) { p.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL; }),
       "tpm.unsupported_algorithm"},
      {"aes-192",
       MutateEk(good, [](TPMT_PUBLIC& p) { p.parameters.eccDetail.symmetric.keyBits.aes = 192; }),
       "tpm.unsupported_algorithm"},
      {"aes ctr",
       MutateEk(good,
                [](TPMT_PUBLIC& p) { p.parameters.eccDetail.symmetric.mode.aes = TPM2_ALG_CTR; }),
       "tpm.unsupported_algorithm"},
      {"rsa with oaep scheme",
       MutateEk(rsa.ek_public(),
                [](TPMT_PUBLIC& p) {
                  p.parameters.rsaDetail.scheme.scheme = TPM2_ALG_OAEP;
                  p.parameters.rsaDetail.scheme.details.oaep.hashAlg = TPM2_ALG_SHA256;
                }),
       "tpm.unsupported_algorithm"},
      {"sign attribute", MutateEk(good, [](TPMT_PUBLIC& p) { p.objectAttributes |= kAttrSign; }),
       "tpm.public_malformed"},
      {"not restricted",
       MutateEk(good, [](TPMT_PUBLIC& p) { p.objectAttributes &= ~kAttrRestricted; }),
       "tpm.public_malformed"},
      {"not decrypt", MutateEk(good, [](TPMT_PUBLIC& p) { p.objectAttributes &= ~kAttrDecrypt; }),
       "tpm.public_malformed"},
      {"empty x", MutateEk(good, [](TPMT_PUBLIC& p) { p.unique.ecc.x.size = 0; }),
       "tpm.public_malformed"},
      {"coordinate longer than the curve",
       MutateEk(good, [](TPMT_PUBLIC& p) { p.unique.ecc.y.size = 33; }), "tpm.public_malformed"},
      {"point off the curve",
       MutateEk(good, [](TPMT_PUBLIC& p) { p.unique.ecc.y.buffer[31] ^= 1; }),
       "tpm.public_malformed"},
      {"p256 point labelled p384",
       MutateEk(good, [](TPMT_PUBLIC& p) { p.parameters.eccDetail.curveID = TPM2_ECC_NIST_P384; }),
       "tpm.public_malformed"},
      {"truncated", Bytes(good.begin(), good.end() - 1), "tpm.public_malformed"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto ek = ParseEkPublic(c.input);
    if (c.want.empty()) {
      ASSERT_TRUE(ek.ok()) << ek.status().ToString();
      EXPECT_EQ(EkAlgorithmName(*ek), c.alg);
    } else {
      EXPECT_EQ(ek.status().reason_id(), c.want) << ek.status().ToString();
    }
  }
}

Bytes PemBytes(X509* cert) {
  const std::string pem = attest::testing::PemOf(cert);
  return Bytes(pem.begin(), pem.end());
}

// A test vendor hierarchy: root -> issuing CA -> EK certificate, as TPM makers ship them.
struct EkPki {
  EvpPkeyPtr root_key = attest::testing::GenerateKey(attest::testing::KeyKind::kEcP384);
  EvpPkeyPtr ca_key = attest::testing::GenerateKey(attest::testing::KeyKind::kEcP256);
  X509Ptr root, ca;
  TimePoint start = FromUnixSeconds(1700000000);
  explicit EkPki(const std::string& vendor = "Test") {
    root = attest::testing::IssueCertificate(
        {vendor + " EK Root", start, start + std::chrono::days(3650), true, 1}, root_key.get(),
        nullptr, root_key.get());
    ca = attest::testing::IssueCertificate(
        {vendor + " EK Issuing CA", start, start + std::chrono::days(3650), true, 2}, ca_key.get(),
        root.get(), root_key.get());
  }
  X509Ptr Leaf(EVP_PKEY* ek_key, X509* issuer, EVP_PKEY* issuer_key, long serial = 3) const {
    return attest::testing::IssueCertificate(
        {"EK", start, start + std::chrono::days(365), false, serial}, ek_key, issuer, issuer_key);
  }
};

TEST(VerifyEkCertificate, ChainsThroughTpmIntermediatesToAnyTrustedCa) {
  using attest::testing::DerOf;
  const EkPki pki;
  const EkPki other("Other");
  auto not_a_ca_key = attest::testing::GenerateKey(attest::testing::KeyKind::kEcP256);
  auto not_a_ca = attest::testing::IssueCertificate(
      {"Not a CA", pki.start, pki.start + std::chrono::days(3650), false, 9}, not_a_ca_key.get(),
      pki.root.get(), pki.root_key.get());
  for (auto kind : {attest::testing::FakeEk::kRsa2048, attest::testing::FakeEk::kEccP384}) {
    const auto tpm = attest::testing::FakeTpm::Create(attest::testing::kFakeAkAttributes, kind);
    auto ek = ParseEkPublic(tpm.ek_public());
    ASSERT_TRUE(ek.ok());
    const Bytes leaf = DerOf(pki.Leaf(tpm.ek_key(), pki.ca.get(), pki.ca_key.get()).get());
    const Bytes leaf_pem = PemBytes(pki.Leaf(tpm.ek_key(), pki.ca.get(), pki.ca_key.get()).get());
    const auto foreign = attest::testing::GenerateKey(attest::testing::KeyKind::kEcP256);
    const Bytes foreign_leaf = DerOf(pki.Leaf(foreign.get(), pki.ca.get(), pki.ca_key.get()).get());
    const Bytes under_non_ca =
        DerOf(pki.Leaf(tpm.ek_key(), not_a_ca.get(), not_a_ca_key.get()).get());
    const Bytes ca_der = DerOf(pki.ca.get());
    Bytes two = leaf;
    two.insert(two.end(), ca_der.begin(), ca_der.end());
    const TimePoint now = pki.start + std::chrono::days(30);
    struct Case {
      std::string name;
      Bytes cert, chain;
      std::vector<X509*> anchors;
      TimePoint at;
      std::string want;  // "" = ok
    };
    const Case cases[] = {
        {"nv intermediate to root", leaf, ca_der, {pki.root.get()}, now, ""},
        {"pem leaf, pem chain", leaf_pem, PemBytes(pki.ca.get()), {pki.root.get()}, now, ""},
        {"issuing ca trusted itself", leaf, {}, {pki.ca.get()}, now, ""},
        {"root among several anchors", leaf, ca_der, {other.root.get(), pki.root.get()}, now, ""},
        {"no intermediate", leaf, {}, {pki.root.get()}, now, "tpm.ek_chain_untrusted"},
        {"wrong root", leaf, ca_der, {other.root.get()}, now, "tpm.ek_chain_untrusted"},
        {"root only in the untrusted chain",
         leaf,
         [&] {
           Bytes both = PemBytes(pki.ca.get());
           const Bytes root = PemBytes(pki.root.get());
           both.insert(both.end(), root.begin(), root.end());
           return both;
         }(),
         {other.root.get()},
         now,
         "tpm.ek_chain_untrusted"},
        {"issuer not a ca",
         under_non_ca,
         DerOf(not_a_ca.get()),
         {pki.root.get()},
         now,
         "tpm.ek_chain_untrusted"},
        {"no anchors", leaf, ca_der, {}, now, "tpm.ek_chain_untrusted"},
        {"expired",
         leaf,
         ca_der,
         {pki.root.get()},
         pki.start + std::chrono::days(400),
         "x509.cert_expired"},
        {"not yet valid",
         leaf,
         ca_der,
         {pki.root.get()},
         pki.start - std::chrono::days(1),
         "x509.cert_not_yet_valid"},
        {"another key's certificate",
         foreign_leaf,
         ca_der,
         {pki.root.get()},
         now,
         "tpm.ek_public_mismatch"},
        {"garbage certificate",
         Bytes(40, 0x30),
         ca_der,
         {pki.root.get()},
         now,
         "tpm.ek_cert_malformed"},
        {"two certificates as the leaf", two, {}, {pki.root.get()}, now, "tpm.ek_cert_malformed"},
        {"empty certificate", {}, ca_der, {pki.root.get()}, now, "tpm.ek_cert_malformed"},
        {"garbage chain", leaf, Bytes(40, 0x30), {pki.root.get()}, now, "tpm.ek_cert_malformed"},
    };
    for (const Case& c : cases) {
      SCOPED_TRACE(EkAlgorithmName(*ek) + ": " + c.name);
      const Status s = VerifyEkCertificate(c.cert, c.chain, *ek, c.anchors, c.at);
      EXPECT_EQ(s.ok() ? "" : s.reason_id(), c.want) << s.ToString();
    }
  }
}

TEST(ParseEkCertificates, ReadsNvContentsAndPemBundles) {
  const EkPki pki;
  const Bytes ca = attest::testing::DerOf(pki.ca.get());
  const Bytes root = attest::testing::DerOf(pki.root.get());
  auto cat = [](std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const Bytes& p : parts) {
      out.insert(out.end(), p.begin(), p.end());
    }
    return out;
  };
  Bytes pem = PemBytes(pki.ca.get());
  const Bytes root_pem = PemBytes(pki.root.get());
  pem.insert(pem.end(), root_pem.begin(), root_pem.end());
  Bytes truncated(ca.begin(), ca.end() - 1);
  struct Case {
    std::string name;
    Bytes input;
    size_t want_certs;  // 0 = tpm.ek_cert_malformed
  };
  const Case cases[] = {
      {"one der", ca, 1},
      {"two der back to back", cat({ca, root}), 2},
      {"zero padding", cat({ca, Bytes(100, 0x00)}), 1},
      {"erased nv padding", cat({ca, root, Bytes(37, 0xff)}), 2},
      {"pem bundle", pem, 2},
      {"garbage after a certificate", cat({ca, Bytes{0x30, 0x03, 0x02, 0x01, 0x01}}), 0},
      {"padding then a certificate", cat({ca, Bytes(4, 0x00), root}), 0},
      {"truncated", truncated, 0},
      {"padding only", Bytes(64, 0xff), 0},
      {"empty", {}, 0},
      {"pem without certificate", Bytes{'-', '-', '-', '-', '-', 'B', 'E', 'G', 'I', 'N'}, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto certs = ParseEkCertificates(c.input);
    if (c.want_certs == 0) {
      EXPECT_EQ(certs.status().reason_id(), "tpm.ek_cert_malformed");
    } else {
      ASSERT_TRUE(certs.ok()) << certs.status().ToString();
      EXPECT_EQ(certs->size(), c.want_certs);
    }
  }
}

TEST(LoadCaBundleDir, MissingDirectoryIsAFileError) {
  EXPECT_EQ(LoadCaBundleDir("/nonexistent-ca-dir").status().reason_id(), "core.file_unreadable");
}

}  // namespace
}  // namespace attest::tpm
