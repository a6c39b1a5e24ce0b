#include "service/collateral/cache_items.h"

#include <algorithm>

namespace attest::service::collateral {

store::CachedCollateral KdsCacheItem(std::string_view kind, const std::string& key,
                                     const KdsItem& item, std::string_view origin, TimePoint now) {
  store::CachedCollateral c;
  c.kind = std::string(kind);
  c.key = key;
  c.value = item.bytes;
  c.origin = std::string(origin);
  c.fetched_at = now;
  c.issued_at = item.issued_at;
  c.next_update = item.valid_until;
  return c;
}

store::CachedCollateral DcapCacheItem(const DcapId& id, const FetchedDcap& fetched,
                                      std::string_view origin, TimePoint now) {
  const tdx::CollateralDates& d = fetched.dates;
  const std::string json = tdx::CollateralToJson(fetched.collateral);
  store::CachedCollateral c;
  c.kind = std::string(kKindDcap);
  c.key = DcapCacheKey(id);
  c.value.assign(json.begin(), json.end());
  c.origin = std::string(origin);
  c.fetched_at = now;
  c.issued_at = d.tcb_info_issue_date;
  c.next_update = std::min({d.tcb_info_next_update, d.qe_identity_next_update,
                            d.pck_crl_next_update, d.root_crl_next_update});
  c.evaluation = fetched.tcb_evaluation_data_number;
  return c;
}

Status OfferToCache(store::CollateralCacheStore& cache, const store::CachedCollateral& item) {
  ATTEST_ASSIGN_OR_RETURN(bool stored, cache.PutCachedCollateral(item));
  if (!stored) {
    return Status(reasons::kCollateralRollback,
                  item.kind + " " + item.key +
                      ": the cache holds newer collateral (a higher tcbEvaluationDataNumber or a "
                      "later issue); evaluation " +
                      std::to_string(item.evaluation) + " issued " + FormatRfc3339(item.issued_at) +
                      " is refused");
  }
  return Status::Ok();
}

}  // namespace attest::service::collateral
