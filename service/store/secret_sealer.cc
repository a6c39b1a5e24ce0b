#include "service/store/secret_sealer.h"

#include "service/keys/local_kek.h"

namespace attest::service::store {
namespace {

Status KekInvalid(const Status& s) { return Status(reasons::kStoreKekInvalid, s.message()); }

}  // namespace

std::string SealedSecretAad(std::string_view associated_data) {
  return "credential:" + std::string(associated_data);
}

Result<Bytes> SecretSealer::Seal(ByteSpan plaintext, std::string_view associated_data) const {
  auto sealed = kek_->Wrap(plaintext, SealedSecretAad(associated_data));
  if (!sealed.ok()) {
    return Status(reasons::kStoreSealFailed, sealed.status().message());
  }
  return sealed;
}

Result<Bytes> SecretSealer::Unseal(ByteSpan sealed, std::string_view associated_data) const {
  auto plain = kek_->Unwrap(sealed, SealedSecretAad(associated_data));
  if (!plain.ok()) {
    return Status(reasons::kStoreUnsealFailed,
                  std::string(plain.status().reason_id()) + ": " + plain.status().message());
  }
  return plain;
}

Result<std::unique_ptr<LocalKeySealer>> LocalKeySealer::FromKey(ByteSpan key) {
  auto kek = keys::LocalKeyFileKek::FromKey(key);
  if (!kek.ok()) {
    return KekInvalid(kek.status());
  }
  return std::unique_ptr<LocalKeySealer>(new LocalKeySealer(std::move(*kek)));
}

Result<std::unique_ptr<LocalKeySealer>> LocalKeySealer::FromKeyFile(const std::string& path) {
  auto kek = keys::LocalKeyFileKek::FromKeyFile(path);
  if (!kek.ok()) {
    return KekInvalid(kek.status());
  }
  return std::unique_ptr<LocalKeySealer>(new LocalKeySealer(std::move(*kek)));
}

Status LocalKeySealer::CreateKeyFile(const std::string& path) {
  Status s = keys::LocalKeyFileKek::CreateKeyFile(path);
  return s.ok() ? s : KekInvalid(s);
}

}  // namespace attest::service::store
