// The one entry point for an expected AMD launch measurement: SEV and SEV-ES launch digests
// (SHA-256, attest/sev/measurement.h) and SEV-SNP / SNP with COCONUT-SVSM launch digests
// (SHA-384, snp_launch.h), from the firmware bytes and the launch parameters a tenant chooses.
// Pure: the caller reads the files. The parameters and their defaults are sev-snp-measure's.
//
// Stricter than sev-snp-measure: a firmware without SEV metadata (or without a footer table) is
// refused for SEV-SNP (measure.ovmf_no_sev_metadata) where that tool silently measures no
// sections, which yields a digest no SNP launch of that firmware can produce; malformed metadata,
// repeated footer entries, a cmdline with a NUL and vCPU counts above 512 are refused too.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "attest/core/bytes.h"
#include "attest/core/digest.h"
#include "attest/core/status.h"
#include "attest/measure/reasons.h"
#include "attest/measure/snp_launch.h"
#include "attest/sev/measurement.h"
#include "attest/sev/vmsa.h"

namespace attest::measure {

enum class SevMode { kSev, kSevEs, kSnp, kSnpSvsm };

// ParseSevMode reads sev-snp-measure's --mode names: sev, seves, snp, snp:svsm. Fails with
// measure.sev_bad_argument.
Result<SevMode> ParseSevMode(std::string_view name);

// ParseVmmType reads QEMU, ec2 or gce (sev-snp-measure's spelling). Fails with
// measure.sev_bad_argument.
Result<sev::VmmType> ParseVmmType(std::string_view name);

// VcpuSignatureForType maps a QEMU CPU model (EPYC-v4, EPYC-Milan, ...) to its CPUID signature.
// Fails with measure.vcpu_type_unknown.
Result<uint32_t> VcpuSignatureForType(std::string_view type);

// HashBootInputs hashes the kernel, initrd and command line of a direct boot as QEMU does (an
// absent initrd hashes as empty, the cmdline with its NUL). Fails with measure.sev_cmdline_invalid
// when cmdline contains a NUL (QEMU would cut it there; the tenant meant something else).
Result<sev::KernelHashes> HashBootInputs(ByteSpan kernel, std::optional<ByteSpan> initrd,
                                         std::optional<std::string_view> cmdline);

// SevLaunchInput is one launch to measure.
struct SevLaunchInput {
  SevMode mode = SevMode::kSnp;
  ByteSpan firmware;  // the OVMF image
  // SEV-SNP only: the digest of the firmware pages (ComputeSnpOvmfHash), measured in their place;
  // the firmware is still needed for its metadata.
  std::optional<Sha384Digest> snp_ovmf_hash;
  std::optional<sev::KernelHashes> kernel;  // direct boot with kernel hashes
  uint32_t num_vcpus = 1;                   // ignored for SEV
  // CPUID(1).EAX of the vCPUs; required under QEMU for SEV-ES and SEV-SNP (EC2 and GCE use a
  // fixed value), ignored for SEV.
  std::optional<uint32_t> cpu_signature;
  sev::VmmType vmm = sev::VmmType::kQemu;
  uint64_t guest_features = 1;  // SEV-SNP: the VMSA's SEV_FEATURES
  sev::Ec2Rdx ec2_rdx = sev::Ec2Rdx::kCurrent;
  ByteSpan svsm;                 // SNP:SVSM: the SVSM image
  uint64_t ovmf_vars_bytes = 0;  // SNP:SVSM: size of the OVMF variable store
};

// ComputeSevLaunchDigest returns the launch digest: 32 bytes for SEV and SEV-ES, 48 for SEV-SNP.
// Fails with the reasons of sev_firmware.h and snp_launch.h, measure.ovmf_no_sev_metadata (SEV-ES
// without a reset block, SEV-SNP without SEV metadata), measure.ovmf_no_kernel_hashes (a kernel
// with a firmware that cannot check it), measure.vcpu_signature_missing,
// measure.vcpu_count_invalid, measure.sev_bad_argument (an OVMF hash outside SEV-SNP, a VMM other
// than QEMU with SVSM, an SVSM image outside SNP:SVSM, a kernel with SVSM).
Result<Bytes> ComputeSevLaunchDigest(const SevLaunchInput& input);

}  // namespace attest::measure
