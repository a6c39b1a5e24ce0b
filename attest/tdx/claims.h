// Claims of a DCAP quote: the typed, stable facts a policy reads (step three of ParseQuote ->
// QuoteVerifier::Verify -> ToClaims). No JSON here: render/tdx_claims_json.h prints them.
//
// TDX: the TD report (MRTD, RTMRs, MRSEAM, MRSIGNERSEAM, SEAM and TD attributes, XFAM,
// MRCONFIGID, MROWNER, MROWNERCONFIG, REPORTDATA, TEE_TCB_SVN, and for TD 1.5 TEE_TCB_SVN_2 and
// MRSERVICETD). SGX: the enclave report (MRENCLAVE, MRSIGNER, ISVPRODID, ISVSVN, ATTRIBUTES...).
// Both: the header facts, and once verified the PCK identity (FMSPC, PCE-ID, PCESVN, TCB
// components), the collateral dates and the TCB status with its advisories.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "attest/core/time.h"
#include "attest/tdx/collateral.h"
#include "attest/tdx/wire.h"

namespace attest::tdx {

class VerifiedQuote;

// CollateralDates: the validity facts of the collateral a quote was verified with.
struct CollateralDates {
  TimePoint tcb_info_issue_date;
  TimePoint tcb_info_next_update;
  TimePoint qe_identity_issue_date;
  TimePoint qe_identity_next_update;
  TimePoint pck_crl_this_update;
  TimePoint pck_crl_next_update;
  TimePoint root_crl_this_update;
  TimePoint root_crl_next_update;
  int64_t tcb_evaluation_data_number = 0;
};

// TcbEvaluation: the TCB verdict of verified collateral for one quote (Intel QVL 4.1.2.4.17).
struct TcbEvaluation {
  TcbStatus status = TcbStatus::kUpToDate;  // the combined verdict
  std::vector<std::string> advisory_ids;    // platform, TDX module and QE levels, de-duplicated
  TcbStatus platform_status = TcbStatus::kUpToDate;  // the matched SGX (or TDX) level
  std::optional<TcbStatus> tdx_module_status;        // TDX quotes with a module identity match
  TcbStatus qe_status = TcbStatus::kUpToDate;
  std::string tcb_date;  // of the matched platform level
};

// PckIdentity: the platform facts of the PCK certificate's SGX extension
// (1.2.840.113741.1.13.1) that verified the quote.
struct PckIdentity {
  std::array<uint8_t, 16> ppid{};
  std::array<uint8_t, 16> tcb_components{};  // SGX TCB component SVNs .2.1 .. .2.16
  uint16_t pce_svn = 0;
  std::array<uint8_t, 16> cpu_svn{};
  std::array<uint8_t, 2> pce_id{};
  std::array<uint8_t, 6> fmspc{};
};

// TdAttributes decodes the TD ATTRIBUTES bit field (TDX module ABI, TDREPORT.TDINFO.ATTRIBUTES):
// bit 0 DEBUG, bit 28 SEPT_VE_DISABLE, bit 30 PKS, bit 31 KL, bit 63 PERFMON.
struct TdAttributes {
  bool debug = false;
  bool sept_ve_disable = false;
  bool pks = false;
  bool kl = false;
  bool perfmon = false;
  bool reserved_bits_set = false;
};
TdAttributes DecodeTdAttributes(const std::array<uint8_t, 8>& attributes);

// Claims: what a quote says and, when verified, what verification established.
struct Claims {
  bool verified = false;  // made from a VerifiedQuote (signatures and PCK chain verified)
  uint16_t quote_version = 0;
  uint32_t tee_type = 0;   // kTeeTypeTdx or kTeeTypeSgx
  uint16_t body_type = 0;  // 1 SGX, 2 TD 1.0, 3 TD 1.5
  Bytes16 qe_vendor_id{};
  uint16_t qe_svn = 0;                   // the QE report's ISVSVN
  std::optional<TdReport> td;            // TDX quotes
  std::optional<EnclaveReport> enclave;  // SGX quotes
  std::optional<PckIdentity> pck;        // set when verified
  // collateral: set when verified with collateral (collateral_checked in the JSON form).
  std::optional<CollateralDates> collateral;
  // tcb: set when collateral was checked and a TCB level matched (otherwise the verification
  // status says why: tdx.tcb_level_not_found, tdx.qe_identity_mismatch...).
  std::optional<TcbEvaluation> tcb;

  bool is_tdx() const { return tee_type == kTeeTypeTdx; }
};

// ToClaims returns the claims of a verified quote (verified is true). The rvalue form moves what
// it can (the TCB verdict's advisory list) instead of copying: key release takes that one.
Claims ToClaims(const VerifiedQuote& verified);
Claims ToClaims(VerifiedQuote&& verified);

// UnverifiedClaims returns what a parsed but unverified (or rejected) quote says, for display
// only: verified is false and no PCK, collateral or TCB facts are set.
Claims UnverifiedClaims(const Quote& quote);

}  // namespace attest::tdx
