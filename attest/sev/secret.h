// LAUNCH_SECRET packaging (SEV API spec 55766, section "LAUNCH_SECRET"), in the shape libvirt's
// virDomainSetLaunchSecurityState takes: sev-secret-header (base64 of FLAGS(u32) || IV(16) ||
// MAC(32)), sev-secret (base64 of the ciphertext) and an optional sev-secret-set-address.
//
// The plaintext is OVMF's secret table (OvmfPkg/AmdSev/SecretDxe, the layout libvirt's
// virt-qemu-sev-validate and Linux's efi_secret read): GUID 1e74f542-... + u32 total length, then
// entries (GUID, u32 length including the 20-byte entry header, payload), zero-padded to a multiple
// of 16 bytes.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "attest/core/bytes.h"
#include "attest/core/status.h"
#include "attest/sev/measurement.h"
#include "attest/sev/reasons.h"
#include "attest/sev/session.h"

namespace attest::sev {

inline constexpr std::string_view kSecretTableGuid = "1e74f542-71dd-4d66-963e-ef4287ff173b";
// The entry cryptsetup/grub read as the disk key ("luks-key" in virt-qemu-sev-validate).
inline constexpr std::string_view kDiskKeyGuid = "736869e5-84f0-4973-92ec-06879ce3da0b";

// OVMF reserves one 4 KiB page for the injected secret (SevLaunchSecretSize in the AmdSev build).
inline constexpr size_t kMaxSecretTableSize = 4096;
inline constexpr size_t kMaxSecretEntries = 64;

struct SecretEntry {
  Guid guid{};
  Bytes value;
};

// BuildSecretTable lays out and pads the table. Fails with sev.bad_argument when there are no
// entries, more than 64, or the padded table exceeds 4096 bytes.
Result<Bytes> BuildSecretTable(std::span<const SecretEntry> entries);

// ParseSecretTable reads a (decrypted) table; trailing zero padding is allowed, anything else
// fails with sev.secret_table_malformed.
Result<std::vector<SecretEntry>> ParseSecretTable(ByteSpan table);

inline constexpr size_t kSecretHeaderSize = 52;

// LaunchSecret is the packaged secret.
struct LaunchSecret {
  Bytes header;      // 52 bytes: FLAGS || IV || MAC
  Bytes ciphertext;  // AES-128-CTR(TEK, IV, table)
};

// PackageLaunchSecret encrypts table with the TEK under a fresh IV and MACs it with the TIK over
// 0x01 || FLAGS || IV || len || len || ciphertext || MEASURE, binding the secret to the launch
// measurement the owner verified. measure is that reported MEASURE (32 bytes). Fails with
// sev.bad_argument (measure size, empty table) or core.internal.
Result<LaunchSecret> PackageLaunchSecret(const TransportKeys& keys, ByteSpan measure,
                                         ByteSpan table);

// PackageLaunchSecretWithIv is PackageLaunchSecret with a given IV, for known-answer tests.
Result<LaunchSecret> PackageLaunchSecretWithIv(const TransportKeys& keys, ByteSpan measure,
                                               ByteSpan table, const Key128& iv);

// SecretHeaderMac is the header MAC both sides compute.
Sha256Digest SecretHeaderMac(const Key128& tik, uint32_t flags, const Key128& iv,
                             uint32_t plaintext_len, ByteSpan ciphertext, ByteSpan measure);

}  // namespace attest::sev
