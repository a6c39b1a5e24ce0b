#include "service/store/replay_store.h"

#include "service/store/reasons.h"
#include "service/store/sql_row.h"

namespace attest::service::store {

Status ReplayStore::RecordSignature(const std::string& signature, TimePoint expires_at,
                                    TimePoint now) {
  // One statement: exactly one caller inserts the row (or takes over an expired one); the others
  // conflict and get no row back. Expired rows are otherwise left to NonceStore::PurgeExpired:
  // deleting them here, on every signed write, made every writer of every replica contend for
  // the same few expired rows (PostgreSQL: tuple locks, dead index entries walked again and
  // again), which stalled a 10,000-host fleet for up to a second at a time (issue 21).
  ATTEST_ASSIGN_OR_RETURN(
      auto rows, db_->Exec("INSERT INTO request_signatures (signature, expires_at) VALUES ($1, $2) "
                           "ON CONFLICT (signature) DO UPDATE SET expires_at = excluded.expires_at "
                           "WHERE request_signatures.expires_at <= $3 RETURNING signature",
                           {signature, Unix(expires_at), Unix(now)}));
  if (rows.size() != 1) {
    return Status(reasons::kStoreRequestReplayed,
                  "this signed request was already accepted; sign each request anew");
  }
  return Status::Ok();
}

}  // namespace attest::service::store
