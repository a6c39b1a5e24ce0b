// service/api/reasons.h: the stable error reasons of attestd API routes: dispatch, access, hosts,
// tenant networks, rate limits (service/api).
//
// One definition each, never renamed or reused (cli/reasons_golden.txt pins them); the area
// prefix says what failed, ErrorCode the coarse class. attest/core/reasons.h explains the scheme.
#pragma once

#include "attest/core/reasons.h"

namespace attest::reasons {

inline constexpr Reason kApiRouteNotFound{"api.not_found", ErrorCode::kNotFound};
inline constexpr Reason kApiMethodNotAllowed{"api.method_not_allowed", ErrorCode::kInvalidArgument};
inline constexpr Reason kApiAccessDenied{"api.access_denied", ErrorCode::kPolicyDenied};
// Hosts (service/api/host_routes.cc): a challenge or quote for a host whose credential was never
// activated; a quote appraised after its host policy was deleted.
inline constexpr Reason kApiHostNotActivated{"api.host_not_activated", ErrorCode::kConflict};
inline constexpr Reason kApiHostPolicyMissing{"api.host_policy_missing", ErrorCode::kPolicyDenied};
// An enrollment activation whose proof does not match a host awaiting activation (403).
inline constexpr Reason kApiActivationInvalid{"api.activation_invalid", ErrorCode::kPolicyDenied};
// A host quote carried another platform identity document than the one recorded at enrollment
// (or the host's platform changed before): untrusted until re-enrolled (service/hosts).
inline constexpr Reason kHostPlatformChanged{"host.platform_changed", ErrorCode::kPolicyDenied};
// Tenant network resources (service/api/network_routes.cc).
inline constexpr Reason kApiCidrOverlap{"api.cidr_overlap", ErrorCode::kConflict};
inline constexpr Reason kApiResourceInUse{"api.resource_in_use", ErrorCode::kConflict};
// A tenant net outside the operator's tenant_net_pools, or overlapping a reserved_cidrs entry.
inline constexpr Reason kApiCidrNotAllowed{"api.cidr_not_allowed", ErrorCode::kInvalidArgument};
// A host enrollment's libvirt_uri outside the allowlist (service/api/libvirt_uri.h).
inline constexpr Reason kApiLibvirtUriRefused{"api.libvirt_uri_refused",
                                              ErrorCode::kInvalidArgument};
// Key release routes: a caller over its per-VM or per-address rate (429, Retry-After).
inline constexpr Reason kApiRateLimited{"api.rate_limited", ErrorCode::kResourceExhausted};
// POST /v1/attest while max_concurrent_verifications evidence verifications already run on this
// replica (503, Retry-After: 1); the nonce was not touched, so the same request may be sent again.
inline constexpr Reason kApiVerificationsBusy{"api.verifications_busy", ErrorCode::kUnavailable};
// GET /metrics from a client address outside metrics_allowed_cidrs (403).
inline constexpr Reason kApiMetricsNotAllowed{"api.metrics_not_allowed", ErrorCode::kPolicyDenied};
// POST /v1/measurements for a TEE whose firmware the operator has not configured (422).
inline constexpr Reason kApiTeeNotOffered{"api.tee_not_offered", ErrorCode::kUnsupported};

// POST /v1/vms/{id}/start|stop|reboot on a VM attestd did not launch (no domain on a host).
inline constexpr Reason kApiVmNotLaunched{"api.vm_not_launched", ErrorCode::kConflict};
// A SEV / SEV-ES launch on a host whose PDH certificate chain (PDH <- PEK <- OCA, CEK <- AMD
// ASK/ARK) does not verify, or cannot be read: attestd does not act as the guest owner there.
inline constexpr Reason kApiSevPlatformUntrusted{"api.sev_platform_untrusted",
                                                 ErrorCode::kChainUntrusted};
// GET /readyz while the readiness check in progress (database ping, KEK) has hung for
// HealthSnapshots::kReadyzMaxStale: 503 until it ends (a database the network lost).
inline constexpr Reason kApiReadinessCheckHung{"api.readiness_check_hung", ErrorCode::kUnavailable};

// kApiTable lists every reason above, for `attestctl reasons` and cli/reason_tables_test.
inline constexpr Reason kApiTable[] = {
    kApiRouteNotFound,        kApiMethodNotAllowed,   kApiAccessDenied,      kApiHostNotActivated,
    kApiHostPolicyMissing,    kApiCidrOverlap,        kApiResourceInUse,     kApiRateLimited,
    kApiActivationInvalid,    kHostPlatformChanged,   kApiVerificationsBusy, kApiCidrNotAllowed,
    kApiLibvirtUriRefused,    kApiMetricsNotAllowed,  kApiTeeNotOffered,     kApiVmNotLaunched,
    kApiSevPlatformUntrusted, kApiReadinessCheckHung,
};

// Boot images (issue 20, service/api/boot_image_routes.cc), in a table of their own.
// An uploaded kernel is neither a bzImage (setup header "HdrS" at 0x202) nor a PE/COFF image
// (an EFI-stub kernel): nothing attestd could direct-boot or measure.
inline constexpr Reason kBootKernelInvalid{"boot.kernel_invalid", ErrorCode::kInvalidArgument};
// A cmdline over max_cmdline_bytes, or holding NUL or another control character.
inline constexpr Reason kBootCmdlineInvalid{"boot.cmdline_invalid", ErrorCode::kInvalidArgument};
// A commit names a kernel_sha256 / initrd_sha256 that is not the uploaded part's; a published
// image's file does not match the digest its operator listed.
inline constexpr Reason kBootDigestMismatch{"boot.digest_mismatch", ErrorCode::kMismatch};
// Uploads while attestd has no volume_dir to store them in.
inline constexpr Reason kBootStorageNotConfigured{"boot.storage_not_configured",
                                                  ErrorCode::kUnsupported};
// An uploaded file could not be written (disk full, I/O error): nothing of it is kept.
inline constexpr Reason kBootUploadFailed{"boot.upload_failed", ErrorCode::kUnavailable};
// A commit that references an operator image this attestd does not publish.
inline constexpr Reason kBootPublishedNotFound{"boot.published_not_found", ErrorCode::kNotFound};

// kBootTable lists every reason above, for `attestctl reasons` and cli/reason_tables_test.
inline constexpr Reason kBootTable[] = {
    kBootKernelInvalid,        kBootCmdlineInvalid, kBootDigestMismatch,
    kBootStorageNotConfigured, kBootUploadFailed,   kBootPublishedNotFound,
};

}  // namespace attest::reasons
