// Key release through the whole service: a guest's challenge + attest pair over HTTPS (cpprestsdk
// server and client, TLS on loopback, unsigned public routes, per-VM and per-address rate
// limiters), the nonce issued and consumed in the database, the VM, host, pinned policy version
// and volume read, the SNP report verified (endorsement chain cached), the decision, the volume
// key unwrapped by the KEK and sent as JWE, the EAR token signed, the audit chain appended.
// Beside it, in the same run, the in-process cost of what the handler must compute anyway
// (DecideRelease + WrapKeysForGuest over the same stored records): the service's overhead is the
// difference.
//
// Each attest needs a fresh challenge (the nonce is in REPORT_DATA), so what is timed is the
// PAIR: challenge round trip + attest round trip. Between the two the software TEE signs the
// report (the guest's hardware would); that time is left out of the latencies and printed on its
// own. The pairs-per-second figure is wall clock and does include it (it runs on the same 2 cores).
//
// Evidence: SEV-SNP v3 reports of tests/testing/software_tee.h under a test AMD hierarchy made
// valid at the wall clock, VCEK in each request.
//
//   release_api_bench [--requests N] [--clients C]
// SQLite always; PostgreSQL when PGHOST is set (scripts/services.sh), else a note.
#include <openssl/evp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "attest/core/encoding.h"
#include "bench/api_bench_support.h"
#include "client/api_client.h"
#include "protocol/host_platform.h"
#include "protocol/jwe.h"
#include "service/api/dispatch.h"
#include "service/keys/local_kek.h"
#include "service/release/release.h"
#include "service/server/https_server.h"
#include "service/store/secret_sealer.h"
#include "service/store/sql.h"
#include "tests/testing/software_tee.h"

namespace attest::bench {
namespace {

namespace fs = std::filesystem;
namespace st = service::store;
namespace rel = service::release;
using Clock = std::chrono::steady_clock;

constexpr char kPolicy[] = R"({"name": "bench",
  "snp": {"any_measurement": true, "host_data_launch_ticket": true, "allow_debug": false},
  "host": {"host_policy": "hosts", "max_quote_age_seconds": 3600}})";

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

using Stats = LatencyStats;

// World: the software TEE valid now, its anchors, the KEK.
struct World {
  testing::SoftwareTee tee{
      std::make_unique<testing::FakeSnpPlatform>(snp::Product::kMilan, WallClockNow())};
  std::unique_ptr<rel::TrustAnchors> anchors;
  std::shared_ptr<const service::keys::KeyEncryptionKey> kek;
  World() {
    rel::TrustAnchorConfig config;
    config.snp_test_root_chains_pem = {tee.SnpRootChainPem()};
    anchors = Must(rel::TrustAnchors::Make(config), "anchors");
    kek = Must(service::keys::LocalKeyFileKek::FromKey(Bytes(32, 7)), "kek");
  }
};

// Guest: what one release needs on the guest side: a key pair and evidence over the nonce.
struct Guest {
  std::string private_jwk = Must(protocol::GenerateGuestKey(), "guest key");
  std::string public_jwk = Must(protocol::PublicJwk(private_jwk), "public jwk");
  protocol::GuestPublicKey key = Must(protocol::ParseGuestJwk(public_jwk), "guest jwk");
};

Bytes SignedReport(const World& w, const std::string& nonce_hex, const Guest& g,
                   const Bytes& host_data) {
  const Sha512Digest binding =
      protocol::ReportDataBinding(Must(HexDecode(nonce_hex), "nonce"), g.key);
  return w.tee.SnpReport({Bytes(binding.begin(), binding.end()), host_data, false});
}

// Deployment: a fresh store with a tenant, its policy, a trusted SNP host, a volume and a VM.
struct Deployment {
  std::string tenant, vm_id, volume_id, host_id;
  Bytes host_data;
};

