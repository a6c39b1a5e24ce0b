// The collateral cache on the key-release hot path (SQLite, as attestd's default runs it): what a
// TDX attest adds to find its platform's collateral (CacheCollateralSource::TdxCollateral: the
// quote's PCK leaf read for FMSPC and CA, one row read, the JSON bundle parsed), beside its two
// irreducible parts measured in the same run: the row read alone, and the bundle parse alone;
// BM_PlatformId shows the rest (the PCK leaf's PEM decode, about 2/3 of the lookup).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <filesystem>

#include "attest/core/encoding.h"
#include "attest/tdx/collateral.h"
#include "attest/tdx/wire.h"
#include "bench/bench_vectors.h"
#include "bench/ratio_reporter.h"
#include "service/collateral/cache_items.h"
#include "service/collateral/cache_source.h"
#include "service/store/store.h"

namespace attest::bench {
namespace {

namespace fs = std::filesystem;
namespace st = service::store;
namespace col = service::collateral;

struct World {
  fs::path dir;
  std::unique_ptr<st::Store> store;
  tdx::Quote quote;
  std::string key;
  Bytes bundle;
};

World* Get() {
  static World* world = [] {
    auto* w = new World();
    w->dir =
        fs::temp_directory_path() / ("attest-collateral-bench-" + HexEncode(st::RandomBytes(4)));
    fs::create_directories(w->dir);
    auto sealer = std::shared_ptr<const st::SecretSealer>(
        st::LocalKeySealer::FromKey(Bytes(32, 7)).value().release());
    w->store = st::OpenSqliteStore((w->dir / "bench.db").string(), sealer).value();
    w->quote = tdx::ParseQuote(ReadVector("tdx/dcap-qvl-v4/quote.bin")).value();
    w->key = col::DcapCacheKey(col::DcapIdForQuote(w->quote).value());
    const Bytes text = ReadVector("tdx/dcap-qvl-v4/collateral.json");
    w->bundle = text;
    st::CachedCollateral item;
    item.kind = std::string(col::kKindDcap);
    item.key = w->key;
    item.value = text;
    item.origin = "import";
    item.fetched_at = WallClockNow();
    item.issued_at = item.fetched_at;
    item.next_update = item.fetched_at + std::chrono::hours(24 * 30);
    if (!w->store->PutCachedCollateral(item).ok()) {
      std::fprintf(stderr, "cannot fill the cache\n");
      std::exit(1);
    }
    return w;
  }();
  return world;
}

void BM_CacheTdxLookup(benchmark::State& state) {
  World* w = Get();
  for (auto _ : state) {
    col::CacheCollateralSource source(*w->store, WallClockNow(), std::chrono::hours(24 * 7));
    auto got = source.TdxCollateral(w->quote);
    if (!got.ok() || !got->has_value()) {
      state.SkipWithError("lookup failed");
      break;
    }
    benchmark::DoNotOptimize(got);
  }
}
BENCHMARK(BM_CacheTdxLookup);

void BM_RowRead(benchmark::State& state) {
  World* w = Get();
  for (auto _ : state) {
    auto row = w->store->GetCachedCollateral(std::string(col::kKindDcap), w->key);
    if (!row.ok()) {
      state.SkipWithError("read failed");
      break;
    }
    benchmark::DoNotOptimize(row);
  }
}
BENCHMARK(BM_RowRead);

void BM_BundleParse(benchmark::State& state) {
  World* w = Get();
  const std::string text(w->bundle.begin(), w->bundle.end());
  for (auto _ : state) {
    benchmark::DoNotOptimize(tdx::ParseCollateralJson(text));
  }
}
BENCHMARK(BM_BundleParse);

// BM_PlatformId: the quote's PCK leaf decoded for FMSPC and CA, the one part the lookup adds to
// the row read and the parse.
void BM_PlatformId(benchmark::State& state) {
  World* w = Get();
  for (auto _ : state) {
    benchmark::DoNotOptimize(col::DcapIdForQuote(w->quote));
  }
}
BENCHMARK(BM_PlatformId);

void BM_RowReadAndParse(benchmark::State& state) {
  World* w = Get();
  for (auto _ : state) {
    auto row = w->store->GetCachedCollateral(std::string(col::kKindDcap), w->key);
    if (!row.ok()) {
      state.SkipWithError("read failed");
      break;
    }
    benchmark::DoNotOptimize(
        tdx::ParseCollateralJson(std::string(row->value.begin(), row->value.end())));
  }
}
BENCHMARK(BM_RowReadAndParse);

}  // namespace
}  // namespace attest::bench

int main(int argc, char** argv) {
  using namespace attest::bench;
  benchmark::Initialize(&argc, argv);
  RatioReporter reporter;
  reporter.AddRatio("cache lookup vs row read + bundle parse (floor)", "BM_CacheTdxLookup",
                    "BM_RowReadAndParse");
  reporter.AddRatio("cache lookup vs row read alone", "BM_CacheTdxLookup", "BM_RowRead");
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  std::filesystem::remove_all(Get()->dir);
  return 0;
}
