#include "attest/sev/secret.h"

#include <algorithm>
#include <cstdlib>
#include <string>

#include "attest/core/byte_reader.h"

namespace attest::sev {
namespace {

constexpr size_t kHeaderSize = 16 + 4;  // GUID + u32 length, for the table and each entry

void PutU32(Bytes& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
}

std::array<uint8_t, 4> Le32(uint32_t v) {
  return {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v >> 16),
          static_cast<uint8_t>(v >> 24)};
}

}  // namespace

Result<Bytes> BuildSecretTable(std::span<const SecretEntry> entries) {
  if (entries.empty() || entries.size() > kMaxSecretEntries) {
    return Status(reasons::kSevBadArgument, "secret table: need 1..64 entries");
  }
  size_t total = kHeaderSize;
  for (const SecretEntry& e : entries) {
    if (e.value.size() > kMaxSecretTableSize) {
      return Status(reasons::kSevBadArgument, "secret table: entry larger than the secret page");
    }
    total += kHeaderSize + e.value.size();
  }
  // Padding as virt-qemu-sev-validate does it: always 1..16 zero bytes.
  const size_t padded = total + (16 - total % 16);
  if (padded > kMaxSecretTableSize) {
    return Status(reasons::kSevBadArgument, "secret table: " + std::to_string(padded) +
                                                " bytes exceed the 4096-byte secret page");
  }
  const Guid table_guid = *ParseGuid(kSecretTableGuid);
  Bytes out;
  out.reserve(padded);
  out.insert(out.end(), table_guid.begin(), table_guid.end());
  PutU32(out, static_cast<uint32_t>(total));
  for (const SecretEntry& e : entries) {
    out.insert(out.end(), e.guid.begin(), e.guid.end());
    PutU32(out, static_cast<uint32_t>(kHeaderSize + e.value.size()));
    out.insert(out.end(), e.value.begin(), e.value.end());
  }
  out.resize(padded, 0);
  return out;
}

Result<std::vector<SecretEntry>> ParseSecretTable(ByteSpan table) {
  ByteReader r(table, reasons::kSevSecretMalformed, "secret table");
  ATTEST_ASSIGN_OR_RETURN(Guid guid, r.ReadArray<16>());
  if (guid != *ParseGuid(kSecretTableGuid)) {
    return Status(reasons::kSevSecretMalformed, "secret table: header GUID is not the table GUID");
  }
  ATTEST_ASSIGN_OR_RETURN(uint32_t total, r.ReadU32Le());
  if (total < kHeaderSize || total > table.size()) {
    return Status(reasons::kSevSecretMalformed, "secret table: length " + std::to_string(total) +
                                                    " outside 20.." + std::to_string(table.size()));
  }
  ATTEST_ASSIGN_OR_RETURN(ByteReader body, r.SubReader(total - kHeaderSize));
  ATTEST_RETURN_IF_ERROR(r.SkipZeros(r.remaining(), "padding"));
  std::vector<SecretEntry> entries;
  while (!body.empty()) {
    if (entries.size() == kMaxSecretEntries) {
      return Status(reasons::kSevSecretMalformed, "secret table: more than 64 entries");
    }
    SecretEntry e;
    ATTEST_ASSIGN_OR_RETURN(e.guid, body.ReadArray<16>());
    ATTEST_ASSIGN_OR_RETURN(uint32_t len, body.ReadU32Le());
    if (len < kHeaderSize) {
      return body.Error("entry length " + std::to_string(len) + " below its 20-byte header");
    }
    ATTEST_ASSIGN_OR_RETURN(auto value, body.ReadBytes(len - kHeaderSize));
    e.value.assign(value.begin(), value.end());
    entries.push_back(std::move(e));
  }
  return entries;
}

Sha256Digest SecretHeaderMac(const Key128& tik, uint32_t flags, const Key128& iv,
                             uint32_t plaintext_len, ByteSpan ciphertext, ByteSpan measure) {
  const uint8_t kind = 0x01;
  const auto flags_le = Le32(flags);
  const auto plain_le = Le32(plaintext_len);
  const auto cipher_le = Le32(static_cast<uint32_t>(ciphertext.size()));
  return HmacSha256(tik,
                    {ByteSpan(&kind, 1), flags_le, iv, plain_le, cipher_le, ciphertext, measure});
}

Result<LaunchSecret> PackageLaunchSecretWithIv(const TransportKeys& keys, ByteSpan measure,
                                               ByteSpan table, const Key128& iv) {
  if (measure.size() != 32) {
    return Status(reasons::kSevBadArgument, "launch secret: MEASURE must be 32 bytes");
  }
  if (table.empty() || table.size() > kMaxSecretTableSize) {
    return Status(reasons::kSevBadArgument, "launch secret: table must be 1..4096 bytes");
  }
  LaunchSecret out;
  out.ciphertext = Aes128Ctr(keys.tek, iv, table);
  const uint32_t flags = 0;  // bit 0 COMPRESSED is not used
  const Sha256Digest mac = SecretHeaderMac(keys.tik, flags, iv, static_cast<uint32_t>(table.size()),
                                           out.ciphertext, measure);
  PutU32(out.header, flags);
  out.header.insert(out.header.end(), iv.begin(), iv.end());
  out.header.insert(out.header.end(), mac.begin(), mac.end());
  return out;
}

Result<LaunchSecret> PackageLaunchSecret(const TransportKeys& keys, ByteSpan measure,
                                         ByteSpan table) {
  ATTEST_ASSIGN_OR_RETURN(Bytes random, RandomBytes(16));
  Key128 iv{};
  std::copy(random.begin(), random.end(), iv.begin());
  return PackageLaunchSecretWithIv(keys, measure, table, iv);
}

}  // namespace attest::sev
