#include "service/hosts/ek_trust.h"

#include <openssl/x509v3.h>

#include <filesystem>
#include <iostream>

#include "attest/core/file_io.h"
#include "attest/core/x509.h"
#include "attest/tpm/reasons.h"

namespace attest::service::hosts {

extern const std::span<const EmbeddedFile> kBuiltInEkCaFiles;  // generated: ek_ca_data.cc

namespace {

constexpr size_t kMaxBundleFileBytes = 4u << 20;

// AddCas appends every certificate of pem_or_der, each of which must be a CA certificate
// (basicConstraints CA:TRUE, or a v1 self-signed root, as X509_check_ca counts them).
Status AddCas(ByteSpan pem_or_der, const std::string& where, std::vector<X509Ptr>* out) {
  ATTEST_ASSIGN_OR_RETURN(std::vector<X509Ptr> certs, ParseCertificates(pem_or_der));
  for (X509Ptr& cert : certs) {
    if (X509_check_ca(cert.get()) < 1) {
      return Status(reasons::kCertMalformed,
                    where + ": \"" + SubjectCommonName(cert.get()) + "\" is not a CA certificate");
    }
    out->push_back(std::move(cert));
  }
  return Status::Ok();
}

}  // namespace

std::span<const EmbeddedFile> BuiltInEkCaFiles() { return kBuiltInEkCaFiles; }

Result<std::shared_ptr<const EkTrust>> EkTrust::Make(ByteSpan operator_cas,
                                                     bool allow_hosts_without_ek_cert) {
  std::shared_ptr<EkTrust> trust(new EkTrust());
  for (const EmbeddedFile& file : kBuiltInEkCaFiles) {
    if (Status s = AddCas(file.bytes, "built-in ek ca " + std::string(file.name), &trust->anchors_);
        !s.ok()) {
      // Built-in data is part of the binary (ek_trust_test checks it): a build defect.
      std::cerr << "ek trust: " << s.ToString() << "\n";
      std::abort();
    }
  }
  trust->num_vendor_ = trust->anchors_.size();
  if (!operator_cas.empty()) {
    ATTEST_RETURN_IF_ERROR(AddCas(operator_cas, "ek_ca_bundle", &trust->anchors_));
  }
  for (const X509Ptr& cert : trust->anchors_) {
    trust->anchor_ptrs_.push_back(cert.get());
  }
  trust->allow_without_cert_ = allow_hosts_without_ek_cert;
  return std::shared_ptr<const EkTrust>(std::move(trust));
}

Result<std::shared_ptr<const EkTrust>> EkTrust::Load(const std::string& operator_bundle,
                                                     bool allow_hosts_without_ek_cert) {
  Bytes cas;
  if (!operator_bundle.empty()) {
    std::error_code ec;
    if (std::filesystem::is_directory(operator_bundle, ec)) {
      ATTEST_ASSIGN_OR_RETURN(cas, tpm::LoadCaBundleDir(operator_bundle));
    } else {
      ATTEST_ASSIGN_OR_RETURN(cas, ReadFileBytes(operator_bundle, kMaxBundleFileBytes));
    }
    if (cas.empty()) {
      return Status(reasons::kCertMalformed, "ek_ca_bundle " + operator_bundle + " is empty");
    }
  }
  return Make(cas, allow_hosts_without_ek_cert);
}

Status EkTrust::CheckEndorsement(const tpm::EkPublic& ek, ByteSpan ek_cert, ByteSpan ek_chain,
                                 TimePoint now) const {
  if (ek_cert.empty()) {
    if (!ek_chain.empty()) {
      return Status(reasons::kTpmEkCertMalformed, "an EK chain without an EK certificate");
    }
    if (!allow_without_cert_) {
      return Status(reasons::kTpmEkCertRequired,
                    "an EK certificate is required (the service sets no "
                    "allow_hosts_without_ek_cert)");
    }
    return Status::Ok();
  }
  return tpm::VerifyEkCertificate(ek_cert, ek_chain, ek, anchor_ptrs_, now);
}

}  // namespace attest::service::hosts
