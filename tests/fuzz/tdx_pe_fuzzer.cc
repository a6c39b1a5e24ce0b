// Fuzz target: the PE reader and Authenticode digest (attest/measure/tdx_pe.h) and QEMU's setup
// header patch (tdx_kernel.h), over an untrusted kernel image.
#include <cstddef>
#include <cstdint>

#include "attest/measure/tdx_kernel.h"
#include "attest/measure/tdx_pe.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace attest::measure;  // NOLINT(google-build-using-namespace)
  const attest::ByteSpan image(data, size);
  auto pe = ParsePeImage(image);
  if (pe.ok()) {
    FUZZ_CHECK(pe->size_of_headers <= size);
    FUZZ_CHECK(pe->sections.size() <= kMaxPeSections);
    for (const PeSection& s : pe->sections) {
      FUZZ_CHECK(uint64_t{s.pointer_to_raw_data} + s.size_of_raw_data <= size);
    }
  }
  auto digest = PeAuthenticodeSha384(image);
  FUZZ_CHECK(!digest.ok() || pe.ok());
  auto memory = Q35GuestMemory(1ull << 30);
  FUZZ_CHECK(memory.ok());
  auto patched = QemuPatchedKernel(image, *memory, size % 4096,
                                   size % 3 == 0 ? std::nullopt : std::optional<size_t>(size));
  if (patched.ok()) {
    FUZZ_CHECK(patched->size() == size);
  }
  return 0;
}
