#include "tests/testing/fake_dcap.h"

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/pem.h>

#include <cassert>

#include "attest/core/digest.h"
#include "attest/core/encoding.h"
#include "attest/tdx/wire.h"
#include "tests/testing/test_pki.h"

namespace attest::testing {
namespace {

Bytes Tlv(uint8_t tag, ByteSpan content) {
  Bytes out{tag};
  const size_t n = content.size();
  if (n < 0x80) {
    out.push_back(static_cast<uint8_t>(n));
  } else if (n < 0x100) {
    out.insert(out.end(), {0x81, static_cast<uint8_t>(n)});
  } else {
    out.insert(out.end(), {0x82, static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)});
  }
  out.insert(out.end(), content.begin(), content.end());
  return out;
}

Bytes Concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) {
    out.insert(out.end(), p.begin(), p.end());
  }
  return out;
}

Bytes SgxOid(std::initializer_list<uint8_t> arcs) {
  Bytes oid = {0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01};
  oid.insert(oid.end(), arcs.begin(), arcs.end());
  return Tlv(0x06, oid);
}

Bytes Pair(const Bytes& oid, const Bytes& value) { return Tlv(0x30, Concat({oid, value})); }

Bytes SgxExtension(const PckSpec& spec) {
  Bytes tcb;
  for (uint8_t i = 0; i < 16; ++i) {
    tcb = Concat(
        {tcb, Pair(SgxOid({2, static_cast<uint8_t>(i + 1)}), DerInteger(spec.tcb_components[i]))});
  }
  tcb = Concat({tcb, Pair(SgxOid({2, 17}), DerInteger(spec.pce_svn))});
  tcb = Concat({tcb, Pair(SgxOid({2, 18}), DerOctetString(spec.tcb_components))});
  const Bytes ppid = HexDecode(spec.ppid_hex).value();
  return Tlv(0x30,
             Concat({Pair(SgxOid({1}), DerOctetString(ppid)), Pair(SgxOid({2}), Tlv(0x30, tcb)),
                     Pair(SgxOid({3}), DerOctetString(HexDecode(spec.pce_id_hex).value())),
                     Pair(SgxOid({4}), DerOctetString(HexDecode(spec.fmspc_hex).value())),
                     Pair(SgxOid({5}), Tlv(0x0a, Bytes{0}))}));
}

CertSpec Spec(const std::string& cn, bool ca, long serial) {
  CertSpec s;
  s.common_name = cn;
  s.not_before = ParseRfc3339("2020-01-01T00:00:00Z").value();
  s.not_after = ParseRfc3339("2040-01-01T00:00:00Z").value();
  s.is_ca = ca;
  s.serial = serial;
  return s;
}

void PutU16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v));
  b.push_back(static_cast<uint8_t>(v >> 8));
}
void PutU32(Bytes& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    b.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
}
void Append(Bytes& b, ByteSpan s) { b.insert(b.end(), s.begin(), s.end()); }

}  // namespace

Bytes SignRawP256(EVP_PKEY* key, ByteSpan message) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  size_t len = 0;
  // Test helper: failures here are bugs in the test setup, surfaced by the empty result.
  if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, message.data(), message.size()) != 1) {
    return {};
  }
  Bytes der(len);
  EVP_DigestSign(ctx.get(), der.data(), &len, message.data(), message.size());
  der.resize(len);
  const uint8_t* p = der.data();
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  Bytes raw(64);
  BN_bn2binpad(r, raw.data(), 32);
  BN_bn2binpad(s, raw.data() + 32, 32);
  return raw;
}

Bytes RawP256PublicKey(EVP_PKEY* key) {
  uint8_t buf[65];
  size_t len = 0;
  if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, buf, sizeof(buf), &len) != 1 ||
      len != 65) {
    return {};
  }
  return Bytes(buf + 1, buf + 65);
}

FakeDcap::FakeDcap(const PckSpec& pck)
    : root_key_(GenerateKey(KeyKind::kEcP256)),
      pck_ca_key_(GenerateKey(KeyKind::kEcP256)),
      tcb_key_(GenerateKey(KeyKind::kEcP256)) {
  root_ = IssueCertificate(Spec("Intel SGX Root CA", true, 1), root_key_.get(), nullptr,
                           root_key_.get());
  pck_ca_ = IssueCertificate(Spec("Intel SGX PCK Platform CA", true, 2), pck_ca_key_.get(),
                             root_.get(), root_key_.get());
  IssuePck(pck);
  tcb_ = IssueCertificate(Spec("Intel SGX TCB Signing", false, 3), tcb_key_.get(), root_.get(),
                          root_key_.get());
}

