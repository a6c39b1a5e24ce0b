#include "attest/core/x509.h"

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cstring>
#include <ctime>

namespace attest {
namespace {

bool LooksLikePem(ByteSpan data) {
  static constexpr std::string_view kMarker = "-----BEGIN ";
  const std::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
  return text.find(kMarker) != std::string_view::npos;
}

TimePoint Asn1ToTimePoint(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) {
    return TimePoint{};
  }
  return FromUnixSeconds(static_cast<int64_t>(timegm(&tm)));
}

std::string NameEntry(const X509_NAME* name) {
  const int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (index < 0) {
    return "";
  }
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(data)),
                     static_cast<size_t>(ASN1_STRING_length(data)));
}

std::string Describe(X509* cert) { return "certificate \"" + SubjectCommonName(cert) + "\""; }

}  // namespace

Result<X509Ptr> ParseCertificateDer(ByteSpan der) {
  const uint8_t* p = der.data();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!cert) {
    return Status(reasons::kCertMalformed, "certificate: not DER X.509 (" + OsslErrors() + ")");
  }
  if (p != der.data() + der.size()) {
    return Status(reasons::kCertMalformed,
                  "certificate: " + std::to_string(der.data() + der.size() - p) +
                      " trailing bytes after DER");
  }
  return cert;
}

Result<std::vector<X509Ptr>> ParseCertificates(ByteSpan data) {
  std::vector<X509Ptr> out;
  if (!LooksLikePem(data)) {
    ATTEST_ASSIGN_OR_RETURN(auto cert, ParseCertificateDer(data));
    out.push_back(std::move(cert));
    return out;
  }
  BioPtr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
  if (!bio) {
    return Status(reasons::kInternalError, "bio: " + OsslErrors());
  }
  while (true) {
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) {
      break;
    }
    out.push_back(std::move(cert));
  }
  OsslErrors();  // the end-of-data "no start line" is expected
  if (out.empty()) {
    return Status(reasons::kCertMalformed, "certificate: PEM has no CERTIFICATE");
  }
  return out;
}

Result<X509CrlPtr> ParseCrl(ByteSpan data) {
  X509CrlPtr crl;
  if (LooksLikePem(data)) {
    BioPtr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
    crl.reset(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
  } else {
    const uint8_t* p = data.data();
    crl.reset(d2i_X509_CRL(nullptr, &p, static_cast<long>(data.size())));
    if (crl && p != data.data() + data.size()) {
      return Status(reasons::kCrlMalformed, "crl: trailing bytes after DER");
    }
  }
  if (!crl) {
    return Status(reasons::kCrlMalformed, "crl: not a DER or PEM CRL (" + OsslErrors() + ")");
  }
  return crl;
}

Bytes CertificateDer(X509* cert) { return I2dBytes<X509>(cert, i2d_X509); }

Sha256Digest CertificateFingerprint(X509* cert) { return Sha256(CertificateDer(cert)); }

std::string SubjectCommonName(X509* cert) { return NameEntry(X509_get_subject_name(cert)); }
std::string IssuerCommonName(X509* cert) { return NameEntry(X509_get_issuer_name(cert)); }

bool IsSelfSigned(X509* cert) {
  return X509_check_issued(cert, cert) == X509_V_OK &&
         X509_verify(cert, X509_get0_pubkey(cert)) == 1;
}

TimePoint NotBefore(X509* cert) { return Asn1ToTimePoint(X509_get0_notBefore(cert)); }
TimePoint NotAfter(X509* cert) { return Asn1ToTimePoint(X509_get0_notAfter(cert)); }

TimePoint CrlThisUpdate(X509_CRL* crl) { return Asn1ToTimePoint(X509_CRL_get0_lastUpdate(crl)); }

TimePoint CrlNextUpdate(X509_CRL* crl) {
  const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl);
  return next == nullptr ? TimePoint::max() : Asn1ToTimePoint(next);
}

Status CheckValidityAt(X509* cert, TimePoint now) {
  if (now < NotBefore(cert)) {
    return Status(reasons::kCertNotYetValid, Describe(cert) + " not valid before " +
                                                 FormatRfc3339(NotBefore(cert)) + ", time is " +
                                                 FormatRfc3339(now));
  }
  if (now > NotAfter(cert)) {
    return Status(reasons::kCertExpired, Describe(cert) + " expired " +
                                             FormatRfc3339(NotAfter(cert)) + ", time is " +
                                             FormatRfc3339(now));
  }
  return Status::Ok();
}

Result<Bytes> ExtensionValue(X509* cert, std::string_view dotted_oid, bool* found) {
  *found = false;
  Asn1ObjectPtr oid(OBJ_txt2obj(std::string(dotted_oid).c_str(), 1));
  if (!oid) {
    return Status(reasons::kInternalError, "bad oid " + std::string(dotted_oid));
  }
  const int index = X509_get_ext_by_OBJ(cert, oid.get(), -1);
  if (index < 0) {
    return Bytes{};
  }
  if (X509_get_ext_by_OBJ(cert, oid.get(), index) >= 0) {
    return Status(reasons::kCertMalformed,
                  Describe(cert) + ": extension " + std::string(dotted_oid) + " repeated");
  }
  const ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(X509_get_ext(cert, index));
  *found = true;
  const uint8_t* bytes = ASN1_STRING_get0_data(value);
  return Bytes(bytes, bytes + ASN1_STRING_length(value));
}

