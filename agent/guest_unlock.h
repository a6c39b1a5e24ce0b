// `attest-agent guest unlock`: the guest's side of key release over HTTPS (DESIGN.md "Key release
// protocol"; wire shapes in service/README.md): challenge -> a fresh P-384 key that exists only
// in this process's memory -> REPORT_DATA = SHA-512(nonce || public point) -> evidence ->
// POST /v1/attest -> open each JWE -> the raw 32-byte volume key, for `cryptsetup open
// --key-file -` or a 0600 file.
//
// Everything the service answers is hostile until checked: status, shape, sizes, that the keys
// are for the VM and volumes asked for, that each JWE's kid names its volume and that it opens to
// exactly 32 bytes. The parts that need no server are separate functions so they are unit tested.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/guest_evidence.h"
#include "agent/reasons.h"
#include "attest/core/bytes.h"
#include "attest/core/digest.h"
#include "attest/core/status.h"
#include "client/api_client.h"

namespace attest::agent {

struct UnlockOptions {
  std::string endpoint;
  std::string ca_cert;  // "" = the system trust store
  std::string vm_id;
  std::vector<std::string> volumes;  // empty: every volume the service releases
  std::string out = "-";             // "-" = stdout (one key); a file (one key); a dir (several)
  std::string tsm_root = kTsmReportRoot;
  std::string sev_device = kSevGuestDevice;
  // evidence_command: argv of a program that prints the evidence JSON object for the REPORT_DATA
  // hex given as its last argument (vendor tools, tests). Empty: the kernel (guest_evidence.h).
  std::vector<std::string> evidence_command;
};

// ParseUnlockArgs reads the flags after `guest unlock`: --endpoint URL, --vm-id ID (required),
// --ca-cert FILE, --volume ID (repeatable), --out FILE|DIR|-, --tsm-root PATH, --sev-device PATH,
// --evidence-command CMD (split at spaces, run without a shell). Fails with cli.usage.
Result<UnlockOptions> ParseUnlockArgs(const std::vector<std::string>& args);

// EvidenceJson turns kernel evidence into the request's "evidence" object: sev_guest ->
// {"tee": "snp", "report", "auxblob"} (the SNP certificate table carries the VCEK; without it
// the service cannot verify, so that is guest.evidence_invalid), tdx_guest -> {"tee": "tdx",
// "quote"}. Another provider, or a report of the wrong size: guest.evidence_invalid.
Result<nlohmann::json> EvidenceJson(const GuestEvidence& evidence);

// CheckEvidenceJson parses what an evidence command printed: one JSON object with "tee" "snp" or
// "tdx" and string members only where the spec has strings (guest.evidence_invalid).
Result<nlohmann::json> CheckEvidenceJson(std::string_view text);

// RunEvidenceCommand runs argv + [hex(report_data)] without a shell (stdin /dev/null, stderr
// inherited), reads at most 8 MiB of stdout, and requires exit status 0:
// guest.evidence_command_failed; then CheckEvidenceJson.
Result<nlohmann::json> RunEvidenceCommand(const std::vector<std::string>& argv,
                                          ByteSpan report_data);

// ParseChallengeResponse returns the nonce of a 201 answer (64 hex digits, lower-cased). A non-2xx
// answer is client.http_error with the service's code; a bad 2xx body is guest.response_invalid.
Result<std::string> ParseChallengeResponse(const client::ClientResponse& response);

// AttestRequest is the POST /v1/attest body.
nlohmann::json AttestRequest(const std::string& vm_id, const std::string& nonce_hex,
                             const std::string& public_jwk_json, const nlohmann::json& evidence);

struct ReleasedVolumeKey {
  std::string volume_id;
  Bytes key;  // 32 bytes; wiped by the destructor
  ReleasedVolumeKey() = default;
  ReleasedVolumeKey(std::string id, Bytes k) : volume_id(std::move(id)), key(std::move(k)) {}
  ReleasedVolumeKey(ReleasedVolumeKey&&) = default;
  ReleasedVolumeKey& operator=(ReleasedVolumeKey&&) = default;
  ~ReleasedVolumeKey();
};

// ParseAttestResponse reads the answer to POST /v1/attest. 200: {"vm_id" (must be vm_id),
// "keys": [{"volume_id", "jwe"}]}: each JWE's protected kid must be its volume id, it must open
// with private_jwk to exactly 32 bytes, no volume twice, at most 64 keys; else
// guest.response_invalid (or release.jwe_invalid when a JWE does not open). 403: release.denied
// with every listed failure "check: code" on its own line (with " (detail)" when the service sent
// one: attestd does not to unauthenticated callers), printable ASCII only, and where the details
// are (the VM owner's audit log). Any other status: client.http_error with the service's code.
Result<std::vector<ReleasedVolumeKey>> ParseAttestResponse(const client::ClientResponse& response,
                                                           const std::string& vm_id,
                                                           const std::string& private_jwk);

// SelectKeys keeps the wanted volumes in the order asked (empty: all, at least one): a wanted
// volume the service did not release is guest.volume_not_released.
Result<std::vector<ReleasedVolumeKey>> SelectKeys(std::vector<ReleasedVolumeKey> keys,
                                                  const std::vector<std::string>& wanted);

// WriteKeys writes one key to stdout ("-") or to a file created 0600 (never following a
// symlink); several keys go to out/<volume_id>.key in an existing directory. Several keys to
// stdout or a file is cli.usage; I/O failures are core.file_unwritable.
Status WriteKeys(const std::vector<ReleasedVolumeKey>& keys, const std::string& out);

// EvidenceSource produces the "evidence" object for a REPORT_DATA.
using EvidenceSource = std::function<Result<nlohmann::json>(const Sha512Digest& report_data)>;

// Unlock runs the whole protocol against client (unsigned requests) and returns the selected keys.
Result<std::vector<ReleasedVolumeKey>> Unlock(const UnlockOptions& options,
                                              client::ApiClient& client,
                                              const EvidenceSource& evidence);

// RunUnlock is the CLI command: parse, build the client and the evidence source, Unlock, write.
// Returns the exit code (0 released, 1 refused or failed, 2 usage), diagnostics on stderr.
int RunUnlock(const std::vector<std::string>& args);

}  // namespace attest::agent
