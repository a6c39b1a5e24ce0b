// SEV-SNP launch digests (the MEASUREMENT of an SNP attestation report) as QEMU, EC2 and GCE
// launch a guest, in the order they issue SNP_LAUNCH_UPDATE:
//   1. the firmware image, as NORMAL pages ending at 4 GiB (or a precomputed digest of them);
//   2. the SEV metadata sections in file order: SEC_MEM as ZERO pages (UNMEASURED on GCE),
//      SECRETS and CPUID as one page of their type (EC2 measures every CPUID page after all the
//      other sections), SVSM_CAA as ZERO pages, KERNEL_HASHES as a NORMAL page holding QEMU's
//      kernel hash table at the table's offset in its page (ZERO pages without a kernel);
//   3. one VMSA page per vCPU: the boot vCPU at 0xfffffff0, the others at the SEV-ES reset block's
//      address (attest/sev/vmsa.h).
// COCONUT-SVSM launches (ComputeSvsmLaunchDigest) measure OVMF, then the SVSM image just below
// OVMF's variable store, then the SVSM's own metadata sections, then one SVSM VMSA per vCPU.
// The algorithm is sev-snp-measure's (virtee, v0.0.13), checked against its tests and runs.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "attest/core/bytes.h"
#include "attest/core/digest.h"
#include "attest/core/status.h"
#include "attest/measure/reasons.h"
#include "attest/measure/sev_firmware.h"
#include "attest/sev/measurement.h"
#include "attest/sev/vmsa.h"

namespace attest::measure {

// kFirmwareEndGpa is where QEMU maps the end of the firmware flash.
inline constexpr uint64_t kFirmwareEndGpa = 1ull << 32;

// SnpVcpus is the initial state every VMSA page of a launch is built from.
struct SnpVcpus {
  uint32_t num_vcpus = 1;       // 1..sev::kMaxVcpus
  uint32_t cpu_signature = 0;   // CPUID(1).EAX, RDX under QEMU
  uint64_t guest_features = 1;  // the VMSA's SEV_FEATURES (bit 0: SNP active)
  sev::VmmType vmm = sev::VmmType::kQemu;
  sev::Ec2Rdx ec2_rdx = sev::Ec2Rdx::kCurrent;
};

// SnpLayout is what an SNP launch measures after the firmware pages: the firmware's SEV metadata
// sections, the AP reset address and the kernel hash table's address.
struct SnpLayout {
  std::vector<SevMetadataSection> sections;
  uint32_t sev_es_reset_eip = 0;
  std::optional<uint32_t> sev_hashes_table_gpa;
};

// SnpLayoutFromFirmware takes the layout from a parsed image. Fails with
// measure.ovmf_no_sev_metadata when it has no SEV metadata or no SEV-ES reset block.
Result<SnpLayout> SnpLayoutFromFirmware(const SevFirmware& firmware);

// ComputeSnpOvmfHash returns the digest of the firmware pages alone (sev-snp-measure's
// snp:ovmf-hash), the seed a later launch digest may start from. Fails with measure.ovmf_too_large
// or measure.ovmf_malformed (empty, or not a whole number of pages).
Result<Sha384Digest> ComputeSnpOvmfHash(ByteSpan firmware);

// ComputeSnpLaunchDigestFromLayout continues from firmware_digest (ComputeSnpOvmfHash) with the
// layout's sections, the kernel hash table when kernel is set, and the VMSAs. Fails with
// measure.ovmf_no_kernel_hashes (a kernel, but no KERNEL_HASHES section or hash table address,
// or a section that is not one page), measure.vcpu_count_invalid, measure.ovmf_malformed (a
// reset address of 0 with more than one vCPU).
Result<Sha384Digest> ComputeSnpLaunchDigestFromLayout(
    const Sha384Digest& firmware_digest, const SnpLayout& layout,
    const std::optional<sev::KernelHashes>& kernel, const SnpVcpus& vcpus);

// SvsmLaunch is a COCONUT-SVSM launch under QEMU.
struct SvsmLaunch {
  ByteSpan ovmf;
  ByteSpan svsm;
  uint64_t ovmf_vars_bytes = 0;  // the OVMF variable store mapped between SVSM and OVMF
  uint32_t num_vcpus = 1;
  uint32_t cpu_signature = 0;
};

// ComputeSvsmLaunchDigest returns the launch digest of an SVSM launch. Fails with the reasons of
// ParseSevFirmware and ComputeSnpOvmfHash for either image, measure.svsm_malformed (no SEV
// metadata or no SVSM info block in the SVSM image, images that do not fit below 4 GiB),
// measure.sev_bad_argument (a variable store size that is not whole pages),
// measure.vcpu_count_invalid.
Result<Sha384Digest> ComputeSvsmLaunchDigest(const SvsmLaunch& launch);

}  // namespace attest::measure
