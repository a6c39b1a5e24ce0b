// What POST /v1/vms adds for a VM created from a boot image (service/api/vm_measurement.h): the
// expected SNP launch measurement from the stored image's digests, beside the calculator alone
// over the same already-hashed inputs (the floor: attestd adds only reading the stored hex).
//
//   expected: ComputeExpectedMeasurement, SNP, the AmdSev OVMF fixture, 1 EPYC-v4 vCPU, the
//             shared kernel + initrd + command line given by their stored SHA-256
//   floor:    measure::ComputeSevLaunchDigest over the same firmware and kernel hashes
#include <benchmark/benchmark.h>

#include <memory>

#include "attest/core/digest.h"
#include "attest/core/encoding.h"
#include "attest/measure/sev_launch.h"
#include "bench/bench_vectors.h"
#include "bench/ratio_reporter.h"
#include "service/api/vm_measurement.h"

namespace attest::bench {
namespace {

struct Inputs {
  service::api::MeasurementFirmware firmware;
  service::api::MeasuredBoot boot;
  service::api::MeasurementChoice choice;
  sev::KernelHashes hashes;
};

const Inputs& Shared() {
  static const Inputs* in = [] {
    auto* i = new Inputs;
    i->firmware.amd =
        std::make_shared<const Bytes>(ReadVector("measure/snp/fixtures/ovmf_AmdSev_suffix.bin"));
    const Bytes kernel = ReadVector("measure/snp/inputs/kernel.bin");
    const Bytes initrd = ReadVector("measure/snp/inputs/initrd.bin");
    i->boot.kernel_path = "kernel.bin";
    i->boot.kernel_sha256 = HexEncode(Sha256(kernel));
    i->boot.initrd_path = "initrd.bin";
    i->boot.initrd_sha256 = HexEncode(Sha256(initrd));
    i->boot.cmdline = "console=ttyS0 root=/dev/vda1";
    i->choice.vcpus = 1;
    i->choice.cpu_signature = measure::VcpuSignatureForType("EPYC-v4").value();
    i->hashes = measure::HashBootInputs(kernel, ByteSpan(initrd), i->boot.cmdline).value();
    return i;
  }();
  return *in;
}

void BM_ExpectedSnpMeasurement(benchmark::State& state) {
  const Inputs& in = Shared();
  for (auto _ : state) {
    auto m = service::api::ComputeExpectedMeasurement(in.firmware, "snp", in.boot, in.choice);
    benchmark::DoNotOptimize(m);
  }
}
BENCHMARK(BM_ExpectedSnpMeasurement)->MeasureProcessCPUTime()->UseRealTime();

void BM_FloorSnpLaunchDigest(benchmark::State& state) {
  const Inputs& in = Shared();
  measure::SevLaunchInput input;
  input.mode = measure::SevMode::kSnp;
  input.firmware = *in.firmware.amd;
  input.num_vcpus = 1;
  input.cpu_signature = in.choice.cpu_signature;
  input.kernel = in.hashes;
  for (auto _ : state) {
    auto d = measure::ComputeSevLaunchDigest(input);
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_FloorSnpLaunchDigest)->MeasureProcessCPUTime()->UseRealTime();

}  // namespace
}  // namespace attest::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  attest::bench::RatioReporter reporter;
  reporter.AddRatio("expected SNP measurement of a boot image vs the calculator alone",
                    "BM_ExpectedSnpMeasurement/process_time/real_time",
                    "BM_FloorSnpLaunchDigest/process_time/real_time");
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
