// `attestd kek`: KEK rotation for the operator (issue 17 #14). With the new KEK configured as the
// current one and the old one under previous_keks (and every replica restarted with that
// configuration, so all read both and write only the new one), `attestd kek rotate` re-wraps
// every sealed row under the new KEK in batches while attestd keeps serving; `attestd kek
// retire` then records the old KEK as retired once no row needs it, and it can be removed from
// the configuration and destroyed. Start, progress and end go to the audit log (tenant: the
// first operator; actor "system"; actions kek.rotate and kek.retire).
#pragma once

#include <chrono>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "attest/core/status.h"
#include "attest/core/time.h"
#include "service/keys/key_ring.h"
#include "service/store/store.h"

namespace attest::service::attestd {

struct KekRotateOptions {
  int64_t batch_size = 100;  // rows per transaction
  // pause between batches: spreads the rotation's load on a busy database (and gives the
  // crash test a "mid-rotation" to kill).
  std::chrono::milliseconds pause{0};
  bool retire = false;  // retire every previous KEK once the rotation is done
};

// RotateKek re-wraps, batch after batch, every row not yet under ring's current KEK, reporting
// each batch on out, until none is left (a run after a crash resumes with what is left). Fails
// with the batch's error (keys.kek_unknown for a row under a KEK the configuration lacks),
// audited as such; what earlier batches did stays done.
Status RotateKek(store::Store& store, const keys::KeyRing& ring, const KekRotateOptions& options,
                 const std::function<TimePoint()>& now, std::ostream& out);

// RetireKek retires kek_id ("" = every previous KEK of ring): store.kek_in_use while a row still
// needs it (or for the current KEK).
Status RetireKek(store::Store& store, const keys::KeyRing& ring, const std::string& kek_id,
                 const std::function<TimePoint()>& now, std::ostream& out);

// PrintKekStatus writes the configured KEKs and how many rows of each kind each wraps.
Status PrintKekStatus(store::Store& store, const keys::KeyRing& ring, std::ostream& out);

// CheckKeksAtStart refuses a retired KEK as the current one (store.kek_retired) and returns a
// warning for each retired previous KEK still configured.
Result<std::vector<std::string>> CheckKeksAtStart(store::Store& store, const keys::KeyRing& ring);

}  // namespace attest::service::attestd
