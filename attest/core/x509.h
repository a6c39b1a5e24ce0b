// X.509 certificates and CRLs: parsing, chain validation to pinned anchors, revocation.
//
// All checks take the verification time explicitly (X509_VERIFY_PARAM_set_time); nothing here reads
// the clock or fetches anything.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "attest/core/bytes.h"
#include "attest/core/digest.h"
#include "attest/core/ossl.h"
#include "attest/core/status.h"
#include "attest/core/time.h"

namespace attest {

// ParseCertificateDer parses exactly one DER certificate; trailing bytes fail.
Result<X509Ptr> ParseCertificateDer(ByteSpan der);

// ParseCertificates accepts one DER certificate or a PEM bundle of one or more certificates, in
// order. Fails with reasons::kCertMalformed (also for an empty bundle).
Result<std::vector<X509Ptr>> ParseCertificates(ByteSpan data);

// ParseCrl accepts one CRL in DER or PEM. Fails with reasons::kCrlMalformed.
Result<X509CrlPtr> ParseCrl(ByteSpan data);

// CertificateDer returns the DER encoding of cert.
Bytes CertificateDer(X509* cert);
// CertificateFingerprint is the SHA-256 of the DER encoding.
Sha256Digest CertificateFingerprint(X509* cert);
// SubjectCommonName returns the subject's CN ("" when absent). IssuerCommonName likewise.
std::string SubjectCommonName(X509* cert);
std::string IssuerCommonName(X509* cert);

// IsSelfSigned is true when cert's issuer is its own subject and its key signs it.
bool IsSelfSigned(X509* cert);

// NotBefore / NotAfter convert the validity window to TimePoint.
TimePoint NotBefore(X509* cert);
TimePoint NotAfter(X509* cert);

// CrlThisUpdate / CrlNextUpdate convert the CRL window (nextUpdate absent: TimePoint::max()).
TimePoint CrlThisUpdate(X509_CRL* crl);
TimePoint CrlNextUpdate(X509_CRL* crl);

// CheckValidityAt fails with kCertExpired or kCertNotYetValid, naming the certificate.
Status CheckValidityAt(X509* cert, TimePoint now);

// ExtensionValue returns the raw extnValue contents (the bytes inside the OCTET STRING) of the
// extension with the dotted oid and sets *found; an absent extension gives empty bytes and *found
// false. Fails with kCertMalformed when the extension occurs more than once.
Result<Bytes> ExtensionValue(X509* cert, std::string_view dotted_oid, bool* found);

// VerifyChain validates leaf -> intermediates -> one of anchors at now (signatures, CA flags,
// validity windows). anchors are the only trusted certificates. Returns the validated chain, leaf
// first, anchor last. With any_anchor, an anchor need not be self-signed: the path may end at any
// of them (OpenSSL's partial chain), for trust stores of issuing CAs whose roots are not shipped.
// Fails with kCertExpired / kCertNotYetValid / kChainUntrusted.
Result<std::vector<X509Ptr>> VerifyChain(X509* leaf, std::span<X509* const> intermediates,
                                         std::span<X509* const> anchors, TimePoint now,
                                         bool any_anchor = false);

// CheckCrl verifies the CRL's signature with issuer's key and that now is inside
// [thisUpdate, nextUpdate]. Fails with kCrlSignatureInvalid / kCrlExpired / kCrlIssuerUnknown.
Status CheckCrl(X509_CRL* crl, X509* issuer, TimePoint now);

// CheckNotRevoked checks every CRL against the validated chain: each CRL's issuer must be a
// certificate of the chain (kCrlIssuerUnknown otherwise), its signature and window must verify, and
// no certificate it covers may be listed (kCertRevoked).
Status CheckNotRevoked(std::span<const X509Ptr> chain, std::span<X509_CRL* const> crls,
                       TimePoint now);

}  // namespace attest
