// Volume keys: a fresh 256-bit key per volume, kept only wrapped by the KEK (associated data
// "volume:<id>"), and optionally a LUKS2 image file formatted with it. Deleting a volume destroys
// its wrapped key (crypto-shredding: the image's data is then unreadable by anyone).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "attest/core/bytes.h"
#include "attest/core/status.h"
#include "service/keys/kek.h"
#include "service/keys/reasons.h"

namespace attest::service::keys {

inline constexpr size_t kVolumeKeyBytes = 32;
// LUKS2's default header with its keyslot area takes 16 MiB; leave room for data.
inline constexpr uint64_t kMinLuksImageBytes = 32ull << 20;
inline constexpr uint64_t kMaxLuksImageBytes = 16ull << 40;

// NewVolumeKey returns 32 bytes from the CSPRNG.
Bytes NewVolumeKey();

// VolumeKeyAad is the associated data a volume key is wrapped with: "volume:<volume_id>".
std::string VolumeKeyAad(const std::string& volume_id);

// WrapVolumeKey wraps key (exactly 32 bytes, else keys.config_invalid) for volume_id.
Result<Bytes> WrapVolumeKey(const KeyEncryptionKey& kek, const std::string& volume_id,
                            ByteSpan key);

// UnwrapVolumeKey returns the 32-byte key of volume_id (the KEK's reasons on failure; a blob
// that opens but is not 32 bytes is keys.blob_malformed).
Result<Bytes> UnwrapVolumeKey(const KeyEncryptionKey& kek, const std::string& volume_id,
                              ByteSpan wrapped);

// LuksPbkdf: how the keyslot derives its key-encryption key from the volume key.
enum class LuksPbkdf {
  // PBKDF2-SHA256 at cryptsetup's minimum of 1000 iterations. The "passphrase" is the 256-bit
  // random volume key, which no stretching can make harder to guess (SECURITY.md).
  kPbkdf2Minimum,
  // cryptsetup's LUKS2 default: Argon2id, cost benchmarked to ~2 s and up to 1 GiB of memory per
  // format. What attestd used before; kept for bench/volume_bench's comparison.
  kArgon2idDefault,
};

// kCryptsetupLocations: where ResolveCryptsetup looks for cryptsetup when none is configured, in
// order. PATH is never searched: whoever sets attestd's environment must not choose the program
// that receives volume keys.
inline constexpr std::array<const char*, 4> kCryptsetupLocations = {
    "/usr/sbin/cryptsetup", "/sbin/cryptsetup", "/usr/bin/cryptsetup", "/bin/cryptsetup"};

// ResolveCryptsetup returns the cryptsetup program to run: configured when not empty, else the
// first of kCryptsetupLocations that qualifies. The program must be an absolute path to a regular
// file (after following symbolic links) that is executable and that group and others cannot
// write. Fails with keys.config_invalid for a configured path that is relative or does not
// qualify, keys.cryptsetup_not_found when none is configured and none of the locations
// qualifies.
Result<std::string> ResolveCryptsetup(const std::string& configured);

struct LuksOptions {
  // cryptsetup: the program, an absolute path (attestd resolves it once at start with
  // ResolveCryptsetup). "" = ResolveCryptsetup("") at each format; a relative path is refused.
  std::string cryptsetup;
  LuksPbkdf pbkdf = LuksPbkdf::kPbkdf2Minimum;
};

// LuksFormatArgs is the luksFormat command line FormatLuksImage runs for path (argv[0] is
// options.cryptsetup as given).
std::vector<std::string> LuksFormatArgs(const std::string& path, const LuksOptions& options);

// FormatLuksImage creates path (must not exist; mode 0600, sparse, size_bytes long) and runs
// `cryptsetup luksFormat` (LuksFormatArgs) with key on its stdin, so the key never appears on a
// command line or in a file. No device-mapper is needed. On failure the file is removed. The
// program is run by its absolute path (execv), never looked up on PATH. Fails with
// keys.config_invalid (size, existing file, relative or unusable cryptsetup),
// keys.cryptsetup_not_found or keys.luks_format_failed. Opening needs only
// the key, whatever PBKDF a keyslot was made with (the header records it), so images formatted
// with Argon2id before still open.
Status FormatLuksImage(const std::string& path, uint64_t size_bytes, ByteSpan key,
                       const LuksOptions& options = {});

}  // namespace attest::service::keys
