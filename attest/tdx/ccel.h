// CCEL: the TDX confidential-computing event log (ACPI CCEL table's log area), read and replayed
// into RTMR values.
//
// Format: TCG PC Client Platform Firmware Profile, section 10.2 (crypto-agile log): a first
// TCG_PCClientPCREvent in SHA-1 form carrying the "Spec ID Event03" header (the digest sizes per
// algorithm), then TCG_PCR_EVENT2 records. In a CCEL the index field is the MR index (UEFI
// EFI_CC_MEASUREMENT_PROTOCOL): 0 = MRTD, 1..4 = RTMR0..3. The unused tail of the area is 0xff
// (or zero) filled.
//
// This is a deliberately small, self-contained reader: the TPM event-log parser in attest/tpm/
// reads the same record format and the two should be unified once both are merged.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "attest/core/bytes.h"
#include "attest/core/status.h"
#include "attest/tdx/reasons.h"
#include "attest/tdx/wire.h"

namespace attest::tdx {

struct CcelEvent {
  uint32_t mr_index = 0;
  uint32_t event_type = 0;
  Bytes48 sha384{};
};

struct CcelReplay {
  std::array<Bytes48, 4> rtmr{};  // replayed RTMR0..3
  std::vector<CcelEvent> events;  // every event that carried a SHA-384 digest, in order
};

// ReplayCcel parses the log and extends SHA-384 digests into RTMR0..3 (EV_NO_ACTION events are
// not extended). Fails with tdx.ccel_malformed (truncation, no SHA-384 in the header, an unknown
// algorithm, an MR index above 4, too many events).
Result<CcelReplay> ReplayCcel(ByteSpan log);

// ExtendRtmr returns SHA-384(rtmr || digest), what TDG.MR.RTMR.EXTEND does: ReplayCcel uses it for
// a guest's log and attest/measure for the events it predicts, so both replay the same way.
Bytes48 ExtendRtmr(const Bytes48& rtmr, const Bytes48& digest);

// CheckRtmrs fails with tdx.rtmr_mismatch naming the first RTMR whose replay differs from the
// quote's TD report.
Status CheckRtmrs(const CcelReplay& replay, const TdReport& report);

}  // namespace attest::tdx
