// Signature and chain checks shared by QuoteVerifier's collateral and quote steps (verify.cc):
// raw P-256 keys and r||s signatures, Intel's PEM chains with the pinned root reused, CRL lookups.
// Internal to attest/tdx; callers outside use QuoteVerifier.
#pragma once

#include <openssl/ec.h>

#include <string>
#include <string_view>
#include <vector>

#include "attest/core/bytes.h"
#include "attest/core/ossl.h"
#include "attest/core/status.h"
#include "attest/core/time.h"
#include "attest/tdx/reasons.h"

namespace attest::tdx {

using EcKeyPtr = OsslPtr<EC_KEY, EC_KEY_free>;

// P256KeyFromRaw builds the public key from x||y (checked to be on the curve); fails with
// on_error.
Result<EcKeyPtr> P256KeyFromRaw(ByteSpan xy, Reason on_error);

// VerifyP256 checks raw r||s (64 bytes) over SHA-256(message); fails with on_fail.
Status VerifyP256(EC_KEY* key, ByteSpan message, ByteSpan raw_sig, Reason on_fail);

// CertP256Key returns the certificate's key as an EC_KEY; it must be an uncompressed P-256 key.
Result<EcKeyPtr> CertP256Key(X509* cert, Reason on_error);

// VerifyBodySignature checks a raw r||s P-256 signature by signer over the exact body text.
Status VerifyBodySignature(X509* signer, const std::string& body, const Bytes& raw_sig,
                           Reason on_fail);

// ParseChain parses a PEM chain like ParseCertificates, but a block whose DER is a pinned root
// (roots[i], DER roots_der[i]) is not decoded again: the pinned object is used.
Result<std::vector<X509Ptr>> ParseChain(const Bytes& pem, const std::vector<X509Ptr>& roots,
                                        const std::vector<Bytes>& roots_der);

// VerifyToRoots validates certs[0] -> certs[1..] -> one of roots at now (VerifyChain); certs is
// not empty. Returns the validated chain, leaf first.
Result<std::vector<X509Ptr>> VerifyToRoots(const std::vector<X509Ptr>& certs,
                                           const std::vector<X509Ptr>& roots, TimePoint now);

// CheckListed fails with x509.cert_revoked when crl (already verified) lists cert.
Status CheckListed(X509_CRL* crl, X509* cert, std::string_view what);

// VerifySigningChain validates a TCB signing chain (Intel SGX TCB Signing -> root) at now and
// checks the signer against the (already verified) root CRL; errors carry the context what.
Result<std::vector<X509Ptr>> VerifySigningChain(const Bytes& pem, const std::vector<X509Ptr>& roots,
                                                const std::vector<Bytes>& roots_der,
                                                X509_CRL* root_crl, TimePoint now,
                                                std::string_view what);

}  // namespace attest::tdx
