#include "tests/testing/fake_snp.h"

#include <gtest/gtest.h>
#include <openssl/ecdsa.h>
#include <openssl/pem.h>

#include <algorithm>

#include "attest/core/digest.h"
#include "attest/core/signature.h"

namespace attest::testing {
namespace {

using std::chrono::hours;

void PutU32(Bytes& out, size_t offset, uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    out[offset + i] = static_cast<uint8_t>(v >> (8 * i));
  }
}
void PutU64(Bytes& out, size_t offset, uint64_t v) {
  for (int i = 0; i < 8; ++i) {
    out[offset + i] = static_cast<uint8_t>(v >> (8 * i));
  }
}
template <size_t N>
void PutArray(Bytes& out, size_t offset, const std::array<uint8_t, N>& a) {
  std::copy(a.begin(), a.end(), out.begin() + static_cast<long>(offset));
}

std::string ProductString(snp::Product p) { return std::string(snp::ProductName(p)); }

}  // namespace

FakeSnpPlatform::FakeSnpPlatform(snp::Product product, TimePoint now)
    : product_(product), now_(now) {
  ark_key_ = GenerateKey(KeyKind::kRsa2048);
  ask_key_ = GenerateKey(KeyKind::kRsa2048);
  asvk_key_ = GenerateKey(KeyKind::kRsa2048);
  const std::string p = ProductString(product);
  ark_ = IssueCertificate(
      {"ARK-" + p, now - hours(24 * 365), now + hours(24 * 365 * 20), true, 1, true},
      ark_key_.get(), nullptr, ark_key_.get());
  ask_ = IssueCertificate(
      {"SEV-" + p, now - hours(24 * 365), now + hours(24 * 365 * 20), true, 2, true},
      ask_key_.get(), ark_.get(), ark_key_.get());
  asvk_ = IssueCertificate(
      {"SEV-VLEK-" + p, now - hours(24 * 365), now + hours(24 * 365 * 20), true, 3, true},
      asvk_key_.get(), ark_.get(), ark_key_.get());
  FakeEndorsementSpec spec;
  spec.not_before = now - hours(24);
  spec.not_after = now + hours(24 * 365);
  if (product == snp::Product::kTurin) {
    spec.tcb.fmc = 1;
    spec.hw_id = Bytes(8, 0xA5);
  }
  IssueEndorsement(spec);
}

