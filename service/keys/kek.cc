#include "service/keys/kek.h"

#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>

#include "attest/core/ossl.h"

namespace attest::service::keys {
namespace {

constexpr uint8_t kMagic[3] = {'A', 'K', 'W'};
constexpr uint8_t kVersion = 1;
constexpr char kAadLabel[] = "attest-kek-v1";

Status Malformed(const std::string& why) {
  return Status(reasons::kKeysBlobMalformed, "wrapped key: " + why);
}

}  // namespace

Bytes RandomBytes(size_t n) {
  Bytes out(n);
  if (n > 0 && RAND_bytes(out.data(), static_cast<int>(n)) != 1) {
    std::fprintf(stderr, "RAND_bytes failed: %s\n", OsslErrors().c_str());
    std::abort();
  }
  return out;
}

Result<WrappedHeader> ParseWrappedHeader(ByteSpan wrapped) {
  // Fixed part: magic 3, version 1, kind 1, id length 1.
  if (wrapped.size() < 6) {
    return Malformed("shorter than its header");
  }
  if (!std::equal(kMagic, kMagic + 3, wrapped.begin())) {
    return Malformed("bad magic");
  }
  if (wrapped[3] != kVersion) {
    return Malformed("version " + std::to_string(wrapped[3]) + ", want 1");
  }
  WrappedHeader h;
  if (wrapped[4] != static_cast<uint8_t>(KekKind::kKeyFile) &&
      wrapped[4] != static_cast<uint8_t>(KekKind::kPkcs11)) {
    return Malformed("unknown KEK kind " + std::to_string(wrapped[4]));
  }
  h.kind = static_cast<KekKind>(wrapped[4]);
  const size_t id_len = wrapped[5];
  size_t at = 6;
  if (id_len == 0 || id_len > wrapped.size() - at) {
    return Malformed("bad key id length");
  }
  h.key_id.assign(wrapped.begin() + at, wrapped.begin() + at + id_len);
  at += id_len;
  if (wrapped.size() - at < kGcmNonceBytes + kGcmTagBytes) {
    return Malformed("truncated");
  }
  h.nonce = wrapped.subspan(at, kGcmNonceBytes);
  h.ciphertext = wrapped.subspan(at + kGcmNonceBytes);
  return h;
}

Bytes SerializeWrapped(KekKind kind, const std::string& key_id, ByteSpan nonce,
                       ByteSpan ciphertext_and_tag) {
  Bytes out(kMagic, kMagic + 3);
  out.push_back(kVersion);
  out.push_back(static_cast<uint8_t>(kind));
  out.push_back(static_cast<uint8_t>(key_id.size()));
  out.insert(out.end(), key_id.begin(), key_id.end());
  out.insert(out.end(), nonce.begin(), nonce.end());
  out.insert(out.end(), ciphertext_and_tag.begin(), ciphertext_and_tag.end());
  return out;
}

Bytes GcmAssociatedData(const std::string& key_id, std::string_view aad) {
  Bytes out(kAadLabel, kAadLabel + sizeof(kAadLabel) - 1);
  out.push_back(static_cast<uint8_t>(key_id.size() >> 8));
  out.push_back(static_cast<uint8_t>(key_id.size()));
  out.insert(out.end(), key_id.begin(), key_id.end());
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<uint8_t>(aad.size() >> shift));
  }
  out.insert(out.end(), aad.begin(), aad.end());
  return out;
}

Result<WrappedHeader> CheckHeaderFor(ByteSpan wrapped, KekKind kind, const std::string& key_id) {
  ATTEST_ASSIGN_OR_RETURN(WrappedHeader h, ParseWrappedHeader(wrapped));
  if (h.kind != kind || h.key_id != key_id) {
    return Status(reasons::kKeysWrongKey,
                  "wrapped key was made by KEK \"" + h.key_id + "\", this is \"" + key_id + "\"");
  }
  return h;
}

}  // namespace attest::service::keys
