// What the service load benchmarks (host_api_bench, release_api_bench) share: failing loudly,
// a free loopback port, latency summaries, and an in-process attestd API served over HTTPS with
// a fresh self-signed certificate plus the client settings that trust it.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "attest/core/status.h"
#include "attest/core/time.h"
#include "client/api_client.h"
#include "service/api/dispatch.h"
#include "service/server/https_server.h"
#include "service/store/pool.h"
#include "service/store/secret_sealer.h"

namespace attest::bench {

// Die prints "<program>: what" and exits 1: a benchmark that cannot set itself up has no figure.
[[noreturn]] void Die(const std::string& what);

template <typename T>
T Must(Result<T> r, const std::string& what) {
  if (!r.ok()) Die(what + ": " + r.status().ToString());
  return std::move(r).value();
}

// FreePort returns a loopback TCP port nobody listens on, probing from base upwards.
int FreePort(int base);

// ProcessCpuMs is the CPU time this process has used so far (every thread).
double ProcessCpuMs();

struct LatencyStats {
  double per_second = 0;
  double p50_ms = 0, p99_ms = 0, mean_ms = 0;
  // cpu_ms: process CPU per request over the timed loop (0 when not measured).
  double cpu_ms = 0;
};

// Summarise turns per-request latencies into a rate over wall_seconds and percentiles;
// cpu_ms_total (the loop's ProcessCpuMs difference) is divided per request.
LatencyStats Summarise(std::vector<double> latencies_ms, double wall_seconds,
                       double cpu_ms_total = 0);

// BenchDatabase: the scratch database of one benchmark row: a SQLite file in a fresh temporary
// directory, or a PostgreSQL schema of its own (server from the PG* environment). The directory
// (which also holds the row's TLS files) and the schema are removed on destruction: declare it
// before the StorePool that opens it.
class BenchDatabase {
 public:
  BenchDatabase(bool postgres, const std::string& name);
  ~BenchDatabase();
  BenchDatabase(const BenchDatabase&) = delete;
  BenchDatabase& operator=(const BenchDatabase&) = delete;

  bool postgres() const { return !schema_.empty(); }
  const std::filesystem::path& dir() const { return dir_; }
  // target: the SQLite file, or the libpq connection string selecting the schema.
  const std::string& target() const { return target_; }
  // Factory opens (creating and migrating) stores on this database.
  service::store::StorePool::Factory Factory(
      const std::shared_ptr<const service::store::SecretSealer>& sealer) const;

 private:
  std::filesystem::path dir_;
  std::string schema_;
  std::string target_;
};

// BenchServer: api served over HTTPS on 127.0.0.1 (certificate files in dir), and the client
// settings (endpoint, CA) a benchmark client needs; add credentials before use.
struct BenchServer {
  std::unique_ptr<service::server::HttpsServer> server;
  client::ClientConfig client;
};
// handler_threads: the server's threads (ServerConfig::threads; 0 keeps its default).
BenchServer ServeOverHttps(service::api::Api& api, const std::filesystem::path& dir, TimePoint now,
                           int port_base, size_t handler_threads = 0);

}  // namespace attest::bench
