#include "service/store/collateral_cache_store.h"

#include "service/store/sql_row.h"

namespace attest::service::store {
namespace {

constexpr ColumnList kItem(
    "kind, key, value, origin, fetched_at, issued_at, next_update, evaluation, last_error, "
    "attempted_at");

Result<CachedCollateral> ReadItem(const Row& row) {
  CachedCollateral c;
  c.kind = row.Text(kItem["kind"]);
  c.key = row.Text(kItem["key"]);
  c.value = row.Blob(kItem["value"]);
  c.origin = row.Text(kItem["origin"]);
  ATTEST_ASSIGN_OR_RETURN(c.fetched_at, row.Time(kItem["fetched_at"]));
  ATTEST_ASSIGN_OR_RETURN(c.issued_at, row.Time(kItem["issued_at"]));
  ATTEST_ASSIGN_OR_RETURN(c.next_update, row.Time(kItem["next_update"]));
  ATTEST_ASSIGN_OR_RETURN(c.evaluation, row.Int(kItem["evaluation"]));
  c.last_error = row.Text(kItem["last_error"]);
  ATTEST_ASSIGN_OR_RETURN(c.attempted_at, row.Time(kItem["attempted_at"]));
  return c;
}

std::string Select() { return std::string("SELECT ") + kItem.sql() + " FROM collateral_cache"; }

}  // namespace

Result<bool> CollateralCacheStore::PutCachedCollateral(const CachedCollateral& item) {
  if (item.kind.empty() || item.key.empty() || item.value.empty()) {
    return Status(reasons::kStoreInvalidArgument, "collateral kind, key and value are required");
  }
  // The WHERE of DO UPDATE is the rollback rule: a wanted row (NULL value) is always replaced; a
  // cached item only by one at least as new. RETURNING says whether the row was written.
  ATTEST_ASSIGN_OR_RETURN(
      auto rows,
      db_->Exec("INSERT INTO collateral_cache (kind, key, value, origin, fetched_at, issued_at, "
                "next_update, evaluation, last_error, attempted_at) VALUES ($1, $2, $3, $4, $5, "
                "$6, $7, $8, '', $5) ON CONFLICT (kind, key) DO UPDATE SET value = "
                "excluded.value, origin = excluded.origin, fetched_at = excluded.fetched_at, "
                "issued_at = excluded.issued_at, next_update = excluded.next_update, evaluation "
                "= excluded.evaluation, last_error = '', attempted_at = excluded.attempted_at "
                "WHERE collateral_cache.value IS NULL OR collateral_cache.evaluation < "
                "excluded.evaluation OR (collateral_cache.evaluation = excluded.evaluation AND "
                "collateral_cache.issued_at <= excluded.issued_at) RETURNING key",
                {item.kind, item.key, item.value, item.origin, Unix(item.fetched_at),
                 Unix(item.issued_at), Unix(item.next_update), item.evaluation}));
  return rows.size() == 1;
}

Result<CachedCollateral> CollateralCacheStore::GetCachedCollateral(const std::string& kind,
                                                                   const std::string& key) {
  ATTEST_ASSIGN_OR_RETURN(auto result,
                          db_->Exec(Select() + " WHERE kind = $1 AND key = $2", {kind, key}));
  ATTEST_ASSIGN_OR_RETURN(const Rows rows, Rows::Of(result, kItem));
  if (rows.empty()) {
    return NotFound("collateral", kind + " " + key);
  }
  return ReadItem(rows[0]);
}

Status CollateralCacheStore::WantCollateral(const std::string& kind, const std::string& key,
                                            TimePoint now) {
  if (kind.empty() || key.empty()) {
    return Status(reasons::kStoreInvalidArgument, "collateral kind and key are required");
  }
  return db_
      ->Exec(
          "INSERT INTO collateral_cache (kind, key, value, origin, fetched_at, issued_at, "
          "next_update, evaluation, last_error, attempted_at) VALUES ($1, $2, NULL, 'want', "
          "$3, 0, 0, 0, '', 0) ON CONFLICT (kind, key) DO NOTHING",
          {kind, key, Unix(now)})
      .status();
}

Result<std::vector<CachedCollateral>> CollateralCacheStore::DueCollateral(
    TimePoint now, std::chrono::seconds ahead, std::chrono::seconds min_retry, int limit,
    TimePoint fetched_before, const std::vector<std::string>& aged_kinds) {
  std::vector<SqlValue> params = {Unix(now + ahead), Unix(now - min_retry), int64_t{limit}};
  std::string aged = "FALSE";
  if (!aged_kinds.empty() && fetched_before != TimePoint::min()) {
    params.emplace_back(Unix(fetched_before));
    aged = "(fetched_at < $4 AND kind IN (";
    for (size_t i = 0; i < aged_kinds.size(); ++i) {
      params.emplace_back(aged_kinds[i]);
      aged += (i == 0 ? "$" : ", $") + std::to_string(params.size());
    }
    aged += "))";
  }
  ATTEST_ASSIGN_OR_RETURN(auto result,
                          db_->Exec(Select() + " WHERE (next_update <= $1 OR " + aged +
                                        ") AND attempted_at <= $2 ORDER BY next_update, kind, "
                                        "key LIMIT $3",
                                    params));
  ATTEST_ASSIGN_OR_RETURN(const Rows rows, Rows::Of(result, kItem));
  return rows.Map(ReadItem);
}

Status CollateralCacheStore::RecordCollateralAttempt(const std::string& kind,
                                                     const std::string& key,
                                                     const std::string& error, TimePoint now) {
  return db_
      ->Exec(
          "UPDATE collateral_cache SET last_error = $3, attempted_at = $4 WHERE kind = $1 AND "
          "key = $2",
          {kind, key, error, Unix(now)})
      .status();
}

Result<std::vector<CachedCollateral>> CollateralCacheStore::ListCachedCollateral() {
  ATTEST_ASSIGN_OR_RETURN(auto result, db_->Exec(Select() + " ORDER BY kind, key"));
  ATTEST_ASSIGN_OR_RETURN(const Rows rows, Rows::Of(result, kItem));
  return rows.Map(ReadItem);
}

Result<bool> CollateralCacheStore::AcquireLease(const std::string& name, const std::string& holder,
                                                TimePoint now, std::chrono::seconds ttl) {
  ATTEST_ASSIGN_OR_RETURN(
      auto rows,
      db_->Exec("INSERT INTO collateral_leases (name, holder, expires_at) VALUES ($1, $2, $3) ON "
                "CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = "
                "excluded.expires_at WHERE collateral_leases.expires_at <= $4 OR "
                "collateral_leases.holder = excluded.holder RETURNING holder",
                {name, holder, Unix(now + ttl), Unix(now)}));
  return rows.size() == 1;
}

Status CollateralCacheStore::ReleaseLease(const std::string& name, const std::string& holder) {
  return db_
      ->Exec("UPDATE collateral_leases SET expires_at = 0 WHERE name = $1 AND holder = $2",
             {name, holder})
      .status();
}

}  // namespace attest::service::store
