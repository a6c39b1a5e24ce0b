// Longer than 500 lines on purpose: every ESYS call of the agent, each handle flushed beside
// the call that created it.
#include "agent/tpm_device.h"

#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include <cstdio>
#include <cstring>

#include "attest/tpm/alg.h"
#include "attest/tpm/ek_policy.h"
#include "flags/reasons.h"

namespace attest::agent {
namespace {

Status TpmError(const std::string& what, TSS2_RC rc) {
  return Status(reasons::kTpmDevice, what + ": " + Tss2_RC_Decode(rc));
}

// EsysFree releases memory ESYS returned.
template <typename T>
struct EsysFreeDeleter {
  void operator()(T* p) const { Esys_Free(p); }
};
template <typename T>
using EsysPtr = std::unique_ptr<T, EsysFreeDeleter<T>>;

template <typename T>
Result<Bytes> Marshal(TSS2_RC (*fn)(const T*, uint8_t[], size_t, size_t*), const T& value,
                      const char* what) {
  Bytes out(sizeof(T) + 16);
  size_t offset = 0;
  const TSS2_RC rc = fn(&value, out.data(), out.size(), &offset);
  if (rc != TSS2_RC_SUCCESS) {
    return TpmError(std::string("marshal ") + what, rc);
  }
  out.resize(offset);
  return out;
}

TPML_PCR_SELECTION ToSelection(const std::map<uint16_t, std::vector<uint32_t>>& selection) {
  TPML_PCR_SELECTION out{};
  for (const auto& [alg, pcrs] : selection) {
    if (out.count >= TPM2_NUM_PCR_BANKS) {
      break;
    }
    TPMS_PCR_SELECTION& s = out.pcrSelections[out.count++];
    s.hash = alg;
    s.sizeofSelect = 3;
    for (uint32_t pcr : pcrs) {
      if (pcr < 24) {
        s.pcrSelect[pcr / 8] |= static_cast<uint8_t>(1u << (pcr % 8));
      }
    }
  }
  return out;
}

// The EK templates of the TCG EK Credential Profile 2.x (§B.3.3 L-1, L-2; §B.4.5 H-4). The
// low-range ones carry PolicySecret(TPM_RH_ENDORSEMENT) (SHA-256) as authPolicy and a zero-filled
// unique field of the key size; H-4 carries PolicyOR(PolicyA, PolicyC) over SHA-384, sets
// userWithAuth, and leaves unique empty. A template that differs in any bit makes another key than
// the one the manufacturer certified (tests/tpm checks H-4 against swtpm's certificate).
TPM2B_PUBLIC EkTemplate(EkAlgorithm alg) {
  TPM2B_PUBLIC t{};
  TPMT_PUBLIC& p = t.publicArea;
  p.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                       TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_ADMINWITHPOLICY |
                       TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
  if (alg == EkAlgorithm::kEccP384) {
    p.nameAlg = TPM2_ALG_SHA384;
    p.objectAttributes |= TPMA_OBJECT_USERWITHAUTH;
    p.authPolicy.size = tpm::kEkPolicyOrSha384.size();
    std::memcpy(p.authPolicy.buffer, tpm::kEkPolicyOrSha384.data(), tpm::kEkPolicyOrSha384.size());
  } else {
    p.nameAlg = TPM2_ALG_SHA256;
    p.authPolicy.size = tpm::kEkPolicySecretSha256.size();
    std::memcpy(p.authPolicy.buffer, tpm::kEkPolicySecretSha256.data(),
                tpm::kEkPolicySecretSha256.size());
  }
  if (alg == EkAlgorithm::kRsa2048) {
    p.type = TPM2_ALG_RSA;
    TPMS_RSA_PARMS& rsa = p.parameters.rsaDetail;
    rsa.symmetric.algorithm = TPM2_ALG_AES;
    rsa.symmetric.keyBits.aes = 128;
    rsa.symmetric.mode.aes = TPM2_ALG_CFB;
    rsa.scheme.scheme = TPM2_ALG_NULL;
    rsa.keyBits = 2048;
    rsa.exponent = 0;
    p.unique.rsa.size = 256;
    return t;
  }
  p.type = TPM2_ALG_ECC;
  TPMS_ECC_PARMS& ecc = p.parameters.eccDetail;
  ecc.symmetric.algorithm = TPM2_ALG_AES;
  ecc.symmetric.mode.aes = TPM2_ALG_CFB;
  ecc.scheme.scheme = TPM2_ALG_NULL;
  ecc.kdf.scheme = TPM2_ALG_NULL;
  if (alg == EkAlgorithm::kEccP256) {
    ecc.symmetric.keyBits.aes = 128;
    ecc.curveID = TPM2_ECC_NIST_P256;
    p.unique.ecc.x.size = 32;
    p.unique.ecc.y.size = 32;
  } else {
    ecc.symmetric.keyBits.aes = 256;
    ecc.curveID = TPM2_ECC_NIST_P384;
  }
  return t;
}

TPM2B_PUBLIC AkTemplate(AkAlgorithm alg) {
  TPM2B_PUBLIC t{};
  t.publicArea.nameAlg = TPM2_ALG_SHA256;
  t.publicArea.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                                  TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
                                  TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT;
  if (alg == AkAlgorithm::kEcdsaP256) {
    t.publicArea.type = TPM2_ALG_ECC;
    TPMS_ECC_PARMS& ecc = t.publicArea.parameters.eccDetail;
    ecc.symmetric.algorithm = TPM2_ALG_NULL;
    ecc.scheme.scheme = TPM2_ALG_ECDSA;
    ecc.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
    ecc.curveID = TPM2_ECC_NIST_P256;
    ecc.kdf.scheme = TPM2_ALG_NULL;
  } else {
    t.publicArea.type = TPM2_ALG_RSA;
    TPMS_RSA_PARMS& rsa = t.publicArea.parameters.rsaDetail;
    rsa.symmetric.algorithm = TPM2_ALG_NULL;
    rsa.scheme.scheme = TPM2_ALG_RSASSA;
    rsa.scheme.details.rsassa.hashAlg = TPM2_ALG_SHA256;
    rsa.keyBits = 2048;
  }
  return t;
}

}  // namespace

TpmHandle& TpmHandle::operator=(TpmHandle&& other) noexcept {
  if (this != &other) {
    this->~TpmHandle();
    ctx_ = other.ctx_;
    handle_ = other.handle_;
    other.ctx_ = nullptr;
    other.handle_ = ESYS_TR_NONE;
  }
  return *this;
}

TpmHandle::~TpmHandle() {
  if (ctx_ != nullptr && handle_ != ESYS_TR_NONE) {
    Esys_FlushContext(ctx_, handle_);
  }
  ctx_ = nullptr;
  handle_ = ESYS_TR_NONE;
}

Result<std::unique_ptr<TpmDevice>> TpmDevice::Open(const std::string& tcti_conf) {
  TSS2_TCTI_CONTEXT* tcti = nullptr;
  TSS2_RC rc = Tss2_TctiLdr_Initialize(tcti_conf.c_str(), &tcti);
  if (rc != TSS2_RC_SUCCESS) {
    return TpmError("tcti " + tcti_conf, rc);
  }
  ESYS_CONTEXT* esys = nullptr;
  rc = Esys_Initialize(&esys, tcti, nullptr);
  if (rc != TSS2_RC_SUCCESS) {
    Tss2_TctiLdr_Finalize(&tcti);
    return TpmError("esys initialize", rc);
  }
  std::unique_ptr<TpmDevice> device(new TpmDevice(tcti, esys));
  rc = Esys_Startup(esys, TPM2_SU_CLEAR);
  if (rc != TSS2_RC_SUCCESS && rc != TPM2_RC_INITIALIZE) {
    return TpmError("startup", rc);
  }
  return device;
}

TpmDevice::~TpmDevice() {
  Esys_Finalize(&esys_);
  Tss2_TctiLdr_Finalize(&tcti_);
}

Result<TpmKey> TpmDevice::CreatePrimary(const TPM2B_PUBLIC& in_public) {
  TPM2B_SENSITIVE_CREATE sensitive{};
  TPM2B_DATA outside{};
  TPML_PCR_SELECTION creation_pcr{};
  ESYS_TR handle = ESYS_TR_NONE;
  TPM2B_PUBLIC* out_public = nullptr;
  TSS2_RC rc = Esys_CreatePrimary(esys_, ESYS_TR_RH_ENDORSEMENT, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                                  ESYS_TR_NONE, &sensitive, &in_public, &outside, &creation_pcr,
                                  &handle, &out_public, nullptr, nullptr, nullptr);
  if (rc != TSS2_RC_SUCCESS) {
    return TpmError("create primary", rc);
  }
  TpmKey key;
  key.handle = TpmHandle(esys_, handle);
  EsysPtr<TPM2B_PUBLIC> pub(out_public);
  ATTEST_ASSIGN_OR_RETURN(key.public_area, Marshal(Tss2_MU_TPM2B_PUBLIC_Marshal, *pub, "public"));
  TPM2B_NAME* name = nullptr;
  rc = Esys_TR_GetName(esys_, handle, &name);
  if (rc != TSS2_RC_SUCCESS) {
    return TpmError("get name", rc);
  }
  EsysPtr<TPM2B_NAME> owned_name(name);
  key.name.assign(name->name, name->name + name->size);
  return key;
}

uint32_t EkCertificateIndex(EkAlgorithm alg) {
  switch (alg) {
    case EkAlgorithm::kRsa2048:
      return 0x01c00002;
    case EkAlgorithm::kEccP256:
      return 0x01c0000a;
    case EkAlgorithm::kEccP384:
      return 0x01c00016;
  }
  return 0;
}

Result<TpmKey> TpmDevice::CreateEk(EkAlgorithm alg) { return CreatePrimary(EkTemplate(alg)); }

Result<TpmKey> TpmDevice::CreateAk(AkAlgorithm alg) { return CreatePrimary(AkTemplate(alg)); }

Result<Bytes> TpmDevice::ReadNvIndex(uint32_t nv_index) {
  char hex[16];
  std::snprintf(hex, sizeof(hex), "0x%08x", nv_index);
  ESYS_TR index = ESYS_TR_NONE;
  TSS2_RC rc =
      Esys_TR_FromTPMPublic(esys_, nv_index, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &index);
  if (rc != TSS2_RC_SUCCESS) {
    return TpmError(std::string("nv index ") + hex, rc);
  }
  TPM2B_NV_PUBLIC* nv_public = nullptr;
  rc = Esys_NV_ReadPublic(esys_, index, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &nv_public,
                          nullptr);
  if (rc != TSS2_RC_SUCCESS) {
    Esys_TR_Close(esys_, &index);
    return TpmError(std::string("nv read public ") + hex, rc);
  }
  const uint16_t size = nv_public->nvPublic.dataSize;
  Esys_Free(nv_public);
  Bytes out;
  constexpr uint16_t kChunk = 512;  // below every TPM's MAX_NV_BUFFER_SIZE
  while (out.size() < size) {
    const uint16_t n = static_cast<uint16_t>(std::min<size_t>(kChunk, size - out.size()));
    TPM2B_MAX_NV_BUFFER* data = nullptr;
    // EK certificate (and chain) indices are readable with the index's own (empty) auth.
    rc = Esys_NV_Read(esys_, index, index, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, n,
                      static_cast<uint16_t>(out.size()), &data);
    if (rc != TSS2_RC_SUCCESS) {
      Esys_TR_Close(esys_, &index);
      return TpmError(std::string("nv read ") + hex, rc);
    }
    out.insert(out.end(), data->buffer, data->buffer + data->size);
    Esys_Free(data);
  }
  Esys_TR_Close(esys_, &index);
  return out;
}

Result<Bytes> TpmDevice::ReadEkCertificate(EkAlgorithm alg) {
  return ReadNvIndex(EkCertificateIndex(alg));
}

Result<Bytes> TpmDevice::ReadEkChain() {
  Bytes out;
  TPM2_HANDLE next = kEkChainFirstIndex;
  // TPM2_GetCapability(HANDLES) lists defined NV indices from `next` on, a page at a time.
  for (int page = 0; page < 256 && next <= kEkChainLastIndex; ++page) {
    TPMI_YES_NO more = TPM2_NO;
    TPMS_CAPABILITY_DATA* data = nullptr;
    TSS2_RC rc =
        Esys_GetCapability(esys_, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_HANDLES, next,
                           kEkChainLastIndex - next + 1, &more, &data);
    if (rc != TSS2_RC_SUCCESS) {
      return TpmError("get capability (nv indices)", rc);
    }
    EsysPtr<TPMS_CAPABILITY_DATA> owned(data);
    const TPML_HANDLE& handles = data->data.handles;
    if (handles.count == 0) {
      break;
    }
    for (uint32_t i = 0; i < handles.count; ++i) {
      const TPM2_HANDLE h = handles.handle[i];
      if (h < kEkChainFirstIndex || h > kEkChainLastIndex) {
        return out;  // past the chain range
      }
      ATTEST_ASSIGN_OR_RETURN(Bytes certs, ReadNvIndex(h));
      out.insert(out.end(), certs.begin(), certs.end());
      next = h + 1;
    }
    if (more != TPM2_YES) {
      break;
    }
  }
  return out;
}

Result<TpmHandle> TpmDevice::StartEndorsementPolicySession() {
  TPMT_SYM_DEF symmetric{};
  symmetric.algorithm = TPM2_ALG_NULL;
  ESYS_TR session = ESYS_TR_NONE;
  TSS2_RC rc = Esys_StartAuthSession(esys_, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                     ESYS_TR_NONE, nullptr, TPM2_SE_POLICY, &symmetric,
                                     TPM2_ALG_SHA256, &session);
  if (rc != TSS2_RC_SUCCESS) {
    return TpmError("start policy session", rc);
  }
  TpmHandle handle(esys_, session);
  // Keep the session alive after use so that its TpmHandle, not the TPM, ends it.
  rc = Esys_TRSess_SetAttributes(esys_, session, TPMA_SESSION_CONTINUESESSION,
                                 TPMA_SESSION_CONTINUESESSION);
  if (rc != TSS2_RC_SUCCESS) {
    return TpmError("session attributes", rc);
  }
  rc = Esys_PolicySecret(esys_, ESYS_TR_RH_ENDORSEMENT, session, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                         ESYS_TR_NONE, nullptr, nullptr, nullptr, 0, nullptr, nullptr);
  if (rc != TSS2_RC_SUCCESS) {
    return TpmError("policy secret (endorsement)", rc);
  }
  return handle;
}

Result<Bytes> TpmDevice::ActivateCredential(const TpmKey& ak, const TpmKey& ek,
                                            ByteSpan credential_blob, ByteSpan encrypted_secret) {
  TPM2B_ID_OBJECT blob{};
  size_t offset = 0;
  TSS2_RC rc = Tss2_MU_TPM2B_ID_OBJECT_Unmarshal(credential_blob.data(), credential_blob.size(),
                                                 &offset, &blob);
  if (rc != TSS2_RC_SUCCESS || offset != credential_blob.size()) {
    return Status(reasons::kTpmCredentialMalformed, "credential blob is not a TPM2B_ID_OBJECT");
  }
  TPM2B_ENCRYPTED_SECRET secret{};
  offset = 0;
  rc = Tss2_MU_TPM2B_ENCRYPTED_SECRET_Unmarshal(encrypted_secret.data(), encrypted_secret.size(),
                                                &offset, &secret);
  if (rc != TSS2_RC_SUCCESS || offset != encrypted_secret.size()) {
    return Status(reasons::kTpmCredentialMalformed, "secret is not a TPM2B_ENCRYPTED_SECRET");
  }
  // The EK's template decides how it is authorized (see the declaration).
  TPM2B_PUBLIC ek_public{};
  offset = 0;
  rc = Tss2_MU_TPM2B_PUBLIC_Unmarshal(ek.public_area.data(), ek.public_area.size(), &offset,
                                      &ek_public);
  if (rc != TSS2_RC_SUCCESS) {
    return TpmError("ek public", rc);
  }
  TpmHandle session;
  ESYS_TR ek_auth = ESYS_TR_PASSWORD;
  if ((ek_public.publicArea.objectAttributes & TPMA_OBJECT_USERWITHAUTH) == 0) {
    ATTEST_ASSIGN_OR_RETURN(session, StartEndorsementPolicySession());
    ek_auth = session.get();
  }
  TPM2B_DIGEST* cert_info = nullptr;
  rc = Esys_ActivateCredential(esys_, ak.handle.get(), ek.handle.get(), ESYS_TR_PASSWORD, ek_auth,
                               ESYS_TR_NONE, &blob, &secret, &cert_info);
  if (rc != TSS2_RC_SUCCESS) {
    return TpmError("activate credential", rc);
  }
  EsysPtr<TPM2B_DIGEST> owned(cert_info);
  return Bytes(cert_info->buffer, cert_info->buffer + cert_info->size);
}

Result<tpm::PcrBanks> TpmDevice::ReadPcrs(
    const std::map<uint16_t, std::vector<uint32_t>>& selection) {
  TPML_PCR_SELECTION remaining = ToSelection(selection);
  tpm::PcrBanks out;
  // TPM2_PCR_Read returns at most 8 digests per call; ask again for what it left out.
  for (int round = 0; round < 64; ++round) {
    bool any = false;
    for (uint32_t i = 0; i < remaining.count; ++i) {
      for (uint8_t b : remaining.pcrSelections[i].pcrSelect) {
        any = any || b != 0;
      }
    }
    if (!any) {
      return out;
    }
    TPML_PCR_SELECTION* got_sel = nullptr;
    TPML_DIGEST* values = nullptr;
    TSS2_RC rc = Esys_PCR_Read(esys_, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &remaining, nullptr,
                               &got_sel, &values);
    if (rc != TSS2_RC_SUCCESS) {
      return TpmError("pcr read", rc);
    }
    EsysPtr<TPML_PCR_SELECTION> owned_sel(got_sel);
    EsysPtr<TPML_DIGEST> owned_values(values);
    uint32_t next = 0;
    bool progressed = false;
    for (uint32_t i = 0; i < got_sel->count; ++i) {
      const TPMS_PCR_SELECTION& s = got_sel->pcrSelections[i];
      for (uint32_t pcr = 0; pcr < s.sizeofSelect * 8u; ++pcr) {
        if (!(s.pcrSelect[pcr / 8] & (1u << (pcr % 8)))) {
          continue;
        }
        if (next >= values->count) {
          return TpmError("pcr read: fewer values than selected", 0);
        }
        out[s.hash][pcr].assign(values->digests[next].buffer,
                                values->digests[next].buffer + values->digests[next].size);
        ++next;
        progressed = true;
        for (uint32_t j = 0; j < remaining.count; ++j) {
          if (remaining.pcrSelections[j].hash == s.hash) {
            remaining.pcrSelections[j].pcrSelect[pcr / 8] &=
                static_cast<uint8_t>(~(1u << (pcr % 8)));
          }
        }
      }
    }
    if (!progressed) {
      return Status(reasons::kTpmDevice, "pcr read: a selected bank is not allocated");
    }
  }
  return Status(reasons::kTpmDevice, "pcr read: no progress");
}

Result<QuoteOutput> TpmDevice::Quote(const TpmKey& ak, ByteSpan nonce,
                                     const std::map<uint16_t, std::vector<uint32_t>>& selection) {
  TPM2B_DATA qualifying{};
  if (nonce.size() > sizeof(qualifying.buffer)) {
    return Status(reasons::kCliUsage,
                  "nonce longer than " + std::to_string(sizeof(qualifying.buffer)) + " bytes");
  }
  qualifying.size = static_cast<uint16_t>(nonce.size());
  std::copy(nonce.begin(), nonce.end(), qualifying.buffer);
  TPMT_SIG_SCHEME scheme{};
  scheme.scheme = TPM2_ALG_NULL;  // the AK's own scheme
  const TPML_PCR_SELECTION pcr_select = ToSelection(selection);
  TPM2B_ATTEST* quoted = nullptr;
  TPMT_SIGNATURE* signature = nullptr;
  TSS2_RC rc = Esys_Quote(esys_, ak.handle.get(), ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                          &qualifying, &scheme, &pcr_select, &quoted, &signature);
  if (rc != TSS2_RC_SUCCESS) {
    return TpmError("quote", rc);
  }
  EsysPtr<TPM2B_ATTEST> owned_quoted(quoted);
  EsysPtr<TPMT_SIGNATURE> owned_sig(signature);
  QuoteOutput out;
  out.attest.assign(quoted->attestationData, quoted->attestationData + quoted->size);
  ATTEST_ASSIGN_OR_RETURN(out.signature,
                          Marshal(Tss2_MU_TPMT_SIGNATURE_Marshal, *signature, "signature"));
  ATTEST_ASSIGN_OR_RETURN(out.pcrs, ReadPcrs(selection));
  return out;
}

Result<std::vector<uint16_t>> TpmDevice::ActiveBanks() {
  TPMS_CAPABILITY_DATA* data = nullptr;
  TSS2_RC rc = Esys_GetCapability(esys_, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, TPM2_CAP_PCRS, 0,
                                  1, nullptr, &data);
  if (rc != TSS2_RC_SUCCESS) {
    return TpmError("get capability (pcrs)", rc);
  }
  EsysPtr<TPMS_CAPABILITY_DATA> owned(data);
  std::vector<uint16_t> out;
  const TPML_PCR_SELECTION& banks = data->data.assignedPCR;
  for (uint32_t i = 0; i < banks.count; ++i) {
    bool allocated = false;
    for (uint8_t b : banks.pcrSelections[i].pcrSelect) {
      allocated = allocated || b != 0;
    }
    if (allocated && tpm::FindHashAlg(banks.pcrSelections[i].hash)) {
      out.push_back(banks.pcrSelections[i].hash);
    }
  }
  return out;
}

Status TpmDevice::ExtendPcr(uint32_t pcr, const std::vector<std::pair<uint16_t, Bytes>>& digests,
                            uint8_t locality) {
  TPML_DIGEST_VALUES values{};
  for (const auto& [alg, digest] : digests) {
    if (values.count >= TPM2_NUM_PCR_BANKS || digest.size() > sizeof(TPMU_HA)) {
      return Status(reasons::kCliUsage, "extend: too many or too long digests");
    }
    TPMT_HA& ha = values.digests[values.count++];
    ha.hashAlg = alg;
    std::copy(digest.begin(), digest.end(), reinterpret_cast<uint8_t*>(&ha.digest));
  }
  TSS2_TCTI_CONTEXT* tcti = nullptr;
  TSS2_RC rc = Esys_GetTcti(esys_, &tcti);
  if (rc != TSS2_RC_SUCCESS) {
    return TpmError("get tcti", rc);
  }
  rc = Tss2_Tcti_SetLocality(tcti, locality);
  if (rc != TSS2_RC_SUCCESS) {
    return TpmError("set locality", rc);
  }
  rc = Esys_PCR_Extend(esys_, ESYS_TR_PCR0 + pcr, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
                       &values);
  const TSS2_RC reset = Tss2_Tcti_SetLocality(tcti, 0);
  if (rc != TSS2_RC_SUCCESS) {
    return TpmError("pcr extend " + std::to_string(pcr), rc);
  }
  if (reset != TSS2_RC_SUCCESS) {
    return TpmError("set locality 0", reset);
  }
  return Status::Ok();
}

}  // namespace attest::agent
