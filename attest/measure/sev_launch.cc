#include "attest/measure/sev_launch.h"

#include <string>

#include "attest/measure/sev_firmware.h"

namespace attest::measure {
namespace {

Status BadArgument(const std::string& message) {
  return Status(reasons::kMeasureSevBadArgument, message);
}

Result<uint32_t> RequireSignature(const SevLaunchInput& input) {
  if (input.cpu_signature) {
    return *input.cpu_signature;
  }
  if (input.vmm == sev::VmmType::kQemu) {
    return Status(reasons::kMeasureVcpuSignatureMissing,
                  "QEMU puts the vCPU signature in RDX: give the vCPU type or signature");
  }
  return uint32_t{0};  // EC2 and GCE load a fixed RDX
}

Result<SevFirmware> ParseChecked(ByteSpan firmware) {
  if (firmware.empty()) {
    return Status(reasons::kMeasureOvmfMalformed, "firmware image is empty");
  }
  return ParseSevFirmware(firmware);
}

// SevDigest covers SEV and SEV-ES through attest/sev's ComputeLaunchDigest, the digest
// `attestctl sev measurement` checks LAUNCH_MEASURE against.
Result<Bytes> SevDigest(const SevLaunchInput& input, const SevFirmware& fw) {
  sev::LaunchDigestInput in;
  in.firmware = input.firmware;
  in.kernel_hashes = input.kernel;
  if (input.kernel && !fw.sev_hashes_table_gpa) {
    return Status(reasons::kMeasureOvmfNoKernelHashes,
                  "a kernel is given but the firmware has no SEV hash table (not an AmdSev "
                  "build): it would not check the kernel");
  }
  Bytes bsp, ap;
  if (input.mode == SevMode::kSevEs) {
    if (!fw.sev_es_reset_eip) {
      return Status(reasons::kMeasureOvmfNoSevMetadata,
                    "the firmware has no SEV-ES reset block (footer entry 00f771de-...)");
    }
    if (input.num_vcpus < 1 || input.num_vcpus > sev::kMaxVcpus) {
      return Status(reasons::kMeasureVcpuCountInvalid,
                    "vcpus: " + std::to_string(input.num_vcpus) + ", want 1..512");
    }
    if (input.num_vcpus > 1 && *fw.sev_es_reset_eip == 0) {
      return Status(reasons::kMeasureOvmfMalformed,
                    "the SEV-ES reset block gives address 0 for the application processors");
    }
    ATTEST_ASSIGN_OR_RETURN(uint32_t signature, RequireSignature(input));
    sev::VmsaParams params{.cpu_signature = signature, .vmm = input.vmm, .ec2_rdx = input.ec2_rdx};
    bsp = sev::BuildVmsa(params);
    params.reset_address = *fw.sev_es_reset_eip;
    ap = sev::BuildVmsa(params);
    in.policy = sev::kPolicyEs;
    in.vmsa_bsp = bsp;
    in.vmsa_ap = ap;
    in.num_vcpus = input.num_vcpus;
  }
  auto digest = sev::ComputeLaunchDigest(in);
  if (!digest.ok()) {
    return BadArgument(digest.status().message());
  }
  return Bytes(digest->begin(), digest->end());
}

Result<Bytes> SnpDigest(const SevLaunchInput& input, const SevFirmware& fw) {
  ATTEST_ASSIGN_OR_RETURN(SnpLayout layout, SnpLayoutFromFirmware(fw));
  ATTEST_ASSIGN_OR_RETURN(uint32_t signature, RequireSignature(input));
  Sha384Digest seed{};
  if (input.snp_ovmf_hash) {
    seed = *input.snp_ovmf_hash;
  } else {
    ATTEST_ASSIGN_OR_RETURN(seed, ComputeSnpOvmfHash(input.firmware));
  }
  const SnpVcpus vcpus{input.num_vcpus, signature, input.guest_features, input.vmm, input.ec2_rdx};
  ATTEST_ASSIGN_OR_RETURN(Sha384Digest ld,
                          ComputeSnpLaunchDigestFromLayout(seed, layout, input.kernel, vcpus));
  return Bytes(ld.begin(), ld.end());
}

Result<Bytes> SvsmDigest(const SevLaunchInput& input) {
  if (input.vmm != sev::VmmType::kQemu) {
    return BadArgument("SNP:SVSM launches are modelled for QEMU only");
  }
  if (input.kernel) {
    return BadArgument("SNP:SVSM launches measure no kernel hashes");
  }
  ATTEST_ASSIGN_OR_RETURN(uint32_t signature, RequireSignature(input));
  ATTEST_ASSIGN_OR_RETURN(
      Sha384Digest ld, ComputeSvsmLaunchDigest({input.firmware, input.svsm, input.ovmf_vars_bytes,
                                                input.num_vcpus, signature}));
  return Bytes(ld.begin(), ld.end());
}

}  // namespace

Result<SevMode> ParseSevMode(std::string_view name) {
  if (name == "sev") {
    return SevMode::kSev;
  }
  if (name == "seves") {
    return SevMode::kSevEs;
  }
  if (name == "snp") {
    return SevMode::kSnp;
  }
  if (name == "snp:svsm") {
    return SevMode::kSnpSvsm;
  }
  return BadArgument("unknown SEV mode '" + std::string(name) + "'");
}

Result<sev::VmmType> ParseVmmType(std::string_view name) {
  if (name == "QEMU") {
    return sev::VmmType::kQemu;
  }
  if (name == "ec2") {
    return sev::VmmType::kEc2;
  }
  if (name == "gce") {
    return sev::VmmType::kGce;
  }
  return BadArgument("unknown VMM type '" + std::string(name) + "' (QEMU, ec2, gce)");
}

Result<uint32_t> VcpuSignatureForType(std::string_view type) {
  auto signature = sev::QemuCpuSignature(type);
  if (!signature.ok()) {
    return Status(reasons::kMeasureVcpuTypeUnknown, signature.status().message());
  }
  return *signature;
}

Result<sev::KernelHashes> HashBootInputs(ByteSpan kernel, std::optional<ByteSpan> initrd,
                                         std::optional<std::string_view> cmdline) {
  if (cmdline && cmdline->find('\0') != std::string_view::npos) {
    return Status(reasons::kMeasureSevCmdlineInvalid, "the kernel command line contains a NUL");
  }
  sev::KernelBoot boot;
  boot.kernel = kernel;
  boot.initrd = initrd;
  if (cmdline) {
    boot.cmdline = std::string(*cmdline);
  }
  return sev::HashKernelBoot(boot);
}

Result<Bytes> ComputeSevLaunchDigest(const SevLaunchInput& input) {
  if (input.snp_ovmf_hash && input.mode != SevMode::kSnp) {
    return BadArgument("a precomputed OVMF hash works with SEV-SNP only");
  }
  if (!input.svsm.empty() && input.mode != SevMode::kSnpSvsm) {
    return BadArgument("an SVSM image needs the snp:svsm mode");
  }
  ATTEST_ASSIGN_OR_RETURN(SevFirmware fw, ParseChecked(input.firmware));
  switch (input.mode) {
    case SevMode::kSev:
    case SevMode::kSevEs:
      return SevDigest(input, fw);
    case SevMode::kSnp:
      return SnpDigest(input, fw);
    case SevMode::kSnpSvsm:
      return SvsmDigest(input);
  }
  return BadArgument("unknown SEV mode");
}

}  // namespace attest::measure
