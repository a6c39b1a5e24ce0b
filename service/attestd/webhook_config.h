// The webhooks_* settings of attestd.json (service/README.md "Configuration"): the delivery
// worker's tunables (service/events/delivery_worker.h) and whether http to loopback is allowed.
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "attest/core/status.h"
#include "service/events/delivery_worker.h"

namespace attest::service::attestd {

// IsWebhookSetting reports whether key is a webhooks_* setting.
bool IsWebhookSetting(const std::string& key);

// ReadWebhookSetting applies one webhooks_* setting to worker (allow_loopback_http is
// webhooks_allow_loopback_http, copied to the API's config by the caller). Fails with
// api.config_invalid naming the file and key.
Status ReadWebhookSetting(const std::string& path, const std::string& key,
                          const nlohmann::json& value, const std::filesystem::path& dir,
                          events::WorkerConfig& worker);

// WriteWebhookSettings puts every webhooks_* setting of worker into doc (ConfigJson).
void WriteWebhookSettings(const events::WorkerConfig& worker, nlohmann::json& doc);

}  // namespace attest::service::attestd
