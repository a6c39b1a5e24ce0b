// The host agent's operations, as the attest-agent CLI (and later its HTTP loop) runs them. Each
// opens the TPM through the TCTI, recreates the EK/AK primaries, does its work, and flushes
// everything it created before returning.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "agent/reasons.h"
#include "agent/tpm_device.h"
#include "attest/core/bytes.h"
#include "attest/core/status.h"

namespace attest::agent {

// EkEndorsement is what the TPM holds about its EK: the key and, when provisioned, the EK
// certificate of that algorithm and the EK certificate chain NV indices.
struct EkEndorsement {
  TpmKey ek;
  Bytes certificate;  // DER, exactly one certificate (NV padding removed); empty when none
  Bytes chain_pem;    // the chain indices' certificates as PEM; empty when none
};

// ReadEkEndorsement creates ek_alg's EK and reads its certificate and the chain. A missing
// certificate or chain is not an error; a present one that does not parse is
// (tpm.ek_cert_malformed). Fails with tpm.device_error.
Result<EkEndorsement> ReadEkEndorsement(TpmDevice& tpm, EkAlgorithm ek_alg);

// Register writes into out_dir: ek.pub (TPM2B_PUBLIC), ek.crt (DER, when the TPM holds an EK
// certificate for ek_alg), ek-chain.pem (the EK certificate chain NV indices, when defined), ak.pub
// (TPM2B_PUBLIC) and ak.name (nameAlg || digest): what the verifier needs to check the EK
// certificate and issue a credential for the AK.
Status Register(const std::string& tcti, AkAlgorithm ak_alg, EkAlgorithm ek_alg,
                const std::string& out_dir);

// Activate runs TPM2_ActivateCredential with ek_alg's EK on the verifier's credential blob and
// encrypted secret (as MakeCredential marshals them) and returns the recovered credential.
Result<Bytes> Activate(const std::string& tcti, AkAlgorithm ak_alg, EkAlgorithm ek_alg,
                       ByteSpan credential_blob, ByteSpan encrypted_secret);

// QuoteOptions selects what a quote covers and which logs ship with it.
struct QuoteOptions {
  Bytes nonce;
  // platform: the canonical platform identity document (protocol/host_platform.h). When set the
  // TPM quotes over protocol::QuoteQualifyingData(nonce, platform), as attestd expects, and the
  // document and that digest are written beside the quote.
  std::optional<std::string> platform;
  std::vector<uint32_t> pcrs = {0, 1, 2, 3, 4, 5, 6, 7, 17, 18};
  std::vector<uint16_t> banks;  // empty: every allocated bank
  std::string eventlog_path = "/sys/kernel/security/tpm0/binary_bios_measurements";
  std::optional<std::string> drtm_log_path;
};

// Quote writes into out_dir: quote.msg (TPMS_ATTEST), quote.sig (TPMT_SIGNATURE), pcrs.json
// ({"banks":...}), ak.pub, eventlog.bin (a copy of the UEFI log, when the path exists) and
// drtm-log.bin (when given). These are exactly `attestctl verify tpm`'s inputs. With
// options.platform also platform.json (the document) and qualifying-data.hex (the digest the
// quote's extraData holds: `attestctl verify tpm --nonce` takes it).
Status Quote(const std::string& tcti, AkAlgorithm ak_alg, const QuoteOptions& options,
             const std::string& out_dir);

// WriteFile writes data to path (created or truncated). Fails with core.file_unreadable.
Status WriteFile(const std::string& path, ByteSpan data);

}  // namespace attest::agent
