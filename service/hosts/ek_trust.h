// EkTrust: which TPM endorsement keys attestd accepts, loaded once at start and shared by every
// request (POST /v1/hosts and host enrollment call CheckEndorsement).
//
// Trusted EK CAs are the vendor bundle compiled into the binary (deploy/ek-ca/, MANIFEST.md there
// lists provenance and fingerprints) plus the operator's `ek_ca_bundle`. Every one is an anchor as
// it is (self-signed or not); certificates a host sends from its TPM's EK certificate chain NV
// indices are untrusted intermediates. EK certificates are required unless the operator sets
// `allow_hosts_without_ek_cert`: then a host without one is accepted on the operator's word alone.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "attest/core/bytes.h"
#include "attest/core/embedded.h"
#include "attest/core/ossl.h"
#include "attest/core/status.h"
#include "attest/core/time.h"
#include "attest/tpm/credential.h"

namespace attest::service::hosts {

// BuiltInEkCaFiles is deploy/ek-ca/*.pem as compiled into this binary (base names, PEM bytes).
std::span<const EmbeddedFile> BuiltInEkCaFiles();

class EkTrust {
 public:
  // Make trusts the built-in vendor bundle plus every certificate of operator_cas (PEM or DER,
  // possibly empty). Every operator certificate must be a CA certificate. Fails with
  // x509.cert_malformed (with the offending certificate's subject).
  static Result<std::shared_ptr<const EkTrust>> Make(ByteSpan operator_cas,
                                                     bool allow_hosts_without_ek_cert);
  // Load reads operator_bundle (a PEM/DER file, a directory of *.pem / *.crt, or "" for none) and
  // calls Make. Fails with core.file_unreadable or Make's reasons.
  static Result<std::shared_ptr<const EkTrust>> Load(const std::string& operator_bundle,
                                                     bool allow_hosts_without_ek_cert);

  // CheckEndorsement decides whether a host's EK is acceptable: with an EK certificate, it must
  // chain at now to a trusted CA (ek_chain: the TPM's NV chain certificates, DER or PEM, may help)
  // and carry exactly this EK; without one, only if allow_hosts_without_ek_cert. Fails with
  // tpm.ek_cert_required, tpm.ek_cert_malformed (also: a chain without a certificate),
  // tpm.ek_chain_untrusted, x509.cert_expired / x509.cert_not_yet_valid, tpm.ek_public_mismatch.
  Status CheckEndorsement(const tpm::EkPublic& ek, ByteSpan ek_cert, ByteSpan ek_chain,
                          TimePoint now) const;

  bool allow_hosts_without_ek_cert() const { return allow_without_cert_; }
  size_t num_vendor_cas() const { return num_vendor_; }
  size_t num_operator_cas() const { return anchors_.size() - num_vendor_; }

 private:
  EkTrust() = default;
  std::vector<X509Ptr> anchors_;  // the vendor bundle first, then the operator's
  std::vector<X509*> anchor_ptrs_;
  size_t num_vendor_ = 0;
  bool allow_without_cert_ = false;
};

}  // namespace attest::service::hosts
