// Intel DCAP ECDSA quotes: bytes -> Quote.
//
// Layouts: Intel SGX ECDSA Quote Library API (DCAP), appendix A.4 "ECDSA Quote Format" (quote v3)
// and Intel TDX DCAP Quoting Library API, section 2.3 / A.3 (quote v4, and v5 with its body
// descriptor for TD report 1.5). All integers are little-endian.
//
//   header (48) | body (v3: SGX enclave report 384; v4: TD report 584;
//                        v5: u16 type, u32 size, then 384 / 584 / 648 bytes for type 1 / 2 / 3)
//   u32 signature data length | signature data | optional zero padding (fixed-size buffers)
//
// The signature data is r||s (64) | attestation key x||y (64) | certification data. In quote v3
// the QE report, its signature and the QE authentication data come before the certification data
// (type 5); in v4/v5 they live inside certification data type 6, which wraps type 5.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "attest/core/bytes.h"
#include "attest/core/status.h"
#include "attest/tdx/reasons.h"

namespace attest::tdx {

inline constexpr uint32_t kTeeTypeSgx = 0x00000000;
inline constexpr uint32_t kTeeTypeTdx = 0x00000081;
inline constexpr uint16_t kAttestationKeyEcdsaP256 = 2;
inline constexpr uint16_t kCertDataPckChain = 5;
inline constexpr uint16_t kCertDataQeReport = 6;
inline constexpr size_t kHeaderSize = 48;
inline constexpr size_t kEnclaveReportSize = 384;
inline constexpr size_t kTdReport10Size = 584;
inline constexpr size_t kTdReport15Size = 648;

using Bytes16 = std::array<uint8_t, 16>;
using Bytes32 = std::array<uint8_t, 32>;
using Bytes48 = std::array<uint8_t, 48>;
using Bytes64 = std::array<uint8_t, 64>;

struct QuoteHeader {
  uint16_t version = 0;
  uint16_t attestation_key_type = 0;
  uint32_t tee_type = 0;
  uint16_t qe_svn = 0;   // v3 only (reserved in v4/v5)
  uint16_t pce_svn = 0;  // v3 only (reserved in v4/v5)
  Bytes16 qe_vendor_id{};
  std::array<uint8_t, 20> user_data{};
};

// EnclaveReport: SGX REPORT body (SDM vol. 3D, table 38-21), used by SGX quotes and QE reports.
struct EnclaveReport {
  Bytes16 cpu_svn{};
  uint32_t misc_select = 0;
  Bytes16 isv_ext_prod_id{};
  Bytes16 attributes{};
  Bytes32 mr_enclave{};
  Bytes32 mr_signer{};
  Bytes64 config_id{};
  uint16_t isv_prod_id = 0;
  uint16_t isv_svn = 0;
  uint16_t config_svn = 0;
  Bytes16 isv_family_id{};
  Bytes64 report_data{};
};

// TdReport: TD quote body 1.0 (v4, v5 type 2) and 1.5 (v5 type 3: tee_tcb_svn_2, mr_servicetd).
struct TdReport {
  Bytes16 tee_tcb_svn{};
  Bytes48 mr_seam{};
  Bytes48 mr_signer_seam{};
  std::array<uint8_t, 8> seam_attributes{};
  std::array<uint8_t, 8> td_attributes{};
  std::array<uint8_t, 8> xfam{};
  Bytes48 mr_td{};
  Bytes48 mr_config_id{};
  Bytes48 mr_owner{};
  Bytes48 mr_owner_config{};
  std::array<Bytes48, 4> rtmr{};
  Bytes64 report_data{};
  bool is_1_5 = false;
  Bytes16 tee_tcb_svn_2{};  // 1.5 only
  Bytes48 mr_service_td{};  // 1.5 only
};

struct Quote {
  QuoteHeader header;
  uint16_t body_type = 0;                       // 1 SGX, 2 TD 1.0, 3 TD 1.5 (v3/v4 implied)
  std::optional<EnclaveReport> enclave_report;  // SGX quotes
  std::optional<TdReport> td_report;            // TDX quotes
  Bytes signed_data;                            // header + (descriptor) + body: what the key signs
  Bytes64 signature{};                          // r || s
  Bytes64 attestation_key{};                    // x || y (P-256)
  Bytes qe_report_bytes;                        // the 384 signed bytes of the QE report
  EnclaveReport qe_report;
  Bytes64 qe_report_signature{};
  Bytes qe_auth_data;
  Bytes pck_chain_pem;  // certification data type 5 body
  size_t trailing_padding = 0;

  bool is_tdx() const { return header.tee_type == kTeeTypeTdx; }
};

// ParseQuote parses a DCAP ECDSA quote v3 (SGX), v4 or v5 (TDX). Trailing bytes after the
// signature data are allowed only when all zero. Fails with tdx.malformed_quote (truncated,
// inconsistent lengths, non-zero padding), tdx.unsupported_quote (version, TEE type, key type,
// body type) or tdx.cert_data_unsupported (certification data other than 6 -> 5 / 5).
Result<Quote> ParseQuote(ByteSpan bytes);

// ParseEnclaveReport parses the 384-byte SGX report body.
Result<EnclaveReport> ParseEnclaveReport(ByteSpan bytes);

}  // namespace attest::tdx
