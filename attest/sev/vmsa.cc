// Offsets: AMD64 APM vol. 2, table B-4 "VMSA Layout, State Save Area for SEV-ES".
#include "attest/sev/vmsa.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include "attest/sev/measurement.h"
#include "attest/sev/ovmf.h"

namespace attest::sev {
namespace {

template <typename T>
void Put(Bytes& page, size_t offset, T value) {
  for (size_t i = 0; i < sizeof(T); ++i) {
    page[offset + i] = static_cast<uint8_t>(value >> (8 * i));
  }
}

// A VMCB segment: selector u16, attributes u16, limit u32, base u64.
void PutSegment(Bytes& page, size_t offset, uint16_t selector, uint16_t attrib, uint32_t limit,
                uint64_t base) {
  Put(page, offset, selector);
  Put(page, offset + 2, attrib);
  Put(page, offset + 4, limit);
  Put(page, offset + 8, base);
}

constexpr size_t kEs = 0x000, kCs = 0x010, kSs = 0x020, kDs = 0x030, kFs = 0x040, kGs = 0x050,
                 kGdtr = 0x060, kLdtr = 0x070, kIdtr = 0x080, kTr = 0x090;
constexpr size_t kEfer = 0x0d0, kCr4 = 0x148, kCr0 = 0x158, kDr7 = 0x160, kDr6 = 0x168,
                 kRflags = 0x170, kRip = 0x178, kGPat = 0x268, kRdx = 0x310, kSevFeatures = 0x3b0,
                 kXcr0 = 0x3e8, kMxcsr = 0x408, kX87Fcw = 0x410;

struct CpuModel {
  const char* name;
  uint32_t family, model, stepping;
};

// QEMU's builtin AMD models (target/i386/cpu.c); versions share their base model's signature.
constexpr CpuModel kModels[] = {
    {"epyc", 23, 1, 2},          {"epyc-v1", 23, 1, 2},       {"epyc-v2", 23, 1, 2},
    {"epyc-ibpb", 23, 1, 2},     {"epyc-v3", 23, 1, 2},       {"epyc-v4", 23, 1, 2},
    {"epyc-rome", 23, 49, 0},    {"epyc-rome-v1", 23, 49, 0}, {"epyc-rome-v2", 23, 49, 0},
    {"epyc-rome-v3", 23, 49, 0}, {"epyc-milan", 25, 1, 1},    {"epyc-milan-v1", 25, 1, 1},
    {"epyc-milan-v2", 25, 1, 1}, {"epyc-genoa", 25, 17, 0},   {"epyc-genoa-v1", 25, 17, 0},
    {"epyc-turin", 26, 0, 0},
};

constexpr uint64_t kSevFeatureSnpActive = 1;

// PutCommonRegisters writes the registers every modelled VMM sets alike: EFER.SVME, CR4.MCE, the
// debug registers' reset values, RFLAGS bit 1, XCR0 x87.
void PutCommonRegisters(Bytes& page, uint64_t cr0, uint64_t rdx, uint64_t sev_features) {
  Put<uint64_t>(page, kEfer, 0x1000);
  Put<uint64_t>(page, kCr4, 0x40);
  Put<uint64_t>(page, kCr0, cr0);
  Put<uint64_t>(page, kDr7, 0x400);
  Put<uint64_t>(page, kDr6, 0xffff0ff0);
  Put<uint64_t>(page, kRflags, 0x2);
  Put<uint64_t>(page, kRdx, rdx);
  Put<uint64_t>(page, kSevFeatures, sev_features);
  Put<uint64_t>(page, kXcr0, 0x1);
}

}  // namespace

uint32_t CpuSignature(uint32_t family, uint32_t model, uint32_t stepping) {
  const uint32_t family_low = family > 0xf ? 0xf : family;
  const uint32_t family_high = family > 0xf ? (family - 0xf) & 0xff : 0;
  return family_high << 20 | ((model >> 4) & 0xf) << 16 | family_low << 8 | (model & 0xf) << 4 |
         (stepping & 0xf);
}

Result<uint32_t> QemuCpuSignature(std::string_view model) {
  std::string lower(model);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const CpuModel& m : kModels) {
    if (lower == m.name) {
      return CpuSignature(m.family, m.model, m.stepping);
    }
  }
  return Status(reasons::kSevBadArgument, "unknown QEMU CPU model '" + std::string(model) + "'");
}

