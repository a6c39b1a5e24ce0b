// The collateral settings of attestd.json (issue 19; README "Collateral"): where AMD KDS and Intel
// PCS (or a PCCS) are, how to reach them, how the shared cache is refreshed and how old cached
// revocation data and TCB info may be before verification refuses it.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "attest/core/status.h"
#include "service/collateral/http_client.h"
#include "service/collateral/pcs.h"

namespace attest::service::attestd {

struct CollateralConfig {
  // fetch: false for an air-gapped site: nothing is fetched, the cache holds only what was
  // imported (POST /v1/collateral) or uploaded by host agents.
  bool fetch = true;
  std::string kds_url = "https://kdsintf.amd.com";  // kds_url
  collateral::PcsEndpoints pcs;                     // pcs_url, pcs_root_crl_url, pcs_update
  collateral::HttpClientOptions http;               // collateral_ca_bundle, collateral_proxy,
                                       // collateral_timeout_seconds, collateral_max_attempts
  std::chrono::seconds refresh_interval{300};  // collateral_refresh_interval_seconds
  std::chrono::seconds refresh_ahead{86400};   // collateral_refresh_ahead_seconds
  std::chrono::seconds max_age{7 * 86400};     // max_collateral_age_seconds (0: no bound)
};

// IsCollateralSetting reports whether key is one of the settings above.
bool IsCollateralSetting(const std::string& key);

// ReadCollateralSetting applies one setting; a relative collateral_ca_bundle is taken relative
// to dir. Fails with api.config_invalid naming the file and key (URLs must be http(s)).
Status ReadCollateralSetting(const std::string& path, const std::string& key,
                             const nlohmann::json& value, const std::filesystem::path& dir,
                             CollateralConfig& c);

// WriteCollateralSettings puts every setting of c into doc (ConfigJson).
void WriteCollateralSettings(const CollateralConfig& c, nlohmann::json& doc);

}  // namespace attest::service::attestd
