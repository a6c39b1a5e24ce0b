// Where the host agent reads its TEE platform identities (protocol/host_platform.h), reported to
// attestd at enrollment and bound into every quote:
//  - SEV-SNP: the CHIP_ID of every socket from the SEV firmware's GET_ID command through the
//    kernel's /dev/sev (SEV_ISSUE_CMD ioctl, SEV_GET_ID2; linux/psp-sev.h). The read is a seam
//    (SevIdReader) because the device exists only on an SEV host;
//  - TDX/SGX: the platform's PCK certificate (PEM or DER, e.g. as PCCS or the provisioning tool
//    saved it): PPID, PCE-ID and FMSPC of its SGX extension;
//  - tests: an explicit identity document file.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "agent/reasons.h"
#include "attest/core/bytes.h"
#include "attest/core/status.h"
#include "protocol/host_platform.h"

namespace attest::agent {

inline constexpr char kSevDevice[] = "/dev/sev";

// PlatformSources: the agent's --snp / --sev-device, --pck-cert and --platform-file flags.
struct PlatformSources {
  bool snp = false;  // read the chip ids from sev_device
  std::string sev_device = kSevDevice;
  std::optional<std::string> pck_cert_file;
  // platform_file: a complete identity document (tests, or hosts whose ids come from elsewhere);
  // exclusive with the other sources.
  std::optional<std::string> platform_file;
};

// SevIdReader returns the GET_ID2 output of the SEV firmware behind device (64 bytes per
// socket).
using SevIdReader = std::function<Result<Bytes>(const std::string& device)>;

// ReadSevGetId2 is the real SevIdReader: SEV_ISSUE_CMD(SEV_GET_ID2) on device, first to learn
// the length, then to read. Fails with agent.sev_get_id_failed (no device, no permission, a
// firmware error: the message has the errno and the firmware status).
Result<Bytes> ReadSevGetId2(const std::string& device);

// ChipIdsFromGetId splits GET_ID output into 64-byte socket ids (SEV API spec 55766, GET_ID: one
// ID per socket); all-zero entries (an absent second socket) are dropped, repeats kept once.
// Fails with agent.sev_get_id_failed when the length is not a non-zero multiple of 64 or no
// socket has an id.
Result<std::vector<protocol::SnpChipId>> ChipIdsFromGetId(ByteSpan output);

// TdxIdentityFromPckCert reads a PCK certificate (PEM or DER; the first certificate of a bundle
// is the leaf) and returns its SGX extension's identity. Fails with core.file_unreadable,
// x509.cert_malformed or tdx.pck_extension_invalid.
Result<protocol::TdxPlatformIdentity> TdxIdentityFromPckCert(ByteSpan cert);

// ReadHostPlatform gathers the document from sources (none: the empty document). Fails with the
// sources' reasons, or host.platform_invalid for a bad platform file, a platform file combined
// with another source, or a resulting document that is not valid (an all-zero PPID).
Result<protocol::HostPlatform> ReadHostPlatform(const PlatformSources& sources,
                                                const SevIdReader& read_sev = ReadSevGetId2);

}  // namespace attest::agent
