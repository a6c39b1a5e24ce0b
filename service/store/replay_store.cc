#include "service/store/replay_store.h"

#include "service/store/reasons.h"
#include "service/store/sql_row.h"

namespace attest::service::store {

Status ReplayStore::RecordSignature(const std::string& signature, TimePoint expires_at,
                                    TimePoint now) {
  ATTEST_RETURN_IF_ERROR(
      db_->Exec("DELETE FROM request_signatures WHERE expires_at <= $1", {Unix(now)}).status());
  // One statement: exactly one caller inserts the row; the others conflict and get no row back.
  ATTEST_ASSIGN_OR_RETURN(
      auto rows, db_->Exec("INSERT INTO request_signatures (signature, expires_at) VALUES ($1, $2) "
                           "ON CONFLICT (signature) DO NOTHING RETURNING signature",
                           {signature, Unix(expires_at)}));
  if (rows.size() != 1) {
    return Status(reasons::kStoreRequestReplayed,
                  "this signed request was already accepted; sign each request anew");
  }
  return Status::Ok();
}

}  // namespace attest::service::store
