#include "tests/sev/platform_model.h"

#include <openssl/core_names.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <cstdlib>

#include "attest/sev/crypto.h"
#include "attest/sev/measurement.h"
#include "attest/sev/secret.h"
#include "tests/testing/test_pki.h"

namespace attest::testing {
namespace {

void PutU32(Bytes& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
}

Bytes BnLe(EVP_PKEY* key, const char* name, size_t size) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) {
    std::abort();
  }
  Bytes be(size);
  if (BN_bn2binpad(bn, be.data(), static_cast<int>(size)) != static_cast<int>(size)) {
    std::abort();
  }
  BN_free(bn);
  std::reverse(be.begin(), be.end());
  return be;
}

Bytes PssSign(EVP_PKEY* key, const EVP_MD* md, ByteSpan message) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  size_t len = 0;
  if (EVP_DigestSignInit(ctx.get(), &pctx, md, nullptr, key) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, message.data(), message.size()) != 1) {
    std::abort();
  }
  Bytes sig(len);
  if (EVP_DigestSign(ctx.get(), sig.data(), &len, message.data(), message.size()) != 1) {
    std::abort();
  }
  return sig;  // big-endian
}

}  // namespace

Bytes MakeAmdCert(EVP_PKEY* subject, uint32_t usage, const std::array<uint8_t, 16>& key_id,
                  const std::array<uint8_t, 16>& certifying_id, EVP_PKEY* signer) {
  const size_t bytes = static_cast<size_t>(EVP_PKEY_get_bits(subject)) / 8;
  Bytes out;
  PutU32(out, 1);
  out.insert(out.end(), key_id.begin(), key_id.end());
  out.insert(out.end(), certifying_id.begin(), certifying_id.end());
  PutU32(out, usage);
  out.insert(out.end(), 16, 0);
  PutU32(out, static_cast<uint32_t>(bytes * 8));
  PutU32(out, static_cast<uint32_t>(bytes * 8));
  const Bytes e = BnLe(subject, OSSL_PKEY_PARAM_RSA_E, bytes);
  const Bytes n = BnLe(subject, OSSL_PKEY_PARAM_RSA_N, bytes);
  out.insert(out.end(), e.begin(), e.end());
  out.insert(out.end(), n.begin(), n.end());
  Bytes sig = PssSign(signer, bytes == 256 ? EVP_sha256() : EVP_sha384(), out);
  out.insert(out.end(), sig.rbegin(), sig.rend());
  return out;
}

Bytes MakeSevCert(EVP_PKEY* subject, uint32_t usage, uint32_t algo,
                  std::initializer_list<SevSigner> signers, uint8_t api_major, uint8_t api_minor) {
  sev::SevCert cert;
  cert.api_major = api_major;
  cert.api_minor = api_minor;
  cert.pubkey_usage = usage;
  cert.pubkey_algo = algo;
  auto coords = sev::P384Coordinates(subject);
  if (!coords.ok()) {
    std::abort();
  }
  cert.qx_be = coords->first;
  cert.qy_be = coords->second;
  const Bytes body = sev::SevCertBody(cert);
  size_t slot = 0;
  for (const SevSigner& signer : signers) {
    sev::SevSignature& sig = cert.sigs[slot++];
    sig.usage = signer.usage;
    if (EVP_PKEY_get_base_id(signer.key) == EVP_PKEY_RSA) {
      const size_t n = static_cast<size_t>(EVP_PKEY_get_bits(signer.key)) / 8;
      const EVP_MD* md = n == 256 ? EVP_sha256() : EVP_sha384();
      sig.algo = static_cast<uint32_t>(n == 256 ? sev::Algo::kRsaSha256 : sev::Algo::kRsaSha384);
      const Bytes be = PssSign(signer.key, md, body);
      std::reverse_copy(be.begin(), be.end(), sig.sig.begin());
    } else {
      sig.algo = static_cast<uint32_t>(sev::Algo::kEcdsaSha256);
      auto raw = sev::SignEcdsaSevSig(signer.key, EVP_sha256(), body);
      if (!raw.ok()) {
        std::abort();
      }
      sig.sig = *raw;
    }
  }
  return sev::SerializeSevCert(cert);
}

