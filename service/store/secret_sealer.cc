#include "service/store/secret_sealer.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "attest/core/file_io.h"
#include "attest/core/ossl.h"

namespace attest::service::store {
namespace {

constexpr uint8_t kVersion = 1;
constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;

using CipherCtxPtr = OsslPtr<EVP_CIPHER_CTX, EVP_CIPHER_CTX_free>;

}  // namespace

Bytes RandomBytes(size_t n) {
  Bytes out(n);
  if (n > 0 && RAND_bytes(out.data(), static_cast<int>(n)) != 1) {
    std::fprintf(stderr, "RAND_bytes failed: %s\n", OsslErrors().c_str());
    std::abort();
  }
  return out;
}

LocalKeySealer::LocalKeySealer(ByteSpan key) : key_(key.begin(), key.end()) {}

LocalKeySealer::~LocalKeySealer() { OPENSSL_cleanse(key_.data(), key_.size()); }

Result<std::unique_ptr<LocalKeySealer>> LocalKeySealer::FromKey(ByteSpan key) {
  if (key.size() != kKeyBytes) {
    return Status(reasons::kStoreKekInvalid,
                  "key-encryption key is " + std::to_string(key.size()) + " bytes, want 32");
  }
  return std::unique_ptr<LocalKeySealer>(new LocalKeySealer(key));
}

Result<std::unique_ptr<LocalKeySealer>> LocalKeySealer::FromKeyFile(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) {
    return Status(reasons::kStoreKekInvalid, "key file " + path + " not found");
  }
  if ((st.st_mode & 077) != 0) {
    return Status(reasons::kStoreKekInvalid,
                  "key file " + path + " is readable by group or others; chmod 600 it");
  }
  ATTEST_ASSIGN_OR_RETURN(Bytes key, ReadFileBytes(path, 1024));
  auto sealer = FromKey(key);
  OPENSSL_cleanse(key.data(), key.size());
  return sealer;
}

Status LocalKeySealer::CreateKeyFile(const std::string& path) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Status(reasons::kStoreKekInvalid,
                  "cannot create key file " + path + " (it must not exist yet)");
  }
  Bytes key = RandomBytes(kKeyBytes);
  const bool ok = write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size());
  OPENSSL_cleanse(key.data(), key.size());
  if (close(fd) != 0 || !ok) {
    return Status(reasons::kStoreKekInvalid, "cannot write key file " + path);
  }
  return Status::Ok();
}

Result<Bytes> LocalKeySealer::Seal(ByteSpan plaintext, std::string_view associated_data) const {
  const Bytes nonce = RandomBytes(kNonceBytes);
  Bytes out(1 + kNonceBytes + plaintext.size() + kTagBytes);
  out[0] = kVersion;
  std::copy(nonce.begin(), nonce.end(), out.begin() + 1);
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  const ByteSpan aad = AsBytes(associated_data);
  uint8_t* ct = out.data() + 1 + kNonceBytes;
  const bool ok =
      ctx &&
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), nonce.data()) == 1 &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) == 1 &&
      EVP_EncryptUpdate(ctx.get(), ct, &len, plaintext.data(),
                        static_cast<int>(plaintext.size())) == 1 &&
      EVP_EncryptFinal_ex(ctx.get(), ct + len, &len) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes,
                          out.data() + out.size() - kTagBytes) == 1;
  if (!ok) return Status(reasons::kStoreSealFailed, "aes-256-gcm seal: " + OsslErrors());
  return out;
}

Result<Bytes> LocalKeySealer::Unseal(ByteSpan sealed, std::string_view associated_data) const {
  if (sealed.size() < 1 + kNonceBytes + kTagBytes || sealed[0] != kVersion) {
    return Status(reasons::kStoreUnsealFailed, "sealed secret: bad length or version");
  }
  const size_t ct_len = sealed.size() - 1 - kNonceBytes - kTagBytes;
  Bytes out(ct_len);
  Bytes tag(sealed.end() - kTagBytes, sealed.end());
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  const ByteSpan aad = AsBytes(associated_data);
  const bool ok =
      ctx &&
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), sealed.data() + 1) ==
          1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) == 1 &&
      EVP_DecryptUpdate(ctx.get(), out.data(), &len, sealed.data() + 1 + kNonceBytes,
                        static_cast<int>(ct_len)) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) == 1 &&
      EVP_DecryptFinal_ex(ctx.get(), out.data() + len, &len) == 1;
  if (!ok) {
    OPENSSL_cleanse(out.data(), out.size());
    (void)OsslErrors();  // drop the queue: the cause is always "tag mismatch" to the caller
    return Status(reasons::kStoreUnsealFailed,
                  "sealed secret does not open under this key-encryption key");
  }
  return out;
}

}  // namespace attest::service::store
