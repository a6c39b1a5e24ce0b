// Cache items: how verified collateral (a KDS item, a platform's DCAP set) becomes a row of the
// shared cache (store::CollateralCacheStore), whoever brought it, and the one rule every writer
// obeys: an item that is not at least as new as the cached one is refused (collateral.rollback).
#pragma once

#include <string>
#include <string_view>

#include "attest/core/status.h"
#include "attest/core/time.h"
#include "service/collateral/kds.h"
#include "service/collateral/pcs.h"
#include "service/store/collateral_cache_store.h"

namespace attest::service::collateral {

// The kinds of the cache, with their keys: VcekCacheKey, HierarchyKey (chains and CRLs) and
// DcapCacheKey.
inline constexpr std::string_view kKindVcek = "snp.vcek";
inline constexpr std::string_view kKindCertChain = "snp.cert_chain";
inline constexpr std::string_view kKindCrl = "snp.crl";
inline constexpr std::string_view kKindDcap = "dcap";

// KdsCacheItem / DcapCacheItem make the row for a verified item brought by origin at now. A DCAP
// set is stored in the JSON form tdx::ParseCollateralJson reads; its next_update is the earliest
// of its four windows, its evaluation the verified TCB info's tcbEvaluationDataNumber.
store::CachedCollateral KdsCacheItem(std::string_view kind, const std::string& key,
                                     const KdsItem& item, std::string_view origin, TimePoint now);
store::CachedCollateral DcapCacheItem(const DcapId& id, const FetchedDcap& fetched,
                                      std::string_view origin, TimePoint now);

// OfferToCache stores item unless the cache holds a newer one; fails with collateral.rollback
// then, or with the store's reason.
Status OfferToCache(store::CollateralCacheStore& cache, const store::CachedCollateral& item);

}  // namespace attest::service::collateral
