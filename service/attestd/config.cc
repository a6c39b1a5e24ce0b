#include "service/attestd/config.h"

#include <filesystem>

#include <nlohmann/json.hpp>

#include "attest/core/file_io.h"

namespace attest::service::attestd {
namespace {

Status ConfigError(const std::string& path, const std::string& what) {
  return Status(reasons::kApiConfig, path + ": " + what);
}

std::string Resolve(const std::filesystem::path& dir, const std::string& file) {
  if (file.empty() || std::filesystem::path(file).is_absolute()) return file;
  return (dir / file).lexically_normal().string();
}

}  // namespace

Result<Config> LoadConfig(const std::string& path) {
  Result<Bytes> bytes = ReadFileBytes(path);
  if (!bytes.ok()) return ConfigError(path, bytes.status().message());
  nlohmann::json doc = nlohmann::json::parse(bytes->begin(), bytes->end(), nullptr, false);
  if (!doc.is_object()) return ConfigError(path, "not a JSON object");

  Config c;
  const std::filesystem::path dir = std::filesystem::absolute(path).parent_path();
  for (const auto& [key, value] : doc.items()) {
    auto text = [&](std::string* out) -> Status {
      if (!value.is_string()) return ConfigError(path, "\"" + key + "\" must be a string");
      *out = value.get<std::string>();
      return Status::Ok();
    };
    auto number = [&](int64_t min, int64_t max, int64_t* out) -> Status {
      if (!value.is_number_integer() || value.get<int64_t>() < min || value.get<int64_t>() > max) {
        return ConfigError(path, "\"" + key + "\" must be an integer in " + std::to_string(min) +
                                     ".." + std::to_string(max));
      }
      *out = value.get<int64_t>();
      return Status::Ok();
    };
    int64_t n = 0;
    if (key == "listen_host") {
      ATTEST_RETURN_IF_ERROR(text(&c.server.host));
    } else if (key == "listen_port") {
      ATTEST_RETURN_IF_ERROR(number(1, 65535, &n));
      c.server.port = static_cast<int>(n);
    } else if (key == "tls_cert") {
      ATTEST_RETURN_IF_ERROR(text(&c.server.cert_chain_file));
    } else if (key == "tls_key") {
      ATTEST_RETURN_IF_ERROR(text(&c.server.private_key_file));
    } else if (key == "database") {
      ATTEST_RETURN_IF_ERROR(text(&c.database));
    } else if (key == "kek_file") {
      ATTEST_RETURN_IF_ERROR(text(&c.kek_file));
    } else if (key == "region") {
      ATTEST_RETURN_IF_ERROR(text(&c.api.region));
    } else if (key == "service") {
      ATTEST_RETURN_IF_ERROR(text(&c.api.service));
    } else if (key == "ek_ca_bundle") {
      ATTEST_RETURN_IF_ERROR(text(&c.api.ek_ca_bundle));
    } else if (key == "nonce_ttl_seconds") {
      ATTEST_RETURN_IF_ERROR(number(10, 3600, &n));
      c.api.nonce_ttl = std::chrono::seconds(n);
    } else if (key == "host_trust_ttl_seconds") {
      ATTEST_RETURN_IF_ERROR(number(60, 7 * 86400, &n));
      c.api.host_trust_ttl = std::chrono::seconds(n);
    } else if (key == "max_idle_connections") {
      ATTEST_RETURN_IF_ERROR(number(1, 256, &n));
      c.max_idle_connections = static_cast<int>(n);
    } else {
      return ConfigError(path, "unknown setting \"" + key + "\"");
    }
  }
  if (c.database.rfind("sqlite:", 0) == 0) {
    c.database = "sqlite:" + Resolve(dir, c.database.substr(7));
  } else if (c.database.rfind("postgres:", 0) != 0) {
    return ConfigError(path, "\"database\" must start with sqlite: or postgres:");
  }
  if (c.kek_file.empty()) return ConfigError(path, "\"kek_file\" is required");
  c.kek_file = Resolve(dir, c.kek_file);
  c.server.cert_chain_file = Resolve(dir, c.server.cert_chain_file);
  c.server.private_key_file = Resolve(dir, c.server.private_key_file);
  c.api.ek_ca_bundle = Resolve(dir, c.api.ek_ca_bundle);
  if (c.server.cert_chain_file.empty() || c.server.private_key_file.empty()) {
    return ConfigError(path, "\"tls_cert\" and \"tls_key\" are required");
  }
  return c;
}

std::string ConfigJson(const Config& c) {
  nlohmann::json doc = {{"listen_host", c.server.host},
                        {"listen_port", c.server.port},
                        {"tls_cert", c.server.cert_chain_file},
                        {"tls_key", c.server.private_key_file},
                        {"database", c.database},
                        {"kek_file", c.kek_file},
                        {"region", c.api.region},
                        {"service", c.api.service},
                        {"nonce_ttl_seconds", c.api.nonce_ttl.count()},
                        {"host_trust_ttl_seconds", c.api.host_trust_ttl.count()},
                        {"max_idle_connections", c.max_idle_connections}};
  if (!c.api.ek_ca_bundle.empty()) doc["ek_ca_bundle"] = c.api.ek_ca_bundle;
  return doc.dump(2) + "\n";
}

}  // namespace attest::service::attestd
