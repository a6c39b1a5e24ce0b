// A test certificate authority: keys, certificates and CRLs made on the fly, for negative chains
// (wrong issuer, expired, revoked) and for the software TEEs of later tests. Test use only.
#pragma once

#include <string>
#include <vector>

#include "attest/core/bytes.h"
#include "attest/core/ossl.h"
#include "attest/core/time.h"

namespace attest::testing {

enum class KeyKind { kEcP256, kEcP384, kRsa2048, kRsa4096 };

EvpPkeyPtr GenerateKey(KeyKind kind);

struct CustomExtension {
  std::string oid;  // dotted
  Bytes der_value;  // the extnValue contents (already DER, e.g. an INTEGER)
};

struct CertSpec {
  std::string common_name;
  TimePoint not_before;
  TimePoint not_after;
  bool is_ca = false;
  long serial = 1;
  bool rsa_pss = false;  // sign with RSASSA-PSS SHA-384 (salt 48), as AMD does
  std::vector<CustomExtension> extensions;
};

// IssueCertificate signs spec for subject_key with issuer_key. issuer == nullptr: self-signed.
X509Ptr IssueCertificate(const CertSpec& spec, EVP_PKEY* subject_key, X509* issuer,
                         EVP_PKEY* issuer_key);

// IssueCrl makes a CRL by issuer listing the given serials, valid [this_update, next_update].
X509CrlPtr IssueCrl(X509* issuer, EVP_PKEY* issuer_key, const std::vector<long>& revoked_serials,
                    TimePoint this_update, TimePoint next_update, bool rsa_pss = false);

Bytes DerOf(X509* cert);
Bytes DerOf(X509_CRL* crl);
std::string PemOf(X509* cert);

// DerInteger encodes value as a DER INTEGER; DerOctetString / DerIa5String likewise.
Bytes DerInteger(long value);
Bytes DerOctetString(ByteSpan data);
Bytes DerIa5String(const std::string& text);

}  // namespace attest::testing
