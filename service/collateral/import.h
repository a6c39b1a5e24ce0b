// ImportCachedItem: one collateral item from outside the fetcher (an exported cache bundle
// carried to an air-gapped site, a host agent's upload) verified exactly as a fetch would be, by
// its kind, then offered to the shared cache under the rollback rule. What the item says about
// itself (times, evaluation) is ignored: they are read from the verified bytes.
#pragma once

#include <string_view>

#include "attest/core/status.h"
#include "attest/core/time.h"
#include "attest/snp/trust.h"
#include "attest/tdx/verify.h"
#include "service/store/collateral_cache_store.h"

namespace attest::service::collateral {

// ImportCachedItem verifies value as an item of kind under key at now (a VCEK with the cache's
// chain and CRL of its product, which must be there) and stores it with origin. Fails with
// collateral.bad_request (unknown kind or key), the Verify* reasons, collateral.rollback, or the
// store's reason.
Status ImportCachedItem(store::CollateralCacheStore& cache, std::string_view kind,
                        const std::string& key, const Bytes& value, std::string_view origin,
                        tdx::QuoteVerifier& tdx_verifier, const snp::SnpTrustRoots& snp_roots,
                        TimePoint now);

}  // namespace attest::service::collateral
