#include "service/collateral/refresher.h"

#include "service/collateral/cache_items.h"

namespace attest::service::collateral {
namespace {

constexpr char kLeaseName[] = "collateral-refresh";

Status NoFetcher(const store::CachedCollateral& item) {
  return Status(reasons::kCollateralBadRequest,
                item.kind + " " + item.key + ": no fetcher is configured for this vendor");
}

}  // namespace

Result<KdsItem> CollateralRefresher::Hierarchy(std::string_view kind, snp::Product product,
                                               TimePoint now) {
  // A VCEK is verified with its product's chain and CRL: the cached ones while current, else
  // fetched (and cached) now.
  const std::string key = HierarchyKey(snp::EndorsementKind::kVcek, product);
  Result<store::CachedCollateral> cached = cache_.GetCachedCollateral(std::string(kind), key);
  if (cached.ok() && !cached->value.empty() && now < cached->next_update) {
    return KdsItem{cached->value, cached->issued_at, cached->next_update, cached->issued_at};
  }
  Result<KdsItem> fetched = kind == kKindCrl
                                ? kds_->FetchCrl(snp::EndorsementKind::kVcek, product, now)
                                : kds_->FetchCertChain(snp::EndorsementKind::kVcek, product, now);
  if (fetched.ok()) {
    // A rollback here only means another writer was quicker with a newer one: fine.
    (void)OfferToCache(cache_, KdsCacheItem(kind, key, *fetched, "fetch", now));
  }
  return fetched;
}

Status CollateralRefresher::Refresh(const store::CachedCollateral& item, TimePoint now) {
  if (item.kind == kKindDcap) {
    if (pcs_ == nullptr) {
      return NoFetcher(item);
    }
    ATTEST_ASSIGN_OR_RETURN(DcapId id, ParseDcapCacheKey(item.key));
    ATTEST_ASSIGN_OR_RETURN(FetchedDcap fetched, pcs_->Fetch(id, now));
    return OfferToCache(cache_, DcapCacheItem(id, fetched, "fetch", now));
  }
  if (kds_ == nullptr) {
    return NoFetcher(item);
  }
  if (item.kind == kKindCertChain || item.kind == kKindCrl) {
    ATTEST_ASSIGN_OR_RETURN(auto hierarchy, ParseHierarchyKey(item.key));
    ATTEST_ASSIGN_OR_RETURN(KdsItem fetched,
                            item.kind == kKindCrl
                                ? kds_->FetchCrl(hierarchy.first, hierarchy.second, now)
                                : kds_->FetchCertChain(hierarchy.first, hierarchy.second, now));
    return OfferToCache(cache_, KdsCacheItem(item.kind, item.key, fetched, "fetch", now));
  }
  if (item.kind == kKindVcek) {
    ATTEST_ASSIGN_OR_RETURN(VcekId id, ParseVcekCacheKey(item.key));
    ATTEST_ASSIGN_OR_RETURN(KdsItem chain, Hierarchy(kKindCertChain, id.product, now));
    ATTEST_ASSIGN_OR_RETURN(KdsItem crl, Hierarchy(kKindCrl, id.product, now));
    ATTEST_ASSIGN_OR_RETURN(KdsItem vcek, kds_->FetchVcek(id, chain.bytes, crl.bytes, now));
    return OfferToCache(cache_, KdsCacheItem(item.kind, item.key, vcek, "fetch", now));
  }
  return Status(reasons::kCollateralBadRequest, "unknown collateral kind " + item.kind);
}

Result<RefreshRound> CollateralRefresher::RunOnce(TimePoint now) {
  RefreshRound round;
  ATTEST_ASSIGN_OR_RETURN(
      bool leader, cache_.AcquireLease(kLeaseName, options_.holder, now, options_.lease_ttl));
  if (!leader) {
    return round;
  }
  round.ran = true;
  ATTEST_ASSIGN_OR_RETURN(
      std::vector<store::CachedCollateral> due,
      cache_.DueCollateral(
          now, options_.ahead, options_.min_retry, options_.batch,
          options_.refetch_after.count() > 0 ? now - options_.refetch_after : TimePoint::min(),
          {std::string(kKindCrl), std::string(kKindDcap)}));
  for (const store::CachedCollateral& item : due) {
    // Re-read: a VCEK's refresh may have refreshed its chain or CRL already this round.
    Result<store::CachedCollateral> current = cache_.GetCachedCollateral(item.kind, item.key);
    if (current.ok() && !current->value.empty() && current->next_update > now + options_.ahead) {
      continue;
    }
    Status s = Refresh(item, now);
    if (s.ok()) {
      ++round.stored;
      continue;
    }
    if (s.reason_id() == reasons::kStoreDatabase.id) {
      return s;
    }
    ++round.refused;
    if (on_refused_) {
      on_refused_(item, s);
    }
    ATTEST_RETURN_IF_ERROR(cache_.RecordCollateralAttempt(
        item.kind, item.key, std::string(s.reason_id()) + ": " + s.message(), now));
  }
  // Hand the lease back, so another replica can take over at once if this one stops.
  ATTEST_RETURN_IF_ERROR(cache_.ReleaseLease(kLeaseName, options_.holder));
  return round;
}

}  // namespace attest::service::collateral
