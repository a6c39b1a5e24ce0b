// Host quote submissions through the whole service: HTTPS (cpprestsdk server and client, TLS 1.3
// on loopback), SigV4 signing and verification, the nonce consumed in the database, the host read,
// the quote verified with its AK, the log replayed, the host policy loaded and appraised, the host
// row updated, the audit chain appended. Beside it, in the same run, the in-process cost of what
// the handler must compute anyway (AK parse, PCR parse, the TPM evidence's three steps, host policy
// load, AppraiseHost): the service's overhead is the difference.
//
// Evidence: the real-size firmware log attest/tpm/testdata/swtpm/bench-100 (105 events, sha1 +
// sha256, measured by a swtpm) with quotes signed in software by a FakeTpm AK, one per nonce, so
// the TPM is not in the loop; the nonces are issued in bulk through the store beforehand.
//
//   host_api_bench [--requests N] [--clients C] [--path all|in-process|direct|https]
//                  [--db all|sqlite|postgres]
// SQLite always; PostgreSQL when PGHOST is set (scripts/services.sh), else a note. Each database
// line says the durability settings it ran with (they decide what a commit costs).
//
// Profiling only the timed loops: start perf disabled with a control FIFO and name it here,
//   mkfifo /tmp/ctl /tmp/ack; export ATTEST_PERF_CTL=/tmp/ctl ATTEST_PERF_ACK=/tmp/ack
//   perf record -D -1 --control fifo:/tmp/ctl,/tmp/ack -g -- host_api_bench --path direct
// and perf samples between "enable" and "disable" around each timed loop only.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "attest/core/encoding.h"
#include "attest/core/file_io.h"
#include "attest/tpm/alg.h"
#include "attest/tpm/claims.h"
#include "attest/tpm/host.h"
#include "attest/tpm/pcr_json.h"
#include "bench/api_bench_support.h"
#include "client/api_client.h"
#include "policy/appraise_host.h"
#include "policy/loader.h"
#include "protocol/host_credential.h"
#include "protocol/host_platform.h"
#include "service/api/dispatch.h"
#include "service/server/https_server.h"
#include "service/store/sql.h"
#include "tests/testing/fake_tpm.h"