// InProcess times DecideRelease + WrapKeysForGuest over the records the service stored, with a
// fresh guest key and report per iteration (made beforehand) and the nonce taken as consumed.
Stats InProcess(const World& w, st::StorePool& pool, const Deployment& d, int n) {
  auto db = Must(pool.Acquire(), "store");
  const st::Vm vm = Must(db->LookupVm(d.vm_id), "vm");
  const st::PolicyVersion policy = Must(
      db->GetPolicy(st::PolicyKind::kTenantPolicy, d.tenant, vm.policy_name, vm.policy_version),
      "policy");
  const st::Host host = Must(db->LookupHost(d.host_id), "host");
  std::vector<st::Volume> volumes = {Must(db->GetVolume(d.tenant, d.volume_id), "volume")};
  struct Prepared {
    Guest guest;
    std::string nonce_hex;
    Bytes report;
  };
  std::vector<Prepared> prepared(n);
  for (auto& p : prepared) {
    p.nonce_hex = HexEncode(st::RandomBytes(32));
    p.report = SignedReport(w, p.nonce_hex, p.guest, d.host_data);
  }
  std::vector<double> lat;
  const auto start = Clock::now();
  for (const Prepared& p : prepared) {
    const auto t0 = Clock::now();
    rel::ReleaseInput in;
    in.nonce_status = Status::Ok();
    in.nonce = Must(HexDecode(p.nonce_hex), "nonce");
    in.guest_key = p.guest.key;
    in.evidence = rel::ParseSnpEvidence(p.report, w.tee.SnpCollateral());
    in.vm = &vm;
    in.host = {host.id,          host.state,   host.trusted_until, host.last_good_quote,
               host.host_policy, host.platform};
    in.policy = &policy;
    in.now = WallClockNow();
    const rel::ReleaseDecision decision = rel::DecideRelease(in, *w.anchors);
    if (!decision.released()) {
      Die("in-process release refused: " + decision.failures[0].detail);
    }
    auto keys = Must(rel::WrapKeysForGuest(*w.kek, volumes, p.guest.key), "wrap");
    if (keys.size() != 1) {
      Die("in-process: no key");
    }
    lat.push_back(Ms(Clock::now() - t0));
  }
  return Summarise(lat, std::chrono::duration<double>(Clock::now() - start).count());
}

struct ServiceResult {
  Stats pairs;            // challenge + attest round trips (guest signing excluded)
  Stats attest_only;      // the attest round trip alone
  double signing_ms = 0;  // mean software-TEE signing per pair (excluded above)
  Stats in_process;
};

