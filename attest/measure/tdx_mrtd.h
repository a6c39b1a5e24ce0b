// MRTD: the TDX module's SHA-384 over the build of the TD's initial memory (Intel TDX Module ABI
// spec, TDH.MEM.PAGE.ADD and TDH.MR.EXTEND): per added page a 128-byte block "MEM.PAGE.ADD" with
// the page's GPA at offset 16; per measured 256-byte chunk a block "MR.EXTEND" with the chunk's
// GPA at offset 16, followed by the chunk itself.
#pragma once

#include "attest/core/bytes.h"
#include "attest/core/digest.h"
#include "attest/measure/tdx_tdvf.h"

namespace attest::measure {

enum class MrtdPageOrder {
  // Per page: PAGE.ADD, then its 16 MR.EXTENDs (upstream KVM/QEMU; what current TDX hosts show).
  kSinglePass,
  // Per section: every PAGE.ADD, then every MR.EXTEND (older QEMU trees, dstack's TwoPass).
  kTwoPass,
};

// ComputeMrtd returns MRTD for the image and its parsed metadata (which must come from
// ParseTdvfMetadata over the same bytes: every section is then inside the image). Memory past a
// section's raw data is zero, as the VMM leaves it.
Sha384Digest ComputeMrtd(ByteSpan firmware, const TdvfMetadata& metadata, MrtdPageOrder order);

}  // namespace attest::measure
