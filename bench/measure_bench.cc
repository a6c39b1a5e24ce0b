// Expected SEV-SNP launch digest of a 4 MiB firmware and a 10 MiB direct-boot kernel (what
// `attestctl measure` and the measurements endpoint compute), beside the hashing no calculator can
// avoid on the same bytes.
//
//   snp launch digest: SHA-256 of the kernel, initrd and cmdline (the kernel hash table), then
//         SHA-384 of every firmware page plus one SHA-384 PAGE_INFO update per measured page
//         (1024 firmware pages, the AmdSev fixture's sections, 4 VMSAs)
//   floor: SHA-384 over the 4 MiB firmware in one call + SHA-256 over the 10 MiB kernel in one call
//   The floor's two halves are also timed alone.
#include <benchmark/benchmark.h>

#include <algorithm>

#include "attest/core/digest.h"
#include "attest/measure/sev_launch.h"
#include "bench/bench_vectors.h"
#include "bench/ratio_reporter.h"

namespace attest::bench {
namespace {

constexpr size_t kFirmwareBytes = 4u << 20;
constexpr size_t kKernelBytes = 10u << 20;

struct Inputs {
  Bytes firmware;
  Bytes kernel;
  Inputs() : firmware(kFirmwareBytes), kernel(kKernelBytes) {
    // The AmdSev fixture (footer table, SEV metadata, kernel hash table) ends the image, as the
    // last 4 KiB of a real AmdSevX64 build; the rest and the kernel are filler bytes.
    const Bytes suffix = ReadVector("measure/snp/fixtures/ovmf_AmdSev_suffix.bin");
    for (size_t i = 0; i < firmware.size(); ++i) {
      firmware[i] = static_cast<uint8_t>(i * 131 + 7);
    }
    std::copy(suffix.begin(), suffix.end(), firmware.end() - static_cast<long>(suffix.size()));
    for (size_t i = 0; i < kernel.size(); ++i) {
      kernel[i] = static_cast<uint8_t>(i * 7 + 3);
    }
  }
};

const Inputs& GetInputs() {
  static const Inputs* inputs = new Inputs();
  return *inputs;
}

void BM_SnpLaunchDigest(benchmark::State& state) {
  const Inputs& in = GetInputs();
  for (auto _ : state) {
    auto kernel = measure::HashBootInputs(in.kernel, std::nullopt, "console=ttyS0");
    measure::SevLaunchInput launch;
    launch.firmware = in.firmware;
    launch.kernel = *kernel;
    launch.num_vcpus = 4;
    launch.cpu_signature = 0x800f12;
    auto digest = measure::ComputeSevLaunchDigest(launch);
    if (!digest.ok()) {
      state.SkipWithError(digest.status().ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(digest);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(kFirmwareBytes + kKernelBytes));
}
BENCHMARK(BM_SnpLaunchDigest)->MeasureProcessCPUTime()->UseRealTime();

void BM_FloorSha384FirmwareSha256Kernel(benchmark::State& state) {
  const Inputs& in = GetInputs();
  for (auto _ : state) {
    benchmark::DoNotOptimize(Sha384(in.firmware));
    benchmark::DoNotOptimize(Sha256(in.kernel));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(kFirmwareBytes + kKernelBytes));
}
BENCHMARK(BM_FloorSha384FirmwareSha256Kernel)->MeasureProcessCPUTime()->UseRealTime();

void BM_FloorSha384Firmware(benchmark::State& state) {
  const Inputs& in = GetInputs();
  for (auto _ : state) {
    benchmark::DoNotOptimize(Sha384(in.firmware));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(kFirmwareBytes));
}
BENCHMARK(BM_FloorSha384Firmware)->MeasureProcessCPUTime()->UseRealTime();

void BM_FloorSha256Kernel(benchmark::State& state) {
  const Inputs& in = GetInputs();
  for (auto _ : state) {
    benchmark::DoNotOptimize(Sha256(in.kernel));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(kKernelBytes));
}
BENCHMARK(BM_FloorSha256Kernel)->MeasureProcessCPUTime()->UseRealTime();

}  // namespace
}  // namespace attest::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  attest::bench::RatioReporter reporter;
  reporter.AddRatio("snp launch digest (4 MiB firmware + 10 MiB kernel) vs SHA-384 + SHA-256 floor",
                    "BM_SnpLaunchDigest/process_time/real_time",
                    "BM_FloorSha384FirmwareSha256Kernel/process_time/real_time");
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
