// Claims: the typed facts a host policy reads from verified TPM evidence. No JSON here: PCR values
// as JSON are pcr_json.h (a wire form), claims as JSON render/tpm_claims_json.h.
//
// Event data is decoded only for the events a policy needs (PFP §10.4 and UEFI 2.x §32.4):
// EV_S_CRTM_VERSION, firmware blobs, EV_EFI_VARIABLE_DRIVER_CONFIG (SecureBoot, PK, KEK, db, dbx),
// EV_EFI_BOOT_SERVICES_APPLICATION, EV_SEPARATOR, EV_IPL (kernel command line), EV_EFI_ACTION,
// and the Intel TXT types of a DRTM log. Every other type is counted as opaque: decoding never
// fails a replay, and a record whose data does not decode is also counted as opaque. Data of the
// types whose digest is defined as the hash of the data (S-CRTM version, UEFI variables,
// separators, IPL strings, EFI actions) is used only when it hashes to the recorded digest, so a
// claim cannot be forged by editing event data while keeping the digests that replay.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "attest/core/bytes.h"
#include "attest/tpm/eventlog.h"
#include "attest/tpm/verify.h"

namespace attest::tpm {

// Intel TXT event types (TXT_EVTYPE_BASE 0x400; Intel TXT Software Development Guide, appendix
// "TPM event log"), used by the DRTM log.
inline constexpr uint32_t kEvTxtPcrMapping = 0x401;
inline constexpr uint32_t kEvTxtHashStart = 0x402;
inline constexpr uint32_t kEvTxtCombinedHash = 0x403;
inline constexpr uint32_t kEvTxtMleHash = 0x404;
inline constexpr uint32_t kEvTxtBiosAcRegData = 0x40a;
inline constexpr uint32_t kEvTxtCpuScrtmStat = 0x40b;
inline constexpr uint32_t kEvTxtLcpControlHash = 0x40c;
inline constexpr uint32_t kEvTxtElementsHash = 0x40d;
inline constexpr uint32_t kEvTxtStmHash = 0x40e;
inline constexpr uint32_t kEvTxtOsSinitDataCapHash = 0x40f;
inline constexpr uint32_t kEvTxtSinitPubkeyHash = 0x410;
inline constexpr uint32_t kEvTxtLcpHash = 0x411;

// EventTypeName returns "EV_SEPARATOR", "EV_EFI_ACTION", "TXT_HASH_START"... or "0xNNNNNNNN".
std::string EventTypeName(uint32_t type);

// BootClaims are the facts of a static (UEFI / BIOS) event log. Digests are of the sha256 bank
// when the log has one, else of its first bank (digest_alg names it).
struct BootClaims {
  PcrBanks replayed;
  std::string digest_alg;
  std::optional<std::string> scrtm_version;
  std::vector<Bytes> firmware_blob_digests;
  std::optional<bool> secure_boot;
  // PK, KEK, db, dbx: the digest (digest_alg) of their UEFI_VARIABLE_DATA as measured into PCR 7.
  std::map<std::string, Bytes> secure_boot_variables;
  std::vector<Bytes> boot_application_digests;
  std::optional<std::string> kernel_cmdline;
  std::vector<std::string> efi_actions;
  std::vector<uint32_t> separator_pcrs;
  bool separator_error = false;  // a separator carried the error value 1 (PFP §10.4.5.2)
  size_t num_events = 0;
  size_t num_opaque_events = 0;
  size_t num_unverified_data_events = 0;  // counted in num_opaque_events too
};

// ExtractBootClaims decodes the policy-relevant events of log; replayed is the log's replay.
BootClaims ExtractBootClaims(const EventLog& log, PcrBanks replayed);

// DrtmClaims are the facts of a dynamic-launch (Intel TXT) log: the SINIT ACM digest (the
// TXT_HASH_START record in PCR 17, which _TPM_Hash_End extended), the MLE digest (TXT_MLE_HASH in
// PCR 18) and the launch control policy digests, in digest_alg.
struct DrtmClaims {
  PcrBanks replayed;
  std::string digest_alg;
  std::optional<Bytes> sinit_digest;
  std::optional<Bytes> mle_digest;
  std::vector<Bytes> lcp_digests;
  size_t num_events = 0;
};

// ExtractDrtmClaims decodes the TXT records of a dynamic-launch log.
DrtmClaims ExtractDrtmClaims(const EventLog& log, PcrBanks replayed);

// QuoteClaims are the quote's own facts.
struct QuoteClaims {
  Bytes nonce;
  bool nonce_checked = false;
  uint64_t clock = 0;
  uint32_t reset_count = 0;
  uint32_t restart_count = 0;
  bool safe = false;
  uint64_t firmware_version = 0;
  Bytes qualified_signer;
  PcrBanks pcrs;  // the quoted values
};

QuoteClaims ToClaims(const VerifiedQuote& quote);

// HostClaims are the claims of accepted or partly verified host evidence (tpm::ToClaims in
// host.h): the quote's, the static event log's and the DRTM log's. A host policy reads only these.
struct HostClaims {
  std::optional<QuoteClaims> quote;
  std::optional<BootClaims> boot;
  std::optional<DrtmClaims> drtm;
  bool ak_attributes_checked = false;  // the AK came as a TPM public area and passed
};

}  // namespace attest::tpm
