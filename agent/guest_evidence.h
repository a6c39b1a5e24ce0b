// Guest-side evidence: a TEE report over chosen REPORT_DATA, read from the kernel.
//
// Preferred source: configfs-tsm (Linux 6.7+, Documentation/ABI/testing/configfs-tsm): mkdir an
// entry under /sys/kernel/config/tsm/report, write the 64-byte inblob, read outblob (the report
// or quote), auxblob (SNP: the certificate table, when the host supplies it), provider
// ("sev_guest", "tdx_guest") and generation, then rmdir. generation counts writes to the entry;
// it must be 1 (our single inblob write) after outblob was read, else another writer raced us
// and the outblob may not be over our inblob.
//
// Fallback: /dev/sev-guest SNP_GET_REPORT (linux/sev-guest.h; SNP firmware ABI MSG_REPORT_RSP,
// Table 25: status, report size, 24 reserved bytes, report). TDX without configfs-tsm gets only a
// TDREPORT from /dev/tdx_guest, which needs the host's quoting service to become a quote; that is
// not a fallback this agent offers.
#pragma once

#include <string>

#include "agent/reasons.h"
#include "attest/core/bytes.h"
#include "attest/core/status.h"

namespace attest::agent {

inline constexpr char kTsmReportRoot[] = "/sys/kernel/config/tsm/report";
inline constexpr char kSevGuestDevice[] = "/dev/sev-guest";

struct GuestEvidence {
  std::string provider;  // "sev_guest", "tdx_guest", ...
  Bytes outblob;         // SNP report (1184 bytes) or TDX quote
  Bytes auxblob;         // SNP certificate table (GHCB extended report), may be empty
  std::string source;    // "configfs-tsm" or "sev-guest-device"
};

// GetTsmReport runs the configfs-tsm protocol under root. report_data: at most 64 bytes (zero
// padded). Fails with guest.tsm_report_failed (no root, mkdir, I/O), or
// guest.tsm_generation_conflict (another writer changed the entry).
Result<GuestEvidence> GetTsmReport(const std::string& root, ByteSpan report_data);

// GetSevGuestReport asks /dev/sev-guest (path) for an SNP report (VMPL 0):
// guest.device_report_failed.
Result<GuestEvidence> GetSevGuestReport(const std::string& device, ByteSpan report_data);

// GetGuestEvidence tries configfs-tsm under tsm_root when it exists, else the SNP device; with
// neither: guest.no_evidence_source.
Result<GuestEvidence> GetGuestEvidence(ByteSpan report_data,
                                       const std::string& tsm_root = kTsmReportRoot,
                                       const std::string& sev_device = kSevGuestDevice);

}  // namespace attest::agent
