// ErrorCode, Reason, and the stable error reasons of attest/core (input handling, X.509).
//
// A reason is "<area>.<what>": what an API client sees in the JSON "code" field, what a policy or
// an alert matches on. ErrorCode is the coarse class (numbers are part of the contract and never
// reused); only service/ maps it to HTTP. Each module defines its own reasons in its own
// reasons.h, included by the module's public headers, with a table of them (as BoringSSL keeps one
// error table per library), so that a new reason rebuilds only its module and what uses it.
// `attestctl reasons` lists every reason with its module (cli/reason_tables.cc gathers the
// tables); cli/reason_tables_test checks that every reason is unique and listed in
// cli/reasons_golden.txt. Never rename or reuse a reason.
#pragma once

#include <string_view>

namespace attest {

enum class ErrorCode : int {
  kOk = 0,
  kMalformedEvidence = 1,   // input bytes do not parse as the format they claim
  kUnsupported = 2,         // well-formed but a version/algorithm/product we do not accept
  kSignatureInvalid = 3,    // a signature does not verify
  kChainUntrusted = 4,      // a certificate chain does not lead to a pinned anchor
  kExpired = 5,             // outside a validity window at the verification time
  kRevoked = 6,             // listed on a CRL
  kPolicyDenied = 7,        // verified, but a rule says no
  kUnavailable = 8,         // a resource (file, collateral, service) is missing
  kInternal = 9,            // our own invariant broke; a bug
  kInvalidArgument = 10,    // a caller-supplied parameter (not evidence) is wrong
  kMismatch = 11,           // two verified facts disagree (report vs certificate, replay vs quote)
  kNotFound = 12,           // a stored resource does not exist (or belongs to another tenant)
  kConflict = 13,           // a stored resource already exists, or was already used (nonce)
  kResourceExhausted = 14,  // a rate limit or quota was reached; retry later
};

// ErrorCodeName is the upper-case name of code, e.g. "SIGNATURE_INVALID".
std::string_view ErrorCodeName(ErrorCode code);

struct Reason {
  std::string_view id;
  ErrorCode code;
};

namespace reasons {
inline constexpr Reason kOk{"ok", ErrorCode::kOk};

// --- core: generic input handling -------------------------------------------------------------
inline constexpr Reason kTruncated{"core.truncated", ErrorCode::kMalformedEvidence};
inline constexpr Reason kTrailingBytes{"core.trailing_bytes", ErrorCode::kMalformedEvidence};
inline constexpr Reason kBadHex{"core.bad_hex", ErrorCode::kMalformedEvidence};
inline constexpr Reason kBadBase64{"core.bad_base64", ErrorCode::kMalformedEvidence};
inline constexpr Reason kBadTime{"core.bad_time", ErrorCode::kInvalidArgument};
inline constexpr Reason kFileUnreadable{"core.file_unreadable", ErrorCode::kUnavailable};
inline constexpr Reason kFileUnwritable{"core.file_unwritable", ErrorCode::kUnavailable};
inline constexpr Reason kInternalError{"core.internal", ErrorCode::kInternal};

// --- x509: certificates and CRLs, any vendor ---------------------------------------------------
inline constexpr Reason kCertMalformed{"x509.cert_malformed", ErrorCode::kMalformedEvidence};
inline constexpr Reason kCrlMalformed{"x509.crl_malformed", ErrorCode::kMalformedEvidence};
inline constexpr Reason kChainUntrusted{"x509.chain_untrusted", ErrorCode::kChainUntrusted};
inline constexpr Reason kCertExpired{"x509.cert_expired", ErrorCode::kExpired};
inline constexpr Reason kCertNotYetValid{"x509.cert_not_yet_valid", ErrorCode::kExpired};
inline constexpr Reason kCertRevoked{"x509.cert_revoked", ErrorCode::kRevoked};
inline constexpr Reason kCrlSignatureInvalid{"x509.crl_signature_invalid",
                                             ErrorCode::kSignatureInvalid};
inline constexpr Reason kCrlExpired{"x509.crl_expired", ErrorCode::kExpired};
inline constexpr Reason kCrlIssuerUnknown{"x509.crl_issuer_unknown", ErrorCode::kChainUntrusted};

// kCoreTable lists every reason above, for `attestctl reasons` and cli/reason_tables_test.
inline constexpr Reason kCoreTable[] = {
    kOk,
    kTruncated,
    kTrailingBytes,
    kBadHex,
    kBadBase64,
    kBadTime,
    kFileUnreadable,
    kFileUnwritable,
    kInternalError,
    kCertMalformed,
    kCrlMalformed,
    kChainUntrusted,
    kCertExpired,
    kCertNotYetValid,
    kCertRevoked,
    kCrlSignatureInvalid,
    kCrlExpired,
    kCrlIssuerUnknown,
};
}  // namespace reasons

}  // namespace attest
