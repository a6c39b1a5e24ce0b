// Fuzzes the OVMF footer table reader (attest/sev/ovmf.h) that the SEV-ES VMSA model and the
// kernel-hashes check read from an untrusted firmware image.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "attest/sev/ovmf.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const attest::ByteSpan fw(data, size);
  auto table = attest::sev::ParseOvmfFooterTable(fw);
  if (table.ok()) {
    for (const auto& entry : *table) {
      // Every entry lies inside the image.
      if (entry.data.data() < data || entry.data.data() + entry.data.size() > data + size) {
        std::abort();
      }
    }
  }
  (void)attest::sev::OvmfSevEsResetAddress(fw);
  (void)attest::sev::OvmfSupportsKernelHashes(fw);
  return 0;
}