Bytes BuildVmsa(const VmsaParams& params) {
  // Per-VMM reset state: CS/SS/TR attributes, RDX, PAT, MXCSR and x87 FCW.
  uint16_t cs_attrib = 0x9b, ss_attrib = 0x93, tr_attrib = 0x8b, x87_fcw = 0x37f;
  uint32_t mxcsr = 0x1f80;
  uint64_t rdx = params.cpu_signature, g_pat = 0x0007040600070406;
  if (params.vmm == VmmType::kEc2) {
    // EC2 marks the boot vCPU's CS as not yet accessed.
    cs_attrib = params.reset_address == kBspResetAddress ? 0x9a : 0x9b;
    ss_attrib = 0x92;
    tr_attrib = 0x83;
    rdx = params.ec2_rdx == Ec2Rdx::kCurrent ? 0x600 : 0;
    mxcsr = 0;
    x87_fcw = 0;
  } else if (params.vmm == VmmType::kGce) {
    rdx = 0x600;
    g_pat = 0x00070106;
    mxcsr = 0;
    x87_fcw = 0;
  }
  Bytes page(kVmsaSize, 0);
  for (size_t data_segment : {kEs, kDs, kFs, kGs}) {
    PutSegment(page, data_segment, 0, 0x93, 0xffff, 0);
  }
  PutSegment(page, kSs, 0, ss_attrib, 0xffff, 0);
  PutSegment(page, kCs, 0xf000, cs_attrib, 0xffff, params.reset_address & 0xffff0000);
  PutSegment(page, kGdtr, 0, 0, 0xffff, 0);
  PutSegment(page, kIdtr, 0, 0, 0xffff, 0);
  PutSegment(page, kLdtr, 0, 0x82, 0xffff, 0);
  PutSegment(page, kTr, 0, tr_attrib, 0xffff, 0);
  PutCommonRegisters(page, 0x10, rdx, params.sev_features);
  Put<uint64_t>(page, kRip, params.reset_address & 0xffff);
  Put<uint64_t>(page, kGPat, g_pat);
  Put<uint32_t>(page, kMxcsr, mxcsr);
  Put<uint16_t>(page, kX87Fcw, x87_fcw);
  return page;
}

Bytes BuildQemuVmsa(uint64_t reset_address, uint32_t cpu_signature) {
  return BuildVmsa({.reset_address = reset_address, .cpu_signature = cpu_signature});
}

Bytes BuildSvsmVmsa(uint64_t rip, uint32_t cpu_signature) {
  // Flat 4 GiB code and data segments (selectors 8 and 16, 32-bit, granular), CR0.PE.
  Bytes page(kVmsaSize, 0);
  for (size_t data_segment : {kEs, kSs, kDs, kFs}) {
    PutSegment(page, data_segment, 16, 0xc93, 0xffffffff, 0);
  }
  PutSegment(page, kCs, 8, 0xc9b, 0xffffffff, 0);
  PutSegment(page, kGs, 0, 0x93, 0xffff, 0);
  PutSegment(page, kGdtr, 0, 0, 0xffff, 0);
  PutSegment(page, kIdtr, 0, 0, 0xffff, 0);
  PutSegment(page, kLdtr, 0, 0x82, 0xffff, 0);
  PutSegment(page, kTr, 0, 0x8b, 0xffff, 0);
  PutCommonRegisters(page, 0x11, cpu_signature, kSevFeatureSnpActive);
  Put<uint64_t>(page, kRip, rip);
  Put<uint64_t>(page, kGPat, 0x0007040600070406);
  Put<uint32_t>(page, kMxcsr, 0x1f80);
  return page;
}

Result<SevEsVmsas> BuildQemuSevEsVmsas(ByteSpan firmware, uint32_t cpu_signature) {
  ATTEST_ASSIGN_OR_RETURN(uint32_t ap_reset, OvmfSevEsResetAddress(firmware));
  return SevEsVmsas{BuildQemuVmsa(kBspResetAddress, cpu_signature),
                    BuildQemuVmsa(ap_reset, cpu_signature)};
}

}  // namespace attest::sev
