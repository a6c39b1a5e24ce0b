// WrapKeysForGuest with the release's ephemeral key given (EphemeralKeyPool::Take), beside the
// form in release.h that makes its own. Kept out of release.h, which every service/api file
// includes.
#pragma once

#include <vector>

#include "protocol/ecdh_es.h"
#include "service/release/release.h"

namespace attest::service::release {

// WrapKeysForGuest unwraps each volume's key with kek (only in memory, wiped after use) and seals
// it to the guest key, all volumes under the one ephemeral key: one ECDH per release, and each
// volume still has its own key-wrapping key (apv = volume id), CEK and IV (protocol/ecdh_es.h).
// ephemeral must be a key no other release has used. Call only after a decision with released().
// Fails with the KEK's reasons or release.jwe_failed; on failure no key is returned.
Result<std::vector<ReleasedKey>> WrapKeysForGuest(const keys::KeyEncryptionKey& kek,
                                                  const std::vector<store::Volume>& volumes,
                                                  const protocol::GuestPublicKey& guest_key,
                                                  protocol::EphemeralKey ephemeral);

}  // namespace attest::service::release
