// The initial SEV-ES VMSA pages a QEMU/KVM launch measures (LAUNCH_UPDATE_VMSA), so that a tenant
// policy can name firmware + vCPU model + count instead of an opaque digest.
//
// Model: the VMCB save area of AMD APM vol. 2, table B-4 (the layout of Linux's struct
// sev_es_save_area), filled with QEMU's x86 reset state as KVM hands it to the firmware with
// sev_features = 0: real-mode segments (CS selector 0xf000, attributes ES/DS/FS/GS/SS 0x93,
// CS 0x9b, LDTR 0x82, TR 0x8b, limits 0xffff), EFER.SVME, CR0 0x10 (ET), CR4 0x40 (MCE), DR6
// 0xffff0ff0, DR7 0x400, RFLAGS 0x2, PAT 0x0007040600070406, XCR0 0x1, MXCSR 0x1f80, x87 FCW 0x37f,
// RDX = the vCPU's CPUID(1).EAX signature. The boot vCPU starts at 0xfffffff0; the other vCPUs at
// the reset address OVMF publishes in its SEV-ES reset block (ovmf.h); CS.base takes the address'
// upper 16 bits and RIP its lower 16 bits. This is the model of libvirt's virt-qemu-sev-validate
// and virtee/sev (VMMType::QEMU); it reproduces virtee's published SEV-ES launch digests (tested).
// Hosts whose KVM sets other SEV features (e.g. DebugSwap) or another initial FPU state produce
// other pages: supply those pages instead (LaunchDigestInput::vmsa_bsp / vmsa_ap).
//
// The same page serves SEV-SNP launches (attest/measure), where sev_features carries the guest's
// SEV_FEATURES and other VMMs start vCPUs with slightly different state (VmmType).
#pragma once

#include <cstdint>
#include <string_view>

#include "attest/core/bytes.h"
#include "attest/core/status.h"
#include "attest/sev/reasons.h"

namespace attest::sev {

inline constexpr uint64_t kBspResetAddress = 0xfffffff0;

// CpuSignature packs family/model/stepping as CPUID(1).EAX does (extended family above 0xf).
uint32_t CpuSignature(uint32_t family, uint32_t model, uint32_t stepping);

// QemuCpuSignature maps a QEMU AMD CPU model name (EPYC, EPYC-v1..v4, EPYC-IBPB, EPYC-Rome[-vN],
// EPYC-Milan[-vN], EPYC-Genoa[-vN], EPYC-Turin, case-insensitive) to its signature. Fails with
// sev.bad_argument for other names.
Result<uint32_t> QemuCpuSignature(std::string_view model);

// VmmType names the hypervisor whose reset state a VMSA models. EC2 and GCE differ from QEMU in a
// few attributes, RDX (a fixed 0x600 instead of the CPU signature), MXCSR/FCW (0) and, for GCE,
// the PAT.
enum class VmmType { kQemu, kEc2, kGce };

// Ec2Rdx selects EC2's initial RDX: 0x600 since sev-snp-measure 0.0.13 (what EC2 launches now),
// 0 in earlier releases (and in virtee/sev-snp-measure-go's published vectors).
enum class Ec2Rdx { kCurrent, kLegacyZero };

// VmsaParams is one vCPU's initial state.
struct VmsaParams {
  uint64_t reset_address = kBspResetAddress;
  uint32_t cpu_signature = 0;  // RDX under QEMU; ignored by EC2 and GCE
  uint64_t sev_features = 0;   // 0 for SEV-ES; the guest features for SEV-SNP
  VmmType vmm = VmmType::kQemu;
  Ec2Rdx ec2_rdx = Ec2Rdx::kCurrent;
};

// BuildVmsa returns the 4096-byte initial VMSA of one vCPU in real mode at params.reset_address.
Bytes BuildVmsa(const VmsaParams& params);

// BuildQemuVmsa is BuildVmsa for a QEMU SEV-ES vCPU (sev_features 0).
Bytes BuildQemuVmsa(uint64_t reset_address, uint32_t cpu_signature);

// BuildSvsmVmsa returns the VMSA QEMU gives every vCPU of a COCONUT-SVSM launch: 32-bit protected
// mode at rip (the SVSM entry point), sev_features = SNP active only (the guest features are not
// used). x87 FCW is left 0, as in sev-snp-measure and as the measurements of real launches show.
Bytes BuildSvsmVmsa(uint64_t rip, uint32_t cpu_signature);

// SevEsVmsas are the pages of the boot vCPU and of every other vCPU.
struct SevEsVmsas {
  Bytes bsp;
  Bytes ap;
};

// BuildQemuSevEsVmsas reads the AP reset address from the OVMF image and builds both pages. Fails
// with sev.firmware_malformed when the image has no SEV-ES reset block.
Result<SevEsVmsas> BuildQemuSevEsVmsas(ByteSpan firmware, uint32_t cpu_signature);

}  // namespace attest::sev
