// launcher/reasons.h: the stable error reasons of libvirt domains, security groups, private
// networks and launch flows (launcher/).
//
// One definition each, never renamed or reused (cli/reasons_golden.txt pins them); the area
// prefix says what failed, ErrorCode the coarse class. attest/core/reasons.h explains the scheme.
#pragma once

#include "attest/core/reasons.h"

namespace attest::reasons {

inline constexpr Reason kLauncherInvalidSpec{"launcher.invalid_spec", ErrorCode::kInvalidArgument};
inline constexpr Reason kLauncherInvalidName{"launcher.invalid_name", ErrorCode::kInvalidArgument};
inline constexpr Reason kLauncherInvalidCidr{"launcher.invalid_cidr", ErrorCode::kInvalidArgument};
inline constexpr Reason kLauncherInvalidPortRange{"launcher.invalid_port_range",
                                                  ErrorCode::kInvalidArgument};
inline constexpr Reason kLauncherUnknownSourceGroup{"launcher.unknown_source_group",
                                                    ErrorCode::kNotFound};
inline constexpr Reason kLauncherDiskNotOwned{"launcher.disk_not_owned", ErrorCode::kPolicyDenied};
inline constexpr Reason kLauncherNetNotOwned{"launcher.net_not_owned", ErrorCode::kPolicyDenied};
inline constexpr Reason kLauncherGroupNotOwned{"launcher.group_not_owned",
                                               ErrorCode::kPolicyDenied};
inline constexpr Reason kLauncherSevPolicyMismatch{"launcher.sev_policy_mismatch",
                                                   ErrorCode::kMismatch};
inline constexpr Reason kLauncherLibvirtTooOld{"launcher.libvirt_too_old", ErrorCode::kUnsupported};
inline constexpr Reason kLauncherTeeUnavailable{"launcher.tee_unavailable",
                                                ErrorCode::kUnsupported};
inline constexpr Reason kLauncherSecurityDriverUnavailable{"launcher.security_driver_unavailable",
                                                           ErrorCode::kUnsupported};
inline constexpr Reason kLauncherCapabilitiesMalformed{"launcher.capabilities_malformed",
                                                       ErrorCode::kMalformedEvidence};
inline constexpr Reason kLauncherNoTrustedHost{"launcher.no_trusted_host", ErrorCode::kUnavailable};
inline constexpr Reason kLauncherHypervisor{"launcher.hypervisor_error", ErrorCode::kUnavailable};
inline constexpr Reason kLauncherNotFound{"launcher.not_found", ErrorCode::kNotFound};
inline constexpr Reason kLauncherXml{"launcher.xml_error", ErrorCode::kInternal};
inline constexpr Reason kLauncherLaunchInfoMalformed{"launcher.launch_info_malformed",
                                                     ErrorCode::kMalformedEvidence};
inline constexpr Reason kLauncherWrongState{"launcher.wrong_state", ErrorCode::kConflict};

// kLauncherTable lists every reason above, for `attestctl reasons` and cli/reason_tables_test.
inline constexpr Reason kLauncherTable[] = {
    kLauncherInvalidSpec,
    kLauncherInvalidName,
    kLauncherInvalidCidr,
    kLauncherInvalidPortRange,
    kLauncherUnknownSourceGroup,
    kLauncherDiskNotOwned,
    kLauncherNetNotOwned,
    kLauncherGroupNotOwned,
    kLauncherSevPolicyMismatch,
    kLauncherLibvirtTooOld,
    kLauncherTeeUnavailable,
    kLauncherSecurityDriverUnavailable,
    kLauncherCapabilitiesMalformed,
    kLauncherNoTrustedHost,
    kLauncherHypervisor,
    kLauncherNotFound,
    kLauncherXml,
    kLauncherLaunchInfoMalformed,
    kLauncherWrongState,
};

}  // namespace attest::reasons