// Service runs n challenge+attest pairs from `clients` threads against a fresh attestd (in this
// process, on a loopback HTTPS port) over the given database.
ServiceResult Service(const World& w, bool postgres, int n, int clients, bool with_in_process) {
  const BenchDatabase database(postgres, "release");
  const fs::path& dir = database.dir();
  const st::StorePool::Factory factory =
      database.Factory(std::make_shared<const st::SecretSealer>(w.kek));
  st::StorePool pool(factory, 16);
  const TimePoint now = WallClockNow();
  Deployment d;
  sigv4::Credentials acme;
  {
    auto db = Must(pool.Acquire(), "store");
    auto op = Must(db->CreateTenant("operator", st::Role::kOperator, now), "operator");
    auto t = Must(db->CreateTenant("acme", st::Role::kTenant, now), "tenant");
    auto c = Must(db->CreateCredential(t.id, now), "credential");
    d.tenant = t.id;
    acme = {c.access_key_id, c.secret_access_key, ""};
    Must(db->PutPolicy(st::PolicyKind::kTenantPolicy, t.id, "bench", kPolicy, now), "policy");
    st::HostRegistration reg;
    reg.ek_public = {1, 2, 3};
    reg.ak_public = {4, 5, 6};
    reg.host_policy = "hosts";
    reg.activation_sha256 = std::string(64, 'a');
    reg.tees = {"snp"};
    // The software TEE's machine 0: key release checks the report's CHIP_ID against it.
    reg.platform = Must(protocol::SerializeHostPlatform(testing::SoftwareTee::SimulatedPlatform(0)),
                        "platform");
    const st::Host host = Must(db->RegisterHost(op.id, reg, now), "host");
    d.host_id = host.id;
    if (!db->UpdateHostState(op.id, host.id, st::HostState::kTrusted, "{}",
                             now + std::chrono::hours(2), now)
             .ok()) {
      Die("host state");
    }
  }
  service::metrics::Registry registry;
  service::api::DefineApiMetrics(registry);
  service::api::ServiceContext ctx;
  ctx.stores = &pool;
  ctx.metrics = &registry;
  ctx.now = WallClockNow;
  ctx.kek = w.kek;
  ctx.anchors = w.anchors.get();
  EvpPkeyPtr token_key(EVP_EC_gen("P-256"));
  ctx.token_key = token_key.get();
  // The limiters and the verification gate run as configured, with limits above what the
  // benchmark sends (one place per client: no 503 api.verifications_busy).
  ctx.config.release_rate_per_vm_per_minute = 100000;
  ctx.config.release_rate_per_address_per_minute = 1000000;
  ctx.config.max_concurrent_verifications = static_cast<size_t>(clients);
  service::api::Api api(ctx);

  BenchServer served = ServeOverHttps(api, dir, now, 21000);
  client::ClientConfig cc = served.client;
  cc.credentials = acme;
  auto tenant_client = Must(client::ApiClient::Create(cc), "client");
  d.volume_id = Must(tenant_client->CallJson("POST", "/v1/volumes", {{"name", "data"}}),
                     "volume")["volume_id"];
  auto vm = Must(
      tenant_client->CallJson("POST", "/v1/vms",
                              {{"tee", "snp"}, {"policy", "bench"}, {"volume_ids", {d.volume_id}}}),
      "vm");
  d.vm_id = vm["vm_id"];
  d.host_data = Must(Base64Decode(vm["host_data"].get<std::string>()), "host_data");

  ServiceResult result;
  if (with_in_process) {
    result.in_process = InProcess(w, pool, d, n);
  }

  const std::string vcek_b64 = Base64Encode(w.tee.snp().EndorsementDer());
  cc.sign = false;
  std::vector<std::unique_ptr<client::ApiClient>> guests;
  for (int c = 0; c < clients; ++c) {
    guests.push_back(Must(client::ApiClient::Create(cc), "guest client"));
    (void)guests.back()->Send("GET", "/healthz");  // TLS handshake outside the timed region
  }
  // Guest keys beforehand (a guest makes one per boot; its cost is not the service's).
  std::vector<Guest> keys(n);
  std::atomic<int> next{0}, failures{0};
  std::vector<std::vector<double>> pair_lat(clients), attest_lat(clients), sign_ms(clients);
  const std::string challenge_body = nlohmann::json{{"vm_id", d.vm_id}}.dump();
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  threads.reserve(clients);
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      for (int i = next++; i < n; i = next++) {
        auto fail = [&](const std::string& why) {
          if (failures++ == 0) {
            std::fprintf(stderr, "first failure: %s\n", why.c_str());
          }
        };
        const auto t0 = Clock::now();
        auto ch = guests[c]->Send("POST", "/v1/attest/challenge", challenge_body);
        const auto t1 = Clock::now();
        if (!ch.ok() || ch->status != 201) {
          fail(ch.ok() ? ch->body.substr(0, 300) : ch.status().ToString());
          continue;
        }
        const std::string nonce = ch->json.value("nonce", "");
        const Bytes report = SignedReport(w, nonce, keys[i], d.host_data);
        const std::string body =
            nlohmann::json{{"vm_id", d.vm_id},
                           {"nonce", nonce},
                           {"guest_key", nlohmann::json::parse(keys[i].public_jwk)},
                           {"evidence",
                            {{"tee", "snp"}, {"report", Base64Encode(report)}, {"vcek", vcek_b64}}}}
                .dump();
        const auto t2 = Clock::now();
        auto r = guests[c]->Send("POST", "/v1/attest", body);
        const auto t3 = Clock::now();
        if (!r.ok() || r->status != 200 || !r->json.contains("keys") ||
            r->json["keys"].size() != 1) {
          fail(r.ok() ? r->body.substr(0, 300) : r.status().ToString());
          continue;
        }
        pair_lat[c].push_back(Ms(t1 - t0) + Ms(t3 - t2));
        attest_lat[c].push_back(Ms(t3 - t2));
        sign_ms[c].push_back(Ms(t2 - t1));
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  const double wall = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> pairs, attests;
  double sign_total = 0;
  for (int c = 0; c < clients; ++c) {
    pairs.insert(pairs.end(), pair_lat[c].begin(), pair_lat[c].end());
    attests.insert(attests.end(), attest_lat[c].begin(), attest_lat[c].end());
    for (double v : sign_ms[c]) {
      sign_total += v;
    }
  }
  // One released key opened by its guest: the figures are of real releases.
  {
    auto ch = Must(guests[0]->CallJson("POST", "/v1/attest/challenge", {{"vm_id", d.vm_id}}), "ch");
    Guest g;
    const std::string nonce = ch["nonce"];
    auto r = Must(
        guests[0]->CallJson("POST", "/v1/attest",
                            {{"vm_id", d.vm_id},
                             {"nonce", nonce},
                             {"guest_key", nlohmann::json::parse(g.public_jwk)},
                             {"evidence",
                              {{"tee", "snp"},
                               {"report", Base64Encode(SignedReport(w, nonce, g, d.host_data))},
                               {"vcek", vcek_b64}}}}),
        "check attest");
    const Bytes key =
        Must(protocol::DecryptFromService(r["keys"][0]["jwe"].get<std::string>(), g.private_jwk),
             "decrypt");
    if (key.size() != 32) {
      Die("released key is not 32 bytes");
    }
  }
  served.server->Stop();
  if (failures > 0) {
    Die(std::to_string(failures.load()) + " pairs failed");
  }
  result.pairs = Summarise(pairs, wall);
  result.attest_only = Summarise(attests, wall);
  result.signing_ms = pairs.empty() ? 0 : sign_total / pairs.size();
  return result;
}

void Print(const char* label, const Stats& s) {
  std::printf("%-50s %8.0f /s   p50 %7.2f ms   p99 %7.2f ms   mean %7.2f ms\n", label, s.per_second,
              s.p50_ms, s.p99_ms, s.mean_ms);
}

}  // namespace
}  // namespace attest::bench

