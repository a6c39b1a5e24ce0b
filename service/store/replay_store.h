// ReplayStore: signed requests accepted once. attestd records the signature of every signed
// request that may change something, for as long as the signature could be accepted again (its
// SigV4 time window); a second request with the same signature within that time is a replay.
#pragma once

#include <string>

#include "attest/core/status.h"
#include "attest/core/time.h"
#include "service/store/sql.h"

namespace attest::service::store {

// ReplayStore reads and writes request_signatures over one connection (a view: it does not own
// db).
class ReplayStore {
 public:
  explicit ReplayStore(SqlConnection* db) : db_(db) {}

  // RecordSignature records signature until expires_at, for exactly one caller, also across
  // replicas (the primary key decides): every other caller with the same signature before
  // expires_at fails with reasons::kStoreRequestReplayed. A record that expired by now no longer
  // counts; NonceStore::PurgeExpired deletes expired records in batches.
  Status RecordSignature(const std::string& signature, TimePoint expires_at, TimePoint now);

 private:
  SqlConnection* db_;
};

}  // namespace attest::service::store
