#include "cli/verify_output.h"

#include <iostream>

namespace attest::cli {
namespace {

void PrintReadableClaims(const nlohmann::json& value, const std::string& prefix) {
  for (auto it = value.begin(); it != value.end(); ++it) {
    const std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
    if (it->is_object()) {
      PrintReadableClaims(*it, key);
    } else {
      std::cout << "  " << key << ": " << (it->is_string() ? it->get<std::string>() : it->dump())
                << "\n";
    }
  }
}

}  // namespace

int PrintVerifyOutcome(const VerifyOutcome& outcome, bool json) {
  const bool accepted = outcome.errors.empty();
  if (json) {
    nlohmann::json out;
    out["verdict"] = accepted ? "accepted" : "rejected";
    out["evidence"] = outcome.evidence;
    if (outcome.claims) {
      out["claims"] = *outcome.claims;
    }
    if (outcome.appraisal) {
      out["appraisal"] = *outcome.appraisal;
    }
    if (outcome.token) {
      out["token"] = *outcome.token;
    }
    out["errors"] = nlohmann::json::array();
    for (const Status& error : outcome.errors) {
      out["errors"].push_back(
          {{"code", std::string(error.reason_id())}, {"message", error.message()}});
    }
    std::cout << out.dump() << "\n";
  } else {
    std::cout << outcome.evidence << ": " << (accepted ? "ACCEPTED" : "REJECTED") << "\n";
    for (const Status& error : outcome.errors) {
      std::cout << "error " << error.reason_id() << ": " << error.message() << "\n";
    }
    if (outcome.appraisal) {
      std::cout << "appraisal: " << (*outcome.appraisal)["status"].get<std::string>() << " under "
                << (*outcome.appraisal)["policy"].get<std::string>() << "\n";
    }
    if (outcome.token) {
      std::cout << "token: " << *outcome.token << "\n";
    }
    if (outcome.claims) {
      std::cout << "claims:\n";
      PrintReadableClaims(*outcome.claims, "");
    }
  }
  return accepted ? kExitAccepted : kExitRejected;
}

int PrintUsageError(const Status& status, const std::string& usage) {
  std::cerr << "attestctl: " << status.ToString() << "\n";
  if (!usage.empty()) {
    std::cerr << "usage: " << usage << "\n";
  }
  return kExitUsage;
}

}  // namespace attest::cli
