// Fuzz target: the TDVF metadata reader (attest/measure/tdx_tdvf.h) and what reads the sections it
// accepts: MRTD, the TD HOB builder and the CFV variable-store reader.
#include <cstddef>
#include <cstdint>

#include "attest/measure/tdx_efi_vars.h"
#include "attest/measure/tdx_hob.h"
#include "attest/measure/tdx_mrtd.h"
#include "attest/measure/tdx_tdvf.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace attest::measure;  // NOLINT(google-build-using-namespace)
  const attest::ByteSpan fw(data, size);
  auto meta = ParseTdvfMetadata(fw);
  if (!meta.ok()) {
    return 0;
  }
  uint64_t memory = 0;
  for (const TdvfSection& s : meta->sections) {
    FUZZ_CHECK(uint64_t{s.data_offset} + s.raw_data_size <= size);
    FUZZ_CHECK(s.raw_data_size <= s.memory_data_size);
    memory += s.memory_data_size;
    if (s.type == TdvfSectionType::kCfv) {
      (void)ReadSecureBootVariables(fw.subspan(s.data_offset, s.raw_data_size));
    }
  }
  FUZZ_CHECK(memory <= kMaxTdvfMemoryBytes);
  if (memory <= (16u << 20)) {  // larger images are valid but too slow to hash in a fuzz loop
    (void)ComputeMrtd(fw, *meta, MrtdPageOrder::kSinglePass);
  }
  auto guest = Q35GuestMemory(1ull << 30);
  FUZZ_CHECK(guest.ok());
  auto hob = BuildTdHobMeasured(*meta, *guest);
  if (hob.ok()) {
    FUZZ_CHECK(hob->size() >= 56 && (hob->size() - 56) % 48 == 0);
  }
  return 0;
}
