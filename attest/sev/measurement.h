// The SEV launch measurement (SEV API spec 55766, LAUNCH_MEASURE) and the launch digest a guest
// owner expects, computed from the images the way QEMU feeds them to LAUNCH_UPDATE_DATA /
// LAUNCH_UPDATE_VMSA and libvirt's tools/virt-qemu-sev-validate recomputes them:
//
//   LD      = SHA-256(firmware || [padded kernel hash table] || [VMSA of each vCPU, if SEV-ES])
//   MEASURE = HMAC-SHA256(TIK, 0x04 || api_major || api_minor || build || policy (u32 LE) ||
//                               LD || MNONCE)
//
// The TIK is the guest owner's transport integrity key from its launch session (session.h).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "attest/core/bytes.h"
#include "attest/core/digest.h"
#include "attest/core/status.h"
#include "attest/sev/reasons.h"

namespace attest::sev {

// Guid holds an EFI GUID in its in-memory (mixed-endian, "bytes_le") layout, as OVMF and QEMU
// store it.
using Guid = std::array<uint8_t, 16>;

// ParseGuid reads the canonical text form "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx". Fails with
// sev.bad_argument.
Result<Guid> ParseGuid(std::string_view text);

// GUIDs of QEMU's kernel hash table (qemu target/i386/sev.c; OVMF OvmfPkg/AmdSev).
inline constexpr std::string_view kHashTableGuid = "9438d606-4f22-4cc9-b479-a793d411fd21";
inline constexpr std::string_view kCmdlineHashGuid = "97d02dd8-bd20-4c94-aa78-e7714d36ab2a";
inline constexpr std::string_view kInitrdHashGuid = "44baf731-3a2f-4bd7-9af1-41e29169781d";
inline constexpr std::string_view kKernelHashGuid = "4de79437-abd2-427f-b835-d5b172d2045b";

// Policy bits of LAUNCH_START (SEV API spec, "Guest Policy").
inline constexpr uint32_t kPolicyNoDebug = 1u << 0;
inline constexpr uint32_t kPolicyNoKeySharing = 1u << 1;
inline constexpr uint32_t kPolicyEs = 1u << 2;
inline constexpr uint32_t kPolicyNoSend = 1u << 3;
inline constexpr uint32_t kPolicyDomain = 1u << 4;
inline constexpr uint32_t kPolicySev = 1u << 5;

inline constexpr size_t kVmsaSize = 4096;
inline constexpr size_t kMaxVcpus = 512;

// KernelBoot describes a direct kernel boot with libvirt's kernelHashes='yes'.
struct KernelBoot {
  ByteSpan kernel;                     // the kernel file as given to QEMU (-kernel)
  std::optional<ByteSpan> initrd;      // absent: hashed as the empty string
  std::optional<std::string> cmdline;  // hashed with its terminating NUL; absent: "" + NUL
};

// KernelHashes are the three SHA-256 digests the kernel hash table carries, for callers that
// hold digests rather than the files.
struct KernelHashes {
  Sha256Digest cmdline{};  // of the command line and its terminating NUL
  Sha256Digest initrd{};
  Sha256Digest kernel{};
};

// HashKernelBoot hashes the files and command line as QEMU does.
KernelHashes HashKernelBoot(const KernelBoot& boot);

// kKernelHashTableSize is the size of QEMU's padded table (168 bytes rounded up to 16).
inline constexpr size_t kKernelHashTableSize = 176;

// BuildKernelHashTable returns QEMU's padded SEV hash table: GUID, u16 length, then entries
// (GUID, u16 length 50, SHA-256) for cmdline, initrd and kernel, zero-padded to a multiple of 16.
Bytes BuildKernelHashTable(const KernelHashes& hashes);
Bytes BuildKernelHashTable(const KernelBoot& boot);

// LaunchDigestInput is what the firmware measured before LAUNCH_MEASURE.
struct LaunchDigestInput {
  ByteSpan firmware;                 // the OVMF image (AmdSev build when kernel is set)
  std::optional<KernelBoot> kernel;  // kernelHashes='yes'
  // The same table from digests instead of files; at most one of kernel and kernel_hashes.
  std::optional<KernelHashes> kernel_hashes;
  uint32_t policy = 0;  // bit 2 (ES) selects whether VMSAs are measured
  // SEV-ES only: the encrypted VMSA page of the boot vCPU and of every other vCPU (QEMU gives all
  // application processors the same initial state), and the vCPU count.
  ByteSpan vmsa_bsp;
  ByteSpan vmsa_ap;
  uint32_t num_vcpus = 0;
};

// ComputeLaunchDigest returns LD. Fails with sev.bad_argument when the firmware is empty, when both
// kernel and kernel_hashes are set, when a kernel is given but the firmware's footer table has no
// SEV hash table entry (not AmdSev), when the policy has ES but the VMSA pages are not 4096 bytes
// each or num_vcpus is not 1..512, or when VMSAs are supplied for a policy without ES.
Result<Sha256Digest> ComputeLaunchDigest(const LaunchDigestInput& input);

// LaunchMeasureInput holds every input of the MEASURE HMAC except the TIK.
struct LaunchMeasureInput {
  uint8_t api_major = 0;
  uint8_t api_minor = 0;
  uint8_t build = 0;
  uint32_t policy = 0;
  Sha256Digest launch_digest{};
  std::array<uint8_t, 16> mnonce{};
};

// ComputeLaunchMeasure returns MEASURE. Fails with sev.bad_argument unless tik is 16 bytes.
Result<Sha256Digest> ComputeLaunchMeasure(ByteSpan tik, const LaunchMeasureInput& input);

// VerifyLaunchMeasure recomputes MEASURE and compares it with measure in constant time. Fails
// with sev.measurement_mismatch or sev.bad_argument (tik not 16 bytes, measure not 32 bytes).
Status VerifyLaunchMeasure(ByteSpan tik, const LaunchMeasureInput& input, ByteSpan measure);

// LaunchMeasurement is libvirt's sev-measurement parameter decoded: MEASURE(32) || MNONCE(16).
struct LaunchMeasurement {
  Sha256Digest measure{};
  std::array<uint8_t, 16> mnonce{};
};

// ParseLaunchMeasurement splits the 48 bytes. Fails with sev.bad_argument on another size.
Result<LaunchMeasurement> ParseLaunchMeasurement(ByteSpan bytes);

}  // namespace attest::sev
