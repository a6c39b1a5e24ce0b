#include "agent/host_loop.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <tuple>

#include "agent/host_commands.h"
#include "attest/core/encoding.h"
#include "attest/core/file_io.h"
#include "attest/core/json.h"
#include "attest/tpm/claims.h"
#include "attest/tpm/pcr_json.h"
#include "client/aws_credentials.h"
#include "protocol/host_credential.h"
#include "protocol/host_platform.h"

namespace attest::agent {

Result<HostIdentity> Enroll(const HostAgentConfig& config, client::ApiClient& unsigned_api,
                            const std::string& token) {
  ATTEST_ASSIGN_OR_RETURN(protocol::HostPlatform platform,
                          ReadHostPlatform(config.platform, config.read_sev));
  nlohmann::json body;
  {
    ATTEST_ASSIGN_OR_RETURN(auto tpm, TpmDevice::Open(config.tcti));
    ATTEST_ASSIGN_OR_RETURN(EkEndorsement e, ReadEkEndorsement(*tpm, config.ek_alg));
    ATTEST_ASSIGN_OR_RETURN(TpmKey ak, tpm->CreateAk(config.ak_alg));
    body = {{"token", token},
            {"ek_public", Base64Encode(e.ek.public_area)},
            {"ak_public", Base64Encode(ak.public_area)},
            {"platform", protocol::HostPlatformToJson(platform)}};
    if (!e.certificate.empty()) {
      body["ek_cert"] = Base64Encode(e.certificate);
    }
    if (!e.chain_pem.empty()) {
      body["ek_chain"] = Base64Encode(e.chain_pem);
    }
  }  // the TPM connection closes here: swtpm serves one client at a time
  ATTEST_ASSIGN_OR_RETURN(nlohmann::json enrolled,
                          unsigned_api.CallJson("POST", "/v1/enroll", body));
  HostIdentity identity;
  identity.host_id = StringMember(enrolled, "host_id");
  Result<Bytes> blob = Base64Decode(StringMember(enrolled, "credential_blob"));
  Result<Bytes> wrapped = Base64Decode(StringMember(enrolled, "encrypted_secret"));
  if (identity.host_id.empty() || !blob.ok() || !wrapped.ok()) {
    return Status(reasons::kClientHttpError, "POST /v1/enroll: answer lacks the credential");
  }
  ATTEST_ASSIGN_OR_RETURN(Bytes secret,
                          Activate(config.tcti, config.ak_alg, config.ek_alg, *blob, *wrapped));
  Result<std::string> key = protocol::DeriveHostSecretKey(secret, identity.host_id);
  OPENSSL_cleanse(secret.data(), secret.size());
  ATTEST_RETURN_IF_ERROR(key.status());
  ATTEST_ASSIGN_OR_RETURN(
      nlohmann::json activated,
      unsigned_api.CallJson("POST", "/v1/enroll/activate",
                            {{"host_id", identity.host_id},
                             {"proof", protocol::HostActivationProof(*key, identity.host_id)}}));
  identity.credentials.access_key_id = StringMember(activated, "access_key_id");
  identity.credentials.secret_access_key = *key;
  if (identity.credentials.access_key_id.empty()) {
    return Status(reasons::kClientHttpError,
                  "POST /v1/enroll/activate: answer lacks the access key id");
  }
  return identity;
}

Status WriteHostCredentials(const std::string& path, const HostIdentity& identity) {
  const std::string text = std::string("[") + kHostProfile + "]\n" +
                           "aws_access_key_id = " + identity.credentials.access_key_id + "\n" +
                           "aws_secret_access_key = " + identity.credentials.secret_access_key +
                           "\n" + "host_id = " + identity.host_id + "\n";
  const std::filesystem::path target(path);
  std::error_code ec;
  if (target.has_parent_path()) {
    std::filesystem::create_directories(target.parent_path(), ec);
  }
  // Created 0600 before anything is written, then renamed over the old file: a reader never sees
  // a partial file, and the key is never readable by others, not even for a moment.
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Status(reasons::kFileUnwritable, "cannot create " + tmp);
  }
  ::fchmod(fd, 0600);
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!written || !synced || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Status(reasons::kFileUnwritable, "cannot write " + path);
  }
  return Status::Ok();
}

