// attestd's configuration file (JSON), written by `attestd init` and read by `attestd serve`.
#pragma once

#include <string>

#include "attest/core/status.h"
#include "service/api/context.h"
#include "service/server/https_server.h"

namespace attest::service::attestd {

struct Config {
  server::ServerConfig server;  // listen address, TLS files
  // database: "sqlite:PATH" (embedded default) or "postgres:CONNINFO" (libpq connection string;
  // "postgres:" alone uses the PG* environment variables).
  std::string database;
  std::string kek_file;  // 32-byte key-encryption key, mode 0600
  api::ServiceConfig api;
  int max_idle_connections = 8;
};

// LoadConfig reads path strictly (unknown members are errors); relative file names are taken
// relative to the file's directory. Fails with reasons::kApiConfig.
Result<Config> LoadConfig(const std::string& path);

// ConfigJson is the text LoadConfig reads back (paths written as given).
std::string ConfigJson(const Config& config);

}  // namespace attest::service::attestd
