#include "service/keys/key_ring.h"

#include <set>

namespace attest::service::keys {

Result<std::shared_ptr<const KeyRing>> KeyRing::Make(
    std::shared_ptr<const KeyEncryptionKey> current,
    std::vector<std::shared_ptr<const KeyEncryptionKey>> previous) {
  if (!current) {
    return Status(reasons::kKeysConfigInvalid, "key ring: no current KEK");
  }
  std::set<std::string> ids = {current->key_id()};
  for (const auto& kek : previous) {
    if (!kek) {
      return Status(reasons::kKeysConfigInvalid, "key ring: an empty previous KEK");
    }
    if (!ids.insert(kek->key_id()).second) {
      return Status(reasons::kKeysConfigInvalid,
                    "KEK \"" + kek->key_id() +
                        "\" is configured twice (as the current KEK and a previous one, or as "
                        "two previous ones): rotating to the same KEK changes nothing");
    }
  }
  return std::shared_ptr<const KeyRing>(new KeyRing(std::move(current), std::move(previous)));
}

const KeyEncryptionKey* KeyRing::Find(const std::string& id) const {
  if (current_->key_id() == id) {
    return current_.get();
  }
  for (const auto& kek : previous_) {
    if (kek->key_id() == id) {
      return kek.get();
    }
  }
  return nullptr;
}

Result<Bytes> KeyRing::Wrap(ByteSpan plaintext, std::string_view aad) const {
  return current_->Wrap(plaintext, aad);
}

Result<Bytes> KeyRing::Unwrap(ByteSpan wrapped, std::string_view aad) const {
  ATTEST_ASSIGN_OR_RETURN(const WrappedHeader h, ParseWrappedHeader(wrapped));
  const KeyEncryptionKey* kek = Find(h.key_id);
  if (kek == nullptr) {
    return Status(reasons::kKeysKekUnknown,
                  "wrapped key was made by KEK \"" + h.key_id +
                      "\", which is neither the current KEK nor a previous one configured");
  }
  return kek->Unwrap(wrapped, aad);
}

Status KeyRing::CheckAvailable() const {
  ATTEST_RETURN_IF_ERROR(current_->CheckAvailable());
  for (const auto& kek : previous_) {
    ATTEST_RETURN_IF_ERROR(kek->CheckAvailable());
  }
  return Status::Ok();
}

std::vector<std::string> KeyRing::previous_ids() const {
  std::vector<std::string> ids;
  for (const auto& kek : previous_) {
    ids.push_back(kek->key_id());
  }
  return ids;
}

bool KeyRing::Knows(const std::string& id) const { return Find(id) != nullptr; }

}  // namespace attest::service::keys
