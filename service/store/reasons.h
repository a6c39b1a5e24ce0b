// service/store/reasons.h: the stable error reasons of attestd storage: SQLite and PostgreSQL
// stores, secret sealing, the audit chain (service/store).
//
// One definition each, never renamed or reused (cli/reasons_golden.txt pins them); the area
// prefix says what failed, ErrorCode the coarse class. attest/core/reasons.h explains the scheme.
#pragma once

#include "attest/core/reasons.h"

namespace attest::reasons {

inline constexpr Reason kStoreNotFound{"store.not_found", ErrorCode::kNotFound};
inline constexpr Reason kStoreAlreadyExists{"store.already_exists", ErrorCode::kConflict};
inline constexpr Reason kStoreNonceRejected{"store.nonce_rejected", ErrorCode::kConflict};
inline constexpr Reason kStoreDatabase{"store.database_error", ErrorCode::kUnavailable};
inline constexpr Reason kStoreMigration{"store.migration_failed", ErrorCode::kInternal};
inline constexpr Reason kStoreInvalidArgument{"store.invalid_argument",
                                              ErrorCode::kInvalidArgument};
inline constexpr Reason kStoreSealFailed{"store.secret_seal_failed", ErrorCode::kInternal};
inline constexpr Reason kStoreUnsealFailed{"store.secret_unseal_failed", ErrorCode::kMismatch};
inline constexpr Reason kStoreKekInvalid{"store.kek_invalid", ErrorCode::kInvalidArgument};
inline constexpr Reason kStoreAuditChainBroken{"store.audit_chain_broken", ErrorCode::kMismatch};
// Host enrollment tokens: no enrollment has this token (forged or mistyped), it was already
// redeemed (tokens are single use), or it expired. All three refuse the request (403).
inline constexpr Reason kStoreEnrollmentTokenInvalid{"store.enrollment_token_invalid",
                                                     ErrorCode::kPolicyDenied};
inline constexpr Reason kStoreEnrollmentTokenUsed{"store.enrollment_token_used",
                                                  ErrorCode::kPolicyDenied};
inline constexpr Reason kStoreEnrollmentTokenExpired{"store.enrollment_token_expired",
                                                     ErrorCode::kPolicyDenied};
// A signed request that changes something, sent again with the same signature (a replay).
inline constexpr Reason kStoreRequestReplayed{"store.request_replayed", ErrorCode::kPolicyDenied};
// KEK rotation (kek_rotation_store.h): a KEK cannot be retired while a row is still wrapped by
// it; a retired KEK is not used again as the current one.
inline constexpr Reason kStoreKekInUse{"store.kek_in_use", ErrorCode::kConflict};
inline constexpr Reason kStoreKekRetired{"store.kek_retired", ErrorCode::kPolicyDenied};
// A resource that a live record still references (a boot image a live VM boots) is not deleted.
inline constexpr Reason kStoreInUse{"store.in_use", ErrorCode::kConflict};

// kStoreTable lists every reason above, for `attestctl reasons` and cli/reason_tables_test.
inline constexpr Reason kStoreTable[] = {
    kStoreNotFound,
    kStoreAlreadyExists,
    kStoreNonceRejected,
    kStoreDatabase,
    kStoreMigration,
    kStoreInvalidArgument,
    kStoreSealFailed,
    kStoreUnsealFailed,
    kStoreKekInvalid,
    kStoreAuditChainBroken,
    kStoreEnrollmentTokenInvalid,
    kStoreEnrollmentTokenUsed,
    kStoreEnrollmentTokenExpired,
    kStoreRequestReplayed,
    kStoreKekInUse,
    kStoreKekRetired,
    kStoreInUse,
};

}  // namespace attest::reasons
