// KeyRing: the KEK attestd runs with while it rotates keys (issue 17 #14). It wraps with the
// current KEK and unwraps with whichever configured KEK a blob names (the blob header carries its
// key id, kek.h), so a running attestd reads rows under the old and the new KEK alike while
// `attestd kek rotate` re-wraps them.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "service/keys/kek.h"

namespace attest::service::keys {

class KeyRing : public KeyEncryptionKey {
 public:
  // Make takes the current KEK and the previous ones. Two KEKs with one id (the same key named
  // twice, also as current and previous) fail with keys.config_invalid.
  static Result<std::shared_ptr<const KeyRing>> Make(
      std::shared_ptr<const KeyEncryptionKey> current,
      std::vector<std::shared_ptr<const KeyEncryptionKey>> previous);

  // key_id is the current KEK's: new blobs and rows are recorded under it.
  const std::string& key_id() const override { return current_->key_id(); }
  // Wrap wraps with the current KEK.
  Result<Bytes> Wrap(ByteSpan plaintext, std::string_view aad) const override;
  // Unwrap opens the blob with the KEK its header names: keys.blob_malformed for a bad header,
  // keys.kek_unknown when no KEK of the ring has that id, else that KEK's own reasons.
  Result<Bytes> Unwrap(ByteSpan wrapped, std::string_view aad) const override;
  // CheckAvailable checks every KEK of the ring: a previous one that is gone makes the rows it
  // still wraps unreadable.
  Status CheckAvailable() const override;

  const KeyEncryptionKey& current() const { return *current_; }
  // previous_ids lists the previous KEKs' ids in configuration order.
  std::vector<std::string> previous_ids() const;
  // Knows reports whether a KEK of the ring has id.
  bool Knows(const std::string& id) const;

 private:
  KeyRing(std::shared_ptr<const KeyEncryptionKey> current,
          std::vector<std::shared_ptr<const KeyEncryptionKey>> previous)
      : current_(std::move(current)), previous_(std::move(previous)) {}
  const KeyEncryptionKey* Find(const std::string& id) const;

  std::shared_ptr<const KeyEncryptionKey> current_;
  std::vector<std::shared_ptr<const KeyEncryptionKey>> previous_;
};

}  // namespace attest::service::keys
