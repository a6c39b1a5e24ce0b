#include "service/attestd/webhook_config.h"

#include "service/http/reasons.h"

namespace attest::service::attestd {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

Status Bad(const std::string& path, const std::string& why) {
  return Status(reasons::kApiConfig, path + ": " + why);
}

}  // namespace

bool IsWebhookSetting(const std::string& key) { return key.rfind("webhooks_", 0) == 0; }

Status ReadWebhookSetting(const std::string& path, const std::string& key,
                          const nlohmann::json& value, const std::filesystem::path& dir,
                          events::WorkerConfig& w) {
  auto number = [&](int64_t min, int64_t max) -> Result<int64_t> {
    if (!value.is_number_integer() || value.get<int64_t>() < min || value.get<int64_t>() > max) {
      return Bad(path, "\"" + key + "\" must be an integer in " + std::to_string(min) + ".." +
                           std::to_string(max));
    }
    return value.get<int64_t>();
  };
  if (key == "webhooks_allow_loopback_http") {
    if (!value.is_boolean()) {
      return Bad(path, "\"" + key + "\" must be true or false");
    }
    w.allow_loopback_http = value.get<bool>();
  } else if (key == "webhooks_ca_file") {
    if (!value.is_string()) {
      return Bad(path, "\"" + key + "\" must be a string");
    }
    const std::string file = value.get<std::string>();
    w.ca_file =
        file.empty() || std::filesystem::path(file).is_absolute() ? file : (dir / file).string();
  } else if (key == "webhooks_poll_ms") {
    ATTEST_ASSIGN_OR_RETURN(const int64_t n, number(10, int64_t{60} * 1000));
    w.poll_interval = milliseconds(n);
  } else if (key == "webhooks_lease_seconds") {
    ATTEST_ASSIGN_OR_RETURN(const int64_t n, number(1, 3600));
    w.lease = seconds(n);
  } else if (key == "webhooks_batch") {
    ATTEST_ASSIGN_OR_RETURN(w.batch, number(1, 64));
  } else if (key == "webhooks_max_attempts") {
    ATTEST_ASSIGN_OR_RETURN(w.retry.max_attempts, number(1, 100));
  } else if (key == "webhooks_backoff_base_seconds") {
    ATTEST_ASSIGN_OR_RETURN(const int64_t n, number(1, 3600));
    w.retry.base = seconds(n);
  } else if (key == "webhooks_backoff_cap_seconds") {
    ATTEST_ASSIGN_OR_RETURN(const int64_t n, number(1, int64_t{7} * 86400));
    w.retry.cap = seconds(n);
  } else if (key == "webhooks_connect_timeout_ms") {
    ATTEST_ASSIGN_OR_RETURN(const int64_t n, number(100, int64_t{60} * 1000));
    w.connect_timeout = milliseconds(n);
  } else if (key == "webhooks_timeout_ms") {
    ATTEST_ASSIGN_OR_RETURN(const int64_t n, number(100, int64_t{10} * 60 * 1000));
    w.total_timeout = milliseconds(n);
  } else {
    return Bad(path, "unknown setting \"" + key + "\"");
  }
  return Status::Ok();
}

void WriteWebhookSettings(const events::WorkerConfig& w, nlohmann::json& doc) {
  doc["webhooks_allow_loopback_http"] = w.allow_loopback_http;
  if (!w.ca_file.empty()) {
    doc["webhooks_ca_file"] = w.ca_file;
  }
  doc["webhooks_poll_ms"] = w.poll_interval.count();
  doc["webhooks_lease_seconds"] = w.lease.count();
  doc["webhooks_batch"] = w.batch;
  doc["webhooks_max_attempts"] = w.retry.max_attempts;
  doc["webhooks_backoff_base_seconds"] = w.retry.base.count();
  doc["webhooks_backoff_cap_seconds"] = w.retry.cap.count();
  doc["webhooks_connect_timeout_ms"] = w.connect_timeout.count();
  doc["webhooks_timeout_ms"] = w.total_timeout.count();
}

}  // namespace attest::service::attestd
