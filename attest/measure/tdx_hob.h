// The TD HOB: the hand-off block list QEMU writes into the TDVF's TD_HOB section before launch
// (QEMU hw/i386/tdvf-hob.c; UEFI PI spec volume 3, HOB definitions), which OVMF measures into
// RTMR0 as its first event. It describes the guest's RAM: the TD_HOB and TEMP_MEM ranges as
// accepted system memory, everything else as unaccepted memory.
#pragma once

#include <cstdint>

#include "attest/core/bytes.h"
#include "attest/core/status.h"
#include "attest/measure/tdx_tdvf.h"

namespace attest::measure {

// Guest RAM as QEMU's q35 machine splits it around the 32-bit PCI hole (hw/i386/pc_q35.c).
struct GuestMemory {
  uint64_t below_4g_bytes = 0;
  uint64_t above_4g_bytes = 0;
};

inline constexpr uint64_t kMaxGuestMemoryBytes = 1ull << 46;  // 64 TiB

// Q35GuestMemory splits memory_bytes as q35 does: at most 2 GiB below 4 GiB when the guest has
// 2.75 GiB or more, else up to 2.75 GiB. Fails with measure.memory_invalid (zero, not a multiple of
// 4 KiB, above 64 TiB).
Result<GuestMemory> Q35GuestMemory(uint64_t memory_bytes);

// BuildTdHobMeasured returns the TD HOB bytes OVMF measures: the handoff-info table and one
// resource descriptor per RAM range, without the end-of-list HOB. Fails with
// measure.tdvf_section_invalid (no TD_HOB section), measure.memory_invalid (a TD_HOB or TEMP_MEM
// section outside RAM below 4 GiB), measure.tdvf_hob_overflow (the list does not fit its section).
Result<Bytes> BuildTdHobMeasured(const TdvfMetadata& metadata, const GuestMemory& memory);

}  // namespace attest::measure
