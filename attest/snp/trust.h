// SnpTrustRoots: the pinned AMD roots (ARK per product) and known intermediates (ASK, ASVK).
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "attest/core/bytes.h"
#include "attest/core/digest.h"
#include "attest/core/ossl.h"
#include "attest/core/status.h"
#include "attest/snp/product.h"
#include "attest/snp/reasons.h"

namespace attest::snp {

struct ProductRoots {
  Product product;
  X509Ptr ark;                         // pinned, self-signed
  std::vector<X509Ptr> intermediates;  // ASK and ASVK known for the product
  // The exact bytes these certificates were read from (each PEM chain as given, and each
  // certificate's DER): collateral that repeats one of them byte for byte adds nothing to verify
  // and need not be decoded again (an extended report's certificate table carries ASK and ARK).
  std::vector<Bytes> known_encodings;

  bool IsKnownEncoding(ByteSpan data) const;
};

class SnpTrustRoots {
 public:
  // BuiltIn returns AMD's public Milan, Genoa and Turin roots compiled into the binary.
  static const SnpTrustRoots& BuiltIn();

  // FromChains builds roots from PEM chains "intermediate(s)..., ARK" (the KDS cert_chain layout);
  // the product is read from the ARK's CN "ARK-<product>". For test hierarchies and operators who
  // pin their own copy. Fails with x509.cert_malformed or snp.unknown_product.
  static Result<SnpTrustRoots> FromChains(std::span<const Bytes> pem_chains);

  // Find returns the roots for product, or nullptr.
  const ProductRoots* Find(Product product) const;

  // id identifies this set of roots (SHA-256 over the ARK fingerprints), for cache keys.
  const Sha256Digest& id() const { return id_; }

 private:
  std::vector<ProductRoots> products_;
  Sha256Digest id_{};
};

}  // namespace attest::snp
