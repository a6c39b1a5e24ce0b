// The host agent against attestd's API: enrollment with a one-time token (register the EK and AK,
// recover the activation secret with the TPM, derive the host's own credential from it) and the
// attestation loop (challenge -> TPM2_Quote -> submit), signed with that credential.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/host_platform_source.h"
#include "agent/reasons.h"
#include "agent/tpm_device.h"
#include "attest/core/status.h"
#include "client/api_client.h"
#include "sigv4/signer.h"

namespace attest::agent {

struct HostAgentConfig {
  std::string tcti;
  AkAlgorithm ak_alg = AkAlgorithm::kEcdsaP256;
  EkAlgorithm ek_alg = EkAlgorithm::kRsa2048;
  // Quoted PCRs in every allocated bank: all 24, because attestd refuses a quote that leaves out
  // any PCR its logs extend (firmware, boot loaders and UKIs use 0-15, DRTM 17-22).
  std::vector<uint32_t> pcrs = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23};
  std::string eventlog_path = "/sys/kernel/security/tpm0/binary_bios_measurements";
  std::optional<std::string> drtm_log_path;
  // platform: where the host's TEE platform identities come from; read again for enrollment and
  // for every quote (none: the empty document, a host without SEV-SNP or TDX).
  PlatformSources platform;
  // read_sev: the /dev/sev seam (tests replace it; the agent uses ReadSevGetId2).
  SevIdReader read_sev = ReadSevGetId2;
};

// HostIdentity is what enrollment gives a host: its id and its own SigV4 credential.
struct HostIdentity {
  std::string host_id;
  sigv4::Credentials credentials;
};

// kHostProfile is the credentials-file profile the host's credential is written under.
inline constexpr char kHostProfile[] = "attest-host";

// Enroll redeems token with this TPM's EK (and EK certificate when the TPM holds one), AK and
// platform identity document (POST /v1/enroll, unsigned: the token authenticates), recovers the
// activation secret with TPM2_ActivateCredential, derives the host's secret key from it and proves
// it (POST /v1/enroll/activate). The secret and the key never leave this process. Fails with the
// client's reasons (client.http_error carries the server's code) or tpm.device_error.
Result<HostIdentity> Enroll(const HostAgentConfig& config, client::ApiClient& unsigned_api,
                            const std::string& token);

// EndorsementsBody reads the host's AMD endorsements from dir, as `attestctl collateral fetch snp`
// writes them (or the host's SEV tooling exports them): vcek.der (required), cert_chain.pem and
// crl.der (each when present), and returns the body of POST /v1/hosts/{id}/endorsements
// {"vcek", "cert_chain"?, "crl"?} (base64). attestd verifies them; nothing is checked here.
// Fails with core.file_unreadable (a missing vcek.der, or a file over 64 KiB).
Result<nlohmann::json> EndorsementsBody(const std::string& dir);

// UploadEndorsements sends EndorsementsBody(dir) for host_id with the host's own credential and
// returns attestd's answer ({"stored", "refused"}). Fails with EndorsementsBody's or the client's
// reasons.
Result<nlohmann::json> UploadEndorsements(client::ApiClient& api, const std::string& host_id,
                                          const std::string& dir);

// WriteHostCredentials writes identity to path, mode 0600, in the AWS credentials-file format
// (profile attest-host, with the host id as host_id), replacing the file atomically. Fails with
// core.file_unwritable.
Status WriteHostCredentials(const std::string& path, const HostIdentity& identity);

// ReadHostCredentials reads what WriteHostCredentials wrote. Fails with client.credentials or
// core.file_unreadable.
Result<HostIdentity> ReadHostCredentials(const std::string& path);

// Decision is the service's answer to one quote.
// NOLINTNEXTLINE(bugprone-exception-escape): clang-tidy 14 misreads json's noexcept moves
struct Decision {
  bool trusted = false;
  int http_status = 0;
  nlohmann::json body;  // the decision JSON (see service/README.md, host routes)
};

// AttestOnce asks for a nonce, reads the platform document, quotes over
// protocol::QuoteQualifyingData(nonce, document) and submits the quote with the document and the
// event logs, as
// host_id over api (signed with the host's own credential). An accepted or refused quote is a
// Decision (200 or 422); transport failures, other HTTP errors and TPM failures fail with their
// reasons.
Result<Decision> AttestOnce(const HostAgentConfig& config, client::ApiClient& api,
                            const std::string& host_id);

// NextDelay is the wait before the next attempt: the interval after a decision, else an
// exponential backoff (1 s, 2 s, 4 s...) capped at the interval, so a transient outage is retried
// quickly without hammering the service.
int NextDelaySeconds(bool succeeded, int consecutive_failures, int interval_seconds);

}  // namespace attest::agent
