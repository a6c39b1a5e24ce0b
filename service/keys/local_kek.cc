#include "service/keys/local_kek.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attest/core/digest.h"
#include "attest/core/encoding.h"
#include "attest/core/file_io.h"
#include "attest/core/ossl.h"
#include "attest/core/wipe.h"

namespace attest::service::keys {
namespace {

using CipherCtxPtr = OsslPtr<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>;

Status Invalid(const std::string& why) { return Status(reasons::kKeysKeyFileInvalid, why); }

// ReadKeyFile reads path with FromKeyFile's rules.
Result<Bytes> ReadKeyFile(const std::string& path) {
  OwnerOnlyFile file = ReadOwnerOnlyFile(path, LocalKeyFileKek::kKeyBytes);
  const std::string name = "key file " + path;
  switch (file.check) {
    case OwnerOnlyCheck::kOk:
      break;
    case OwnerOnlyCheck::kCannotOpen:
      return Invalid(name + " cannot be opened");
    case OwnerOnlyCheck::kNotRegular:
      return Invalid(name + " is not a regular file");
    case OwnerOnlyCheck::kNotOwner:
      return Invalid(name + " belongs to another user than attestd's");
    case OwnerOnlyCheck::kGroupOrOther:
      return Invalid(name + " is accessible by group or others; chmod 600 it");
    case OwnerOnlyCheck::kTooLarge:
      return Invalid(name + " is " + std::to_string(file.size) + " bytes, want 32");
    case OwnerOnlyCheck::kReadFailed:
      return Invalid(name + " cannot be read");
  }
  if (file.data.size() != LocalKeyFileKek::kKeyBytes) {
    Wipe(file.data);
    return Invalid(name + " is " + std::to_string(file.data.size()) + " bytes, want 32");
  }
  return std::move(file.data);
}

}  // namespace

LocalKeyFileKek::LocalKeyFileKek(ByteSpan key) : key_(key.begin(), key.end()) {
  Bytes labelled = {'a', 't', 't', 'e', 's', 't', '-', 'k', 'e', 'k', '-', 'i', 'd'};
  labelled.insert(labelled.end(), key.begin(), key.end());
  const Sha256Digest d = Sha256(labelled);
  OPENSSL_cleanse(labelled.data(), labelled.size());
  key_id_ = "file:" + HexEncode(ByteSpan(d.data(), 8));
}

LocalKeyFileKek::~LocalKeyFileKek() { OPENSSL_cleanse(key_.data(), key_.size()); }

Result<std::unique_ptr<LocalKeyFileKek>> LocalKeyFileKek::FromKey(ByteSpan key) {
  if (key.size() != kKeyBytes) {
    return Invalid("key-encryption key is " + std::to_string(key.size()) + " bytes, want 32");
  }
  return std::unique_ptr<LocalKeyFileKek>(new LocalKeyFileKek(key));
}

Result<std::unique_ptr<LocalKeyFileKek>> LocalKeyFileKek::FromKeyFile(const std::string& path) {
  ATTEST_ASSIGN_OR_RETURN(Bytes key, ReadKeyFile(path));
  auto kek = FromKey(key);
  OPENSSL_cleanse(key.data(), key.size());
  if (kek.ok()) {
    (*kek)->path_ = path;
  }
  return kek;
}

Status LocalKeyFileKek::CheckAvailable() const {
  if (path_.empty()) {
    return Status::Ok();
  }
  ATTEST_ASSIGN_OR_RETURN(Bytes key, ReadKeyFile(path_));
  const bool same = CRYPTO_memcmp(key.data(), key_.data(), kKeyBytes) == 0;
  OPENSSL_cleanse(key.data(), key.size());
  if (!same) {
    return Status(reasons::kKeysWrongKey,
                  "key file " + path_ + " now holds another key than the one in use");
  }
  return Status::Ok();
}

Status LocalKeyFileKek::CreateKeyFile(const std::string& path) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return Invalid("cannot create key file " + path + " (it must not exist yet)");
  }
  Bytes key = RandomBytes(kKeyBytes);
  // The umask may only remove bits; fchmod makes the mode exactly 0600 regardless.
  const bool ok = fchmod(fd, 0600) == 0 &&
                  write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) &&
                  fsync(fd) == 0;
  OPENSSL_cleanse(key.data(), key.size());
  if (close(fd) != 0 || !ok) {
    return Invalid("cannot write key file " + path);
  }
  return Status::Ok();
}

Result<Bytes> LocalKeyFileKek::Wrap(ByteSpan plaintext, std::string_view aad) const {
  const Bytes nonce = RandomBytes(kGcmNonceBytes);
  const Bytes gcm_aad = GcmAssociatedData(key_id_, aad);
  Bytes ct(plaintext.size() + kGcmTagBytes);
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  const bool ok =
      ctx &&
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), nonce.data()) == 1 &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, gcm_aad.data(),
                        static_cast<int>(gcm_aad.size())) == 1 &&
      EVP_EncryptUpdate(ctx.get(), ct.data(), &len, plaintext.data(),
                        static_cast<int>(plaintext.size())) == 1 &&
      EVP_EncryptFinal_ex(ctx.get(), ct.data() + len, &len) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kGcmTagBytes,
                          ct.data() + plaintext.size()) == 1;
  if (!ok) {
    return Status(reasons::kKeysWrapFailed, "aes-256-gcm wrap: " + OsslErrors());
  }
  return SerializeWrapped(KekKind::kKeyFile, key_id_, nonce, ct);
}

Result<Bytes> LocalKeyFileKek::Unwrap(ByteSpan wrapped, std::string_view aad) const {
  ATTEST_ASSIGN_OR_RETURN(const WrappedHeader h,
                          CheckHeaderFor(wrapped, KekKind::kKeyFile, key_id_));
  const Bytes gcm_aad = GcmAssociatedData(key_id_, aad);
  const size_t ct_len = h.ciphertext.size() - kGcmTagBytes;
  Bytes out(ct_len);
  Bytes tag(h.ciphertext.end() - kGcmTagBytes, h.ciphertext.end());
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  const bool ok =
      ctx &&
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), h.nonce.data()) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, gcm_aad.data(),
                        static_cast<int>(gcm_aad.size())) == 1 &&
      EVP_DecryptUpdate(ctx.get(), out.data(), &len, h.ciphertext.data(),
                        static_cast<int>(ct_len)) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kGcmTagBytes, tag.data()) == 1 &&
      EVP_DecryptFinal_ex(ctx.get(), out.data() + len, &len) == 1;
  if (!ok) {
    OPENSSL_cleanse(out.data(), out.size());
    (void)OsslErrors();  // the only cause a caller can act on is "does not open"
    return Status(reasons::kKeysUnwrapFailed,
                  "wrapped key does not open under KEK \"" + key_id_ + "\" for this purpose");
  }
  return out;
}

}  // namespace attest::service::keys