namespace {

int Main(int argc, char** argv) {
  using namespace attest::bench;
  int n = 1000, clients = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--requests") {
      n = std::max(10, std::atoi(argv[i + 1]));
    }
    if (flag == "--clients") {
      clients = std::clamp(std::atoi(argv[i + 1]), 1, 64);
    }
  }
  const World world;
  std::printf(
      "key release: %d challenge+attest pairs per row; evidence = software-TEE SNP v3 report + "
      "VCEK (DER), one volume key per release; %u hardware threads\n\n",
      n, std::thread::hardware_concurrency());
  const bool have_pg = std::getenv("PGHOST") != nullptr;
  bool printed_in_process = false;
  Stats in_process;
  for (bool pg : {false, true}) {
    if (pg && !have_pg) {
      std::printf("PostgreSQL: skipped (PGHOST unset; scripts/services.sh start DIR)\n");
      continue;
    }
    const char* name = pg ? "PostgreSQL" : "SQLite";
    const ServiceResult one = Service(world, pg, n, 1, !printed_in_process);
    if (!printed_in_process) {
      in_process = one.in_process;
      Print("in-process DecideRelease+WrapKeysForGuest (1 thread)", in_process);
      printed_in_process = true;
    }
    const ServiceResult many = Service(world, pg, n, clients, false);
    char label[112];
    std::snprintf(label, sizeof(label), "HTTPS+%s pair, 1 client", name);
    Print(label, one.pairs);
    std::snprintf(label, sizeof(label), "  of which POST /v1/attest");
    Print(label, one.attest_only);
    std::snprintf(label, sizeof(label), "HTTPS+%s pair, %d clients", name, clients);
    Print(label, many.pairs);
    std::printf(
        "  %s: pair latency p50 = %.1fx the in-process release; %d-client pairs/s = %.0f%% of "
        "the 1-thread in-process rate (wall clock, including %.2f ms of software-TEE signing "
        "per pair)\n",
        name, one.pairs.p50_ms / in_process.mean_ms, clients,
        100.0 * many.pairs.per_second / in_process.per_second, many.signing_ms);
  }
  return 0;
}

}  // namespace

// Errors are Status values; an exception that escapes is a bug, reported as one rather than by
// std::terminate's abort.
int main(int argc, char** argv) {
  try {
    return Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "release_api_bench: internal error: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "release_api_bench: internal error\n");
  }
  return 70;  // EX_SOFTWARE
}
