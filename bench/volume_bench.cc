// Volume creation latency: `cryptsetup luksFormat` of a fresh 32 MiB LUKS2 image with a 256-bit
// volume key, as POST /v1/volumes runs it (service/keys/volume.h FormatLuksImage), with the
// keyslot PBKDF attestd uses now (PBKDF2-SHA256, 1000 iterations) beside the one it used before
// (cryptsetup's LUKS2 default: Argon2id, benchmarked to ~2 s, up to 1 GiB of memory), in the
// same run. Needs cryptsetup; each iteration formats a new image in a temporary directory.
//
//   ./build/bench/volume_bench
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "attest/core/encoding.h"
#include "service/keys/volume.h"

namespace attest::bench {
namespace {

namespace fs = std::filesystem;
using service::keys::LuksPbkdf;

void BM_FormatLuksImage(benchmark::State& state, LuksPbkdf pbkdf) {
  const fs::path dir = fs::temp_directory_path() /
                       ("attest-volume-bench-" + HexEncode(service::keys::RandomBytes(6)));
  fs::create_directories(dir);
  service::keys::LuksOptions options;
  options.pbkdf = pbkdf;
  const Bytes key = service::keys::NewVolumeKey();
  int n = 0;
  for (auto _ : state) {
    const std::string image = (dir / (std::to_string(n++) + ".img")).string();
    const Status s =
        service::keys::FormatLuksImage(image, service::keys::kMinLuksImageBytes, key, options);
    if (!s.ok()) {
      state.SkipWithError(s.ToString().c_str());
      break;
    }
    state.PauseTiming();
    fs::remove(image);
    state.ResumeTiming();
  }
  fs::remove_all(dir);
}

// Argon2id takes seconds per format: few iterations, so the run stays under a minute.
BENCHMARK_CAPTURE(BM_FormatLuksImage, pbkdf2_1000, LuksPbkdf::kPbkdf2Minimum)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(10);
BENCHMARK_CAPTURE(BM_FormatLuksImage, argon2id_default, LuksPbkdf::kArgon2idDefault)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);

// LatencyReporter: the console table, then both latencies and their ratio on one line.
class LatencyReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.run_type == Run::RT_Iteration && run.iterations > 0) {
        ms_[run.benchmark_name()] =
            run.GetAdjustedRealTime() / benchmark::GetTimeUnitMultiplier(run.time_unit) * 1e3;
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    const auto pbkdf2 = ms_.find("BM_FormatLuksImage/pbkdf2_1000/iterations:10/real_time");
    const auto argon = ms_.find("BM_FormatLuksImage/argon2id_default/iterations:3/real_time");
    if (pbkdf2 != ms_.end() && argon != ms_.end()) {
      std::printf(
          "\nvolume creation (32 MiB LUKS2): PBKDF2-1000 %.0f ms, Argon2id default %.0f ms "
          "= %.0fx faster\n",
          pbkdf2->second, argon->second, argon->second / pbkdf2->second);
    }
  }

 private:
  std::map<std::string, double> ms_;
};

}  // namespace
}  // namespace attest::bench

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (std::system("command -v cryptsetup >/dev/null 2>&1") != 0) {
    std::fprintf(stderr, "volume_bench: cryptsetup not installed\n");
    return 1;
  }
  attest::bench::LatencyReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
