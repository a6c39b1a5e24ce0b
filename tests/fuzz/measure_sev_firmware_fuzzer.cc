// Fuzzes the SEV metadata reader of attest/measure (ParseSevFirmware) and the SEV-SNP / SEV-ES
// launch digests computed from what it returns: a firmware image is the operator's, but it is
// still bytes from outside.
#include <cstddef>
#include <cstdint>

#include "attest/measure/sev_launch.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using attest::measure::SevMetadataSection;
using attest::measure::SevSectionType;

void CheckSection(const SevMetadataSection& s) {
  FUZZ_CHECK(s.size != 0 && s.gpa % 4096 == 0 && s.size % 4096 == 0);
  FUZZ_CHECK(uint64_t{s.gpa} + s.size <= (uint64_t{1} << 32));
  if (s.type == SevSectionType::kSnpSecrets || s.type == SevSectionType::kCpuid) {
    FUZZ_CHECK(s.size == 4096);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const attest::ByteSpan image(data, size);
  auto fw = attest::measure::ParseSevFirmware(image);
  if (!fw.ok()) {
    FUZZ_CHECK(fw.status().reason_id().rfind("measure.ovmf_", 0) == 0);
    return 0;
  }
  if (fw->sections) {
    FUZZ_CHECK(!fw->sections->empty() && fw->sections->size() <= attest::measure::kMaxSevSections);
    for (const SevMetadataSection& s : *fw->sections) {
      CheckSection(s);
    }
  }
  // Every mode over the same image, with a kernel and two vCPUs: a digest or a measure.* reason.
  const attest::sev::KernelHashes kernel{};
  for (const auto mode : {attest::measure::SevMode::kSev, attest::measure::SevMode::kSevEs,
                          attest::measure::SevMode::kSnp}) {
    attest::measure::SevLaunchInput in;
    in.mode = mode;
    in.firmware = image;
    in.num_vcpus = 2;
    in.cpu_signature = 0x800f12;
    in.kernel = kernel;
    auto digest = attest::measure::ComputeSevLaunchDigest(in);
    if (digest.ok()) {
      FUZZ_CHECK(digest->size() == (mode == attest::measure::SevMode::kSnp ? 48u : 32u));
    } else {
      FUZZ_CHECK(digest.status().reason_id().rfind("measure.", 0) == 0);
    }
  }
  return 0;
}
