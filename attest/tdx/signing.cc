#include "attest/tdx/signing.h"

#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/x509.h>

#include <algorithm>

#include "attest/core/digest.h"
#include "attest/core/encoding.h"
#include "attest/core/signature.h"
#include "attest/core/x509.h"

namespace attest::tdx {
namespace {

// The per-quote signatures (QE report, quote) use the EC_KEY interface directly: it skips
// OpenSSL 3's provider fetch and key decoding, which otherwise cost more than the verify itself.
const EC_GROUP* P256Group() {
  static const EC_GROUP* group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
  return group;
}

}  // namespace

// P256KeyFromRaw builds the public key from x||y (checked to be on the curve).
Result<EcKeyPtr> P256KeyFromRaw(ByteSpan xy, Reason on_error) {
  EcKeyPtr key(EC_KEY_new());
  if (!key || EC_KEY_set_group(key.get(), P256Group()) != 1) {
    return Status(reasons::kInternalError, "ec key: " + OsslErrors());
  }
  uint8_t point[65];
  point[0] = 0x04;
  std::copy(xy.begin(), xy.end(), point + 1);
  // oct2key rejects points off the curve; P-256 has cofactor 1, so that is the whole check.
  if (xy.size() != 64 || EC_KEY_oct2key(key.get(), point, sizeof(point), nullptr) != 1) {
    OsslErrors();
    return Status(on_error, "attestation key is not a P-256 point");
  }
  return key;
}

// VerifyP256 checks raw r||s over SHA-256(message).
Status VerifyP256(EC_KEY* key, ByteSpan message, ByteSpan raw_sig, Reason on_fail) {
  const Sha256Digest digest = Sha256(message);
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(raw_sig.data(), 32, nullptr);
  BIGNUM* s = BN_bin2bn(raw_sig.data() + 32, 32, nullptr);
  if (!sig || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return Status(reasons::kInternalError, "ecdsa sig: " + OsslErrors());
  }
  if (ECDSA_do_verify(digest.data(), static_cast<int>(digest.size()), sig.get(), key) != 1) {
    OsslErrors();
    return Status(on_fail, "ECDSA P-256 signature does not verify");
  }
  return Status::Ok();
}

// CertP256Key returns the certificate's key as an EC_KEY; it must be an EC P-256 key.
Result<EcKeyPtr> CertP256Key(X509* cert, Reason on_error) {
  EVP_PKEY* pk = X509_get0_pubkey(cert);
  char group[32] = {0};
  size_t group_len = 0;
  const ASN1_BIT_STRING* bits = X509_get0_pubkey_bitstr(cert);
  if (pk == nullptr || !EVP_PKEY_is_a(pk, "EC") ||
      EVP_PKEY_get_group_name(pk, group, sizeof(group), &group_len) != 1 ||
      std::string_view(group, group_len) != "prime256v1" || bits == nullptr || bits->length != 65 ||
      bits->data[0] != 0x04) {
    OsslErrors();
    return Status(on_error, "certificate \"" + SubjectCommonName(cert) +
                                "\": key is not an uncompressed ECDSA P-256 key");
  }
  return P256KeyFromRaw(ByteSpan(bits->data + 1, 64), on_error);
}

// VerifyBodySignature checks a raw r||s P-256 signature by signer over the exact body text.
Status VerifyBodySignature(X509* signer, const std::string& body, const Bytes& raw_sig,
                           Reason on_fail) {
  ATTEST_ASSIGN_OR_RETURN(EcKeyPtr key, CertP256Key(signer, on_fail));
  if (raw_sig.size() != 64) {
    return Status(on_fail, "signature is not 64 bytes (r||s)");
  }
  return VerifyP256(key.get(), AsBytes(body), raw_sig, on_fail);
}

// ParseChain parses a PEM chain like ParseCertificates, but a block whose DER is a pinned root is
// not decoded again: the pinned certificate object is used (OpenSSL 3's X.509 decoding costs more
// than a signature check, and every DCAP chain ends in the same root). Anything that does not
// split cleanly into PEM certificate blocks goes through ParseCertificates for its error.
Result<std::vector<X509Ptr>> ParseChain(const Bytes& pem, const std::vector<X509Ptr>& roots,
                                        const std::vector<Bytes>& roots_der) {
  static constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
  static constexpr std::string_view kEnd = "-----END CERTIFICATE-----";
  const std::string_view text(reinterpret_cast<const char*>(pem.data()), pem.size());
  std::vector<X509Ptr> out;
  size_t at = 0;
  while (true) {
    const size_t begin = text.find(kBegin, at);
    if (begin == std::string_view::npos) {
      break;
    }
    const size_t end = text.find(kEnd, begin);
    if (end == std::string_view::npos) {
      return ParseCertificates(pem);
    }
    std::string b64;
    for (char ch : text.substr(begin + kBegin.size(), end - begin - kBegin.size())) {
      if (ch != '\n' && ch != '\r' && ch != ' ' && ch != '\t') {
        b64 += ch;
      }
    }
    auto der = Base64Decode(b64);
    if (!der.ok()) {
      return ParseCertificates(pem);
    }
    bool pinned = false;
    for (size_t i = 0; i < roots_der.size(); ++i) {
      if (roots_der[i] == *der) {
        out.push_back(UpRef(roots[i].get()));
        pinned = true;
        break;
      }
    }
    if (!pinned) {
      ATTEST_ASSIGN_OR_RETURN(X509Ptr cert, ParseCertificateDer(*der));
      out.push_back(std::move(cert));
    }
    at = end + kEnd.size();
  }
  if (out.empty()) {
    return ParseCertificates(pem);
  }
  return out;
}

Result<std::vector<X509Ptr>> VerifyToRoots(const std::vector<X509Ptr>& certs,
                                           const std::vector<X509Ptr>& roots, TimePoint now) {
  std::vector<X509*> rest;
  rest.reserve(certs.size());
  for (size_t i = 1; i < certs.size(); ++i) {
    rest.push_back(certs[i].get());
  }
  std::vector<X509*> anchors;
  anchors.reserve(roots.size());
  for (const X509Ptr& r : roots) {
    anchors.push_back(r.get());
  }
  return VerifyChain(certs[0].get(), rest, anchors, now);
}

// CheckListed fails with kCertRevoked when crl (already verified) lists cert.
Status CheckListed(X509_CRL* crl, X509* cert, std::string_view what) {
  X509_REVOKED* entry = nullptr;
  if (X509_CRL_get0_by_cert(crl, &entry, cert) == 1) {
    return Status(reasons::kCertRevoked, std::string(what) + ": certificate \"" +
                                             SubjectCommonName(cert) + "\" is revoked");
  }
  return Status::Ok();
}

// VerifySigningChain validates a TCB signing chain (Intel SGX TCB Signing -> root) and checks the
// signer against the (already verified) root CRL.
Result<std::vector<X509Ptr>> VerifySigningChain(const Bytes& pem, const std::vector<X509Ptr>& roots,
                                                const std::vector<Bytes>& roots_der,
                                                X509_CRL* root_crl, TimePoint now,
                                                std::string_view what) {
  auto certs = ParseChain(pem, roots, roots_der);
  if (!certs.ok()) {
    return certs.status().WithContext(what);
  }
  auto chain = VerifyToRoots(*certs, roots, now);
  if (!chain.ok()) {
    return chain.status().WithContext(what);
  }
  if (SubjectCommonName((*chain)[0].get()) != "Intel SGX TCB Signing" || chain->size() != 2) {
    return Status(reasons::kTdxCollateralChainInvalid,
                  std::string(what) + ": signer is \"" + SubjectCommonName((*chain)[0].get()) +
                      "\", want \"Intel SGX TCB Signing\" issued by the root");
  }
  if (X509_NAME_cmp(X509_CRL_get_issuer(root_crl), X509_get_issuer_name((*chain)[0].get())) != 0) {
    return Status(reasons::kCrlIssuerUnknown,
                  std::string(what) + ": the root CRL is not from the signer's issuer");
  }
  ATTEST_RETURN_IF_ERROR(CheckListed(root_crl, (*chain)[0].get(), what));
  return chain;
}

}  // namespace attest::tdx
