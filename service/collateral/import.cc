#include "service/collateral/import.h"

#include "service/collateral/cache_items.h"
#include "service/collateral/refusal.h"

namespace attest::service::collateral {
namespace {

// CachedBytes returns the cached value of (kind, key), or collateral.bad_request naming what must
// be imported first.
Result<Bytes> CachedBytes(store::CollateralCacheStore& cache, std::string_view kind,
                          const std::string& key) {
  Result<store::CachedCollateral> item = cache.GetCachedCollateral(std::string(kind), key);
  if (!item.ok() || item->value.empty()) {
    return Status(reasons::kCollateralBadRequest, "a VCEK is verified with its product's " +
                                                      std::string(kind) + " (" + key +
                                                      "): import that first");
  }
  return std::move(item->value);
}

}  // namespace

Status ImportCachedItem(store::CollateralCacheStore& cache, std::string_view kind,
                        const std::string& key, const Bytes& value, std::string_view origin,
                        tdx::QuoteVerifier& tdx_verifier, const snp::SnpTrustRoots& snp_roots,
                        TimePoint now) {
  if (kind == kKindDcap) {
    ATTEST_ASSIGN_OR_RETURN(DcapId id, ParseDcapCacheKey(key));
    Result<tdx::Collateral> parsed =
        tdx::ParseCollateralJson(std::string(value.begin(), value.end()));
    if (!parsed.ok()) {
      return AsRefusal(parsed.status(), "DCAP collateral");
    }
    ATTEST_ASSIGN_OR_RETURN(FetchedDcap verified,
                            VerifyDcap(tdx_verifier, std::move(parsed).value(), id, now));
    return OfferToCache(cache, DcapCacheItem(id, verified, origin, now));
  }
  if (kind == kKindCrl || kind == kKindCertChain) {
    ATTEST_ASSIGN_OR_RETURN(auto hierarchy, ParseHierarchyKey(key));
    ATTEST_ASSIGN_OR_RETURN(
        KdsItem item, kind == kKindCrl ? VerifyKdsCrl(value, hierarchy.second, snp_roots, now)
                                       : VerifyKdsCertChain(value, hierarchy.first,
                                                            hierarchy.second, snp_roots, now));
    return OfferToCache(cache, KdsCacheItem(kind, key, item, origin, now));
  }
  if (kind == kKindVcek) {
    ATTEST_ASSIGN_OR_RETURN(VcekId id, ParseVcekCacheKey(key));
    const std::string hierarchy = HierarchyKey(snp::EndorsementKind::kVcek, id.product);
    ATTEST_ASSIGN_OR_RETURN(Bytes chain, CachedBytes(cache, kKindCertChain, hierarchy));
    ATTEST_ASSIGN_OR_RETURN(Bytes crl, CachedBytes(cache, kKindCrl, hierarchy));
    ATTEST_ASSIGN_OR_RETURN(KdsItem item, VerifyKdsVcek(value, id, chain, crl, snp_roots, now));
    return OfferToCache(cache, KdsCacheItem(kind, key, item, origin, now));
  }
  return Status(reasons::kCollateralBadRequest,
                "unknown collateral kind \"" + std::string(kind).substr(0, 32) + "\"");
}

}  // namespace attest::service::collateral