SevPlatformModel SevPlatformModel::Create(uint8_t api_major, uint8_t api_minor, uint8_t build) {
  SevPlatformModel m;
  m.api_major_ = api_major;
  m.api_minor_ = api_minor;
  m.build_ = build;
  EvpPkeyPtr ark = GenerateKey(KeyKind::kRsa2048);
  EvpPkeyPtr ask = GenerateKey(KeyKind::kRsa2048);
  EvpPkeyPtr cek = GenerateKey(KeyKind::kEcP384);
  EvpPkeyPtr oca = GenerateKey(KeyKind::kEcP384);
  EvpPkeyPtr pek = GenerateKey(KeyKind::kEcP384);
  m.pdh_key_ = GenerateKey(KeyKind::kEcP384);
  const std::array<uint8_t, 16> ark_id{0xa1, 0x4b};
  const std::array<uint8_t, 16> ask_id{0xa5, 0x4c};
  using sev::Algo;
  using sev::Usage;
  auto u = [](Usage usage) { return static_cast<uint32_t>(usage); };
  auto a = [](Algo algo) { return static_cast<uint32_t>(algo); };
  m.ark_ = MakeAmdCert(ark.get(), u(Usage::kArk), ark_id, ark_id, ark.get());
  m.ask_ = MakeAmdCert(ask.get(), u(Usage::kAsk), ask_id, ark_id, ark.get());
  m.cek_ = MakeSevCert(cek.get(), u(Usage::kCek), a(Algo::kEcdsaSha256),
                       {{ask.get(), u(Usage::kAsk)}}, api_major, api_minor);
  m.oca_ = MakeSevCert(oca.get(), u(Usage::kOca), a(Algo::kEcdsaSha256),
                       {{oca.get(), u(Usage::kOca)}}, api_major, api_minor);
  m.pek_ =
      MakeSevCert(pek.get(), u(Usage::kPek), a(Algo::kEcdsaSha256),
                  {{oca.get(), u(Usage::kOca)}, {cek.get(), u(Usage::kCek)}}, api_major, api_minor);
  m.pdh_ = MakeSevCert(m.pdh_key_.get(), u(Usage::kPdh), a(Algo::kEcdhSha256),
                       {{pek.get(), u(Usage::kPek)}}, api_major, api_minor);
  return m;
}

Status SevPlatformModel::LaunchStart(ByteSpan dh_cert, ByteSpan session, uint32_t policy) {
  started_ = false;
  measure_.reset();
  ATTEST_ASSIGN_OR_RETURN(sev::SevCert owner, sev::ParseSevCert(dh_cert));
  ATTEST_ASSIGN_OR_RETURN(EvpPkeyPtr owner_key, sev::SevCertPublicKey(owner));
  ATTEST_ASSIGN_OR_RETURN(sev::SessionBlob blob, sev::ParseSessionBlob(session));
  ATTEST_ASSIGN_OR_RETURN(Bytes z, sev::EcdhSharedSecret(pdh_key_.get(), owner_key.get()));
  const sev::SessionKeys keys = sev::DeriveSessionKeys(z, blob.nonce);
  if (!ConstantTimeEquals(sev::HmacSha256(keys.kik, {blob.wrap_tk}), blob.wrap_mac)) {
    return Status(reasons::kSevMacInvalid, "platform model: WRAP_MAC does not verify");
  }
  const Bytes tk = sev::Aes128Ctr(keys.kek, blob.wrap_iv, blob.wrap_tk);
  std::copy(tk.begin(), tk.begin() + 16, keys_.tek.begin());
  std::copy(tk.begin() + 16, tk.end(), keys_.tik.begin());
  const uint8_t policy_le[4] = {static_cast<uint8_t>(policy), static_cast<uint8_t>(policy >> 8),
                                static_cast<uint8_t>(policy >> 16),
                                static_cast<uint8_t>(policy >> 24)};
  if (!ConstantTimeEquals(sev::HmacSha256(keys_.tik, {policy_le}), blob.policy_mac)) {
    return Status(reasons::kSevMacInvalid, "platform model: POLICY_MAC does not verify");
  }
  policy_ = policy;
  started_ = true;
  return Status::Ok();
}

Result<Bytes> SevPlatformModel::LaunchMeasure(const Sha256Digest& launch_digest) {
  if (!started_) {
    return Status(reasons::kSevBadArgument, "platform model: no LAUNCH_START");
  }
  sev::LaunchMeasureInput in;
  in.api_major = api_major_;
  in.api_minor = api_minor_;
  in.build = build_;
  in.policy = policy_;
  in.launch_digest = launch_digest;
  ATTEST_ASSIGN_OR_RETURN(Bytes mnonce, sev::RandomBytes(16));
  std::copy(mnonce.begin(), mnonce.end(), in.mnonce.begin());
  ATTEST_ASSIGN_OR_RETURN(Sha256Digest measure, sev::ComputeLaunchMeasure(keys_.tik, in));
  measure_ = measure;
  Bytes out(measure.begin(), measure.end());
  out.insert(out.end(), mnonce.begin(), mnonce.end());
  return out;
}

Result<Bytes> SevPlatformModel::LaunchSecret(ByteSpan header, ByteSpan ciphertext) {
  if (!measure_) {
    return Status(reasons::kSevBadArgument, "platform model: no LAUNCH_MEASURE");
  }
  if (header.size() != sev::kSecretHeaderSize) {
    return Status(reasons::kSevSessionMalformed, "platform model: secret header not 52 bytes");
  }
  const uint32_t flags = static_cast<uint32_t>(header[0]) | static_cast<uint32_t>(header[1]) << 8 |
                         static_cast<uint32_t>(header[2]) << 16 |
                         static_cast<uint32_t>(header[3]) << 24;
  sev::Key128 iv{};
  std::copy(header.begin() + 4, header.begin() + 20, iv.begin());
  const ByteSpan mac = header.subspan(20);
  // The firmware knows the plaintext length only from the guest's request; CTR keeps it equal.
  const Sha256Digest want = sev::SecretHeaderMac(
      keys_.tik, flags, iv, static_cast<uint32_t>(ciphertext.size()), ciphertext, *measure_);
  if (!ConstantTimeEquals(want, mac)) {
    return Status(reasons::kSevMacInvalid, "platform model: secret header MAC does not verify");
  }
  return sev::Aes128Ctr(keys_.tek, iv, ciphertext);
}

}  // namespace attest::testing
