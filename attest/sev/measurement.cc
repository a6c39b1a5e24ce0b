#include "attest/sev/measurement.h"

#include <algorithm>
#include <cstdlib>
#include <string>

#include "attest/core/encoding.h"
#include "attest/sev/crypto.h"
#include "attest/sev/ovmf.h"

namespace attest::sev {
namespace {

void PutU16(Bytes& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v));
  out.push_back(static_cast<uint8_t>(v >> 8));
}

Guid MustGuid(std::string_view text) {
  auto guid = ParseGuid(text);
  // Only called with the constants above.
  if (!guid.ok()) {
    std::abort();
  }
  return *guid;
}

void PutEntry(Bytes& out, std::string_view guid, const Sha256Digest& hash) {
  const Guid g = MustGuid(guid);
  out.insert(out.end(), g.begin(), g.end());
  PutU16(out, static_cast<uint16_t>(16 + 2 + hash.size()));
  out.insert(out.end(), hash.begin(), hash.end());
}

}  // namespace

Result<Guid> ParseGuid(std::string_view text) {
  // 8-4-4-4-12 hex digits; the first three groups are stored little-endian.
  if (text.size() != 36 || text[8] != '-' || text[13] != '-' || text[18] != '-' ||
      text[23] != '-') {
    return Status(reasons::kSevBadArgument, "guid: not in 8-4-4-4-12 form");
  }
  std::string hex;
  for (char c : text) {
    if (c != '-') {
      hex.push_back(c);
    }
  }
  auto raw = HexDecode(hex);
  if (!raw.ok()) {
    return Status(reasons::kSevBadArgument, "guid: not hex");
  }
  Guid g{};
  std::copy(raw->begin(), raw->end(), g.begin());
  std::reverse(g.begin(), g.begin() + 4);
  std::reverse(g.begin() + 4, g.begin() + 6);
  std::reverse(g.begin() + 6, g.begin() + 8);
  return g;
}

KernelHashes HashKernelBoot(const KernelBoot& boot) {
  std::string cmdline = boot.cmdline.value_or("");
  cmdline.push_back('\0');
  return KernelHashes{Sha256(AsBytes(cmdline)), Sha256(boot.initrd.value_or(ByteSpan())),
                      Sha256(boot.kernel)};
}

Bytes BuildKernelHashTable(const KernelHashes& hashes) {
  constexpr size_t kEntrySize = 16 + 2 + 32;
  constexpr size_t kTableSize = 16 + 2 + 3 * kEntrySize;  // 168
  Bytes table;
  const Guid header = MustGuid(kHashTableGuid);
  table.insert(table.end(), header.begin(), header.end());
  PutU16(table, static_cast<uint16_t>(kTableSize));
  PutEntry(table, kCmdlineHashGuid, hashes.cmdline);
  PutEntry(table, kInitrdHashGuid, hashes.initrd);
  PutEntry(table, kKernelHashGuid, hashes.kernel);
  // QEMU measures the table rounded up to 16 bytes (PaddedSevHashTable); 168 -> 176.
  table.resize(kKernelHashTableSize, 0);
  return table;
}

Bytes BuildKernelHashTable(const KernelBoot& boot) {
  return BuildKernelHashTable(HashKernelBoot(boot));
}

Result<Sha256Digest> ComputeLaunchDigest(const LaunchDigestInput& input) {
  if (input.firmware.empty()) {
    return Status(reasons::kSevBadArgument, "launch digest: firmware image is empty");
  }
  if (input.kernel && input.kernel_hashes) {
    return Status(reasons::kSevBadArgument,
                  "launch digest: give the kernel files or their hashes, not both");
  }
  const bool kernel_hashes = input.kernel.has_value() || input.kernel_hashes.has_value();
  if (kernel_hashes && !OvmfSupportsKernelHashes(input.firmware)) {
    // QEMU refuses kernel-hashes with such an image, and OVMF would not check the table anyway.
    return Status(
        reasons::kSevBadArgument,
        "launch digest: kernel hashes need an OVMF with the SEV hash table (AmdSev build)");
  }
  const bool es = (input.policy & kPolicyEs) != 0;
  if (es) {
    if (input.vmsa_bsp.size() != kVmsaSize ||
        (input.num_vcpus > 1 && input.vmsa_ap.size() != kVmsaSize)) {
      return Status(
          reasons::kSevBadArgument,
          "launch digest: SEV-ES policy needs 4096-byte VMSA pages for the boot vCPU and, "
          "with more than one vCPU, the application processors");
    }
    if (input.num_vcpus < 1 || input.num_vcpus > kMaxVcpus) {
      return Status(reasons::kSevBadArgument, "launch digest: SEV-ES vCPU count must be 1..512");
    }
  } else if (!input.vmsa_bsp.empty() || !input.vmsa_ap.empty() || input.num_vcpus != 0) {
    return Status(reasons::kSevBadArgument,
                  "launch digest: VMSA pages given but the policy has no ES bit (0x4)");
  }
  Sha256Hasher ld;  // streaming, so that the firmware image is not copied
  ld.Update(input.firmware);
  if (kernel_hashes) {
    ld.Update(
        BuildKernelHashTable(input.kernel ? HashKernelBoot(*input.kernel) : *input.kernel_hashes));
  }
  if (es) {
    ld.Update(input.vmsa_bsp);
    for (uint32_t i = 1; i < input.num_vcpus; ++i) {
      ld.Update(input.vmsa_ap);
    }
  }
  return ld.Finish();
}

Result<Sha256Digest> ComputeLaunchMeasure(ByteSpan tik, const LaunchMeasureInput& input) {
  if (tik.size() != 16) {
    return Status(reasons::kSevBadArgument, "measure: TIK must be 16 bytes");
  }
  const uint8_t head[4] = {0x04, input.api_major, input.api_minor, input.build};
  const uint8_t policy[4] = {
      static_cast<uint8_t>(input.policy), static_cast<uint8_t>(input.policy >> 8),
      static_cast<uint8_t>(input.policy >> 16), static_cast<uint8_t>(input.policy >> 24)};
  return HmacSha256(tik, {head, policy, input.launch_digest, input.mnonce});
}

Status VerifyLaunchMeasure(ByteSpan tik, const LaunchMeasureInput& input, ByteSpan measure) {
  if (measure.size() != 32) {
    return Status(reasons::kSevBadArgument, "measure: reported value must be 32 bytes");
  }
  ATTEST_ASSIGN_OR_RETURN(Sha256Digest want, ComputeLaunchMeasure(tik, input));
  if (!ConstantTimeEquals(want, measure)) {
    return Status(reasons::kSevMeasurementMismatch,
                  "launch measurement does not match the expected launch digest, policy, firmware "
                  "version and nonce");
  }
  return Status::Ok();
}

Result<LaunchMeasurement> ParseLaunchMeasurement(ByteSpan bytes) {
  if (bytes.size() != 48) {
    return Status(reasons::kSevBadArgument, "sev-measurement: " + std::to_string(bytes.size()) +
                                                " bytes, want 48 (MEASURE || MNONCE)");
  }
  LaunchMeasurement m;
  std::copy(bytes.begin(), bytes.begin() + 32, m.measure.begin());
  std::copy(bytes.begin() + 32, bytes.end(), m.mnonce.begin());
  return m;
}

}  // namespace attest::sev
