#include "service/attestd/collateral_config.h"

#include "service/http/reasons.h"

namespace attest::service::attestd {
namespace {

using std::chrono::seconds;

Status Bad(const std::string& path, const std::string& key, const std::string& why) {
  return Status(reasons::kApiConfig, path + ": \"" + key + "\" " + why);
}

}  // namespace

bool IsCollateralSetting(const std::string& key) {
  return key.rfind("collateral_", 0) == 0 || key == "kds_url" || key == "pcs_url" ||
         key == "pcs_root_crl_url" || key == "pcs_update" || key == "max_collateral_age_seconds";
}

Status ReadCollateralSetting(const std::string& path, const std::string& key,
                             const nlohmann::json& value, const std::filesystem::path& dir,
                             CollateralConfig& c) {
  auto number = [&](int64_t min, int64_t max) -> Result<int64_t> {
    if (!value.is_number_integer() || value.get<int64_t>() < min || value.get<int64_t>() > max) {
      return Bad(path, key,
                 "must be an integer in " + std::to_string(min) + ".." + std::to_string(max));
    }
    return value.get<int64_t>();
  };
  auto text = [&]() -> Result<std::string> {
    if (!value.is_string()) {
      return Bad(path, key, "must be a string");
    }
    return value.get<std::string>();
  };
  auto url = [&]() -> Result<std::string> {
    if (!value.is_string()) {
      return Bad(path, key, "must be a string");
    }
    std::string u = value.get<std::string>();
    if (u.rfind("https://", 0) != 0 && u.rfind("http://", 0) != 0) {
      return Bad(path, key, "must be an http(s) URL");
    }
    while (!u.empty() && u.back() == '/') {
      u.pop_back();
    }
    return u;
  };
  if (key == "collateral_fetch") {
    if (!value.is_boolean()) {
      return Bad(path, key, "must be true or false");
    }
    c.fetch = value.get<bool>();
  } else if (key == "kds_url") {
    ATTEST_ASSIGN_OR_RETURN(c.kds_url, url());
  } else if (key == "pcs_url") {
    ATTEST_ASSIGN_OR_RETURN(c.pcs.base_url, url());
  } else if (key == "pcs_root_crl_url") {
    ATTEST_ASSIGN_OR_RETURN(c.pcs.root_crl_url, url());
  } else if (key == "pcs_update") {
    ATTEST_ASSIGN_OR_RETURN(c.pcs.update, text());
    if (c.pcs.update != "standard" && c.pcs.update != "early") {
      return Bad(path, key, "must be \"standard\" or \"early\"");
    }
  } else if (key == "collateral_ca_bundle") {
    ATTEST_ASSIGN_OR_RETURN(std::string file, text());
    c.http.ca_bundle =
        file.empty() || std::filesystem::path(file).is_absolute() ? file : (dir / file).string();
  } else if (key == "collateral_proxy") {
    ATTEST_ASSIGN_OR_RETURN(c.http.proxy, text());
  } else if (key == "collateral_timeout_seconds") {
    ATTEST_ASSIGN_OR_RETURN(const int64_t n, number(1, 600));
    c.http.timeout = std::chrono::milliseconds(n * 1000);
  } else if (key == "collateral_max_attempts") {
    ATTEST_ASSIGN_OR_RETURN(const int64_t n, number(1, 10));
    c.http.max_attempts = static_cast<int>(n);
  } else if (key == "collateral_refresh_interval_seconds") {
    ATTEST_ASSIGN_OR_RETURN(const int64_t n, number(10, 86400));
    c.refresh_interval = seconds(n);
  } else if (key == "collateral_refresh_ahead_seconds") {
    ATTEST_ASSIGN_OR_RETURN(const int64_t n, number(0, int64_t{30} * 86400));
    c.refresh_ahead = seconds(n);
  } else if (key == "max_collateral_age_seconds") {
    ATTEST_ASSIGN_OR_RETURN(const int64_t n, number(0, int64_t{365} * 86400));
    c.max_age = seconds(n);
  } else {
    return Bad(path, key, "is not a setting");
  }
  return Status::Ok();
}

void WriteCollateralSettings(const CollateralConfig& c, nlohmann::json& doc) {
  doc["collateral_fetch"] = c.fetch;
  doc["kds_url"] = c.kds_url;
  doc["pcs_url"] = c.pcs.base_url;
  doc["pcs_root_crl_url"] = c.pcs.root_crl_url;
  doc["pcs_update"] = c.pcs.update;
  if (!c.http.ca_bundle.empty()) {
    doc["collateral_ca_bundle"] = c.http.ca_bundle;
  }
  if (!c.http.proxy.empty()) {
    doc["collateral_proxy"] = c.http.proxy;
  }
  doc["collateral_timeout_seconds"] = c.http.timeout.count() / 1000;
  doc["collateral_max_attempts"] = c.http.max_attempts;
  doc["collateral_refresh_interval_seconds"] = c.refresh_interval.count();
  doc["collateral_refresh_ahead_seconds"] = c.refresh_ahead.count();
  doc["max_collateral_age_seconds"] = c.max_age.count();
}

}  // namespace attest::service::attestd