std::string FakeSnpPlatform::Save() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  for (auto [key, cert] : {std::pair{ark_key_.get(), ark_.get()},
                           {ask_key_.get(), ask_.get()},
                           {asvk_key_.get(), asvk_.get()},
                           {endorsement_key_.get(), endorsement_.get()}}) {
    PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
    PEM_write_bio_X509(bio.get(), cert);
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

std::unique_ptr<FakeSnpPlatform> FakeSnpPlatform::Load(const std::string& saved,
                                                       snp::Product product) {
  BioPtr bio(BIO_new_mem_buf(saved.data(), static_cast<int>(saved.size())));
  std::unique_ptr<FakeSnpPlatform> p(new FakeSnpPlatform());
  p->product_ = product;
  for (auto [key, cert] : {std::pair{&p->ark_key_, &p->ark_},
                           {&p->ask_key_, &p->ask_},
                           {&p->asvk_key_, &p->asvk_},
                           {&p->endorsement_key_, &p->endorsement_}}) {
    key->reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    cert->reset(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (*key == nullptr || *cert == nullptr) {
      return nullptr;
    }
  }
  p->now_ = FromUnixSeconds(0);
  if (product == snp::Product::kTurin) {
    p->spec_.tcb.fmc = 1;
    p->spec_.hw_id = Bytes(8, 0xA5);
  }
  return p;
}

void FakeSnpPlatform::IssueEndorsement(const FakeEndorsementSpec& spec) {
  spec_ = spec;
  endorsement_key_ = GenerateKey(spec.key);
  const std::string base = "1.3.6.1.4.1.3704.1.";
  std::vector<CustomExtension> ext = {
      {base + "1", DerInteger(1)},
      {base + "2",
       DerIa5String(ProductString(product_) + (product_ == snp::Product::kTurin ? "" : "-B0"))},
      {base + "3.1", DerInteger(spec.tcb.bootloader)},
      {base + "3.2", DerInteger(spec.tcb.tee)},
      {base + "3.3", DerInteger(spec.tcb.snp)},
      {base + "3.8", DerInteger(spec.tcb.microcode)},
  };
  if (spec.tcb.fmc) {
    ext.push_back({base + "3.9", DerInteger(*spec.tcb.fmc)});
  }
  if (spec.vlek) {
    ext.push_back({base + "5", DerIa5String("CN=test-csp")});
  } else {
    ext.push_back({base + "4", spec.hw_id});
  }
  CertSpec cert{spec.vlek ? "SEV-VLEK" : "SEV-VCEK",
                spec.not_before,
                spec.not_after,
                false,
                spec.serial,
                true,
                ext};
  endorsement_ = spec.vlek
                     ? IssueCertificate(cert, endorsement_key_.get(), asvk_.get(), asvk_key_.get())
                     : IssueCertificate(cert, endorsement_key_.get(), ask_.get(), ask_key_.get());
}

snp::SnpReport FakeSnpPlatform::DefaultReport() const {
  snp::SnpReport r;
  r.version = 3;
  r.policy = 0x30000;
  r.signature_algo = snp::kSigAlgoEcdsaP384Sha384;
  r.signing_key = spec_.vlek ? snp::SigningKey::kVlek : snp::SigningKey::kVcek;
  const uint64_t tcb = snp::EncodeTcb(spec_.tcb, product_);
  r.current_tcb = r.reported_tcb = r.committed_tcb = r.launch_tcb = tcb;
  r.has_cpuid = true;
  r.cpuid_fam_id = product_ == snp::Product::kTurin ? 0x1A : 0x19;
  r.cpuid_mod_id = product_ == snp::Product::kGenoa ? 0x11 : 0x01;
  r.cpuid_step = 1;
  if (!spec_.vlek) {
    std::copy(spec_.hw_id.begin(), spec_.hw_id.end(), r.chip_id.begin());
  }
  r.measurement.fill(0x11);
  r.current_major = r.committed_major = 1;
  r.current_minor = r.committed_minor = 55;
  return r;
}

Bytes FakeSnpPlatform::SerializeUnsigned(const snp::SnpReport& r) {
  Bytes out(snp::kReportSize, 0);
  PutU32(out, 0x00, r.version);
  PutU32(out, 0x04, r.guest_svn);
  PutU64(out, 0x08, r.policy);
  PutArray(out, 0x10, r.family_id);
  PutArray(out, 0x20, r.image_id);
  PutU32(out, 0x30, r.vmpl);
  PutU32(out, 0x34, r.signature_algo);
  PutU64(out, 0x38, r.current_tcb);
  PutU64(out, 0x40, r.platform_info);
  PutU32(out, 0x48,
         (r.author_key_en ? 1u : 0u) | (r.mask_chip_key ? 2u : 0u) |
             (static_cast<uint32_t>(r.signing_key) << 2));
  PutArray(out, 0x50, r.report_data);
  PutArray(out, 0x90, r.measurement);
  PutArray(out, 0xC0, r.host_data);
  PutArray(out, 0xE0, r.id_key_digest);
  PutArray(out, 0x110, r.author_key_digest);
  PutArray(out, 0x140, r.report_id);
  PutArray(out, 0x160, r.report_id_ma);
  PutU64(out, 0x180, r.reported_tcb);
  if (r.version >= 3) {
    out[0x188] = r.cpuid_fam_id;
    out[0x189] = r.cpuid_mod_id;
    out[0x18A] = r.cpuid_step;
  }
  PutArray(out, 0x1A0, r.chip_id);
  PutU64(out, 0x1E0, r.committed_tcb);
  out[0x1E8] = r.current_build;
  out[0x1E9] = r.current_minor;
  out[0x1EA] = r.current_major;
  out[0x1EC] = r.committed_build;
  out[0x1ED] = r.committed_minor;
  out[0x1EE] = r.committed_major;
  PutU64(out, 0x1F0, r.launch_tcb);
  if (r.version >= 5) {
    PutU64(out, 0x1F8, r.launch_mit_vector);
    PutU64(out, 0x200, r.current_mit_vector);
  }
  return out;
}

Bytes FakeSnpPlatform::SignReport(const snp::SnpReport& report) const {
  Bytes out = SerializeUnsigned(report);
  const Sha384Digest digest = Sha384(ByteSpan(out).first(snp::kSignedSize));
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(endorsement_key_.get(), nullptr));
  size_t sig_len = 0;
  EXPECT_EQ(EVP_PKEY_sign_init(ctx.get()), 1);
  EXPECT_EQ(EVP_PKEY_sign(ctx.get(), nullptr, &sig_len, digest.data(), digest.size()), 1);
  Bytes der(sig_len);
  EXPECT_EQ(EVP_PKEY_sign(ctx.get(), der.data(), &sig_len, digest.data(), digest.size()), 1);
  const uint8_t* p = der.data();
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig_len)));
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  // SNP ABI Table 141: R and S little-endian, zero-extended to 72 bytes.
  BN_bn2lebinpad(r, out.data() + snp::kSignatureOffset, 72);
  BN_bn2lebinpad(s, out.data() + snp::kSignatureOffset + 72, 72);
  return out;
}

std::string FakeSnpPlatform::ChainPem() const {
  return PemOf(spec_.vlek ? asvk_.get() : ask_.get()) + PemOf(ark_.get());
}

snp::SnpTrustRoots FakeSnpPlatform::Roots() const {
  const std::string vcek_chain = PemOf(ask_.get()) + PemOf(ark_.get());
  const std::string vlek_chain = PemOf(asvk_.get()) + PemOf(ark_.get());
  const Bytes chains[] = {Bytes(vcek_chain.begin(), vcek_chain.end()),
                          Bytes(vlek_chain.begin(), vlek_chain.end())};
  auto roots = snp::SnpTrustRoots::FromChains(chains);
  EXPECT_TRUE(roots.ok()) << roots.status().ToString();
  return std::move(roots).value();
}

}  // namespace attest::testing