Result<HostIdentity> ReadHostCredentials(const std::string& path) {
  ATTEST_ASSIGN_OR_RETURN(Bytes bytes, ReadFileBytes(path));
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  HostIdentity identity;
  Result<sigv4::Credentials> credentials = client::ParseCredentialsFile(text, kHostProfile);
  if (!credentials.ok()) {
    return credentials.status().WithContext(path);
  }
  identity.credentials = *std::move(credentials);
  // host_id sits in the same profile; the AWS tools ignore keys they do not know.
  ATTEST_ASSIGN_OR_RETURN(auto keys, client::ReadCredentialsProfile(text, kHostProfile));
  identity.host_id = keys["host_id"];
  if (identity.host_id.empty()) {
    return Status(reasons::kClientCredentials,
                  path + ": profile [attest-host] has no host_id: run `attest-agent host enroll`");
  }
  return identity;
}

Result<Decision> AttestOnce(const HostAgentConfig& config, client::ApiClient& api,
                            const std::string& host_id) {
  const std::string base = "/v1/hosts/" + host_id;
  ATTEST_ASSIGN_OR_RETURN(nlohmann::json challenge,
                          api.CallJson("POST", base + "/challenge", nlohmann::json::object()));
  const std::string nonce_hex = StringMember(challenge, "nonce");
  Result<Bytes> nonce = HexDecode(nonce_hex);
  if (!nonce.ok() || nonce->empty()) {
    return Status(reasons::kClientHttpError, "challenge: answer lacks a nonce");
  }

  // The TPM quotes over the nonce and the platform document together, so the measured host
  // vouches that it reported this document (protocol/host_platform.h).
  ATTEST_ASSIGN_OR_RETURN(protocol::HostPlatform platform,
                          ReadHostPlatform(config.platform, config.read_sev));
  ATTEST_ASSIGN_OR_RETURN(std::string canonical, protocol::SerializeHostPlatform(platform));
  const Sha256Digest qualifying_data = protocol::QuoteQualifyingData(*nonce, canonical);
  nlohmann::json body = {{"nonce", nonce_hex},
                         {"platform", protocol::HostPlatformToJson(platform)}};
  {
    ATTEST_ASSIGN_OR_RETURN(auto tpm, TpmDevice::Open(config.tcti));
    ATTEST_ASSIGN_OR_RETURN(std::vector<uint16_t> banks, tpm->ActiveBanks());
    std::map<uint16_t, std::vector<uint32_t>> selection;
    for (uint16_t bank : banks) {
      selection[bank] = config.pcrs;
    }
    ATTEST_ASSIGN_OR_RETURN(TpmKey ak, tpm->CreateAk(config.ak_alg));
    ATTEST_ASSIGN_OR_RETURN(QuoteOutput quote, tpm->Quote(ak, qualifying_data, selection));
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
  d.trusted = r.status == 200 && BoolMember(r.json, "trusted");
  return d;
}

int NextDelaySeconds(bool succeeded, int consecutive_failures, int interval_seconds) {
  if (succeeded) {
    return interval_seconds;
  }
  const int exponent = std::clamp(consecutive_failures - 1, 0, 16);
  return std::min(interval_seconds, 1 << exponent);
}

Result<nlohmann::json> EndorsementsBody(const std::string& dir) {
  constexpr size_t kMaxBytes = size_t{64} * 1024;
  nlohmann::json body;
  for (const auto& [file, member, required] :
       {std::tuple{"/vcek.der", "vcek", true}, std::tuple{"/cert_chain.pem", "cert_chain", false},
        std::tuple{"/crl.der", "crl", false}}) {
    if (!required && !std::filesystem::exists(dir + file)) {
      continue;
    }
    ATTEST_ASSIGN_OR_RETURN(Bytes data, ReadFileBytes(dir + file, kMaxBytes));
    body[member] = Base64Encode(data);
  }
  return body;
}

Result<nlohmann::json> UploadEndorsements(client::ApiClient& api, const std::string& host_id,
                                          const std::string& dir) {
  ATTEST_ASSIGN_OR_RETURN(nlohmann::json body, EndorsementsBody(dir));
  return api.CallJson("POST", "/v1/hosts/" + host_id + "/endorsements", body);
}

}  // namespace attest::agent
