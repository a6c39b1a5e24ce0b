// service/keys/reasons.h: the stable error reasons of key-encryption keys (key file, PKCS#11) and
// volume keys (service/keys).
//
// One definition each, never renamed or reused (cli/reasons_golden.txt pins them); the area
// prefix says what failed, ErrorCode the coarse class. attest/core/reasons.h explains the scheme.
#pragma once

#include "attest/core/reasons.h"

namespace attest::reasons {

inline constexpr Reason kKeysKeyFileInvalid{"keys.key_file_invalid", ErrorCode::kInvalidArgument};
inline constexpr Reason kKeysConfigInvalid{"keys.config_invalid", ErrorCode::kInvalidArgument};
inline constexpr Reason kKeysWrapFailed{"keys.wrap_failed", ErrorCode::kInternal};
inline constexpr Reason kKeysBlobMalformed{"keys.blob_malformed", ErrorCode::kMalformedEvidence};
inline constexpr Reason kKeysWrongKey{"keys.wrong_key", ErrorCode::kMismatch};
inline constexpr Reason kKeysUnwrapFailed{"keys.unwrap_failed", ErrorCode::kMismatch};
inline constexpr Reason kKeysModuleLoadFailed{"keys.pkcs11_module_load_failed",
                                              ErrorCode::kUnavailable};
inline constexpr Reason kKeysTokenNotFound{"keys.pkcs11_token_not_found", ErrorCode::kUnavailable};
inline constexpr Reason kKeysPinIncorrect{"keys.pkcs11_pin_incorrect", ErrorCode::kInvalidArgument};
inline constexpr Reason kKeysPinUnavailable{"keys.pkcs11_pin_unavailable", ErrorCode::kUnavailable};
inline constexpr Reason kKeysPkcs11Error{"keys.pkcs11_error", ErrorCode::kUnavailable};
inline constexpr Reason kKeysLuksFormatFailed{"keys.luks_format_failed", ErrorCode::kUnavailable};
// An existing PKCS#11 key whose value can leave the token, or once could: not CKA_SENSITIVE, or
// CKA_EXTRACTABLE, or (where the token reports them) not CKA_ALWAYS_SENSITIVE or not
// CKA_NEVER_EXTRACTABLE.
inline constexpr Reason kKeysPkcs11KeyExtractable{"keys.pkcs11_key_extractable",
                                                  ErrorCode::kPolicyDenied};
// A PIN file that is not a regular file or that group or others may read or write.
inline constexpr Reason kKeysPinFileInvalid{"keys.pkcs11_pin_file_invalid",
                                            ErrorCode::kInvalidArgument};
// No cryptsetup program at the fixed locations (kCryptsetupLocations) and none configured.
inline constexpr Reason kKeysCryptsetupNotFound{"keys.cryptsetup_not_found",
                                                ErrorCode::kUnavailable};
// A wrapped blob names a KEK that is neither the current one nor a previous one in the
// configuration (a KEK ring, key_ring.h): add that KEK to previous_keks to read it.
inline constexpr Reason kKeysKekUnknown{"keys.kek_unknown", ErrorCode::kUnavailable};

// kKeysTable lists every reason above, for `attestctl reasons` and cli/reason_tables_test.
inline constexpr Reason kKeysTable[] = {
    kKeysKeyFileInvalid,       kKeysConfigInvalid,  kKeysWrapFailed,
    kKeysBlobMalformed,        kKeysWrongKey,       kKeysUnwrapFailed,
    kKeysModuleLoadFailed,     kKeysTokenNotFound,  kKeysPinIncorrect,
    kKeysPinUnavailable,       kKeysPkcs11Error,    kKeysLuksFormatFailed,
    kKeysPkcs11KeyExtractable, kKeysPinFileInvalid, kKeysCryptsetupNotFound,
    kKeysKekUnknown,
};

}  // namespace attest::reasons
