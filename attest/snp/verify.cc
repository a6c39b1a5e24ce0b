#include "attest/snp/verify.h"

#include <openssl/evp.h>

#include <algorithm>

#include "attest/core/encoding.h"
#include "attest/core/signature.h"
#include "attest/core/x509.h"

namespace attest::snp {
namespace {

// CacheKey binds every input of chain validation: the roots, the certificates and the CRLs.
Sha256Digest CacheKey(const SnpCollateral& collateral, const SnpTrustRoots& roots) {
  Sha256Hasher h;
  h.UpdateWithLength(roots.id());
  h.UpdateWithLength(collateral.endorsement_cert);
  // The chain count separates the certificates from the CRLs that follow them.
  h.UpdateWithLength(Bytes(collateral.chain.size()));
  for (const Bytes& cert : collateral.chain) {
    h.UpdateWithLength(cert);
  }
  for (const Bytes& crl : collateral.crls) {
    h.UpdateWithLength(crl);
  }
  return h.Finish();
}

// AsSnp re-labels a generic X.509 failure with the SNP reason a caller matches on.
Status AsSnp(const Status& status) {
  const std::string_view id = status.reason_id();
  const std::string message = "endorsement chain: " + status.message();
  if (id == reasons::kCertExpired.id || id == reasons::kCertNotYetValid.id) {
    return Status(reasons::kSnpCertExpired, message);
  }
  if (id == reasons::kChainUntrusted.id) {
    return Status(reasons::kSnpChainUntrusted, message);
  }
  if (id == reasons::kCertRevoked.id) {
    return Status(reasons::kSnpRevoked, message);
  }
  return status;
}

Result<std::shared_ptr<const ValidatedChain>> ValidateChain(const SnpCollateral& collateral,
                                                            const SnpTrustRoots& roots,
                                                            TimePoint now) {
  if (collateral.endorsement_cert.empty()) {
    return Status(reasons::kSnpNoSigningKey,
                  "no VCEK/VLEK given: fetch it from AMD KDS for this chip and TCB and supply it");
  }
  ATTEST_ASSIGN_OR_RETURN(auto supplied, ParseCertificates(collateral.endorsement_cert));
  X509* leaf = supplied.front().get();
  ATTEST_ASSIGN_OR_RETURN(EndorsementInfo info, ParseEndorsementCert(leaf));
  const ProductRoots* product = roots.Find(info.product);
  if (product == nullptr) {
    return Status(reasons::kSnpChainUntrusted,
                  "no pinned ARK for product " + std::string(ProductName(info.product)));
  }
  for (const Bytes& bundle : collateral.chain) {
    if (product->IsKnownEncoding(bundle)) {
      continue;  // the pinned ASK/ASVK or ARK, byte for byte: already among the chain's inputs
    }
    ATTEST_ASSIGN_OR_RETURN(auto certs, ParseCertificates(bundle));
    for (X509Ptr& cert : certs) {
      supplied.push_back(std::move(cert));
    }
  }
  std::vector<X509*> intermediates;
  for (size_t i = 1; i < supplied.size(); ++i) {
    X509* cert = supplied[i].get();
    if (IsSelfSigned(cert)) {
      if (X509_cmp(cert, product->ark.get()) != 0) {
        return Status(reasons::kSnpChainUntrusted, "supplied root \"" + SubjectCommonName(cert) +
                                                       "\" is not the pinned ARK-" +
                                                       std::string(ProductName(info.product)));
      }
      continue;
    }
    intermediates.push_back(cert);
  }
  for (const X509Ptr& cert : product->intermediates) {
    intermediates.push_back(cert.get());
  }
  X509* anchors[] = {product->ark.get()};
  auto chain = VerifyChain(leaf, intermediates, anchors, now);
  if (!chain.ok()) {
    return AsSnp(chain.status());
  }

  auto validated = std::make_shared<ValidatedChain>();
  validated->valid_from = TimePoint::min();
  validated->valid_until = TimePoint::max();
  for (const X509Ptr& cert : *chain) {
    validated->valid_from = std::max(validated->valid_from, NotBefore(cert.get()));
    validated->valid_until = std::min(validated->valid_until, NotAfter(cert.get()));
  }
  std::vector<X509CrlPtr> crls;
  std::vector<X509_CRL*> crl_ptrs;
  for (const Bytes& data : collateral.crls) {
    ATTEST_ASSIGN_OR_RETURN(X509CrlPtr crl, ParseCrl(data));
    validated->valid_from = std::max(validated->valid_from, CrlThisUpdate(crl.get()));
    validated->valid_until = std::min(validated->valid_until, CrlNextUpdate(crl.get()));
    crl_ptrs.push_back(crl.get());
    crls.push_back(std::move(crl));
  }
  Status revocation = CheckNotRevoked(*chain, crl_ptrs, now);
  if (!revocation.ok()) {
    return AsSnp(revocation);
  }

  EVP_PKEY* key = X509_get0_pubkey(leaf);
  if (key == nullptr || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC || EVP_PKEY_get_bits(key) != 384) {
    return Status(reasons::kSnpUnsupportedAlgorithm,
                  "endorsement certificate: key is not ECDSA P-384");
  }
  validated->signing_key = UpRef(key);
  validated->endorsement = std::move(info);
  return std::shared_ptr<const ValidatedChain>(std::move(validated));
}

std::string TcbText(uint64_t tcb, Product product) {
  const TcbParts p = DecodeTcb(tcb, product);
  std::string out = "bl=" + std::to_string(p.bootloader) + " tee=" + std::to_string(p.tee) +
                    " snp=" + std::to_string(p.snp) + " ucode=" + std::to_string(p.microcode);
  if (p.fmc) {
    out += " fmc=" + std::to_string(*p.fmc);
  }
  return out;
}

Status CheckAgainstEndorsement(const SnpReport& report, const EndorsementInfo& e) {
  const bool report_vlek = report.signing_key == SigningKey::kVlek;
  if (report.signing_key == SigningKey::kNone) {
    return Status(reasons::kSnpSigningKeyKind, "snp report: SIGNING_KEY=7, the report is unsigned");
  }
  if (report_vlek != (e.kind == EndorsementKind::kVlek)) {
    return Status(reasons::kSnpSigningKeyKind,
                  std::string("snp report: SIGNING_KEY says ") + (report_vlek ? "vlek" : "vcek") +
                      ", certificate is a " + std::string(EndorsementKindName(e.kind)));
  }
  if (report.has_cpuid) {
    const auto cpu = ProductFromCpuid(report.cpuid_fam_id, report.cpuid_mod_id);
    if (!cpu || *cpu != e.product) {
      return Status(reasons::kSnpProductMismatch,
                    "snp report: CPUID family 0x" + HexEncode(Bytes{report.cpuid_fam_id}) +
                        " model 0x" + HexEncode(Bytes{report.cpuid_mod_id}) + " is not a " +
                        std::string(ProductName(e.product)) + " part as the certificate says");
    }
  }
  const uint64_t cert_tcb = EncodeTcb(e.tcb, e.product);
  if (report.reported_tcb != cert_tcb) {
    return Status(reasons::kSnpTcbMismatch,
                  "snp report: REPORTED_TCB " + TcbText(report.reported_tcb, e.product) +
                      " but certificate TCB " + TcbText(cert_tcb, e.product));
  }
  if (e.kind == EndorsementKind::kVcek) {
    const ByteSpan chip(report.chip_id);
    const bool prefix_equal = std::equal(e.hw_id.begin(), e.hw_id.end(), chip.begin());
    const bool rest_zero = IsAllZero(chip.subspan(e.hw_id.size()));
    if (!prefix_equal || !rest_zero) {
      return Status(reasons::kSnpChipIdMismatch, "snp report: CHIP_ID " + HexEncode(chip) +
                                                     " is not the certificate's hwID " +
                                                     HexEncode(e.hw_id));
    }
  }
  return Status::Ok();
}

Status VerifySignature(const SnpReport& report, EVP_PKEY* key) {
  const Sha384Digest digest = Sha384(report.signed_bytes);
  auto der = EcdsaRawToDer(report.signature_r, report.signature_s, reasons::kSnpSignatureInvalid);
  if (!der.ok()) {
    return der.status();
  }
  Status status =
      VerifyDigestSignature(key, EVP_sha384(), digest, *der, reasons::kSnpSignatureInvalid);
  return status.ok() ? status : status.WithContext("snp report");
}

}  // namespace

Result<VerifiedSnpReport> VerifySnpReport(const SnpReport& report, const SnpCollateral& collateral,
                                          const SnpTrustRoots& roots, TimePoint now,
                                          SnpChainCache* cache) {
  std::shared_ptr<const ValidatedChain> chain;
  Sha256Digest key{};
  if (cache != nullptr) {
    key = CacheKey(collateral, roots);
    chain = cache->Find(key);
  }
  if (chain == nullptr || now < chain->valid_from || now > chain->valid_until) {
    ATTEST_ASSIGN_OR_RETURN(chain, ValidateChain(collateral, roots, now));
    if (cache != nullptr) {
      cache->Insert(key, chain);
    }
  }
  ATTEST_RETURN_IF_ERROR(CheckAgainstEndorsement(report, chain->endorsement));
  ATTEST_RETURN_IF_ERROR(VerifySignature(report, chain->signing_key.get()));
  return VerifiedSnpReport(report, chain->endorsement, now);
}

Result<EndorsementInfo> VerifyEndorsementChain(const SnpCollateral& collateral,
                                               const SnpTrustRoots& roots, TimePoint now) {
  ATTEST_ASSIGN_OR_RETURN(std::shared_ptr<const ValidatedChain> chain,
                          ValidateChain(collateral, roots, now));
  return chain->endorsement;
}

}  // namespace attest::snp