Result<std::vector<X509Ptr>> VerifyChain(X509* leaf, std::span<X509* const> intermediates,
                                         std::span<X509* const> anchors, TimePoint now,
                                         bool any_anchor) {
  X509StorePtr store(X509_STORE_new());
  X509StackPtr untrusted(sk_X509_new_null());
  X509StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!store || !untrusted || !ctx) {
    return Status(reasons::kInternalError, OsslErrors());
  }
  for (X509* anchor : anchors) {
    if (X509_STORE_add_cert(store.get(), anchor) != 1) {
      return Status(reasons::kInternalError, "anchor: " + OsslErrors());
    }
  }
  for (X509* cert : intermediates) {
    if (sk_X509_push(untrusted.get(), UpRef(cert).release()) <= 0) {
      return Status(reasons::kInternalError, OsslErrors());
    }
  }
  if (X509_STORE_CTX_init(ctx.get(), store.get(), leaf, untrusted.get()) != 1) {
    return Status(reasons::kInternalError, "store init: " + OsslErrors());
  }
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(ToUnixSeconds(now)));
  if (any_anchor) {
    X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
  }
  if (X509_verify_cert(ctx.get()) != 1) {
    const int err = X509_STORE_CTX_get_error(ctx.get());
    X509* at = X509_STORE_CTX_get_current_cert(ctx.get());
    const std::string where = at != nullptr ? Describe(at) : "chain";
    const std::string what = where + ": " + X509_verify_cert_error_string(err);
    OsslErrors();
    if (err == X509_V_ERR_CERT_HAS_EXPIRED) {
      return Status(reasons::kCertExpired, what + " at " + FormatRfc3339(now));
    }
    if (err == X509_V_ERR_CERT_NOT_YET_VALID) {
      return Status(reasons::kCertNotYetValid, what + " at " + FormatRfc3339(now));
    }
    return Status(reasons::kChainUntrusted, what);
  }
  std::vector<X509Ptr> chain;
  STACK_OF(X509)* verified = X509_STORE_CTX_get0_chain(ctx.get());
  chain.reserve(static_cast<size_t>(sk_X509_num(verified)));
  for (int i = 0; i < sk_X509_num(verified); ++i) {
    chain.push_back(UpRef(sk_X509_value(verified, i)));
  }
  return chain;
}

Status CheckCrl(X509_CRL* crl, X509* issuer, TimePoint now) {
  if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) != 0) {
    return Status(reasons::kCrlIssuerUnknown, "crl: issuer is not " + Describe(issuer));
  }
  EVP_PKEY* key = X509_get0_pubkey(issuer);
  if (key == nullptr || X509_CRL_verify(crl, key) != 1) {
    OsslErrors();
    return Status(reasons::kCrlSignatureInvalid,
                  "crl of " + Describe(issuer) + ": signature does not verify");
  }
  const TimePoint this_update = CrlThisUpdate(crl);
  if (now < this_update) {
    return Status(reasons::kCrlExpired, "crl of " + Describe(issuer) + ": thisUpdate " +
                                            FormatRfc3339(this_update) + " is after " +
                                            FormatRfc3339(now));
  }
  const TimePoint next_update = CrlNextUpdate(crl);
  if (now > next_update) {
    return Status(reasons::kCrlExpired, "crl of " + Describe(issuer) + ": nextUpdate " +
                                            FormatRfc3339(next_update) + " is before " +
                                            FormatRfc3339(now));
  }
  return Status::Ok();
}

Status CheckNotRevoked(std::span<const X509Ptr> chain, std::span<X509_CRL* const> crls,
                       TimePoint now) {
  for (X509_CRL* crl : crls) {
    X509* issuer = nullptr;
    for (const X509Ptr& cert : chain) {
      if (X509_NAME_cmp(X509_get_subject_name(cert.get()), X509_CRL_get_issuer(crl)) == 0) {
        issuer = cert.get();
        break;
      }
    }
    if (issuer == nullptr) {
      return Status(reasons::kCrlIssuerUnknown, "crl: its issuer is not in the certificate chain");
    }
    ATTEST_RETURN_IF_ERROR(CheckCrl(crl, issuer, now));
    for (const X509Ptr& cert : chain) {
      if (X509_NAME_cmp(X509_get_issuer_name(cert.get()), X509_CRL_get_issuer(crl)) != 0) {
        continue;
      }
      if (cert.get() == issuer && IsSelfSigned(issuer)) {
        continue;
      }
      X509_REVOKED* entry = nullptr;
      if (X509_CRL_get0_by_cert(crl, &entry, cert.get()) == 1) {
        return Status(reasons::kCertRevoked,
                      Describe(cert.get()) + " is revoked by the CRL of " + Describe(issuer));
      }
    }
  }
  return Status::Ok();
}

}  // namespace attest
