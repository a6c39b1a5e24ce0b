// TDX launch-measurement cost (attest/measure/tdx_measure.h), beside the SHA-384 it cannot avoid.
//
//   measure: MeasureTdx over a 4 MiB TDVF (3.875 MiB BFV measured into MRTD, the Debian OVMF's
//            variable store as CFV) + a 10 MiB EFI-stub kernel (the synthetic bzImage followed by
//            10 MiB of data, all hashed by Authenticode) + the runtime-capture ACPI tables
//            floor: one SHA-384 over the same firmware and kernel bytes (EVP, one call)
//   mrtd:    MeasureTdxMrtd over the 4 MiB TDVF
//            floor: one SHA-384 over the 4 MiB
// MRTD hashes a 128-byte block per 256-byte chunk besides the chunk, so its floor is out of reach
// by design (about 1.5x the bytes); the ratio says how close the rest of the work comes.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <string_view>

#include "attest/core/digest.h"
#include "attest/measure/tdx_measure.h"
#include "attest/sev/measurement.h"
#include "bench/bench_vectors.h"
#include "bench/ratio_reporter.h"

namespace attest::bench {
namespace {

constexpr size_t kFirmwareBytes = 4u << 20;
constexpr size_t kCfvBytes = 0x20000;
constexpr size_t kKernelBytes = 10u << 20;

void Put(Bytes& b, size_t at, uint64_t v, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    b[at + i] = static_cast<uint8_t>(v >> (8 * i));
  }
}

void PutGuid(Bytes& b, size_t at, std::string_view text) {
  const auto g = sev::ParseGuid(text);
  std::copy(g->begin(), g->end(), b.begin() + static_cast<ptrdiff_t>(at));
}

// FourMiBTdvf lays out a TDVF as OVMF does: CFV (the Debian variable store) then BFV, with the OVMF
// footer table and TDX metadata at the end of the BFV (attest/measure/tdx_tdvf.h).
Bytes FourMiBTdvf() {
  const Bytes debian = ReadVector("measure/tdx/inputs/debian12_OVMF.fd");
  Bytes fw(kFirmwareBytes);
  for (size_t i = 0; i < fw.size(); ++i) {
    fw[i] = static_cast<uint8_t>(i * 131 + 7);
  }
  std::copy_n(debian.begin(), kCfvBytes, fw.begin());
  const size_t descriptor = fw.size() - 0x1000;
  PutGuid(fw, descriptor - 16, "e9eaf9f3-168e-44d5-a8eb-7f4d8738f6ae");
  const struct {
    uint32_t offset, raw;
    uint64_t address, size;
    uint32_t type, attributes;
  } sections[] = {
      {kCfvBytes, kFirmwareBytes - kCfvBytes, 0x100000000 - kFirmwareBytes + kCfvBytes,
       kFirmwareBytes - kCfvBytes, 0, 1},
      {0, kCfvBytes, 0x100000000 - kFirmwareBytes, kCfvBytes, 1, 0},
      {0, 0, 0x810000, 0x10000, 3, 0},
      {0, 0, 0x80b000, 0x2000, 3, 0},
      {0, 0, 0x809000, 0x2000, 2, 0},
      {0, 0, 0x800000, 0x6000, 3, 0},
  };
  const std::string_view tdvf = "TDVF";
  std::copy(tdvf.begin(), tdvf.end(), fw.begin() + static_cast<ptrdiff_t>(descriptor));
  Put(fw, descriptor + 4, 16 + 32 * std::size(sections), 4);
  Put(fw, descriptor + 8, 1, 4);
  Put(fw, descriptor + 12, std::size(sections), 4);
  size_t at = descriptor + 16;
  for (const auto& s : sections) {
    Put(fw, at, s.offset, 4);
    Put(fw, at + 4, s.raw, 4);
    Put(fw, at + 8, s.address, 8);
    Put(fw, at + 16, s.size, 8);
    Put(fw, at + 24, s.type, 4);
    Put(fw, at + 28, s.attributes, 4);
    at += 32;
  }
  // Footer table: the TDX entry (u32 distance to the descriptor, u16 size 22, GUID) then the footer
  // (u16 table size, GUID) ending 32 bytes before the end of the image.
  const size_t footer = fw.size() - 32 - 18;
  const size_t entry = footer - 22;
  Put(fw, entry, fw.size() - descriptor, 4);
  Put(fw, entry + 4, 22, 2);
  PutGuid(fw, entry + 6, "e47a6535-984a-4798-865e-4685a7bf8ec2");
  Put(fw, footer, 22 + 18, 2);
  PutGuid(fw, footer + 2, "96b582de-1fb2-45f7-baea-a366c55a082d");
  return fw;
}

struct Inputs {
  Bytes firmware = FourMiBTdvf();
  Bytes kernel = [] {
    Bytes k = ReadVector("measure/tdx/inputs/synthetic_bzimage.efi");
    const size_t head = k.size();
    k.resize(kKernelBytes);
    for (size_t i = head; i < k.size(); ++i) {
      k[i] = static_cast<uint8_t>(i * 17);
    }
    return k;
  }();
  Bytes acpi = ReadVector("measure/tdx/acpi_tables/fortanix/runtime-capture/acpi_tables.bin");
  Bytes both = [this] {
    Bytes b = firmware;
    b.insert(b.end(), kernel.begin(), kernel.end());
    return b;
  }();
};

const Inputs& GetInputs() {
  static const Inputs* inputs = new Inputs();
  return *inputs;
}

void BM_MeasureTdx(benchmark::State& state) {
  const Inputs& in = GetInputs();
  measure::TdxBootInputs boot;
  boot.firmware = in.firmware;
  boot.kernel = in.kernel;
  boot.acpi_tables = in.acpi;
  boot.memory_bytes = 16ull << 30;
  boot.cmdline = "console=ttyS0 root=/dev/vda1";
  for (auto _ : state) {
    auto m = measure::MeasureTdx(boot, {});
    if (!m.ok()) {
      state.SkipWithError(m.status().ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(m);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in.both.size()));
}
BENCHMARK(BM_MeasureTdx)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Sha384FirmwareAndKernel(benchmark::State& state) {
  const Inputs& in = GetInputs();
  for (auto _ : state) {
    benchmark::DoNotOptimize(Sha384(in.both));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in.both.size()));
}
BENCHMARK(BM_Sha384FirmwareAndKernel)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_MeasureTdxMrtd(benchmark::State& state) {
  const Inputs& in = GetInputs();
  for (auto _ : state) {
    auto m = measure::MeasureTdxMrtd(in.firmware, measure::MrtdPageOrder::kSinglePass);
    if (!m.ok()) {
      state.SkipWithError(m.status().ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(m);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in.firmware.size()));
}
BENCHMARK(BM_MeasureTdxMrtd)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Sha384Firmware(benchmark::State& state) {
  const Inputs& in = GetInputs();
  for (auto _ : state) {
    benchmark::DoNotOptimize(Sha384(in.firmware));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in.firmware.size()));
}
BENCHMARK(BM_Sha384Firmware)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace attest::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  attest::bench::RatioReporter reporter;
  reporter.AddRatio("TDX MRTD+RTMRs (4 MiB fw, 10 MiB kernel) vs SHA-384 of the bytes",
                    "BM_MeasureTdx/real_time", "BM_Sha384FirmwareAndKernel/real_time");
  reporter.AddRatio("TDX MRTD (4 MiB fw) vs SHA-384 of the bytes", "BM_MeasureTdxMrtd/real_time",
                    "BM_Sha384Firmware/real_time");
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
