#include "service/attestd/kek_command.h"

#include <thread>

namespace attest::service::attestd {
namespace {

// Audit returns the KEK event record under the first operator tenant.
Result<store::AuditRecord> Audit(store::Store& store, const std::string& action,
                                 const std::string& subject, const std::string& outcome,
                                 const std::string& detail, TimePoint at) {
  ATTEST_ASSIGN_OR_RETURN(const std::string tenant, store.KekAuditTenant());
  store::AuditRecord r;
  r.tenant_id = tenant;
  r.at = at;
  r.actor = "system";
  r.action = action;
  r.subject = subject;
  r.outcome = outcome;
  r.detail = detail;
  return r;
}

Status AppendKekAudit(store::Store& store, const std::string& action, const std::string& subject,
                      const std::string& outcome, const std::string& detail, TimePoint at) {
  ATTEST_ASSIGN_OR_RETURN(const store::AuditRecord r,
                          Audit(store, action, subject, outcome, detail, at));
  return store.AppendAudit(r).status();
}

std::string Join(const std::vector<std::string>& ids) {
  std::string out;
  for (const std::string& id : ids) {
    out += (out.empty() ? "" : ",") + id;
  }
  return out.empty() ? "(none)" : out;
}

// RowsNotUnder counts the rows whose recorded KEK is not kek_id.
Result<int64_t> RowsNotUnder(store::Store& store, const std::string& kek_id) {
  ATTEST_ASSIGN_OR_RETURN(const std::vector<store::KekRowCount> counts, store.CountByKek());
  int64_t n = 0;
  for (const store::KekRowCount& c : counts) {
    n += c.kek_id == kek_id ? 0 : c.rows;
  }
  return n;
}

}  // namespace

Status RotateKek(store::Store& store, const keys::KeyRing& ring, const KekRotateOptions& options,
                 const std::function<TimePoint()>& now, std::ostream& out) {
  const std::string& to = ring.key_id();
  ATTEST_ASSIGN_OR_RETURN(const int64_t left, RowsNotUnder(store, to));
  const std::string what = "to=" + to + " previous=" + Join(ring.previous_ids());
  ATTEST_RETURN_IF_ERROR(AppendKekAudit(store, "kek.rotate", to, "started",
                                        what + " rows_left=" + std::to_string(left), now()));
  out << "kek rotate: " << left << " row(s) to re-wrap under " << to << std::endl;
  int64_t total = 0;
  for (int64_t batch_number = 1;; ++batch_number) {
    ATTEST_ASSIGN_OR_RETURN(
        store::AuditRecord progress,
        Audit(store, "kek.rotate", to, "progress", "batch=" + std::to_string(batch_number), now()));
    Result<store::RewrapBatchResult> batch = store.RewrapBatch(ring, options.batch_size, progress);
    if (!batch.ok()) {
      // Best effort: the error is what the operator must see, whether or not this entry lands.
      (void)AppendKekAudit(store, "kek.rotate", to, "failed", batch.status().ToString(), now());
      return batch.status();
    }
    if (batch->examined == 0) {
      break;
    }
    total += batch->rewrapped;
    out << "kek rotate: batch " << batch_number << ": re-wrapped " << batch->rewrapped << " of "
        << batch->examined << " (" << total << " so far)" << std::endl;
    if (options.pause.count() > 0) {
      std::this_thread::sleep_for(options.pause);
    }
  }
  ATTEST_RETURN_IF_ERROR(AppendKekAudit(store, "kek.rotate", to, "done",
                                        what + " rewrapped=" + std::to_string(total), now()));
  out << "kek rotate: done, " << total << " row(s) re-wrapped; every row is under " << to
      << std::endl;
  return options.retire ? RetireKek(store, ring, "", now, out) : Status::Ok();
}

Status RetireKek(store::Store& store, const keys::KeyRing& ring, const std::string& kek_id,
                 const std::function<TimePoint()>& now, std::ostream& out) {
  const std::vector<std::string> ids =
      kek_id.empty() ? ring.previous_ids() : std::vector<std::string>{kek_id};
  if (ids.empty()) {
    return Status(reasons::kStoreInvalidArgument,
                  "no previous KEK configured: nothing to retire (name one with --kek-id)");
  }
  for (const std::string& id : ids) {
    ATTEST_ASSIGN_OR_RETURN(
        store::AuditRecord audit,
        Audit(store, "kek.retire", id, "ok", "no row needs it; current=" + ring.key_id(), now()));
    ATTEST_RETURN_IF_ERROR(store.RetireKek(id, ring.key_id(), audit));
    out << "kek retire: " << id
        << " is retired: remove it from previous_keks and destroy it (and the backups it still "
           "opens) when your retention allows"
        << std::endl;
  }
  return Status::Ok();
}

Status PrintKekStatus(store::Store& store, const keys::KeyRing& ring, std::ostream& out) {
  out << "current: " << ring.key_id() << "\n";
  for (const std::string& id : ring.previous_ids()) {
    ATTEST_ASSIGN_OR_RETURN(const bool retired, store.IsKekRetired(id));
    out << "previous: " << id << (retired ? " (retired)" : "") << "\n";
  }
  ATTEST_ASSIGN_OR_RETURN(const std::vector<store::KekRowCount> counts, store.CountByKek());
  for (const store::KekRowCount& c : counts) {
    out << "rows: " << c.kind << " "
        << (c.kek_id.empty() ? "(unrecorded: sealed before schema 14)" : c.kek_id) << " " << c.rows
        << "\n";
  }
  ATTEST_ASSIGN_OR_RETURN(const int64_t left, RowsNotUnder(store, ring.key_id()));
  out << "to re-wrap: " << left << std::endl;
  return Status::Ok();
}

Result<std::vector<std::string>> CheckKeksAtStart(store::Store& store, const keys::KeyRing& ring) {
  ATTEST_ASSIGN_OR_RETURN(const bool current_retired, store.IsKekRetired(ring.key_id()));
  if (current_retired) {
    return Status(reasons::kStoreKekRetired,
                  "the configured KEK \"" + ring.key_id() +
                      "\" was retired (attestd kek retire): configure the KEK that replaced it");
  }
  std::vector<std::string> warnings;
  for (const std::string& id : ring.previous_ids()) {
    ATTEST_ASSIGN_OR_RETURN(const bool retired, store.IsKekRetired(id));
    if (retired) {
      warnings.push_back("previous KEK " + id +
                         " is retired and no row needs it: remove it from previous_keks");
    }
  }
  return warnings;
}

}  // namespace attest::service::attestd
