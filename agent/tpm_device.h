// TpmDevice: the host agent's TPM operations over tpm2-tss ESYS and the TCTI loader, usable with
// any TCTI ("swtpm:host=127.0.0.1,port=2321", "device:/dev/tpmrm0", "mssim:...").
//
// Keys are primaries of the endorsement hierarchy created from fixed templates, so the same EK
// and AK come back on every call without persistent handles (the EK from a TCG EK Credential
// Profile template, which also matches the manufacturer's EK certificate). Every transient
// object and session this class creates is flushed when its handle goes out of scope: swtpm has
// no resource manager, so a leaked handle would break the next command.
#pragma once

#include <tss2/tss2_esys.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/reasons.h"
#include "attest/core/bytes.h"
#include "attest/core/status.h"
#include "attest/tpm/eventlog.h"

namespace attest::agent {

class TpmDevice;

// TpmHandle owns one transient object or session and flushes it on destruction.
class TpmHandle {
 public:
  TpmHandle() = default;
  TpmHandle(ESYS_CONTEXT* ctx, ESYS_TR handle) : ctx_(ctx), handle_(handle) {}
  TpmHandle(TpmHandle&& other) noexcept { *this = std::move(other); }
  TpmHandle& operator=(TpmHandle&& other) noexcept;
  TpmHandle(const TpmHandle&) = delete;
  TpmHandle& operator=(const TpmHandle&) = delete;
  ~TpmHandle();
  ESYS_TR get() const { return handle_; }

 private:
  ESYS_CONTEXT* ctx_ = nullptr;
  ESYS_TR handle_ = ESYS_TR_NONE;
};

// TpmKey is a loaded key and its public area.
struct TpmKey {
  TpmHandle handle;
  Bytes public_area;  // TPM2B_PUBLIC, marshalled
  Bytes name;         // TPM2B_NAME contents (nameAlg || digest)
};

enum class AkAlgorithm { kEcdsaP256, kRsaSsa2048 };

// EkAlgorithm: the TCG EK Credential Profile 2.x templates CreateEk makes, and the NV index of
// each one's certificate: RSA 2048 (template L-1, 0x01c00002), ECC P-256 (L-2, 0x01c0000a), ECC
// P-384 (H-4, 0x01c00016; swtpm_setup provisions this one and RSA).
enum class EkAlgorithm { kRsa2048, kEccP256, kEccP384 };

// EkCertificateIndex is the NV index of alg's EK certificate.
uint32_t EkCertificateIndex(EkAlgorithm alg);
// EK certificate chain NV indices (EK Credential Profile 2.x §2.2.1.5): each holds one or more
// DER certificates of the EK certificate's issuers.
inline constexpr uint32_t kEkChainFirstIndex = 0x01c00100;
inline constexpr uint32_t kEkChainLastIndex = 0x01c001ff;

// QuoteOutput holds the quote exactly as the verifier consumes it.
struct QuoteOutput {
  Bytes attest;        // TPMS_ATTEST (the bytes the AK signed)
  Bytes signature;     // TPMT_SIGNATURE, marshalled
  tpm::PcrBanks pcrs;  // the quoted PCR values, read right after the quote
};

class TpmDevice {
 public:
  // Open loads the TCTI named by tcti_conf and starts ESYS (TPM2_Startup(CLEAR) is sent and an
  // "already initialized" answer accepted). Fails with tpm.device_error.
  static Result<std::unique_ptr<TpmDevice>> Open(const std::string& tcti_conf);
  ~TpmDevice();

  // CreateEk creates the EK of alg's template.
  Result<TpmKey> CreateEk(EkAlgorithm alg = EkAlgorithm::kRsa2048);
  // CreateAk creates a restricted signing AK (fixedTPM, fixedParent, sensitiveDataOrigin,
  // userWithAuth) in the endorsement hierarchy.
  Result<TpmKey> CreateAk(AkAlgorithm alg);
  // ReadEkCertificate reads alg's EK certificate NV index (DER). Fails with tpm.device_error (also
  // when the TPM has no such index).
  Result<Bytes> ReadEkCertificate(EkAlgorithm alg = EkAlgorithm::kRsa2048);
  // ReadEkChain reads every defined EK certificate chain NV index, in index order, concatenated
  // (DER certificates); empty when the TPM defines none. Fails with tpm.device_error.
  Result<Bytes> ReadEkChain();
  // ActivateCredential runs TPM2_ActivateCredential with the EK and returns the credential. The EK
  // is authorized as its template allows: the low-range templates (no userWithAuth) by a policy
  // session with PolicySecret(TPM_RH_ENDORSEMENT), the high-range ones (userWithAuth, empty
  // authValue) by the empty password.
  Result<Bytes> ActivateCredential(const TpmKey& ak, const TpmKey& ek, ByteSpan credential_blob,
                                   ByteSpan encrypted_secret);
  // Quote signs the selected PCRs (TPM_ALG_ID -> PCR indices) with nonce as qualifyingData.
  Result<QuoteOutput> Quote(const TpmKey& ak, ByteSpan nonce,
                            const std::map<uint16_t, std::vector<uint32_t>>& selection);
  // ReadPcrs reads the selected PCR values.
  Result<tpm::PcrBanks> ReadPcrs(const std::map<uint16_t, std::vector<uint32_t>>& selection);
  // ActiveBanks lists the PCR banks the TPM has allocated (TPM2_GetCapability(PCRS)).
  Result<std::vector<uint16_t>> ActiveBanks();
  // ExtendPcr extends pcr with one digest per bank at the given locality (0-4; the swtpm TCTI
  // forwards it, a DRTM measurement of PCR 18 needs locality 3 or 4).
  Status ExtendPcr(uint32_t pcr, const std::vector<std::pair<uint16_t, Bytes>>& digests,
                   uint8_t locality);

 private:
  TpmDevice(TSS2_TCTI_CONTEXT* tcti, ESYS_CONTEXT* esys) : tcti_(tcti), esys_(esys) {}
  Result<TpmKey> CreatePrimary(const TPM2B_PUBLIC& in_public);
  Result<TpmHandle> StartEndorsementPolicySession();
  Result<Bytes> ReadNvIndex(uint32_t nv_index);
  TSS2_TCTI_CONTEXT* tcti_;
  ESYS_CONTEXT* esys_;
};

}  // namespace attest::agent
