#include "attest/snp/trust.h"

#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "attest/core/embedded.h"
#include "attest/core/x509.h"

namespace attest::snp {

extern const std::span<const EmbeddedFile> kBuiltInAnchorFiles;  // generated: anchors_data.cc

Result<SnpTrustRoots> SnpTrustRoots::FromChains(std::span<const Bytes> pem_chains) {
  SnpTrustRoots roots;
  Bytes ark_fingerprints;
  for (const Bytes& pem : pem_chains) {
    ATTEST_ASSIGN_OR_RETURN(auto certs, ParseCertificates(pem));
    X509Ptr ark = std::move(certs.back());
    certs.pop_back();
    const std::string cn = SubjectCommonName(ark.get());
    const auto product = cn.rfind("ARK-", 0) == 0 ? ProductFromName(cn.substr(4)) : std::nullopt;
    if (!product || !IsSelfSigned(ark.get())) {
      return Status(reasons::kSnpUnknownProduct, "trust roots: last certificate \"" + cn +
                                                     "\" is not a self-signed ARK-<product>");
    }
    ProductRoots* entry = nullptr;
    for (ProductRoots& existing : roots.products_) {
      if (existing.product == *product) {
        entry = &existing;
      }
    }
    if (entry == nullptr) {
      roots.products_.push_back(ProductRoots{*product, std::move(ark), {}, {}});
      entry = &roots.products_.back();
      entry->known_encodings.push_back(CertificateDer(entry->ark.get()));
      const auto fp = CertificateFingerprint(entry->ark.get());
      ark_fingerprints.insert(ark_fingerprints.end(), fp.begin(), fp.end());
    } else if (X509_cmp(entry->ark.get(), ark.get()) != 0) {
      return Status(reasons::kChainUntrusted,
                    "trust roots: two different ARKs for " + std::string(ProductName(*product)));
    }
    entry->known_encodings.push_back(pem);
    for (X509Ptr& cert : certs) {
      entry->known_encodings.push_back(CertificateDer(cert.get()));
      entry->intermediates.push_back(std::move(cert));
    }
  }
  roots.id_ = Sha256(ark_fingerprints);
  return roots;
}

const SnpTrustRoots& SnpTrustRoots::BuiltIn() {
  static const SnpTrustRoots* roots = [] {
    std::vector<Bytes> chains;
    for (const EmbeddedFile& file : kBuiltInAnchorFiles) {
      chains.emplace_back(file.bytes.begin(), file.bytes.end());
    }
    auto parsed = FromChains(chains);
    if (!parsed.ok()) {
      // Built-in data is part of the binary; failing to parse it is a build defect.
      std::cerr << "snp: built-in anchors invalid: " << parsed.status().ToString() << "\n";
      std::abort();
    }
    return new SnpTrustRoots(std::move(parsed).value());
  }();
  return *roots;
}

bool ProductRoots::IsKnownEncoding(ByteSpan data) const {
  for (const Bytes& known : known_encodings) {
    if (known.size() == data.size() && std::equal(known.begin(), known.end(), data.begin())) {
      return true;
    }
  }
  return false;
}

const ProductRoots* SnpTrustRoots::Find(Product product) const {
  for (const ProductRoots& entry : products_) {
    if (entry.product == product) {
      return &entry;
    }
  }
  return nullptr;
}

}  // namespace attest::snp
