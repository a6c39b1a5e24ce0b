// CacheCollateralSource: the shared collateral cache (store::CollateralCacheStore) as the
// verifiers see it on the hot path: DCAP collateral for a quote's platform, and for an SNP report
// the operator's VCEK, chain and CRL of its product. A miss is recorded as wanted, so the
// refresher (refresher.h) fetches it; nothing is fetched here. Revocation data and TCB info older
// than the freshness bound (max_collateral_age_seconds) fail with collateral.stale.
#pragma once

#include <chrono>
#include <optional>

#include "attest/core/time.h"
#include "attest/snp/product.h"
#include "attest/snp/report.h"
#include "service/collateral/source.h"
#include "service/store/collateral_cache_store.h"

namespace attest::service::collateral {

// CachedSnp: what the cache holds for a report; an absent item is empty.
struct CachedSnp {
  Bytes vcek;        // DER, for the report's chip and TCB
  Bytes cert_chain;  // ASK + ARK of the product (VCEK hierarchy)
  Bytes crl;         // the product's VCEK CRL, ARK-signed
};

class CacheCollateralSource final : public CollateralSource {
 public:
  // cache must outlive the source; now is the request's time and max_age the freshness bound
  // (zero: no bound beyond the items' own windows).
  CacheCollateralSource(store::CollateralCacheStore& cache, TimePoint now,
                        std::chrono::seconds max_age)
      : cache_(cache), now_(now), max_age_(max_age) {}

  // TdxCollateral returns the cached DCAP collateral of the quote's platform (DcapIdForQuote),
  // nullopt when none is cached (then it is marked wanted). Fails with collateral.stale, or the
  // store's reason.
  Result<std::optional<tdx::Collateral>> TdxCollateral(const tdx::Quote& quote) override;

  // CachedDcapEvaluation returns the verified (evaluation, issued_at) of the cached collateral
  // for quote's platform, nullopt when none: what a guest's collateral is compared with.
  Result<std::optional<std::pair<int64_t, TimePoint>>> CachedDcapEvaluation(
      const tdx::Quote& quote);

  // SnpEndorsements returns the cached items for report (product from its CPUID, else product;
  // with neither, only nothing). Missing items are marked wanted. Fails with collateral.stale when
  // the cached CRL is past the freshness bound, or the store's reason.
  Result<CachedSnp> SnpEndorsements(const snp::SnpReport& report,
                                    std::optional<snp::Product> product);

 private:
  // Lookup returns the item's value ("" when absent or only wanted, then marked wanted); with
  // check_age, an item fetched longer than max_age ago fails with collateral.stale.
  Result<Bytes> Lookup(std::string_view kind, const std::string& key, bool check_age);

  store::CollateralCacheStore& cache_;
  TimePoint now_;
  std::chrono::seconds max_age_;
};

}  // namespace attest::service::collateral
