#include "bench/api_bench_support.h"

#include <errno.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "attest/core/encoding.h"
#include "service/attestd/self_signed.h"
#include "service/store/sql.h"

namespace attest::bench {

void Die(const std::string& what) {
  std::fprintf(stderr, "%s: %s\n", program_invocation_short_name, what.c_str());
  std::exit(1);
}

int FreePort(int base) {
  for (int port = base + static_cast<int>(getpid() % 20000); port < 65000; port += 7) {
    const std::string probe =
        "bash -c 'exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(port) + "' 2>/dev/null";
    if (std::system(probe.c_str()) != 0) {
      return port;
    }
  }
  Die("no free port");
}

double ProcessCpuMs() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

LatencyStats Summarise(std::vector<double> latencies_ms, double wall_seconds, double cpu_ms_total) {
  LatencyStats s;
  if (latencies_ms.empty()) {
    return s;
  }
  std::sort(latencies_ms.begin(), latencies_ms.end());
  const size_t n = latencies_ms.size();
  s.per_second = n / wall_seconds;
  s.p50_ms = latencies_ms[n / 2];
  s.p99_ms = latencies_ms[std::min(n - 1, n * 99 / 100)];
  double sum = 0;
  for (double v : latencies_ms) {
    sum += v;
  }
  s.mean_ms = sum / n;
  s.cpu_ms = cpu_ms_total / n;
  return s;
}

BenchDatabase::BenchDatabase(bool postgres, const std::string& name) {
  const std::string suffix = HexEncode(service::store::RandomBytes(4));
  dir_ = std::filesystem::temp_directory_path() / ("attest-" + name + "-bench-" + suffix);
  std::filesystem::create_directories(dir_);
  if (postgres) {
    schema_ = name + "bench_" + suffix;
    auto admin = Must(service::store::OpenPostgres(""), "postgres");
    if (!admin->ExecScript("CREATE SCHEMA " + schema_).ok()) {
      Die("create schema");
    }
    target_ = "options='-c search_path=" + schema_ + "'";
  } else {
    target_ = (dir_ / "attestd.db").string();
  }
}

BenchDatabase::~BenchDatabase() {
  if (!schema_.empty()) {
    auto admin = service::store::OpenPostgres("");
    if (admin.ok()) {
      (void)(*admin)->ExecScript("DROP SCHEMA " + schema_ + " CASCADE");
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

service::store::StorePool::Factory BenchDatabase::Factory(
    const std::shared_ptr<const service::store::SecretSealer>& sealer) const {
  if (postgres()) {
    return [target = target_, sealer] { return service::store::OpenPostgresStore(target, sealer); };
  }
  return [target = target_, sealer] { return service::store::OpenSqliteStore(target, sealer); };
}

BenchServer ServeOverHttps(service::api::Api& api, const std::filesystem::path& dir, TimePoint now,
                           int port_base, size_t handler_threads) {
  auto tls = Must(service::attestd::GenerateSelfSignedTls(now), "tls");
  std::ofstream(dir / "cert.pem") << tls.certificate_pem;
  std::ofstream(dir / "key.pem") << tls.private_key_pem;
  service::server::ServerConfig config;
  config.port = FreePort(port_base);
  config.cert_chain_file = (dir / "cert.pem").string();
  config.private_key_file = (dir / "key.pem").string();
  if (handler_threads > 0) {
    config.threads = handler_threads;
  }
  BenchServer out;
  out.server = Must(service::server::HttpsServer::Start(
                        config, [&api](const HttpRequest& r) { return api.Handle(r); }),
                    "server");
  out.client.endpoint = "https://127.0.0.1:" + std::to_string(config.port);
  out.client.ca_cert_file = config.cert_chain_file;
  return out;
}

}  // namespace attest::bench