void FakeDcap::IssuePck(const PckSpec& pck) {
  pck_key_ = GenerateKey(KeyKind::kEcP256);
  CertSpec leaf = Spec("Intel SGX PCK Certificate", false, pck.serial);
  leaf.extensions.push_back({"1.2.840.113741.1.13.1", SgxExtension(pck)});
  pck_ = IssueCertificate(leaf, pck_key_.get(), pck_ca_.get(), pck_ca_key_.get());
}

tdx::QuoteVerifier FakeDcap::Verifier() const {
  std::vector<X509Ptr> roots;
  roots.push_back(UpRef(root_.get()));
  return tdx::QuoteVerifier(std::move(roots));
}

std::string FakeDcap::PckChainPem() const {
  return PemOf(pck_.get()) + PemOf(pck_ca_.get()) + PemOf(root_.get());
}

Bytes FakeDcap::SignBody(std::string_view text) const {
  return SignRawP256(tcb_key_.get(), AsBytes(text));
}

Bytes FakeDcap::ResignQuote(ByteSpan template_quote, const std::function<void(Bytes&)>& edit_signed,
                            const std::function<void(Bytes&)>& edit_qe) const {
  tdx::Quote q = tdx::ParseQuote(template_quote).value();
  Bytes signed_data = q.signed_data;
  if (edit_signed) {
    edit_signed(signed_data);
  }
  Bytes qe = q.qe_report_bytes;
  if (edit_qe) {
    edit_qe(qe);
  }
  EvpPkeyPtr att = GenerateKey(KeyKind::kEcP256);
  const Bytes att_raw = RawP256PublicKey(att.get());
  Bytes hashed = att_raw;
  Append(hashed, q.qe_auth_data);
  const Sha256Digest binding = Sha256(hashed);
  std::copy(binding.begin(), binding.end(), qe.begin() + 320);
  const Bytes qe_sig = SignRawP256(pck_key_.get(), qe);
  const Bytes quote_sig = SignRawP256(att.get(), signed_data);
  const std::string pem = PckChainPem();

  Bytes qe_block = qe;
  Append(qe_block, qe_sig);
  PutU16(qe_block, static_cast<uint16_t>(q.qe_auth_data.size()));
  Append(qe_block, q.qe_auth_data);
  PutU16(qe_block, 5);
  PutU32(qe_block, static_cast<uint32_t>(pem.size()));
  Append(qe_block, AsBytes(pem));

  Bytes sig = quote_sig;
  Append(sig, att_raw);
  if (q.header.version == 3) {
    Append(sig, qe_block);
  } else {
    PutU16(sig, 6);
    PutU32(sig, static_cast<uint32_t>(qe_block.size()));
    Append(sig, qe_block);
  }
  Bytes out = signed_data;
  PutU32(out, static_cast<uint32_t>(sig.size()));
  Append(out, sig);
  return out;
}

tdx::Collateral FakeDcap::MakeCollateral(const nlohmann::json& tcb_info,
                                         const nlohmann::json& qe_identity, TimePoint crl_from,
                                         TimePoint crl_until,
                                         const std::vector<long>& revoked_pck_serials) const {
  tdx::Collateral c;
  c.tcb_info_body = tcb_info.dump();
  c.tcb_info_signature = SignBody(c.tcb_info_body);
  const std::string chain = PemOf(tcb_.get()) + PemOf(root_.get());
  c.tcb_info_issuer_chain.assign(chain.begin(), chain.end());
  c.qe_identity_body = qe_identity.dump();
  c.qe_identity_signature = SignBody(c.qe_identity_body);
  c.qe_identity_issuer_chain = c.tcb_info_issuer_chain;
  c.pck_crl = DerOf(
      IssueCrl(pck_ca_.get(), pck_ca_key_.get(), revoked_pck_serials, crl_from, crl_until).get());
  c.root_ca_crl = DerOf(IssueCrl(root_.get(), root_key_.get(), {}, crl_from, crl_until).get());
  const std::string crl_chain = PemOf(pck_ca_.get()) + PemOf(root_.get());
  c.pck_crl_issuer_chain.assign(crl_chain.begin(), crl_chain.end());
  return c;
}

}  // namespace attest::testing
