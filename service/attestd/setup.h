// Setting up and opening attestd's state: `attestd init` and what `serve` opens at start-up.
#pragma once

#include <memory>
#include <string>

#include "attest/core/status.h"
#include "attest/core/time.h"
#include "service/attestd/config.h"
#include "service/keys/kek.h"
#include "service/store/store.h"

namespace attest::service::attestd {

struct InitOptions {
  std::string data_dir;
  std::string listen_host = "127.0.0.1";
  int listen_port = 8443;
  std::string database;  // "" = sqlite:attestd.db in data_dir
  std::string operator_name = "operator";
};

struct InitResult {
  std::string config_path;
  std::string credentials_path;  // "" when the operator already existed (shared database)
  std::string access_key_id;
  std::string secret_access_key;
};

// InitDataDir creates data_dir (0700) with a KEK file, a self-signed TLS key pair, attestd.json,
// the database schema and the first operator with credentials written to operator-credentials
// (0600, in the ~/.aws/credentials format, profile "attestd-operator"). It never overwrites:
// an existing attestd.json fails with reasons::kApiConfig.
Result<InitResult> InitDataDir(const InitOptions& options, TimePoint now);

// OpenKek opens the configured key-encryption key: the local key file. Fails with
// store.kek_invalid (missing, wrong size, readable by others).
Result<std::shared_ptr<const keys::KeyEncryptionKey>> OpenKek(const Config& config);

// OpenStore opens the configured database (migrating the schema), sealing credentials with kek.
Result<std::unique_ptr<store::Store>> OpenStore(const Config& config,
                                                std::shared_ptr<const keys::KeyEncryptionKey> kek);
// OpenStore opens the configured KEK and then the database with it.
Result<std::unique_ptr<store::Store>> OpenStore(const Config& config);

}  // namespace attest::service::attestd
