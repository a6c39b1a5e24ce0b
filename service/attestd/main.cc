// attestd: the attestation and launch service.
//
//   attestd init  --data-dir DIR [--listen-port N] [--database URL]
//   attestd init  --data-dir DIR --config FILE       (the state an existing config names)
//   attestd serve --config FILE
//   attestd run   --data-dir DIR [--listen-port N]   (init when DIR is new, then serve)
//   attestd kek rotate|retire|status --config FILE     (KEK rotation, kek_command.h)
#include <sys/stat.h>

#include <csignal>
#include <filesystem>
#include <future>
#include <iostream>
#include <optional>
#include <thread>

#include "flags/args.h"
#include "launcher/libvirt_hypervisor.h"
#include "service/api/dispatch.h"
#include "service/attestd/collateral_worker.h"
#include "service/attestd/config.h"
#include "service/attestd/file_watch.h"
#include "service/attestd/kek_command.h"
#include "service/attestd/sd_notify.h"
#include "service/attestd/serve_inputs.h"
#include "service/attestd/setup.h"
#include "service/events/delivery_worker.h"
#include "service/hosts/ek_trust.h"
#include "service/log/log.h"
#include "service/release/ephemeral_key_pool.h"
#include "service/release/release.h"
#include "service/server/https_server.h"

namespace {

using attest::flags::Args;
using namespace attest::service;

constexpr const char* kUsage =
    "usage: attestd init  --data-dir DIR [--listen-port N] [--database sqlite:PATH|postgres:CONN]\n"
    "                     [--kek-pkcs11-module SO --kek-pkcs11-token-label L\n"
    "                      --kek-pkcs11-key-label K --kek-pkcs11-pin-file F]\n"
    "       attestd init  --data-dir DIR --config FILE\n"
    "       attestd serve --config FILE\n"
    "       attestd check-config FILE   (validates FILE and the files it names; starts nothing)\n"
    "       attestd run   --data-dir DIR [--listen-port N] [--database ...]\n"
    "       attestd kek rotate --config FILE [--batch-size N] [--pause-ms MS] [--retire]\n"
    "       attestd kek retire --config FILE [--kek-id ID]   (default: every previous KEK)\n"
    "       attestd kek status --config FILE\n";

attest::TimePoint Now() { return attest::WallClockNow(); }

int Fail(const attest::Status& status) {
  std::cerr << "attestd: " << status.ToString() << "\n";
  return 1;
}

attest::Result<attestd::InitOptions> InitOptionsFrom(const Args& args) {
  attestd::InitOptions options;
  ATTEST_ASSIGN_OR_RETURN(options.data_dir, args.Require("data-dir"));
  if (auto port = args.Get("listen-port")) {
    try {
      options.listen_port = std::stoi(*port);
    } catch (const std::exception&) {
      options.listen_port = 0;
    }
    if (options.listen_port <= 0 || options.listen_port > 65535) {
      return attest::Status(attest::reasons::kCliUsage, "--listen-port must be 1..65535");
    }
  }
  options.database = args.Get("database").value_or("");
  if (auto module = args.Get("kek-pkcs11-module")) {
    attest::service::keys::Pkcs11Config p11;
    p11.module_path = *module;
    ATTEST_ASSIGN_OR_RETURN(p11.token_label, args.Require("kek-pkcs11-token-label"));
    ATTEST_ASSIGN_OR_RETURN(p11.key_label, args.Require("kek-pkcs11-key-label"));
    ATTEST_ASSIGN_OR_RETURN(const std::string pin_file, args.Require("kek-pkcs11-pin-file"));
    p11.pin_source = "file:" + std::filesystem::absolute(pin_file).string();
    options.kek_pkcs11 = p11;
  } else if (args.Get("kek-pkcs11-token-label") || args.Get("kek-pkcs11-key-label") ||
             args.Get("kek-pkcs11-pin-file")) {
    return attest::Status(attest::reasons::kCliUsage, "--kek-pkcs11-* needs --kek-pkcs11-module");
  }
  return options;
}

// Init makes a new data directory, or with config_path the state that configuration names.
int Init(const attestd::InitOptions& options, const std::string& config_path = "") {
  attest::Result<attestd::InitResult> r =
      config_path.empty() ? attestd::InitDataDir(options, Now())
                          : attestd::InitFromConfig(config_path, options, Now());
  if (!r.ok()) {
    return Fail(r.status());
  }
  std::cout << "attestd: initialised " << r->config_path << "\n";
  if (!r->credentials_path.empty()) {
    // Shown once; the file is the only other copy (mode 0600).
    std::cout << "operator credentials (also in " << r->credentials_path << "):\n"
              << "  aws_access_key_id     = " << r->access_key_id << "\n"
              << "  aws_secret_access_key = " << r->secret_access_key << "\n";
  } else {
    std::cout << "the database already has an operator; no new credentials were made\n";
  }
  return 0;
}

volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }
volatile std::sig_atomic_t g_reload = 0;
void OnReload(int) { g_reload = 1; }

