#include "service/attestd/config.h"

#include <algorithm>
#include <filesystem>
#include <optional>

#include <nlohmann/json.hpp>

#include "attest/core/encoding.h"
#include "attest/core/file_io.h"
#include "attest/core/json.h"
#include "service/attestd/webhook_config.h"
#include "service/http/ip_address.h"

namespace attest::service::attestd {
namespace {

Status ConfigError(const std::string& path, const std::string& what) {
  return Status(reasons::kApiConfig, path + ": " + what);
}

// ReadConfigObject reads a configuration file's text with the project's strict JSON reader
// (attest/core/json.h): a setting given twice is refused rather than the last one winning.
Result<nlohmann::json> ReadConfigObject(const std::string& path, const Bytes& bytes) {
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  Result<nlohmann::json> doc = ReadJson(text, reasons::kApiConfig);
  if (!doc.ok() || !doc->is_object()) {
    return ConfigError(path, "not a JSON object");
  }
  return doc;
}

std::string Resolve(const std::filesystem::path& dir, const std::string& file) {
  if (file.empty() || std::filesystem::path(file).is_absolute()) {
    return file;
  }
  return (dir / file).lexically_normal().string();
}

// ReadCidrList reads the list of CIDRs setting key; any entry that is not one fails the whole
// file.
Status ReadCidrList(const std::string& path, const std::string& key, const nlohmann::json& value,
                    std::vector<http::IpNetwork>& out) {
  constexpr size_t kMaxCidrs = 256;
  if (!value.is_array() || value.size() > kMaxCidrs) {
    return ConfigError(
        path, "\"" + key + "\" must be a list of at most " + std::to_string(kMaxCidrs) + " CIDRs");
  }
  out.clear();
  for (const nlohmann::json& item : value) {
    if (!item.is_string()) {
      return ConfigError(path, "\"" + key + "\" entries must be strings");
    }
    Result<http::IpNetwork> network = http::ParseCidr(item.get<std::string>());
    if (!network.ok()) {
      return ConfigError(path, "\"" + key + "\": " + network.status().message());
    }
    out.push_back(*network);
  }
  return Status::Ok();
}

// ReadTenantNetRanges reads tenant_net_pools or reserved_cidrs: IPv4 CIDRs (tenant nets are
// IPv4). A pool must have room for a net (the smallest is a /29).
Status ReadTenantNetRanges(const std::string& path, const std::string& key,
                           const nlohmann::json& value, std::vector<http::IpNetwork>& out) {
  ATTEST_RETURN_IF_ERROR(ReadCidrList(path, key, value, out));
  for (const http::IpNetwork& network : out) {
    if (!network.base.v4) {
      return ConfigError(path, "\"" + key + "\": " + network.ToString() +
                                   ": tenant nets are IPv4; want an IPv4 CIDR");
    }
    if (key == "tenant_net_pools" && network.prefix_bits > 29) {
      return ConfigError(path, "\"" + key + "\": " + network.ToString() +
                                   " is smaller than the smallest tenant net (/29)");
    }
  }
  return Status::Ok();
}

// SizeSlowWork sets the slow-work pool's size: each admitted job holds a request thread while it
// waits, so threads + queue must stay below server_threads, or a burst of volume creations could
// hold every request thread again. Unset sizes default to 2 and 2, less when server_threads is
// small.
Status SizeSlowWork(const std::string& path, std::optional<size_t> threads,
                    std::optional<size_t> queue, Config& c) {
  const size_t server = static_cast<size_t>(c.server_threads);
  const size_t spare = server - 1;  // threads slow work may hold at most
  c.api.slow_work_threads = threads.value_or(std::clamp<size_t>(spare / 2, 1, 2));
  c.api.slow_work_queue = queue.value_or(
      spare > c.api.slow_work_threads ? std::min<size_t>(spare - c.api.slow_work_threads, 2) : 0);
  if (c.api.slow_work_threads + c.api.slow_work_queue >= server) {
    return ConfigError(path, "\"slow_work_threads\" + \"slow_work_queue\" (" +
                                 std::to_string(c.api.slow_work_threads) + " + " +
                                 std::to_string(c.api.slow_work_queue) +
                                 ") must be below \"server_threads\" (" + std::to_string(server) +
                                 "), so other requests always find a thread");
  }
  return Status::Ok();
}

// DefaultVerifications is max_concurrent_verifications when unset: half the server threads.
size_t DefaultVerifications(int server_threads) {
  return std::max<size_t>(static_cast<size_t>(server_threads) / 2, 1);
}

// SizeVerifications sets how many key release verifications run at once. Request handlers are
// synchronous, so a bound of server_threads or more never binds; below it, a flood of attest
// requests (each milliseconds of signature checks) leaves threads for challenges, the tenant and
// operator API and health checks.
// KekSettings: the KEK settings of the top level or of a previous_keks entry, as read.
struct KekSettings {
  std::string file;
  keys::Pkcs11Config pkcs11;
  std::string pin_file, pin_env;
};

// ReadKekSetting reads key into settings when it is one of the KEK settings; false otherwise.
Result<bool> ReadKekSetting(const std::string& path, const std::string& key,
                            const nlohmann::json& value, KekSettings& s) {
  std::string* out = key == "kek_file"                 ? &s.file
                     : key == "kek_pkcs11_module"      ? &s.pkcs11.module_path
                     : key == "kek_pkcs11_token_label" ? &s.pkcs11.token_label
                     : key == "kek_pkcs11_key_label"   ? &s.pkcs11.key_label
                     : key == "kek_pkcs11_pin_file"    ? &s.pin_file
                     : key == "kek_pkcs11_pin_env"     ? &s.pin_env
                                                       : nullptr;
  if (out == nullptr) {
    return false;
  }
  if (!value.is_string()) {
    return ConfigError(path, "\"" + key + "\" must be a string");
  }
  *out = value.get<std::string>();
  return true;
}

// ToKekSource checks that settings name exactly one KEK and resolves its files against dir.
Result<KekSource> ToKekSource(const std::string& path, const std::string& where,
                              const std::filesystem::path& dir, KekSettings s) {
  const bool any_pkcs11 = !s.pkcs11.module_path.empty() || !s.pkcs11.token_label.empty() ||
                          !s.pkcs11.key_label.empty() || !s.pin_file.empty() || !s.pin_env.empty();
  if (s.file.empty() == !any_pkcs11) {
    return ConfigError(path,
                       where + "want exactly one KEK: \"kek_file\" or the kek_pkcs11_* settings");
  }
  KekSource out;
  if (any_pkcs11) {
    if (s.pkcs11.module_path.empty() || s.pkcs11.token_label.empty() ||
        s.pkcs11.key_label.empty()) {
      return ConfigError(path, where +
                                   "\"kek_pkcs11_module\", \"kek_pkcs11_token_label\" and "
                                   "\"kek_pkcs11_key_label\" are all required");
    }
    if (s.pin_file.empty() == s.pin_env.empty()) {
      return ConfigError(path,
                         where + "want one of \"kek_pkcs11_pin_file\" and \"kek_pkcs11_pin_env\"");
    }
    s.pkcs11.pin_source =
        s.pin_file.empty() ? "env:" + s.pin_env : "file:" + Resolve(dir, s.pin_file);
    out.pkcs11 = s.pkcs11;
  }
  out.file = Resolve(dir, s.file);
  return out;
}

// ReadPreviousKeks reads previous_keks: a list of objects, each an "id" and one KEK's settings.
Status ReadPreviousKeks(const std::string& path, const nlohmann::json& value,
                        const std::filesystem::path& dir, std::vector<KekSource>& out) {
  constexpr size_t kMaxPreviousKeks = 8;
  if (!value.is_array() || value.size() > kMaxPreviousKeks) {
    return ConfigError(path, "\"previous_keks\" must be a list of at most " +
                                 std::to_string(kMaxPreviousKeks) + " objects");
  }
  for (const nlohmann::json& entry : value) {
    const std::string where = "previous_keks[" + std::to_string(out.size()) + "]: ";
    if (!entry.is_object()) {
      return ConfigError(path, where + "must be an object");
    }
    KekSettings settings;
    std::string id;
    for (const auto& item : entry.items()) {
      if (item.key() == "id") {
        if (!item.value().is_string() || item.value().get<std::string>().empty()) {
          return ConfigError(path,
                             where + "\"id\" must be a KEK id (attestd kek status shows them)");
        }
        id = item.value().get<std::string>();
        continue;
      }
      ATTEST_ASSIGN_OR_RETURN(const bool known,
                              ReadKekSetting(path, item.key(), item.value(), settings));
      if (!known) {
        return ConfigError(path, where + "unknown setting \"" + item.key() + "\"");
      }
    }
    if (id.empty()) {
      return ConfigError(path, where + "\"id\" is required: the id of the KEK it names");
    }
    ATTEST_ASSIGN_OR_RETURN(KekSource source, ToKekSource(path, where, dir, std::move(settings)));
    source.id = id;
    out.push_back(std::move(source));
  }
  return Status::Ok();
}

// WriteKekSettings writes one KEK's settings into doc, as ReadKekSetting reads them.
void WriteKekSettings(const std::string& file, const std::optional<keys::Pkcs11Config>& pkcs11,
                      nlohmann::json& doc) {
  if (!pkcs11) {
    doc["kek_file"] = file;
    return;
  }
  doc["kek_pkcs11_module"] = pkcs11->module_path;
  doc["kek_pkcs11_token_label"] = pkcs11->token_label;
  doc["kek_pkcs11_key_label"] = pkcs11->key_label;
  const std::string& pin = pkcs11->pin_source;
  doc[pin.rfind("env:", 0) == 0 ? "kek_pkcs11_pin_env" : "kek_pkcs11_pin_file"] =
      pin.substr(pin.find(':') + 1);
}

Status SizeVerifications(const std::string& path, std::optional<size_t> max, Config& c) {
  const size_t server = static_cast<size_t>(c.server_threads);
  c.api.max_concurrent_verifications = max.value_or(DefaultVerifications(c.server_threads));
  if (c.api.max_concurrent_verifications >= server) {
    return ConfigError(path, "\"max_concurrent_verifications\" (" +
                                 std::to_string(c.api.max_concurrent_verifications) +
                                 ") must be below \"server_threads\" (" + std::to_string(server) +
                                 "), so other requests always find a thread");
  }
  return Status::Ok();
}

}  // namespace

Result<Config> LoadConfig(const std::string& path) {
  Result<Bytes> bytes = ReadFileBytes(path);
  if (!bytes.ok()) {
    return ConfigError(path, bytes.status().message());
  }
  ATTEST_ASSIGN_OR_RETURN(const nlohmann::json doc, ReadConfigObject(path, *bytes));

  Config c;
  std::optional<size_t> slow_work_threads, slow_work_queue, max_concurrent_verifications;
  KekSettings kek;
  const std::filesystem::path dir = std::filesystem::absolute(path).parent_path();
  for (const auto& item : doc.items()) {
    // Named references, not a structured binding: lambdas may not capture bindings before C++20.
    const std::string& key = item.key();
    const nlohmann::json& value = item.value();
    auto text = [&](std::string* out) -> Status {
      if (!value.is_string()) {
        return ConfigError(path, "\"" + key + "\" must be a string");
      }
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
    auto flag = [&](bool* out) -> Status {
      if (!value.is_boolean()) {
        return ConfigError(path, "\"" + key + "\" must be true or false");
      }
      *out = value.get<bool>();
      return Status::Ok();
    };
    int64_t n = 0;
    if (key == "listen_host") {
      ATTEST_RETURN_IF_ERROR(text(&c.server.host));
      const std::optional<http::IpAddress> host = http::ParseIpAddress(c.server.host);
      if (!host) {
        return ConfigError(path,
                           "\"listen_host\" must be an IPv4 or IPv6 address (0.0.0.0 or :: for "
                           "every address), got \"" +
                               c.server.host.substr(0, 64) + "\"");
      }
    } else if (key == "trusted_proxies") {
      ATTEST_RETURN_IF_ERROR(ReadCidrList(path, key, value, c.api.trusted_proxies));
    } else if (key == "proxy_protocol") {
      ATTEST_RETURN_IF_ERROR(flag(&c.server.proxy_protocol));
    } else if (key == "max_connections") {
      ATTEST_RETURN_IF_ERROR(number(16, 1000000, &n));
      c.server.max_connections = static_cast<size_t>(n);
    } else if (key == "metrics_allowed_cidrs") {
      ATTEST_RETURN_IF_ERROR(ReadCidrList(path, key, value, c.api.metrics_allowed_cidrs));
    } else if (key == "tenant_net_pools") {
      ATTEST_RETURN_IF_ERROR(ReadTenantNetRanges(path, key, value, c.api.tenant_net_pools));
    } else if (key == "reserved_cidrs") {
      ATTEST_RETURN_IF_ERROR(ReadTenantNetRanges(path, key, value, c.api.reserved_cidrs));
    } else if (key == "allow_test_libvirt_uris") {
      ATTEST_RETURN_IF_ERROR(flag(&c.api.allow_test_libvirt_uris));
    } else if (key == "tls_min_version") {
      ATTEST_RETURN_IF_ERROR(text(&c.server.tls_settings.min_version));
    } else if (key == "tls_ciphers") {
      ATTEST_RETURN_IF_ERROR(text(&c.server.tls_settings.ciphers));
    } else if (key == "listen_port") {
      ATTEST_RETURN_IF_ERROR(number(1, 65535, &n));
      c.server.port = static_cast<int>(n);
    } else if (key == "tls_cert") {
      ATTEST_RETURN_IF_ERROR(text(&c.server.cert_chain_file));
    } else if (key == "tls_key") {
      ATTEST_RETURN_IF_ERROR(text(&c.server.private_key_file));
    } else if (key == "database") {
      ATTEST_RETURN_IF_ERROR(text(&c.database));
    } else if (key.rfind("kek_", 0) == 0 && key != "kek_id") {
      ATTEST_ASSIGN_OR_RETURN(const bool known, ReadKekSetting(path, key, value, kek));
      if (!known) {
        return ConfigError(path, "unknown setting \"" + key + "\"");
      }
    } else if (key == "kek_id") {
      ATTEST_RETURN_IF_ERROR(text(&c.kek_id));
    } else if (key == "previous_keks") {
      ATTEST_RETURN_IF_ERROR(ReadPreviousKeks(path, value, dir, c.previous_keks));
    } else if (key == "token_key") {
      ATTEST_RETURN_IF_ERROR(text(&c.token_key));
    } else if (key == "test_roots") {
      ATTEST_RETURN_IF_ERROR(text(&c.test_roots));
    } else if (key == "cryptsetup_path") {
      ATTEST_RETURN_IF_ERROR(text(&c.api.luks.cryptsetup));
      // The program receives volume keys: never one found through PATH or the working directory.
      if (!std::filesystem::path(c.api.luks.cryptsetup).is_absolute()) {
        return ConfigError(path, "\"cryptsetup_path\" must be an absolute path, got \"" +
                                     c.api.luks.cryptsetup.substr(0, 64) + "\"");
      }
    } else if (key == "volume_dir") {
      ATTEST_RETURN_IF_ERROR(text(&c.api.volume_dir));
    } else if (key == "max_volume_bytes") {
      ATTEST_RETURN_IF_ERROR(number(static_cast<int64_t>(keys::kMinLuksImageBytes),
                                    static_cast<int64_t>(keys::kMaxLuksImageBytes), &n));
      c.api.max_volume_bytes = static_cast<uint64_t>(n);
    } else if (key == "max_boot_image_bytes") {
      ATTEST_RETURN_IF_ERROR(number(4096, int64_t{4} << 30, &n));
      c.api.max_boot_image_bytes = static_cast<uint64_t>(n);
    } else if (key == "published_boot_image_dir") {
      ATTEST_RETURN_IF_ERROR(text(&c.api.published_boot_image_dir));
    } else if (key == "release_rate_per_vm_per_minute") {
      ATTEST_RETURN_IF_ERROR(number(1, 100000, &n));
      c.api.release_rate_per_vm_per_minute = n;
    } else if (key == "release_rate_per_address_per_minute") {
      ATTEST_RETURN_IF_ERROR(number(1, 1000000, &n));
      c.api.release_rate_per_address_per_minute = n;
    } else if (key == "ephemeral_key_pool") {
      ATTEST_RETURN_IF_ERROR(number(0, 1024, &n));
      c.ephemeral_key_pool = static_cast<int>(n);
    } else if (key == "max_concurrent_verifications") {
      ATTEST_RETURN_IF_ERROR(number(1, 255, &n));
      max_concurrent_verifications = static_cast<size_t>(n);
    } else if (key == "token_ttl_seconds") {
      ATTEST_RETURN_IF_ERROR(number(10, 86400, &n));
      c.api.token_ttl = std::chrono::seconds(n);
    } else if (key == "max_presign_seconds") {
      ATTEST_RETURN_IF_ERROR(number(1, 604800, &n));
      c.api.max_presign = std::chrono::seconds(n);
    } else if (key == "region") {
      ATTEST_RETURN_IF_ERROR(text(&c.api.region));
    } else if (key == "service") {
      ATTEST_RETURN_IF_ERROR(text(&c.api.service));
    } else if (key == "ek_ca_bundle") {
      ATTEST_RETURN_IF_ERROR(text(&c.api.ek_ca_bundle));
    } else if (key == "log_format") {
      std::string format;
      ATTEST_RETURN_IF_ERROR(text(&format));
      if (format != "text" && format != "json") {
        return ConfigError(path, "\"log_format\" must be \"text\" or \"json\"");
      }
      c.log_format = format == "json" ? log::Format::kJson : log::Format::kText;
    } else if (key == "access_log") {
      ATTEST_RETURN_IF_ERROR(flag(&c.api.access_log));
    } else if (key == "shutdown_grace_seconds") {
      ATTEST_RETURN_IF_ERROR(number(0, 3600, &n));
      c.shutdown_grace = std::chrono::seconds(n);
    } else if (key == "allow_hosts_without_ek_cert") {
      ATTEST_RETURN_IF_ERROR(flag(&c.api.allow_hosts_without_ek_cert));
    } else if (key == "nonce_ttl_seconds") {
      ATTEST_RETURN_IF_ERROR(number(10, 3600, &n));
      c.api.nonce_ttl = std::chrono::seconds(n);
    } else if (key == "host_trust_ttl_seconds") {
      ATTEST_RETURN_IF_ERROR(number(60, int64_t{7} * 86400, &n));
      c.api.host_trust_ttl = std::chrono::seconds(n);
    } else if (key == "max_idle_connections") {
      ATTEST_RETURN_IF_ERROR(number(1, 256, &n));
      c.max_idle_connections = static_cast<int>(n);
    } else if (key == "server_threads") {
      ATTEST_RETURN_IF_ERROR(number(2, 256, &n));
      c.server_threads = static_cast<int>(n);
    } else if (key == "slow_work_threads") {
      ATTEST_RETURN_IF_ERROR(number(1, 64, &n));
      slow_work_threads = static_cast<size_t>(n);
    } else if (key == "slow_work_queue") {
      ATTEST_RETURN_IF_ERROR(number(0, 1024, &n));
      slow_work_queue = static_cast<size_t>(n);
    } else if (key == "launch_domain_type") {
      ATTEST_RETURN_IF_ERROR(text(&c.launch.domain_type));
      if (c.launch.domain_type != "kvm" && c.launch.domain_type != "qemu") {
        return ConfigError(path, "\"launch_domain_type\" must be \"kvm\" or \"qemu\"");
      }
    } else if (key == "launch_snp_firmware") {
      ATTEST_RETURN_IF_ERROR(text(&c.launch.snp_firmware));
    } else if (key == "launch_tdx_firmware") {
      ATTEST_RETURN_IF_ERROR(text(&c.launch.tdx_firmware));
    } else if (key == "launch_allow_dac_only") {
      ATTEST_RETURN_IF_ERROR(flag(&c.launch.allow_dac_only));
    } else if (key == "launch_user_network") {
      ATTEST_RETURN_IF_ERROR(flag(&c.launch.user_network));
    } else if (key == "launch_max_quote_age_seconds") {
      ATTEST_RETURN_IF_ERROR(number(60, int64_t{7} * 86400, &n));
      c.launch.max_quote_age = std::chrono::seconds(n);
    } else if (key == "snp_firmware_image") {
      ATTEST_RETURN_IF_ERROR(text(&c.snp_firmware_image.path));
    } else if (key == "snp_firmware_sha256") {
      ATTEST_RETURN_IF_ERROR(text(&c.snp_firmware_image.sha256));
    } else if (key == "tdx_firmware_image") {
      ATTEST_RETURN_IF_ERROR(text(&c.tdx_firmware_image.path));
    } else if (key == "tdx_firmware_sha256") {
      ATTEST_RETURN_IF_ERROR(text(&c.tdx_firmware_image.sha256));
    } else if (IsWebhookSetting(key)) {
      ATTEST_RETURN_IF_ERROR(ReadWebhookSetting(path, key, value, dir, c.webhooks));
    } else if (IsCollateralSetting(key)) {
      ATTEST_RETURN_IF_ERROR(ReadCollateralSetting(path, key, value, dir, c.collateral));
    } else {
      return ConfigError(path, "unknown setting \"" + key + "\"");
    }
  }
  c.api.webhooks_allow_loopback_http = c.webhooks.allow_loopback_http;
  c.server.threads = static_cast<size_t>(c.server_threads);
  c.server.trusted_proxies = c.api.trusted_proxies;
  if (c.server.proxy_protocol && c.server.trusted_proxies.empty()) {
    return ConfigError(path,
                       "\"proxy_protocol\" needs \"trusted_proxies\": the proxies it is read from");
  }
  if (Status s = server::CheckTlsSettings(c.server.tls_settings); !s.ok()) {
    return ConfigError(path, s.message());
  }
  ATTEST_RETURN_IF_ERROR(SizeSlowWork(path, slow_work_threads, slow_work_queue, c));
  ATTEST_RETURN_IF_ERROR(SizeVerifications(path, max_concurrent_verifications, c));
  {
    events::WorkerConfig check = c.webhooks;
    check.owner = "config-check";  // the real owner is named at serve
    if (Status s = events::CheckWorkerConfig(check); !s.ok()) {
      return ConfigError(path, s.message());
    }
  }
  if (c.database.rfind("sqlite:", 0) == 0) {
    c.database = "sqlite:" + Resolve(dir, c.database.substr(7));
  } else if (c.database.rfind("postgres:", 0) != 0) {
    return ConfigError(path, "\"database\" must start with sqlite: or postgres:");
  }
  {
    ATTEST_ASSIGN_OR_RETURN(KekSource current, ToKekSource(path, "", dir, std::move(kek)));
    c.kek_file = current.file;
    c.kek_pkcs11 = current.pkcs11;
  }
  c.token_key = Resolve(dir, c.token_key);
  for (auto [name, image] : {std::pair{"snp_firmware", &c.snp_firmware_image},
                             std::pair{"tdx_firmware", &c.tdx_firmware_image}}) {
    const std::string setting = name;
    if (image->path.empty() != image->sha256.empty()) {
      return ConfigError(path,
                         "\"" + setting + "_image\" and \"" + setting + "_sha256\" go together");
    }
    Result<Bytes> digest = HexDecode(image->sha256);
    if (!image->sha256.empty() && (!digest.ok() || digest->size() != 32)) {
      return ConfigError(path, "\"" + setting + "_sha256\" must be 64 hex digits");
    }
    image->sha256 = image->sha256.empty() ? "" : HexEncode(*digest);
    image->path = Resolve(dir, image->path);
  }
  c.test_roots = Resolve(dir, c.test_roots);
  c.api.volume_dir = Resolve(dir, c.api.volume_dir);
  c.api.published_boot_image_dir = Resolve(dir, c.api.published_boot_image_dir);
  c.server.cert_chain_file = Resolve(dir, c.server.cert_chain_file);
  c.server.private_key_file = Resolve(dir, c.server.private_key_file);
  c.api.ek_ca_bundle = Resolve(dir, c.api.ek_ca_bundle);
  if (c.server.cert_chain_file.empty() || c.server.private_key_file.empty()) {
    return ConfigError(path, "\"tls_cert\" and \"tls_key\" are required");
  }
  // Firmware paths are paths on the virtualization hosts, not here: they must be absolute.
  for (const std::string* firmware : {&c.launch.snp_firmware, &c.launch.tdx_firmware}) {
    if (!firmware->empty() && !std::filesystem::path(*firmware).is_absolute()) {
      return ConfigError(path, "launch firmware paths must be absolute paths on the hosts");
    }
  }
  return c;
}

std::string ConfigJson(const Config& c) {
  nlohmann::json doc = {{"listen_host", c.server.host},
                        {"listen_port", c.server.port},
                        {"tls_cert", c.server.cert_chain_file},
                        {"tls_key", c.server.private_key_file},
                        {"tls_min_version", c.server.tls_settings.min_version},
                        {"tls_ciphers", c.server.tls_settings.ciphers},
                        {"database", c.database},
                        {"region", c.api.region},
                        {"service", c.api.service},
                        {"nonce_ttl_seconds", c.api.nonce_ttl.count()},
                        {"host_trust_ttl_seconds", c.api.host_trust_ttl.count()},
                        {"max_idle_connections", c.max_idle_connections},
                        {"server_threads", c.server_threads},
                        {"ephemeral_key_pool", c.ephemeral_key_pool},
                        {"max_connections", c.server.max_connections},
                        {"proxy_protocol", c.server.proxy_protocol},
                        {"log_format", c.log_format == log::Format::kJson ? "json" : "text"},
                        {"access_log", c.api.access_log},
                        {"shutdown_grace_seconds", c.shutdown_grace.count()},
                        {"slow_work_threads", c.api.slow_work_threads},
                        {"slow_work_queue", c.api.slow_work_queue}};
  // The CIDR lists are written even when empty or default, so an operator reading the file finds
  // each setting: trusted_proxies (for a reverse proxy), metrics_allowed_cidrs (empty: anyone may
  // scrape), and the ranges tenant nets are drawn from.
  for (const auto& [name, list] : {std::pair{"trusted_proxies", &c.api.trusted_proxies},
                                   std::pair{"metrics_allowed_cidrs", &c.api.metrics_allowed_cidrs},
                                   std::pair{"tenant_net_pools", &c.api.tenant_net_pools},
                                   std::pair{"reserved_cidrs", &c.api.reserved_cidrs}}) {
    doc[name] = nlohmann::json::array();
    for (const http::IpNetwork& n : *list) {
      doc[name].push_back(n.ToString());
    }
  }
  if (!c.api.ek_ca_bundle.empty()) {
    doc["ek_ca_bundle"] = c.api.ek_ca_bundle;
  }
  // Written even when false, so that an operator reading the file sees the switch and its default.
  doc["allow_hosts_without_ek_cert"] = c.api.allow_hosts_without_ek_cert;
  doc["allow_test_libvirt_uris"] = c.api.allow_test_libvirt_uris;
  WriteKekSettings(c.kek_file, c.kek_pkcs11, doc);
  if (!c.kek_id.empty()) {
    doc["kek_id"] = c.kek_id;
  }
  if (!c.previous_keks.empty()) {
    doc["previous_keks"] = nlohmann::json::array();
    for (const KekSource& k : c.previous_keks) {
      nlohmann::json entry = {{"id", k.id}};
      WriteKekSettings(k.file, k.pkcs11, entry);
      doc["previous_keks"].push_back(entry);
    }
  }
  if (!c.token_key.empty()) {
    doc["token_key"] = c.token_key;
  }
  for (auto [name, image] : {std::pair{"snp_firmware", &c.snp_firmware_image},
                             std::pair{"tdx_firmware", &c.tdx_firmware_image}}) {
    if (!image->path.empty()) {
      doc[std::string(name) + "_image"] = image->path;
      doc[std::string(name) + "_sha256"] = image->sha256;
    }
  }
  if (!c.test_roots.empty()) {
    doc["test_roots"] = c.test_roots;
  }
  if (!c.api.volume_dir.empty()) {
    doc["volume_dir"] = c.api.volume_dir;
  }
  if (!c.api.luks.cryptsetup.empty()) {
    doc["cryptsetup_path"] = c.api.luks.cryptsetup;
  }
  doc["max_volume_bytes"] = c.api.max_volume_bytes;
  doc["max_boot_image_bytes"] = c.api.max_boot_image_bytes;
  if (!c.api.published_boot_image_dir.empty()) {
    doc["published_boot_image_dir"] = c.api.published_boot_image_dir;
  }
  doc["release_rate_per_vm_per_minute"] = c.api.release_rate_per_vm_per_minute;
  doc["release_rate_per_address_per_minute"] = c.api.release_rate_per_address_per_minute;
  // Written only when it is not the default, which follows server_threads: an operator who
  // lowers server_threads later does not trip over a bound init derived from the old value.
  if (c.api.max_concurrent_verifications != DefaultVerifications(c.server_threads)) {
    doc["max_concurrent_verifications"] = c.api.max_concurrent_verifications;
  }
  doc["token_ttl_seconds"] = c.api.token_ttl.count();
  doc["max_presign_seconds"] = c.api.max_presign.count();
  doc["launch_domain_type"] = c.launch.domain_type;
  if (!c.launch.snp_firmware.empty()) {
    doc["launch_snp_firmware"] = c.launch.snp_firmware;
  }
  if (!c.launch.tdx_firmware.empty()) {
    doc["launch_tdx_firmware"] = c.launch.tdx_firmware;
  }
  doc["launch_allow_dac_only"] = c.launch.allow_dac_only;
  doc["launch_user_network"] = c.launch.user_network;
  doc["launch_max_quote_age_seconds"] = c.launch.max_quote_age.count();
  WriteWebhookSettings(c.webhooks, doc);
  WriteCollateralSettings(c.collateral, doc);
  return doc.dump(2) + "\n";
}

Result<release::TrustAnchorConfig> LoadTestRoots(const std::string& path) {
  release::TrustAnchorConfig out;
  if (path.empty()) {
    return out;
  }
  Result<Bytes> bytes = ReadFileBytes(path);
  if (!bytes.ok()) {
    return ConfigError(path, bytes.status().message());
  }
  ATTEST_ASSIGN_OR_RETURN(const nlohmann::json doc, ReadConfigObject(path, *bytes));
  const std::filesystem::path dir = std::filesystem::absolute(path).parent_path();
  for (const auto& item : doc.items()) {
    // Named references, not a structured binding: lambdas may not capture bindings before C++20.
    const std::string& key = item.key();
    const nlohmann::json& value = item.value();
    std::vector<Bytes>* list = key == "snp_root_chains" ? &out.snp_test_root_chains_pem
                               : key == "tdx_roots"     ? &out.tdx_test_roots_pem
                                                        : nullptr;
    if (list == nullptr) {
      return ConfigError(path, "unknown setting \"" + key + "\"");
    }
    if (!value.is_array()) {
      return ConfigError(path, "\"" + key + "\" must be an array of files");
    }
    for (const auto& file : value) {
      if (!file.is_string()) {
        return ConfigError(path, "\"" + key + "\" must name files");
      }
      Result<Bytes> pem = ReadFileBytes(Resolve(dir, file.get<std::string>()));
      if (!pem.ok()) {
        return ConfigError(path, pem.status().message());
      }
      list->push_back(std::move(pem).value());
    }
  }
  if (out.snp_test_root_chains_pem.empty() && out.tdx_test_roots_pem.empty()) {
    return ConfigError(path, "names no test roots");
  }
  return out;
}

}  // namespace attest::service::attestd
