// DCAP collateral: TCB Info v3, QE Identity v2, CRLs and issuer chains, loaded from either
//  (a) the JSON file layout of the shared vectors (dcap-qvl's QuoteCollateralV3: fields
//      pck_crl_issuer_chain, root_ca_crl, pck_crl, tcb_info_issuer_chain, tcb_info,
//      tcb_info_signature, qe_identity_issuer_chain, qe_identity, qe_identity_signature), or
//  (b) raw Intel PCS responses (PCS API v4: GET /tdx|sgx/certification/v4/tcb and /qe/identity
//      bodies {"tcbInfo"|"enclaveIdentity": {...}, "signature": "<hex r||s>"}, the issuer chain
//      headers as PEM, the CRL bodies DER or PEM).
// The signed bodies are kept as their exact bytes; nothing is re-serialised before verification.
// JSON schemas: Intel PCS API v4 documentation, "TCB Info V3" and "Enclave Identity V2".
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "attest/core/bytes.h"
#include "attest/core/status.h"
#include "attest/core/time.h"
#include "attest/tdx/reasons.h"

namespace attest::tdx {

// TcbStatus: the statuses of TCB levels and the combined verdict of Intel's algorithm.
enum class TcbStatus {
  kUpToDate,
  kSwHardeningNeeded,
  kConfigurationNeeded,
  kConfigurationAndSwHardeningNeeded,
  kOutOfDate,
  kOutOfDateConfigurationNeeded,
  kRevoked,
  kTdRelaunchAdvised,
  kTdRelaunchAdvisedConfigurationNeeded,
};

// TcbStatusName returns Intel's spelling ("UpToDate", "OutOfDateConfigurationNeeded"...).
std::string_view TcbStatusName(TcbStatus status);
// ParseTcbStatus maps Intel's spelling back; nullopt for anything else.
std::optional<TcbStatus> ParseTcbStatus(std::string_view name);

struct TcbLevel {
  std::array<uint8_t, 16> sgx_components{};
  uint16_t pce_svn = 0;
  bool has_tdx_components = false;
  std::array<uint8_t, 16> tdx_components{};
  std::string tcb_date;
  TcbStatus status = TcbStatus::kUpToDate;
  std::vector<std::string> advisory_ids;
};

// IsvLevel: a TCB level of an enclave identity or a TDX module identity (keyed by ISVSVN).
struct IsvLevel {
  uint16_t isv_svn = 0;
  std::string tcb_date;
  TcbStatus status = TcbStatus::kUpToDate;
  std::vector<std::string> advisory_ids;
};

struct TdxModuleIdentity {
  std::string id;  // "TDX_01"...
  std::array<uint8_t, 48> mr_signer{};
  std::array<uint8_t, 8> attributes{};
  std::array<uint8_t, 8> attributes_mask{};
  std::vector<IsvLevel> tcb_levels;
};

struct TcbInfo {
  std::string id;  // "SGX" or "TDX"
  int version = 0;
  TimePoint issue_date;
  TimePoint next_update;
  std::array<uint8_t, 6> fmspc{};
  std::array<uint8_t, 2> pce_id{};
  int64_t tcb_evaluation_data_number = 0;
  bool has_tdx_module = false;
  std::array<uint8_t, 48> tdx_module_mr_signer{};
  std::array<uint8_t, 8> tdx_module_attributes{};
  std::array<uint8_t, 8> tdx_module_attributes_mask{};
  std::vector<TdxModuleIdentity> tdx_module_identities;
  std::vector<TcbLevel> tcb_levels;  // in document order (Intel publishes them newest first)
};

struct QeIdentity {
  std::string id;  // "QE" or "TD_QE"
  int version = 0;
  TimePoint issue_date;
  TimePoint next_update;
  int64_t tcb_evaluation_data_number = 0;
  uint32_t misc_select = 0;
  uint32_t misc_select_mask = 0;
  std::array<uint8_t, 16> attributes{};
  std::array<uint8_t, 16> attributes_mask{};
  std::array<uint8_t, 32> mr_signer{};
  uint16_t isv_prod_id = 0;
  std::vector<IsvLevel> tcb_levels;
};

// Collateral: the raw collateral, as received. Signed bodies are their exact bytes.
struct Collateral {
  std::string tcb_info_body;  // the exact signed JSON text of the tcbInfo object
  Bytes tcb_info_signature;   // r || s, 64 bytes
  Bytes tcb_info_issuer_chain;
  std::string qe_identity_body;  // the exact signed JSON text of the enclaveIdentity object
  Bytes qe_identity_signature;
  Bytes qe_identity_issuer_chain;
  Bytes pck_crl;      // DER or PEM
  Bytes root_ca_crl;  // DER or PEM
  Bytes pck_crl_issuer_chain;

  // Fingerprint is SHA-256 over every field (length-prefixed): the collateral cache key.
  std::array<uint8_t, 32> Fingerprint() const;
};

// ParseCollateralJson loads form (a). CRLs may be hex DER or PEM text; signatures are hex.
// Fails with tdx.collateral_malformed.
Result<Collateral> ParseCollateralJson(std::string_view text);
// CollateralToJson writes c in form (a), each CRL as the hex of its bytes (DER or PEM), so that
// ParseCollateralJson gives back the same bytes in every field (the signed bodies included).
std::string CollateralToJson(const Collateral& c);
// CollateralFromJson is ParseCollateralJson on a document already read (a request body member).
Result<Collateral> CollateralFromJson(const nlohmann::json& doc);

// PcsFiles: the raw PCS responses of form (b), by role.
struct PcsFiles {
  std::string tcb_info_response;     // {"tcbInfo":{...},"signature":"..."}
  std::string qe_identity_response;  // {"enclaveIdentity":{...},"signature":"..."}
  Bytes tcb_info_issuer_chain;       // PEM (the TCB-Info-Issuer-Chain header, URL-decoded)
  Bytes qe_identity_issuer_chain;    // PEM (SGX-Enclave-Identity-Issuer-Chain)
  Bytes pck_crl;
  Bytes root_ca_crl;
  Bytes pck_crl_issuer_chain;  // optional (SGX-PCK-CRL-Issuer-Chain)
};

// CollateralFromPcs extracts the exact byte span of the "tcbInfo" / "enclaveIdentity" members from
// the response bodies (a duplicated or missing member fails) and their hex signatures. Fails with
// tdx.collateral_malformed or tdx.collateral_missing.
Result<Collateral> CollateralFromPcs(const PcsFiles& files);

// TopLevelMemberSpan returns the exact text of the value of member key of the JSON object doc,
// without re-encoding. Fails with tdx.collateral_malformed when doc is not an object, the member
// is absent or appears twice.
Result<std::string_view> TopLevelMemberSpan(std::string_view doc, std::string_view key);

// ParseTcbInfo parses the tcbInfo JSON (version 3, id "SGX" or "TDX"). Fails with
// tdx.collateral_malformed or tdx.collateral_unsupported (other versions, unknown statuses).
Result<TcbInfo> ParseTcbInfo(std::string_view body);

// ParseQeIdentity parses the enclaveIdentity JSON (version 2, id "QE" or "TD_QE").
Result<QeIdentity> ParseQeIdentity(std::string_view body);

}  // namespace attest::tdx