// CheckConfig loads config_path and everything it names the way Serve does (the KEK file or PIN
// file checked with the rules that open them), without opening the database, logging in to a
// token or listening.
int CheckConfig(const std::string& config_path) {
  attest::Result<attestd::Config> config = attestd::LoadConfig(config_path);
  if (!config.ok()) {
    return Fail(config.status());
  }
  attest::Result<attestd::ServeInputs> inputs = attestd::LoadServeInputs(*config);
  if (!inputs.ok()) {
    return Fail(inputs.status());
  }
  for (const std::string& warning : attestd::ServeWarnings(*config, *inputs)) {
    std::cerr << "attestd: " << warning << "\n";
  }
  // The bounds that decide how attestd behaves under load, as they were resolved from defaults.
  std::cout << "attestd: server_threads " << config->server_threads
            << ", max_concurrent_verifications " << config->api.max_concurrent_verifications
            << ", slow_work_threads " << config->api.slow_work_threads << ", slow_work_queue "
            << config->api.slow_work_queue << "\n";
  std::cout << "attestd: " << config_path << " is valid\n";
  return 0;
}

// ParseCount reads a flag's value as an integer in min..max.
attest::Result<int64_t> ParseCount(const Args& args, const std::string& flag, int64_t fallback,
                                   int64_t min, int64_t max) {
  const std::optional<std::string> text = args.Get(flag);
  if (!text) {
    return fallback;
  }
  int64_t n = min - 1;
  try {
    size_t used = 0;
    n = std::stoll(*text, &used);
    n = used == text->size() ? n : min - 1;
  } catch (const std::exception&) {
  }
  if (n < min || n > max) {
    return attest::Status(
        attest::reasons::kCliUsage,
        "--" + flag + " must be " + std::to_string(min) + ".." + std::to_string(max));
  }
  return n;
}

// Kek runs `attestd kek VERB` on the configuration's database with its KEKs (the current one and
// previous_keks), next to a serving attestd.
int Kek(const std::string& verb, const Args& args) {
  attest::Result<std::string> config_path = args.Require("config");
  attest::Result<int64_t> batch = ParseCount(args, "batch-size", 100, 1, 10000);
  attest::Result<int64_t> pause = ParseCount(args, "pause-ms", 0, 0, 60000);
  for (const attest::Status& s : {config_path.status(), batch.status(), pause.status()}) {
    if (!s.ok()) {
      std::cerr << "attestd: " << s.message() << "\n" << kUsage;
      return 2;
    }
  }
  attest::Result<attestd::Config> config = attestd::LoadConfig(*config_path);
  if (!config.ok()) {
    return Fail(config.status());
  }
  attest::Result<std::shared_ptr<const keys::KeyRing>> ring = attestd::OpenKeyRing(*config);
  if (!ring.ok()) {
    return Fail(ring.status());
  }
  attest::Result<std::unique_ptr<store::Store>> db = attestd::OpenStore(*config, *ring);
  if (!db.ok()) {
    return Fail(db.status());
  }
  attest::Status done = attest::Status::Ok();
  if (verb == "rotate") {
    attestd::KekRotateOptions options;
    options.batch_size = *batch;
    options.pause = std::chrono::milliseconds(*pause);
    options.retire = args.Has("retire");
    done = attestd::RotateKek(**db, **ring, options, Now, std::cout);
  } else if (verb == "retire") {
    done = attestd::RetireKek(**db, **ring, args.Get("kek-id").value_or(""), Now, std::cout);
  } else {
    done = attestd::PrintKekStatus(**db, **ring, std::cout);
  }
  return done.ok() ? 0 : Fail(done);
}

