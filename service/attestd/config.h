// attestd's configuration file (JSON), written by `attestd init` and read by `attestd serve`.
#pragma once

#include <optional>
#include <string>

#include "attest/core/status.h"
#include "service/api/context.h"
#include "service/attestd/collateral_config.h"
#include "service/events/delivery_worker.h"
#include "service/keys/pkcs11_kek.h"
#include "service/launch/settings.h"
#include "service/log/log.h"
#include "service/release/release.h"
#include "service/server/https_server.h"

namespace attest::service::attestd {

// KekSource: where one KEK lives, a local key file or a key on a PKCS#11 token, and the id it must
// have (KeyEncryptionKey::key_id; "" = whatever it has, allowed for the current KEK only).
struct KekSource {
  std::string id;
  std::string file;
  std::optional<keys::Pkcs11Config> pkcs11;
};

struct Config {
  server::ServerConfig server;  // listen address, TLS files
  // database: "sqlite:PATH" (embedded default) or "postgres:CONNINFO" (libpq connection string;
  // "postgres:" alone uses the PG* environment variables).
  std::string database;
  // The key-encryption key: exactly one of a local key file (32 bytes, mode 0600; `kek_file`) and
  // a PKCS#11 token (`kek_pkcs11_module`, `kek_pkcs11_token_label`, `kek_pkcs11_key_label` and
  // the PIN from `kek_pkcs11_pin_file` or `kek_pkcs11_pin_env`).
  std::string kek_file;
  std::optional<keys::Pkcs11Config> kek_pkcs11;
  // kek_id: when set, the id the current KEK must have (a key file or token key that turns out
  // to be another key is refused with keys.wrong_key).
  std::string kek_id;
  // previous_keks: KEKs rows may still be wrapped by while `attestd kek rotate` moves them to the
  // current one (issue 17 #14): a list of objects, each with "id" and the KEK's settings as
  // above ("kek_file" or the "kek_pkcs11_*" ones). attestd reads rows under any of them and
  // writes only under the current one.
  std::vector<KekSource> previous_keks;
  // token_key: PEM EC P-256/P-384 private key (mode 0600) signing result tokens; "" = key release
  // answers 500 (configurations from before issue 9).
  std::string token_key;
  // test_roots: a JSON file {"snp_root_chains": [PEM files], "tdx_roots": [PEM files]} whose
  // roots REPLACE the vendors' for key release. Only for test deployments; logged loudly.
  std::string test_roots;
  api::ServiceConfig api;  // volume_dir, max_volume_bytes, release rate limits live here
  int max_idle_connections = 8;
  // server_threads: threads that read requests and run their handlers (server.threads).
  int server_threads = 8;
  // ephemeral_key_pool: P-384 keys key release takes, made ahead by one background thread
  // (0: every release makes its own).
  int ephemeral_key_pool = 16;
  // launch: VMs attestd starts on hosts registered with a libvirt_uri (`launch_domain_type`,
  // `launch_snp_firmware`, `launch_tdx_firmware`, `launch_allow_dac_only`,
  // `launch_max_quote_age_seconds`).
  launch::LaunchSettings launch;
  // webhooks: the delivery worker (`webhooks_*` settings, service/attestd/webhook_config.h);
  // webhooks_allow_loopback_http also goes to api.webhooks_allow_loopback_http.
  events::WorkerConfig webhooks;
  // The operator's firmware POST /v1/measurements measures with (issue 18): a file attestd reads
  // at start and the SHA-256 it must have (`snp_firmware_image` / `snp_firmware_sha256` for SEV,
  // SEV-ES and SEV-SNP; `tdx_firmware_image` / `tdx_firmware_sha256`). Unset: not offered.
  struct FirmwareImage {
    std::string path;
    std::string sha256;  // lower-case hex
  };
  FirmwareImage snp_firmware_image;
  FirmwareImage tdx_firmware_image;
  // log_format: text (default) or JSON lines (service/log/log.h); access_log is in api.
  log::Format log_format = log::Format::kText;
  // shutdown_grace: on SIGTERM, how long requests in flight may take to finish after attestd
  // stops taking new ones.
  std::chrono::seconds shutdown_grace{30};

  // --- collateral (issue 19): KDS / PCS fetching and the shared cache, collateral_config.h ---
  CollateralConfig collateral;
};

// LoadConfig reads path strictly (unknown members are errors); relative file names are taken
// relative to the file's directory. Fails with reasons::kApiConfig.
Result<Config> LoadConfig(const std::string& path);

// ConfigJson is the text LoadConfig reads back (paths written as given).
std::string ConfigJson(const Config& config);

// LoadTestRoots reads the test_roots file (paths in it relative to the file). "" = the shipped
// anchors (empty lists). Fails with reasons::kApiConfig.
Result<release::TrustAnchorConfig> LoadTestRoots(const std::string& path);

}  // namespace attest::service::attestd
