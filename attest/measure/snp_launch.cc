#include "attest/measure/snp_launch.h"

#include <string>

#include "attest/measure/snp_gctx.h"

namespace attest::measure {
namespace {

Status CheckVcpuCount(uint32_t num_vcpus) {
  if (num_vcpus < 1 || num_vcpus > sev::kMaxVcpus) {
    return Status(
        reasons::kMeasureVcpuCountInvalid,
        "vcpus: " + std::to_string(num_vcpus) + ", want 1.." + std::to_string(sev::kMaxVcpus));
  }
  return Status::Ok();
}

// KernelHashesPage is the KERNEL_HASHES page QEMU fills: the table at its offset in the page.
Result<Bytes> KernelHashesPage(const SnpLayout& layout, const SevMetadataSection& section,
                               const sev::KernelHashes& kernel) {
  if (!layout.sev_hashes_table_gpa) {
    return Status(reasons::kMeasureOvmfNoKernelHashes,
                  "a kernel is given but the firmware has no SEV hash table address");
  }
  if (section.size != kPageSize) {
    return Status(reasons::kMeasureOvmfNoKernelHashes, "the KERNEL_HASHES section is " +
                                                           std::to_string(section.size) +
                                                           " bytes, QEMU fills one page");
  }
  const size_t offset = *layout.sev_hashes_table_gpa % kPageSize;
  if (offset + sev::kKernelHashTableSize > kPageSize) {
    return Status(reasons::kMeasureOvmfNoKernelHashes,
                  "the SEV hash table crosses the end of its page");
  }
  const Bytes table = sev::BuildKernelHashTable(kernel);
  Bytes page(kPageSize, 0);
  std::copy(table.begin(), table.end(), page.begin() + static_cast<std::ptrdiff_t>(offset));
  return page;
}

Status MeasureSections(SnpLaunchDigest& ld, const SnpLayout& layout,
                       const std::optional<sev::KernelHashes>& kernel, sev::VmmType vmm) {
  bool has_kernel_hashes = false;
  for (const SevMetadataSection& s : layout.sections) {
    switch (s.type) {
      case SevSectionType::kSnpSecMem:
        ld.UpdateContentlessPages(
            vmm == sev::VmmType::kGce ? SnpPageType::kUnmeasured : SnpPageType::kZero, s.gpa,
            s.size);
        break;
      case SevSectionType::kSnpSecrets:
        ld.UpdatePage(SnpPageType::kSecrets, s.gpa, Sha384Digest{});
        break;
      case SevSectionType::kCpuid:
        if (vmm != sev::VmmType::kEc2) {
          ld.UpdatePage(SnpPageType::kCpuid, s.gpa, Sha384Digest{});
        }
        break;
      case SevSectionType::kSvsmCaa:
        ld.UpdateContentlessPages(SnpPageType::kZero, s.gpa, s.size);
        break;
      case SevSectionType::kSnpKernelHashes:
        has_kernel_hashes = true;
        if (kernel) {
          ATTEST_ASSIGN_OR_RETURN(Bytes page, KernelHashesPage(layout, s, *kernel));
          ld.UpdateNormalPages(s.gpa, page);
        } else {
          ld.UpdateContentlessPages(SnpPageType::kZero, s.gpa, s.size);
        }
        break;
    }
  }
  if (vmm == sev::VmmType::kEc2) {
    for (const SevMetadataSection& s : layout.sections) {
      if (s.type == SevSectionType::kCpuid) {
        ld.UpdatePage(SnpPageType::kCpuid, s.gpa, Sha384Digest{});
      }
    }
  }
  if (kernel && !has_kernel_hashes) {
    return Status(reasons::kMeasureOvmfNoKernelHashes,
                  "a kernel is given but the firmware's SEV metadata has no KERNEL_HASHES "
                  "section");
  }
  return Status::Ok();
}

Status CheckWholePages(ByteSpan image, const Reason& reason, std::string_view what) {
  if (image.empty() || image.size() % kPageSize != 0) {
    return Status(reason, std::string(what) + " of " + std::to_string(image.size()) +
                              " bytes is not a whole number of 4096-byte pages");
  }
  return Status::Ok();
}

}  // namespace

Result<SnpLayout> SnpLayoutFromFirmware(const SevFirmware& firmware) {
  if (!firmware.sections) {
    return Status(reasons::kMeasureOvmfNoSevMetadata,
                  "the firmware has no SEV metadata (footer entry dc886566-...): not an SEV-SNP "
                  "capable OVMF");
  }
  if (!firmware.sev_es_reset_eip) {
    return Status(reasons::kMeasureOvmfNoSevMetadata,
                  "the firmware has no SEV-ES reset block (footer entry 00f771de-...)");
  }
  return SnpLayout{*firmware.sections, *firmware.sev_es_reset_eip, firmware.sev_hashes_table_gpa};
}

Result<Sha384Digest> ComputeSnpOvmfHash(ByteSpan firmware) {
  if (firmware.size() > kMaxFirmwareBytes) {
    return Status(reasons::kMeasureOvmfTooLarge,
                  "firmware image of " + std::to_string(firmware.size()) + " bytes");
  }
  ATTEST_RETURN_IF_ERROR(CheckWholePages(firmware, reasons::kMeasureOvmfMalformed, "firmware"));
  SnpLaunchDigest ld;
  ld.UpdateNormalPages(kFirmwareEndGpa - firmware.size(), firmware);
  return ld.digest();
}

Result<Sha384Digest> ComputeSnpLaunchDigestFromLayout(
    const Sha384Digest& firmware_digest, const SnpLayout& layout,
    const std::optional<sev::KernelHashes>& kernel, const SnpVcpus& vcpus) {
  ATTEST_RETURN_IF_ERROR(CheckVcpuCount(vcpus.num_vcpus));
  if (vcpus.num_vcpus > 1 && layout.sev_es_reset_eip == 0) {
    return Status(reasons::kMeasureOvmfMalformed,
                  "the SEV-ES reset block gives address 0 for the application processors");
  }
  SnpLaunchDigest ld(firmware_digest);
  ATTEST_RETURN_IF_ERROR(MeasureSections(ld, layout, kernel, vcpus.vmm));
  sev::VmsaParams params{.cpu_signature = vcpus.cpu_signature,
                         .sev_features = vcpus.guest_features,
                         .vmm = vcpus.vmm,
                         .ec2_rdx = vcpus.ec2_rdx};
  ld.UpdateVmsaPage(sev::BuildVmsa(params));
  if (vcpus.num_vcpus > 1) {
    params.reset_address = layout.sev_es_reset_eip;
    const Bytes ap = sev::BuildVmsa(params);
    for (uint32_t i = 1; i < vcpus.num_vcpus; ++i) {
      ld.UpdateVmsaPage(ap);
    }
  }
  return ld.digest();
}

Result<Sha384Digest> ComputeSvsmLaunchDigest(const SvsmLaunch& launch) {
  ATTEST_RETURN_IF_ERROR(CheckVcpuCount(launch.num_vcpus));
  ATTEST_RETURN_IF_ERROR(ParseSevFirmware(launch.ovmf).status());
  ATTEST_ASSIGN_OR_RETURN(Sha384Digest ld_seed, ComputeSnpOvmfHash(launch.ovmf));
  ATTEST_ASSIGN_OR_RETURN(SevFirmware svsm, ParseSevFirmware(launch.svsm));
  ATTEST_RETURN_IF_ERROR(
      CheckWholePages(launch.svsm, reasons::kMeasureSvsmMalformed, "svsm image"));
  if (!svsm.sections || !svsm.svsm_entry_offset) {
    return Status(reasons::kMeasureSvsmMalformed,
                  "the svsm image has no SEV metadata or no SVSM info block (a789a612-...)");
  }
  if (launch.ovmf_vars_bytes % kPageSize != 0) {
    return Status(reasons::kMeasureSevBadArgument, "ovmf vars size " +
                                                       std::to_string(launch.ovmf_vars_bytes) +
                                                       " is not a whole number of pages");
  }
  const uint64_t ovmf_gpa = kFirmwareEndGpa - launch.ovmf.size();
  if (launch.ovmf_vars_bytes + launch.svsm.size() > ovmf_gpa) {
    return Status(reasons::kMeasureSvsmMalformed,
                  "svsm image and ovmf vars do not fit below the firmware");
  }
  const uint64_t svsm_gpa = ovmf_gpa - launch.ovmf_vars_bytes - launch.svsm.size();
  SnpLaunchDigest ld(ld_seed);
  ld.UpdateNormalPages(svsm_gpa, launch.svsm);
  const SnpLayout layout{*svsm.sections, 0, std::nullopt};
  ATTEST_RETURN_IF_ERROR(MeasureSections(ld, layout, std::nullopt, sev::VmmType::kQemu));
  const Bytes vmsa = sev::BuildSvsmVmsa(svsm_gpa + *svsm.svsm_entry_offset, launch.cpu_signature);
  for (uint32_t i = 0; i < launch.num_vcpus; ++i) {
    ld.UpdateVmsaPage(vmsa);
  }
  return ld.digest();
}

}  // namespace attest::measure