int Serve(const std::string& config_path) {
  attest::Result<attestd::Config> config = attestd::LoadConfig(config_path);
  if (!config.ok()) {
    return Fail(config.status());
  }
  log::SetFormat(config->log_format);
  // One KEK ring for the process (a PKCS#11 session is not opened per connection): it writes
  // under the current KEK and reads under any configured one. Open the database once at start-up
  // so a bad database or KEK fails here, not at the first request.
  attest::Result<std::shared_ptr<const keys::KeyRing>> ring = attestd::OpenKeyRing(*config);
  if (!ring.ok()) {
    return Fail(ring.status());
  }
  const attest::Result<std::shared_ptr<const keys::KeyEncryptionKey>> kek =
      std::shared_ptr<const keys::KeyEncryptionKey>(*ring);
  attest::Result<std::unique_ptr<store::Store>> first = attestd::OpenStore(*config, *kek);
  if (!first.ok()) {
    return Fail(first.status());
  }
  {
    // A KEK retired by `attestd kek retire` is not written with again.
    attest::Result<std::vector<std::string>> kek_warnings =
        attestd::CheckKeksAtStart(**first, **ring);
    if (!kek_warnings.ok()) {
      return Fail(kek_warnings.status());
    }
    for (const std::string& warning : *kek_warnings) {
      log::Write(log::Level::kWarning, warning);
    }
  }
  first->reset();
  attest::Result<attestd::ServeInputs> inputs = attestd::LoadServeInputs(*config);
  if (!inputs.ok()) {
    return Fail(inputs.status());
  }
  log::Write(log::Level::kInfo, "EK CAs",
             {{"vendor", std::to_string(inputs->ek_trust->num_vendor_cas())},
              {"ek_ca_bundle", std::to_string(inputs->ek_trust->num_operator_cas())}});
  for (const std::string& warning : attestd::ServeWarnings(*config, *inputs)) {
    log::Write(log::Level::kWarning, warning);
  }

  metrics::Registry registry;
  api::DefineApiMetrics(registry);
  store::StorePool pool([c = *config, k = *kek] { return attestd::OpenStore(c, k); },
                        static_cast<size_t>(config->max_idle_connections));
  api::ServiceContext service;
  service.config = config->api;
  service.config.luks.cryptsetup = inputs->cryptsetup;  // resolved once, never from PATH
  service.config.max_collateral_age = config->collateral.max_age;
  service.stores = &pool;
  service.metrics = &registry;
  service.now = Now;
  service.kek = *kek;
  service.anchors = inputs->anchors.get();
  service.ek_trust = inputs->ek_trust;
  // VMs are launched on hosts registered with a libvirt_uri, one connection per launch or stop.
  service.launch = config->launch;
  // The launch path checks each stored URI against the allowlist before it gets here
  // (vm_launch.cc ConnectToHost, its only caller).
  service.connect_hypervisor =
      [](const std::string& uri) -> attest::Result<std::shared_ptr<attest::launcher::Hypervisor>> {
    ATTEST_ASSIGN_OR_RETURN(std::unique_ptr<attest::launcher::LibvirtHypervisor> hv,
                            attest::launcher::LibvirtHypervisor::Open(uri));
    return std::shared_ptr<attest::launcher::Hypervisor>(std::move(hv));
  };
  service.token_key = inputs->token_key.get();
  service.measurement_firmware = inputs->measurement_firmware;
  release::EphemeralKeyPool ephemeral_keys(static_cast<size_t>(config->ephemeral_key_pool));
  service.ephemeral_keys = &ephemeral_keys;
  api::Api api(std::move(service));

  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGPIPE, SIG_IGN);
  std::signal(SIGHUP, OnReload);
  attest::Result<std::unique_ptr<server::HttpsServer>> server = server::HttpsServer::Start(
      config->server, [&api](const attest::HttpRequest& r) { return api.Handle(r); },
      api.Streams());
  if (!server.ok()) {
    return Fail(server.status());
  }
  // Webhook deliveries from the outbox, on their own database connection (issue 15).
  events::WorkerConfig webhooks = config->webhooks;
  webhooks.owner = events::NewWorkerOwner();
  events::DefineWebhookMetrics(registry);
  events::DeliveryWorker deliveries(
      webhooks, [c = *config, k = *kek] { return attestd::OpenStore(c, k); }, &registry, Now);
  deliveries.Start();
  // Collateral from AMD KDS / Intel PCS into the shared cache (issue 19), on its own thread and
  // connection; one replica at a time fetches (a lease in the database).
  attestd::DefineCollateralMetrics(registry);
  attestd::CollateralWorker collateral_worker(
      config->collateral, events::NewWorkerOwner(),
      [c = *config, k = *kek] { return attestd::OpenStore(c, k); }, &registry, Now);
  collateral_worker.Start();
  log::Write(
      log::Level::kInfo, "serving",
      {{"url", "https://" + config->server.host + ":" + std::to_string(config->server.port) + "/"},
       {"database", config->database.substr(0, config->database.find(':'))}});
  // Under systemd (Type=notify): ready once the database is open and the listener is up.
  attestd::SdNotify("READY=1");
  const std::optional<std::chrono::microseconds> watchdog = attestd::WatchdogInterval();
  // Due reports whether period has passed since last, and then starts the next period.
  using Clock = std::chrono::steady_clock;
  auto due = [](Clock::time_point& last, Clock::duration period) {
    if (Clock::now() - last < period) {
      return false;
    }
    last = Clock::now();
    return true;
  };
  auto last_ping = Clock::now();
  auto keep_watchdog_fed = [&] {
    if (watchdog && due(last_ping, *watchdog)) {
      attestd::SdNotify("WATCHDOG=1");
    }
  };
  auto reload_certificate = [&](const char* why) {
    if (attest::Status s = (*server)->ReloadCertificate(); s.ok()) {
      log::Write(log::Level::kInfo, "TLS certificate reloaded", {{"on", why}});
    } else {
      log::Write(log::Level::kError, "TLS certificate not reloaded, still serving the old one",
                 {{"on", why}, {"error", s.ToString()}});
    }
  };
  // A renewal that rewrites or replaces the files is picked up without a SIGHUP, a few seconds
  // after the files stop changing (FileWatch).
  std::optional<attestd::FileWatch> tls_files;
  if (config->server.tls) {
    tls_files.emplace(
        std::vector<std::string>{config->server.cert_chain_file, config->server.private_key_file});
  }
  constexpr auto kTlsFilesPoll = std::chrono::seconds(2);
  auto last_poll = Clock::now();
  // Expired nonces and request signatures are deleted once a minute (by one replica at a time),
  // so unauthenticated challenges do not grow the database without bound.
  constexpr auto kPurgeEvery = std::chrono::seconds(60);
  auto last_purge = Clock::now();
  // A batch at a time (each its own short transaction), more batches while a whole one was due:
  // request signatures expire at the rate signed writes arrive, with no other cleanup.
  constexpr int64_t kPurgeBatch = 10000;
  constexpr int kMaxPurgeBatches = 20;
  auto purge_expired = [&pool] {
    int64_t total = 0;
    for (int round = 0; round < kMaxPurgeBatches; ++round) {
      attest::Result<store::StorePool::Lease> lease = pool.Acquire();
      attest::Result<std::optional<int64_t>> purged =
          lease.ok() ? (*lease)->PurgeExpired(Now(), kPurgeBatch)
                     : attest::Result<std::optional<int64_t>>(lease.status());
      if (!purged.ok()) {
        log::Write(log::Level::kWarning, "purging expired nonces",
                   {{"error", purged.status().ToString()}});
        break;
      }
      total += purged->value_or(0);
      if (purged->value_or(0) < kPurgeBatch) {
        break;  // done, or another replica is purging
      }
    }
    if (total > 0) {
      log::Write(log::Level::kInfo, "purged expired nonces and request signatures",
                 {{"rows", std::to_string(total)}});
    }
  };
  while (g_stop == 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    keep_watchdog_fed();
    if (g_reload != 0) {
      g_reload = 0;
      reload_certificate("SIGHUP");
    }
    if (due(last_purge, kPurgeEvery)) {
      purge_expired();
    }
    if (tls_files && due(last_poll, kTlsFilesPoll) && tls_files->Poll()) {
      reload_certificate("file change");
    }
  }
  attestd::SdNotify("STOPPING=1");
  // Stop taking requests, let those in flight finish (up to the grace), then close. The
  // watchdog is fed meanwhile: a grace longer than WatchdogSec must not get attestd killed.
  log::Write(log::Level::kInfo, "stopping",
             {{"grace_seconds", std::to_string(config->shutdown_grace.count())}});
  std::future<int> drained = std::async(
      std::launch::async, [&server, &config] { return (*server)->Drain(config->shutdown_grace); });
  while (drained.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) {
    keep_watchdog_fed();
  }
  const int cut_off = drained.get();
  if (cut_off > 0) {
    log::Write(log::Level::kWarning, "requests still in flight when the grace ran out",
               {{"requests", std::to_string(cut_off)}});
  }
  deliveries.Stop();  // transfers in flight are cancelled; their rows are due again at once
  collateral_worker.Stop();
  log::Write(log::Level::kInfo, "stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  umask(077);  // the database, keys and credentials are for this user only
  const std::string command = argv[1];
  attest::flags::FlagSpec spec;
  if (command == "init" || command == "run") {
    spec.with_value = {"data-dir",
                       "config",
                       "listen-port",
                       "database",
                       "kek-pkcs11-module",
                       "kek-pkcs11-token-label",
                       "kek-pkcs11-key-label",
                       "kek-pkcs11-pin-file"};
  } else if (command == "serve") {
    spec.with_value = {"config"};
  } else if (command == "check-config" && argc == 3) {
    return CheckConfig(argv[2]);
  } else if (command == "kek" && argc >= 3 &&
             (std::string(argv[2]) == "rotate" || std::string(argv[2]) == "retire" ||
              std::string(argv[2]) == "status")) {
    spec.with_value = {"config", "batch-size", "pause-ms", "kek-id"};
    spec.boolean = {"retire"};
    attest::Result<Args> kek_args = Args::Parse(argc, argv, 3, spec);
    if (!kek_args.ok()) {
      std::cerr << "attestd: " << kek_args.status().message() << "\n" << kUsage;
      return 2;
    }
    return Kek(argv[2], *kek_args);
  } else {
    std::cerr << kUsage;
    return 2;
  }
  attest::Result<Args> args = Args::Parse(argc, argv, 2, spec);
  if (!args.ok()) {
    std::cerr << "attestd: " << args.status().message() << "\n" << kUsage;
    return 2;
  }
  if (command == "serve") {
    attest::Result<std::string> config = args->Require("config");
    if (!config.ok()) {
      return Fail(config.status());
    }
    return Serve(*config);
  }
  attest::Result<attestd::InitOptions> options = InitOptionsFrom(*args);
  if (!options.ok()) {
    std::cerr << "attestd: " << options.status().message() << "\n" << kUsage;
    return 2;
  }
  const std::string config_path =
      (std::filesystem::path(options->data_dir) / "attestd.json").string();
  if (command == "init") {
    const std::optional<std::string> config = args->Get("config");
    if (config &&
        (args->Get("listen-port") || args->Get("database") || args->Get("kek-pkcs11-module"))) {
      std::cerr << "attestd: with --config, the configuration file says those\n" << kUsage;
      return 2;
    }
    return Init(*options, config.value_or(""));
  }
  if (args->Get("config")) {
    std::cerr << "attestd: --config: only with init\n" << kUsage;
    return 2;
  }
  if (!std::filesystem::exists(config_path)) {
    int rc = Init(*options);
    if (rc != 0) {
      return rc;
    }
  }
  return Serve(config_path);
}
