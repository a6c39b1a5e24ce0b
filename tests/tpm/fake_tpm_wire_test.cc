// The software TPM model (tests/testing/fake_tpm.h), which the fleet simulator and the service
// tests put in place of real TPMs, against a real one (swtpm): its EK and AK public areas
// (TPM2B_PUBLIC), quotes (TPMS_ATTEST) and signatures (TPMT_SIGNATURE) parse with the verifier's
// code into the same shape, byte for byte outside the key material, nonce and clock, and the
// verifier refuses the same corruptions of both the same way. Label: integration.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <vector>

#include "agent/tpm_device.h"
#include "attest/tpm/alg.h"
#include "attest/tpm/credential.h"
#include "attest/tpm/verify.h"
#include "attest/tpm/wire.h"
#include "tests/testing/fake_tpm.h"
#include "tests/tpm/swtpm_harness.h"

namespace attest::tpm {
namespace {

using agent::AkAlgorithm;
using agent::EkAlgorithm;
using agent::TpmDevice;
using testing::FakeEk;
using testing::FakeTpm;
using testing::Swtpm;

// UniqueBytes: the size of TPMT_PUBLIC's trailing unique field (TPM 2.0 Part 2 §12.2.3.2): the
// public key itself, the only part two TPMs' keys of one template may differ in.
size_t UniqueBytes(uint16_t type, size_t key_bytes) {
  return type == 0x0001 /* TPM_ALG_RSA */ ? 2 + key_bytes : 2 * (2 + key_bytes);
}

struct Pair {
  std::unique_ptr<Swtpm> swtpm;
  std::unique_ptr<TpmDevice> device;
};

Pair StartSwtpm() {
  Pair p;
  auto swtpm = Swtpm::Start();
  EXPECT_TRUE(swtpm.ok()) << swtpm.status().ToString();
  if (!swtpm.ok()) {
    return p;
  }
  p.swtpm = std::move(swtpm).value();
  auto device = TpmDevice::Open(p.swtpm->Tcti());
  EXPECT_TRUE(device.ok()) << device.status().ToString();
  if (device.ok()) {
    p.device = std::move(device).value();
  }
  return p;
}

TEST(FakeTpmWire, EkPublicAreasHaveTheRealTemplates) {
  Pair real = StartSwtpm();
  ASSERT_NE(real.device, nullptr);
  struct Case {
    const char* name;
    EkAlgorithm real_alg;
    FakeEk fake_alg;
    size_t key_bytes;
  } cases[] = {
      {"RSA 2048 (L-1)", EkAlgorithm::kRsa2048, FakeEk::kRsa2048, 256},
      {"ECC P-256 (L-2)", EkAlgorithm::kEccP256, FakeEk::kEccP256, 32},
      {"ECC P-384 (H-4)", EkAlgorithm::kEccP384, FakeEk::kEccP384, 48},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto ek = real.device->CreateEk(c.real_alg);
    ASSERT_TRUE(ek.ok()) << ek.status().ToString();
    const FakeTpm fake = FakeTpm::Create(testing::kFakeAkAttributes, c.fake_alg);
    auto real_ek = ParseEkPublic(ek->public_area);
    auto fake_ek = ParseEkPublic(fake.ek_public());
    ASSERT_TRUE(real_ek.ok()) << real_ek.status().ToString();
    ASSERT_TRUE(fake_ek.ok()) << fake_ek.status().ToString();
    EXPECT_EQ(fake_ek->type, real_ek->type);
    EXPECT_EQ(fake_ek->curve_id, real_ek->curve_id);
    EXPECT_EQ(fake_ek->name_alg, real_ek->name_alg);
    EXPECT_EQ(fake_ek->symmetric_alg, real_ek->symmetric_alg);
    EXPECT_EQ(fake_ek->symmetric_bits, real_ek->symmetric_bits);
    // Same TPM2B_PUBLIC size, and every byte before the key equal: type, nameAlg, attributes,
    // authPolicy and parameters are the template's.
    EXPECT_EQ(fake.ek_public().size(), ek->public_area.size());
    if (fake.ek_public().size() != ek->public_area.size()) {
      continue;
    }
    const size_t prefix = ek->public_area.size() - UniqueBytes(real_ek->type, c.key_bytes);
    EXPECT_TRUE(std::equal(ek->public_area.begin(), ek->public_area.begin() + prefix,
                           fake.ek_public().begin()));
  }
}

TEST(FakeTpmWire, AkQuoteAndSignatureHaveTheRealShape) {
  Pair real = StartSwtpm();
  ASSERT_NE(real.device, nullptr);
  auto ak = real.device->CreateAk(AkAlgorithm::kEcdsaP256);
  ASSERT_TRUE(ak.ok()) << ak.status().ToString();
  const FakeTpm fake = FakeTpm::Create();

  // AK: the same TPM2B_PUBLIC but for the point, the same attributes and name shape.
  ASSERT_EQ(fake.ak_public().size(), ak->public_area.size());
  const size_t prefix = ak->public_area.size() - UniqueBytes(0x0023 /* TPM_ALG_ECC */, 32);
  EXPECT_TRUE(std::equal(ak->public_area.begin(), ak->public_area.begin() + prefix,
                         fake.ak_public().begin()));
  auto real_ak = ParsePublicKey(ak->public_area);
  auto fake_ak = ParsePublicKey(fake.ak_public());
  ASSERT_TRUE(real_ak.ok() && fake_ak.ok());
  EXPECT_EQ(fake_ak->object_attributes, real_ak->object_attributes);
  EXPECT_TRUE(CheckAkAttributes(*fake_ak).ok());
  EXPECT_TRUE(CheckAkAttributes(*real_ak).ok());
  ASSERT_TRUE(real_ak->name.has_value() && fake_ak->name.has_value());
  EXPECT_EQ(fake_ak->name->size(), real_ak->name->size());
  EXPECT_EQ(fake.ak_name(), *fake_ak->name);

  // Quotes over the same selection (what the simulator's hosts quote: sha1 + sha256 banks) and
  // the same 32-byte qualifying data.
  const Bytes nonce(32, 0x5a);
  const std::map<uint16_t, std::vector<uint32_t>> selection = {
      {kAlgSha1, {0, 1, 2, 3, 4, 5, 6, 7}}, {kAlgSha256, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 14}}};
  auto real_quote = real.device->Quote(*ak, nonce, selection);
  ASSERT_TRUE(real_quote.ok()) << real_quote.status().ToString();
  const FakeTpm::SignedQuote fake_quote = fake.Quote(nonce, real_quote->pcrs);

