#include "agent/host_loop.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include "agent/host_commands.h"
#include "attest/core/encoding.h"
#include "attest/core/file_io.h"
#include "attest/tpm/claims.h"
#include "attest/tpm/pcr_json.h"

namespace attest::agent {
namespace {

Status StateError(const std::string& message) {
  return Status(reasons::kFileUnreadable, "state file: " + message);
}

}  // namespace

Result<std::string> ReadHostId(const std::string& state_file) {
  ATTEST_ASSIGN_OR_RETURN(Bytes bytes, ReadFileBytes(state_file));
  nlohmann::json state = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, false);
  if (!state.is_object() || !state.contains("host_id") || !state["host_id"].is_string()) {
    return StateError(state_file + " has no host_id: run `attest-agent host enroll` first");
  }
  return state["host_id"].get<std::string>();
}

Result<std::string> Enroll(const HostAgentConfig& config, client::ApiClient& api,
                           const std::string& host_policy) {
  nlohmann::json body;
  {
    ATTEST_ASSIGN_OR_RETURN(auto tpm, TpmDevice::Open(config.tcti));
    ATTEST_ASSIGN_OR_RETURN(EkEndorsement e, ReadEkEndorsement(*tpm, config.ek_alg));
    ATTEST_ASSIGN_OR_RETURN(TpmKey ak, tpm->CreateAk(config.ak_alg));
    body = {{"ek_public", Base64Encode(e.ek.public_area)},
            {"ak_public", Base64Encode(ak.public_area)},
            {"host_policy", host_policy}};
    if (!e.certificate.empty()) {
      body["ek_cert"] = Base64Encode(e.certificate);
    }
    if (!e.chain_pem.empty()) {
      body["ek_chain"] = Base64Encode(e.chain_pem);
    }
    if (!config.tees.empty()) {
      body["tees"] = config.tees;
    }
    if (!config.libvirt_uri.empty()) {
      body["libvirt_uri"] = config.libvirt_uri;
    }
  }  // the TPM connection closes here: swtpm serves one client at a time
  ATTEST_ASSIGN_OR_RETURN(nlohmann::json registered, api.CallJson("POST", "/v1/hosts", body));
  const auto host_id = registered.value("host_id", "");
  Result<Bytes> blob = Base64Decode(registered.value("credential_blob", ""));
  Result<Bytes> secret = Base64Decode(registered.value("encrypted_secret", ""));
  if (host_id.empty() || !blob.ok() || !secret.ok()) {
    return Status(reasons::kClientHttpError, "POST /v1/hosts: answer lacks the challenge");
  }
  ATTEST_ASSIGN_OR_RETURN(Bytes credential,
                          Activate(config.tcti, config.ak_alg, config.ek_alg, *blob, *secret));
  ATTEST_RETURN_IF_ERROR(api.CallJson("POST", "/v1/hosts/" + host_id + "/activate",
                                      {{"secret", Base64Encode(credential)}})
                             .status());
  const std::string state = nlohmann::json{{"host_id", host_id}}.dump() + "\n";
  const std::filesystem::path parent = std::filesystem::path(config.state_file).parent_path();
  std::error_code ec;
  if (!parent.empty()) {
    std::filesystem::create_directories(parent, ec);
  }
  ATTEST_RETURN_IF_ERROR(WriteFile(config.state_file, AsBytes(state)));
  return host_id;
}

Result<Decision> AttestOnce(const HostAgentConfig& config, client::ApiClient& api) {
  ATTEST_ASSIGN_OR_RETURN(std::string host_id, ReadHostId(config.state_file));
  const std::string base = "/v1/hosts/" + host_id;
  ATTEST_ASSIGN_OR_RETURN(nlohmann::json challenge,
                          api.CallJson("POST", base + "/challenge", nlohmann::json::object()));
  const std::string nonce_hex = challenge.value("nonce", "");
  Result<Bytes> nonce = HexDecode(nonce_hex);
  if (!nonce.ok() || nonce->empty()) {
    return Status(reasons::kClientHttpError, "challenge: answer lacks a nonce");
  }

  nlohmann::json body = {{"nonce", nonce_hex}};
  {
    ATTEST_ASSIGN_OR_RETURN(auto tpm, TpmDevice::Open(config.tcti));
    ATTEST_ASSIGN_OR_RETURN(std::vector<uint16_t> banks, tpm->ActiveBanks());
    std::map<uint16_t, std::vector<uint32_t>> selection;
    for (uint16_t bank : banks) {
      selection[bank] = config.pcrs;
    }
    ATTEST_ASSIGN_OR_RETURN(TpmKey ak, tpm->CreateAk(config.ak_alg));
    ATTEST_ASSIGN_OR_RETURN(QuoteOutput quote, tpm->Quote(ak, *nonce, selection));
    body["quote"] = Base64Encode(quote.attest);
    body["signature"] = Base64Encode(quote.signature);
    body["pcrs"] = {{"banks", tpm::PcrBanksToJson(quote.pcrs)}};
  }
  std::error_code ec;
  if (std::filesystem::exists(config.eventlog_path, ec)) {
    ATTEST_ASSIGN_OR_RETURN(Bytes log, ReadFileBytes(config.eventlog_path));
    body["eventlog"] = Base64Encode(log);
  }
  if (config.drtm_log_path) {
    ATTEST_ASSIGN_OR_RETURN(Bytes log, ReadFileBytes(*config.drtm_log_path));
    body["drtm_log"] = Base64Encode(log);
  }
  ATTEST_ASSIGN_OR_RETURN(client::ClientResponse r, api.Send("POST", base + "/quote", body.dump()));
  if (r.status != 200 && r.status != 422) {
    return Status(reasons::kClientHttpError,
                  "POST " + base + "/quote: HTTP " + std::to_string(r.status) + " " + r.body);
  }
  Decision d;
  d.http_status = r.status;
  d.body = r.json;
  d.trusted = r.status == 200 && r.json.is_object() && r.json.value("trusted", false);
  return d;
}

int NextDelaySeconds(bool succeeded, int consecutive_failures, int interval_seconds) {
  if (succeeded) {
    return interval_seconds;
  }
  const int exponent = std::clamp(consecutive_failures - 1, 0, 16);
  return std::min(interval_seconds, 1 << exponent);
}

}  // namespace attest::agent
