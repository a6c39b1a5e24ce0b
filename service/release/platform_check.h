// The host platform check of key release (issue 15): the guest's evidence must come from a TEE
// chip of the host it was placed on, as that host's platform identity document (recorded at
// enrollment, bound into each of its quotes: protocol/host_platform.h) lists them. Without it a
// guest started with a valid launch ticket on any other SNP/TDX machine would pass the "host is
// trusted" check, which only reads the ticket's host id.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "attest/core/status.h"
#include "attest/snp/report.h"
#include "protocol/host_platform.h"
#include "service/release/reasons.h"

namespace attest::service::release {

// EvidencePlatform: which platform the evidence says it ran on. tee is "snp" or "tdx"; a field is
// empty when the evidence did not parse (SNP) or verify (TDX: the PCK identity comes from the
// certificate that verified the quote).
struct EvidencePlatform {
  std::string tee;
  std::optional<protocol::SnpChipId> snp_chip_id;  // report CHIP_ID (SNP ABI Table 23, 0x1A0)
  snp::SigningKey snp_signing_key = snp::SigningKey::kVcek;
  std::optional<protocol::TdxPlatformIdentity> tdx_pck;
};

// CheckHostPlatform returns nullopt when the evidence's platform is the host's, else the failure:
//  - release.host_platform_mismatch (got/want in the message): the host's document is missing or
//    unreadable, the evidence's platform is unknown, the SNP CHIP_ID is not one of the host's
//    chips, the host has no SNP chip (a masked report too), or the TDX PCK identity (PPID,
//    PCE-ID, FMSPC) is not the host's;
//  - release.host_chip_masked: the SNP CHIP_ID is all zero (MASK_CHIP_ID; only a VLEK-signed report
//    verifies so) and allow_masked_chip_id (tenant policy host.allow_masked_chip_id) is false.
//    When it is true the chip is not checked: the binding is only "some chip of the VLEK's
//    owner" (SECURITY.md).
// host_platform is the host's stored canonical document (store::Host::platform).
std::optional<Status> CheckHostPlatform(const EvidencePlatform& evidence,
                                        std::string_view host_platform, bool allow_masked_chip_id);

}  // namespace attest::service::release
