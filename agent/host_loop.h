// The host agent against attestd's API: enrollment (register the EK and AK, answer the
// credential-activation challenge) and the attestation loop (challenge -> TPM2_Quote -> submit).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/reasons.h"
#include "agent/tpm_device.h"
#include "attest/core/status.h"
#include "client/api_client.h"

namespace attest::agent {

struct HostAgentConfig {
  std::string tcti;
  AkAlgorithm ak_alg = AkAlgorithm::kEcdsaP256;
  EkAlgorithm ek_alg = EkAlgorithm::kRsa2048;
  std::string state_file;  // JSON {"host_id": ...}, written by Enroll, read by RunOnce
  // Quoted PCRs in every allocated bank: all 24, because attestd refuses a quote that leaves out
  // any PCR its logs extend (firmware, boot loaders and UKIs use 0-15, DRTM 17-22).
  std::vector<uint32_t> pcrs = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23};
  std::string eventlog_path = "/sys/kernel/security/tpm0/binary_bios_measurements";
  std::optional<std::string> drtm_log_path;
  // Enroll only: the TEEs this host offers ("snp", "tdx", "sev", "sev-es") and the libvirt URI
  // attestd launches through; the service places VMs only on hosts that list the VM's TEE.
  std::vector<std::string> tees;
  std::string libvirt_uri;
};

// Enroll registers this TPM's EK (and its EK certificate and chain when the TPM holds them) and AK
// with
// POST /v1/hosts under host_policy, activates the returned credential with the TPM and sends the
// secret back (POST /v1/hosts/{id}/activate), then writes the host id to the state file. Returns
// the host id. Fails with the client's reasons (client.http_error carries the server's code),
// tpm.device_error, or core.file_unreadable for the state file.
Result<std::string> Enroll(const HostAgentConfig& config, client::ApiClient& api,
                           const std::string& host_policy);

// Decision is the service's answer to one quote.
struct Decision {
  bool trusted = false;
  int http_status = 0;
  nlohmann::json body;  // the decision JSON (see service/README.md, host routes)
};

// AttestOnce asks for a nonce, quotes with it and submits the quote with the event logs. An
// accepted or refused quote is a Decision (200 or 422); transport failures, other HTTP errors
// and TPM failures fail with their reasons.
Result<Decision> AttestOnce(const HostAgentConfig& config, client::ApiClient& api);

// ReadHostId reads the host id from the state file. Fails with core.file_unreadable.
Result<std::string> ReadHostId(const std::string& state_file);

// NextDelay is the wait before the next attempt: the interval after a decision, else an
// exponential backoff (1 s, 2 s, 4 s...) capped at the interval, so a transient outage is retried
// quickly without hammering the service.
int NextDelaySeconds(bool succeeded, int consecutive_failures, int interval_seconds);

}  // namespace attest::agent
