// PCK certificate SGX extensions: FMSPC, PCE-ID and the TCB (CPUSVN components, PCESVN).
//
// Layout: Intel SGX PCK Certificate and Certificate Revocation List Profile Specification,
// section 1.3.5 "Intel SGX Extensions": extension OID 1.2.840.113741.1.13.1 whose value is a
// SEQUENCE of (OID, value) pairs: .1 PPID, .2 TCB (SEQUENCE of .2.1-.2.16 component SVNs,
// .2.17 PCESVN, .2.18 CPUSVN), .3 PCE-ID, .4 FMSPC, .5 SGX type, and more for platform CAs.
#pragma once

#include <array>
#include <cstdint>

#include "attest/core/bytes.h"
#include "attest/core/ossl.h"
#include "attest/core/status.h"
#include "attest/tdx/reasons.h"

namespace attest::tdx {

struct PckExtensions {
  std::array<uint8_t, 16> ppid{};
  std::array<uint8_t, 16> tcb_components{};  // SGX TCB component SVNs .2.1 .. .2.16
  uint16_t pce_svn = 0;
  std::array<uint8_t, 16> cpu_svn{};
  std::array<uint8_t, 2> pce_id{};
  std::array<uint8_t, 6> fmspc{};
};

// ParseSgxExtensionValue parses the DER value of extension 1.2.840.113741.1.13.1. Every field
// above must be present exactly once. Fails with tdx.pck_extension_invalid.
Result<PckExtensions> ParseSgxExtensionValue(ByteSpan der);

// ParsePckExtensions finds the SGX extension in cert and parses it. Fails with
// tdx.pck_extension_invalid when it is missing or malformed.
Result<PckExtensions> ParsePckExtensions(X509* cert);

}  // namespace attest::tdx
