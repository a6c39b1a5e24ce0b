#include "service/store/collateral_store.h"

#include "service/store/sql_row.h"

namespace attest::service::store {
namespace {

constexpr ColumnList kCollateral("value, fetched_at");

}  // namespace

Status CollateralStore::PutCollateral(const std::string& caller_tenant, const std::string& key,
                                      const Bytes& value, TimePoint fetched_at) {
  if (key.empty()) {
    return Status(reasons::kStoreInvalidArgument, "collateral key is empty");
  }
  return db_
      ->Exec(
          "INSERT INTO collateral (tenant_id, key, value, fetched_at) VALUES ($1, $2, "
          "$3, $4) ON CONFLICT (tenant_id, key) DO UPDATE SET value = excluded.value, "
          "fetched_at = excluded.fetched_at",
          {caller_tenant, key, value, Unix(fetched_at)})
      .status();
}

Result<CollateralEntry> CollateralStore::GetCollateral(const std::string& caller_tenant,
                                                       const std::string& key) {
  ATTEST_ASSIGN_OR_RETURN(auto result, db_->Exec(std::string("SELECT ") + kCollateral.sql() +
                                                     " FROM collateral WHERE tenant_id = $1 AND "
                                                     "key = $2",
                                                 {caller_tenant, key}));
  ATTEST_ASSIGN_OR_RETURN(const Rows rows, Rows::Of(result, kCollateral));
  if (rows.empty()) {
    return NotFound("collateral", key);
  }
  CollateralEntry e{rows[0].Blob(kCollateral["value"]), {}};
  ATTEST_ASSIGN_OR_RETURN(e.fetched_at, rows[0].Time(kCollateral["fetched_at"]));
  return e;
}

}  // namespace attest::service::store