  auto rq = ParseQuote(real_quote->attest);
  auto fq = ParseQuote(fake_quote.attest);
  ASSERT_TRUE(rq.ok() && fq.ok());
  EXPECT_EQ(fake_quote.attest.size(), real_quote->attest.size());
  EXPECT_EQ(fq->qualified_signer.size(), rq->qualified_signer.size());
  EXPECT_EQ(fq->extra_data, rq->extra_data);
  ASSERT_EQ(fq->pcr_select.size(), rq->pcr_select.size());
  for (size_t i = 0; i < rq->pcr_select.size(); ++i) {
    EXPECT_EQ(fq->pcr_select[i].hash, rq->pcr_select[i].hash);
    EXPECT_EQ(fq->pcr_select[i].pcrs, rq->pcr_select[i].pcrs);
  }
  // Same PCR values quoted: the same pcrDigest.
  EXPECT_EQ(fq->pcr_digest, rq->pcr_digest);

  auto rs = ParseSignature(real_quote->signature);
  auto fs = ParseSignature(fake_quote.signature);
  ASSERT_TRUE(rs.ok() && fs.ok());
  EXPECT_EQ(fs->sig_alg, rs->sig_alg);
  EXPECT_EQ(fs->hash_alg, rs->hash_alg);
  EXPECT_EQ(fs->sig_alg, kAlgEcdsa);
  // TPM2B_ECC_PARAMETER r and s: at most the curve size each.
  EXPECT_LE(fs->ecdsa_r.size(), 32u);
  EXPECT_LE(fs->ecdsa_s.size(), 32u);

  EXPECT_TRUE(VerifyQuote(real_quote->attest, real_quote->signature, *real_ak, ByteSpan(nonce),
                          real_quote->pcrs)
                  .ok());
  EXPECT_TRUE(VerifyQuote(fake_quote.attest, fake_quote.signature, *fake_ak, ByteSpan(nonce),
                          real_quote->pcrs)
                  .ok());

  // The same corruption of either TPM's output is refused with the same reason.
  struct Mutation {
    const char* name;
    bool on_signature;
    std::function<void(Bytes&)> apply;
    const char* want;
  } mutations[] = {
      {"magic", false, [](Bytes& b) { b[0] ^= 0x01; }, "tpm.bad_magic"},
      // TPM_ST_ATTEST_CERTIFY: libtss2-mu reads the body as a certify, which these bytes are not.
      {"type: certify, not quote", false, [](Bytes& b) { b[5] = 0x17; }, "tpm.attest_malformed"},
      {"truncated attest", false, [](Bytes& b) { b.pop_back(); }, "tpm.attest_malformed"},
      {"trailing byte on attest", false, [](Bytes& b) { b.push_back(0); }, "tpm.attest_malformed"},
      {"signature bit", true, [](Bytes& b) { b.back() ^= 0x01; }, "tpm.signature_invalid"},
      // TPM_ALG_HMAC: a TPMT_HA follows, which an ECDSA signature's bytes are not.
      {"signature scheme HMAC", true, [](Bytes& b) { b[1] = 0x05; }, "tpm.signature_malformed"},
      {"truncated signature", true, [](Bytes& b) { b.resize(b.size() - 3); },
       "tpm.signature_malformed"},
  };
  for (const Mutation& m : mutations) {
    SCOPED_TRACE(m.name);
    for (bool is_fake : {false, true}) {
      SCOPED_TRACE(is_fake ? "FakeTpm" : "swtpm");
      Bytes attest = is_fake ? fake_quote.attest : real_quote->attest;
      Bytes signature = is_fake ? fake_quote.signature : real_quote->signature;
      m.apply(m.on_signature ? signature : attest);
      auto v = VerifyQuote(attest, signature, is_fake ? *fake_ak : *real_ak, ByteSpan(nonce),
                           real_quote->pcrs);
      ASSERT_FALSE(v.ok());
      EXPECT_EQ(v.status().reason_id(), m.want);
    }
  }
}

}  // namespace
}  // namespace attest::tpm