namespace attest::bench {
namespace {

namespace fs = std::filesystem;
namespace st = service::store;
using Clock = std::chrono::steady_clock;

constexpr char kPolicy[] =
    R"({"name": "bench", "any_firmware": true, "any_boot_application": true})";

Bytes Fixture(const std::string& name) {
  return Must(ReadFileBytes(ATTEST_SOURCE_DIR "/attest/tpm/testdata/swtpm/bench-100/" + name),
              name);
}

// PerfControl writes cmd ("enable", "disable") to perf's control FIFO when ATTEST_PERF_CTL names
// one, and waits for perf's ack when ATTEST_PERF_ACK names that FIFO.
void PerfControl(const char* cmd) {
  const char* ctl = std::getenv("ATTEST_PERF_CTL");
  if (ctl == nullptr) {
    return;
  }
  const int fd = open(ctl, O_WRONLY);
  if (fd < 0) {
    return;
  }
  const std::string line = std::string(cmd) + "\n";
  (void)!write(fd, line.data(), line.size());
  close(fd);
  if (const char* ack = std::getenv("ATTEST_PERF_ACK")) {
    const int afd = open(ack, O_RDONLY);
    if (afd >= 0) {
      char buf[8];
      (void)!read(afd, buf, sizeof(buf));
      close(afd);
    }
  }
}

using Stats = LatencyStats;

struct Evidence {
  Bytes log = Fixture("eventlog.bin");
  tpm::PcrBanks pcrs;
  std::string pcrs_json;
};

const Evidence& GetEvidence() {
  static const Evidence* e = [] {
    auto* ev = new Evidence();
    auto parsed = Must(tpm::ParseEventLog(ev->log), "log");
    ev->pcrs = Must(tpm::ReplayEventLog(parsed), "replay");
    ev->pcrs_json = nlohmann::json{{"banks", tpm::PcrBanksToJson(ev->pcrs)}}.dump();
    return ev;
  }();
  return *e;
}

// EmptyPlatform is the canonical document of a host without SEV-SNP or TDX (what the agent sends
// with no platform source).
std::string EmptyPlatform() { return protocol::SerializeHostPlatform({}).value(); }

// InProcess times what the quote handler computes besides HTTP, SigV4 and the database.
Stats InProcess(const testing::FakeTpm& tpm, int n) {
  const Evidence& ev = GetEvidence();
  std::vector<testing::FakeTpm::SignedQuote> quotes;
  std::vector<Bytes> nonces;
  for (int i = 0; i < n; ++i) {
    // What the agent quotes over: the nonce bound to its (here empty) platform document.
    const Sha256Digest bound = protocol::QuoteQualifyingData(st::RandomBytes(32), EmptyPlatform());
    nonces.emplace_back(bound.begin(), bound.end());
    quotes.push_back(tpm.Quote(nonces.back(), ev.pcrs));
  }
  std::vector<double> lat;
  PerfControl("enable");
  const double cpu_start = ProcessCpuMs();
  const auto start = Clock::now();
  for (int i = 0; i < n; ++i) {
    const auto t0 = Clock::now();
    auto ak = Must(tpm::ParsePublicKey(tpm.ak_public()), "ak");
    tpm::HostEvidence e;
    e.quote = quotes[i].attest;
    e.signature = quotes[i].signature;
    e.pcrs = Must(tpm::ParsePcrValues(AsBytes(ev.pcrs_json)), "pcrs");
    e.event_log = ByteSpan(ev.log);
    const tpm::ParsedHostEvidence parsed = tpm::ParseHostEvidence(e);
    tpm::HostVerification v = tpm::VerifyHostEvidence(parsed, ak, ByteSpan(nonces[i]));
    if (!v.accepted()) {
      Die("in-process evidence refused: " + v.errors.front().ToString());
    }
    auto policy = Must(policy::LoadHostPolicy(kPolicy), "policy");
    policy::AppraisalContext context;
    context.now = WallClockNow();
    if (!policy::AppraiseHost(tpm::ToClaims(parsed, v), policy, context).affirmed()) {
      Die("appraisal denied");
    }
    lat.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  const double wall = std::chrono::duration<double>(Clock::now() - start).count();
  const double cpu = ProcessCpuMs() - cpu_start;
  PerfControl("disable");
  return Summarise(lat, wall, cpu);
}

// DurabilitySettings reads back what a commit costs on this database: SQLite's journal mode and
// synchronous level, PostgreSQL's fsync, synchronous_commit and full_page_writes.
std::string DurabilitySettings(bool postgres, const std::string& target) {
  auto db = postgres ? st::OpenPostgres(target) : st::OpenSqlite(target);
  if (!db.ok()) {
    return "settings unreadable: " + db.status().ToString();
  }
  auto one = [&](const std::string& sql) -> std::string {
    auto rows = (*db)->Exec(sql);
    if (!rows.ok() || rows->empty() || rows->front().empty() || !rows->front()[0]) {
      return "?";
    }
    return *rows->front()[0];
  };
  if (postgres) {
    return "fsync=" + one("SHOW fsync") + " synchronous_commit=" + one("SHOW synchronous_commit") +
           " full_page_writes=" + one("SHOW full_page_writes");
  }
  // OpenSqlite sets these per connection; a fresh connection reports what each one runs with.
  static const char* kSynchronous[] = {"OFF", "NORMAL", "FULL", "EXTRA"};
  const std::string level = one("PRAGMA synchronous");
  const int n = level.size() == 1 && level[0] >= '0' && level[0] <= '3' ? level[0] - '0' : -1;
  return "journal_mode=" + one("PRAGMA journal_mode") +
         " synchronous=" + (n >= 0 ? kSynchronous[n] : level);
}

std::shared_ptr<const st::SecretSealer> Sealer() {
  return std::shared_ptr<const st::SecretSealer>(
      st::LocalKeySealer::FromKey(Bytes(32, 7)).value().release());
}

// Service runs n quote submissions from `clients` threads against a fresh attestd (in this
// process, on a loopback HTTPS port) over the given database.
// clients == 0: no socket: the same signed requests go straight to Api::Handle (SigV4 + handler +
// database), to separate the HTTPS transport from the rest.
Stats Service(bool postgres, const testing::FakeTpm& tpm, int n, int clients,
              std::string* settings) {
  const BenchDatabase database(postgres, "host");
  const fs::path& dir = database.dir();
  const st::StorePool::Factory factory = database.Factory(Sealer());
  {
    auto first = Must(factory(), "store");  // creates and migrates the database
    *settings = DurabilitySettings(postgres, database.target());
  }
  st::StorePool pool(factory, 16);
  const TimePoint now = WallClockNow();
  sigv4::Credentials op;
  std::string tenant;
  {
    auto db = Must(pool.Acquire(), "store");
    auto t = Must(db->CreateTenant("operator", st::Role::kOperator, now), "tenant");
    auto c = Must(db->CreateCredential(t.id, now), "credential");
    tenant = t.id;
    op = {c.access_key_id, c.secret_access_key, ""};
    Must(db->PutPolicy(st::PolicyKind::kHostPolicy, t.id, "bench", kPolicy, now), "policy");
  }
  service::metrics::Registry registry;
  service::api::DefineApiMetrics(registry);
  service::api::ServiceContext ctx;
  ctx.stores = &pool;
  ctx.metrics = &registry;
  ctx.now = WallClockNow;
  ctx.config.nonce_ttl = std::chrono::seconds(3600);
  // The bench measures quotes, not enrollment: its software TPM has no EK certificate, so the
  // operator's switch is set explicitly (attestd's default requires one).
  ctx.config.allow_hosts_without_ek_cert = true;
  service::api::Api api(ctx);

  BenchServer served = ServeOverHttps(api, dir, now, 20000);
  client::ClientConfig cc = served.client;
  cc.credentials = op;
  auto setup_client = Must(client::ApiClient::Create(cc), "client");
  // The host enrolls as attest-agent does: a one-time token, then the TPM-activated credential.
  auto enrollment = Must(
      setup_client->CallJson("POST", "/v1/host-enrollments", {{"host_policy", "bench"}}), "enroll");
  client::ClientConfig unsigned_config = served.client;
  unsigned_config.sign = false;
  auto enroll_client = Must(client::ApiClient::Create(unsigned_config), "client");
  auto reg = Must(enroll_client->CallJson("POST", "/v1/enroll",
                                          {{"token", enrollment["token"]},
                                           {"ek_public", Base64Encode(tpm.ek_public())},
                                           {"ak_public", Base64Encode(tpm.ak_public())}}),
                  "register");
  const std::string host_id = reg["host_id"];
  const Bytes secret = Must(
      tpm.ActivateCredential(Must(Base64Decode(reg["credential_blob"].get<std::string>()), "b64"),
                             Must(Base64Decode(reg["encrypted_secret"].get<std::string>()), "b64")),
      "activate");
  const std::string host_key = Must(protocol::DeriveHostSecretKey(secret, host_id), "derive");
  auto activated =
      Must(enroll_client->CallJson(
               "POST", "/v1/enroll/activate",
               {{"host_id", host_id}, {"proof", protocol::HostActivationProof(host_key, host_id)}}),
           "activate call");
  // Quotes are sent with the host's own credential.
  const sigv4::Credentials host_credentials{activated["access_key_id"], host_key, ""};
  cc.credentials = host_credentials;

  // Nonces in bulk through the store, and one signed quote per nonce, before the clock starts.
  const Evidence& ev = GetEvidence();
  const std::string log_b64 = Base64Encode(ev.log);
  std::vector<std::string> bodies;
  {
    auto db = Must(pool.Acquire(), "store");
    for (int i = 0; i < n; ++i) {
      auto nonce = Must(db->IssueNonce(tenant, host_id, std::chrono::seconds(3600), now), "nonce");
      auto q = tpm.Quote(
          protocol::QuoteQualifyingData(Must(HexDecode(nonce.value), "hex"), EmptyPlatform()),
          ev.pcrs);
      bodies.push_back(nlohmann::json{
          {"nonce", nonce.value},
          {"quote", Base64Encode(q.attest)},
          {"signature", Base64Encode(q.signature)},
          {"pcrs", nlohmann::json::parse(ev.pcrs_json)},
          {"eventlog",
           log_b64}}.dump());
    }
  }
  const std::string path = "/v1/hosts/" + host_id + "/quote";
  if (clients == 0) {
    std::vector<HttpRequest> requests;
    for (const std::string& body : bodies) {
      HttpRequest req;
      req.method = "POST";
      req.path = path;
      req.headers = {{"Host", "127.0.0.1"}, {"Content-Type", "application/json"}};
      req.body.assign(body.begin(), body.end());
      sigv4::SignOptions options{"local", "attestd", WallClockNow()};
      options.sign_body = true;
      requests.push_back(
          Must(sigv4::SignRequest(req, host_credentials, options), "sign").signed_request);
    }
    std::vector<double> lat;
    PerfControl("enable");
    const double cpu_start = ProcessCpuMs();
    const auto start = Clock::now();
    for (const auto& req : requests) {
      const auto t0 = Clock::now();
      service::http::HttpResponse r = api.Handle(req);
      lat.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      if (r.status != 200) {
        Die("direct submission failed: " + r.body.substr(0, 300));
      }
    }
    const double wall = std::chrono::duration<double>(Clock::now() - start).count();
    const double cpu = ProcessCpuMs() - cpu_start;
    PerfControl("disable");
    served.server->Stop();
    return Summarise(lat, wall, cpu);
  }
  std::vector<std::unique_ptr<client::ApiClient>> client_list;
  for (int c = 0; c < clients; ++c) {
    client_list.push_back(Must(client::ApiClient::Create(cc), "client"));
    // Warm the TLS session outside the timed region.
    (void)client_list.back()->Send("GET", "/healthz");
  }
  std::atomic<int> next{0};
  std::atomic<int> failures{0};
  std::vector<std::vector<double>> lat(clients);
  PerfControl("enable");
  const double cpu_start = ProcessCpuMs();
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  threads.reserve(clients);
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      for (int i = next++; i < n; i = next++) {
        const auto t0 = Clock::now();
        auto r = client_list[c]->Send("POST", path, bodies[i]);
        lat[c].push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        if (!r.ok() || r->status != 200 || !r->json.value("trusted", false)) {
          if (failures++ == 0) {
            std::fprintf(stderr, "first failure: %s\n",
                         r.ok() ? r->body.substr(0, 300).c_str() : r.status().ToString().c_str());
          }
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  const double wall = std::chrono::duration<double>(Clock::now() - start).count();
  const double cpu = ProcessCpuMs() - cpu_start;
  PerfControl("disable");
  std::vector<double> all;
  for (auto& l : lat) {
    all.insert(all.end(), l.begin(), l.end());
  }
  served.server->Stop();
  if (failures > 0) {
    Die(std::to_string(failures.load()) + " submissions failed");
  }
  return Summarise(all, wall, cpu);
}

void Print(const char* label, const Stats& s) {
  std::printf("%-44s %6.0f /s  p50 %6.2f ms  p99 %6.2f ms  mean %6.2f ms  cpu %5.2f ms\n", label,
              s.per_second, s.p50_ms, s.p99_ms, s.mean_ms, s.cpu_ms);
}

}  // namespace
}  // namespace attest::bench

int main(int argc, char** argv) {
  using namespace attest::bench;
  int n = 2000, clients = 2;
  std::string path = "all", db = "all";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--requests") {
      n = std::max(10, std::atoi(argv[i + 1]));
    }
    if (flag == "--clients") {
      clients = std::clamp(std::atoi(argv[i + 1]), 1, 64);
    }
    if (flag == "--path") {
      path = argv[i + 1];
    }
    if (flag == "--db") {
      db = argv[i + 1];
    }
  }
  const bool all_paths = path == "all";
  const attest::testing::FakeTpm tpm = attest::testing::FakeTpm::Create();
  std::printf(
      "host quote submissions: %d requests; evidence = 105-event log (sha1+sha256), ECDSA "
      "P-256 quote over 11 PCRs; %u hardware threads\n\n",
      n, std::thread::hardware_concurrency());
  Stats in_process;
  if (all_paths || path == "in-process") {
    in_process = InProcess(tpm, n);
    Print("in-process verify + appraise (1 thread)", in_process);
  }
  const bool have_pg = std::getenv("PGHOST") != nullptr;
  for (bool pg : {false, true}) {
    if (db != "all" && db != (pg ? "postgres" : "sqlite")) {
      continue;
    }
    if (pg && !have_pg) {
      std::printf("PostgreSQL: skipped (PGHOST unset; scripts/services.sh start DIR)\n");
      continue;
    }
    const char* name = pg ? "PostgreSQL" : "SQLite";
    std::string settings;
    char label[96];
    Stats direct, one, many;
    if (all_paths || path == "direct") {
      direct = Service(pg, tpm, n, 0, &settings);
      std::snprintf(label, sizeof(label), "Api::Handle (SigV4+%s, no socket)", name);
      Print(label, direct);
    }
    if (all_paths || path == "https") {
      one = Service(pg, tpm, n, 1, &settings);
      many = Service(pg, tpm, n, clients, &settings);
      std::snprintf(label, sizeof(label), "HTTPS+SigV4+%s, 1 client", name);
      Print(label, one);
      std::snprintf(label, sizeof(label), "HTTPS+SigV4+%s, %d clients", name, clients);
      Print(label, many);
    }
    std::printf("  %s settings: %s\n", name, settings.c_str());
    if (!all_paths) {
      continue;
    }
    std::printf(
        "  %s: CPU per submission: Api::Handle %.0f%% over in-process, HTTPS 1 client %.0f%% "
        "over in-process\n",
        name, 100.0 * (direct.cpu_ms - in_process.cpu_ms) / in_process.cpu_ms,
        100.0 * (one.cpu_ms - in_process.cpu_ms) / in_process.cpu_ms);
    // The aim compares like with like: the median of each path, and the mean.
    std::printf(
        "  %s: Api::Handle adds %.0f%% (p50) / %.0f%% (mean) over in-process; HTTPS 1 client "
        "adds %.0f%% (p50) / %.0f%% (mean) (aim < 50%%); %d-client throughput = %.0f%% of the "
        "1-thread in-process rate\n",
        name, 100.0 * (direct.p50_ms - in_process.p50_ms) / in_process.p50_ms,
        100.0 * (direct.mean_ms - in_process.mean_ms) / in_process.mean_ms,
        100.0 * (one.p50_ms - in_process.p50_ms) / in_process.p50_ms,
        100.0 * (one.mean_ms - in_process.mean_ms) / in_process.mean_ms, clients,
        100.0 * many.per_second / in_process.per_second);
  }
  return 0;
}
