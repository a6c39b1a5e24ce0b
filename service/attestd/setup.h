// Setting up and opening attestd's state: `attestd init` and what `serve` opens at start-up.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "attest/core/ossl.h"
#include "attest/core/status.h"
#include "attest/core/time.h"
#include "service/attestd/config.h"
#include "service/keys/kek.h"
#include "service/keys/key_ring.h"
#include "service/keys/pkcs11_kek.h"
#include "service/store/store.h"

namespace attest::service::attestd {

struct InitOptions {
  std::string data_dir;
  std::string listen_host = "127.0.0.1";
  int listen_port = 8443;
  std::string database;  // "" = sqlite:attestd.db in data_dir
  std::string operator_name = "operator";
  // kek_pkcs11: keep the KEK on this PKCS#11 token instead of creating kek.bin. The operator's
  // credentials are sealed by the KEK at init, so the choice is made here, not edited later.
  std::optional<keys::Pkcs11Config> kek_pkcs11;
};

struct InitResult {
  std::string config_path;
  std::string credentials_path;  // "" when the operator already existed (shared database)
  std::string access_key_id;
  std::string secret_access_key;
};

// InitDataDir creates data_dir (0700) with a KEK file, a self-signed TLS key pair, a P-384
// result-token key (token-key.pem, 0600), the volume directory (volumes/, 0700), attestd.json,
// the database schema and the first operator with credentials written to operator-credentials
// (0600, in the ~/.aws/credentials format, profile "attestd-operator"). It never overwrites:
// an existing attestd.json fails with reasons::kApiConfig.
Result<InitResult> InitDataDir(const InitOptions& options, TimePoint now);

// InitFromConfig creates the state an existing configuration file names (the packaged
// /etc/attestd/attestd.json): its KEK file, TLS pair, token key, volume directory and database
// with the first operator, whose credentials go to options.data_dir/operator-credentials. Only
// options.data_dir and operator_name are used. Like InitDataDir it never overwrites, and a
// failure removes what it created.
Result<InitResult> InitFromConfig(const std::string& config_path, const InitOptions& options,
                                  TimePoint now);

// OpenKeyRing opens the configured key-encryption keys, the current one and previous_keks: each a
// local key file (store.kek_invalid when missing, of the wrong size or readable by others) or a
// PKCS#11 key (Pkcs11Kek::Open's keys.* reasons). A KEK whose id is not the one configured for it
// is keys.wrong_key; one KEK configured twice is keys.config_invalid.
// A PIN read from an environment variable ("kek_pkcs11_pin_env") is wiped from the environment
// afterwards, whether the ring opened or not: open the ring once per process.
Result<std::shared_ptr<const keys::KeyRing>> OpenKeyRing(const Config& config);

// OpenKek is OpenKeyRing as the KEK attestd wraps and unwraps with.
Result<std::shared_ptr<const keys::KeyEncryptionKey>> OpenKek(const Config& config);

// OpenStore opens the configured database (migrating the schema), sealing credentials with kek.
Result<std::unique_ptr<store::Store>> OpenStore(const Config& config,
                                                std::shared_ptr<const keys::KeyEncryptionKey> kek);
// OpenStore opens the configured KEK and then the database with it.
Result<std::unique_ptr<store::Store>> OpenStore(const Config& config);

// LoadTokenKey reads the result-token signing key: a PEM EC P-256 or P-384 private key that
// group and others cannot read. Fails with reasons::kApiConfig.
Result<EvpPkeyPtr> LoadTokenKey(const std::string& path);

}  // namespace attest::service::attestd
