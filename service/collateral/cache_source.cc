#include "service/collateral/cache_source.h"

#include "service/collateral/cache_items.h"

namespace attest::service::collateral {

Result<Bytes> CacheCollateralSource::Lookup(std::string_view kind, const std::string& key,
                                            bool check_age) {
  Result<store::CachedCollateral> item = cache_.GetCachedCollateral(std::string(kind), key);
  if (!item.ok()) {
    if (item.status().code() != ErrorCode::kNotFound) {
      return item.status();
    }
    ATTEST_RETURN_IF_ERROR(cache_.WantCollateral(std::string(kind), key, now_));
    return Bytes();
  }
  if (item->value.empty()) {
    return Bytes();
  }
  if (check_age && max_age_.count() > 0 && now_ - item->fetched_at > max_age_) {
    return Status(reasons::kCollateralStale,
                  std::string(kind) + " " + key + " was fetched at " +
                      FormatRfc3339(item->fetched_at) + ", longer ago than the " +
                      std::to_string(max_age_.count()) + " s allowed" +
                      (item->last_error.empty() ? "" : "; last refresh: " + item->last_error));
  }
  return std::move(item->value);
}

Result<std::optional<tdx::Collateral>> CacheCollateralSource::TdxCollateral(
    const tdx::Quote& quote) {
  Result<DcapId> id = DcapIdForQuote(quote);
  if (!id.ok()) {
    return std::optional<tdx::Collateral>();
  }
  ATTEST_ASSIGN_OR_RETURN(Bytes value, Lookup(kKindDcap, DcapCacheKey(*id), true));
  if (value.empty()) {
    return std::optional<tdx::Collateral>();
  }
  Result<tdx::Collateral> parsed =
      tdx::ParseCollateralJson(std::string(value.begin(), value.end()));
  if (!parsed.ok()) {
    return std::optional<tdx::Collateral>();
  }
  return std::optional<tdx::Collateral>(std::move(parsed).value());
}

Result<std::optional<std::pair<int64_t, TimePoint>>> CacheCollateralSource::CachedDcapEvaluation(
    const tdx::Quote& quote) {
  using Out = std::optional<std::pair<int64_t, TimePoint>>;
  Result<DcapId> id = DcapIdForQuote(quote);
  if (!id.ok()) {
    return Out();
  }
  Result<store::CachedCollateral> item =
      cache_.GetCachedCollateral(std::string(kKindDcap), DcapCacheKey(*id));
  if (!item.ok()) {
    return item.status().code() == ErrorCode::kNotFound ? Result<Out>(Out()) : item.status();
  }
  if (item->value.empty()) {
    return Out();
  }
  return Out(std::make_pair(item->evaluation, item->issued_at));
}

Result<CachedSnp> CacheCollateralSource::SnpEndorsements(const snp::SnpReport& report,
                                                         std::optional<snp::Product> product) {
  CachedSnp out;
  if (report.has_cpuid) {
    product = snp::ProductFromCpuid(report.cpuid_fam_id, report.cpuid_mod_id);
  }
  if (!product) {
    return out;
  }
  const std::string hierarchy = HierarchyKey(snp::EndorsementKind::kVcek, *product);
  ATTEST_ASSIGN_OR_RETURN(out.crl, Lookup(kKindCrl, hierarchy, true));
  ATTEST_ASSIGN_OR_RETURN(out.cert_chain, Lookup(kKindCertChain, hierarchy, false));
  Result<VcekId> id = VcekIdForReport(report, product);
  if (id.ok()) {
    ATTEST_ASSIGN_OR_RETURN(out.vcek, Lookup(kKindVcek, VcekCacheKey(*id), false));
  }
  return out;
}

}  // namespace attest::service::collateral
