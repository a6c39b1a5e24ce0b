// Pkcs11Kek: a KEK that lives on a PKCS#11 token (an HSM; SoftHSM2 in tests) and never leaves it.
// The module is loaded with dlopen and driven through the raw PKCS#11 2.40 C API (p11-kit's
// pkcs11.h); AES-256-GCM (CKM_AES_GCM) runs on the token with the blob format of kek.h.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "service/keys/kek.h"

namespace attest::service::keys {

struct Pkcs11Config {
  std::string module_path;  // e.g. /usr/lib/softhsm/libsofthsm2.so
  std::string token_label;  // the token is found by label, never by slot number
  // pin_source: "file:/path" (first line of the file; no group/other permission bits, else
  // refused) or "env:NAME". The PIN itself never appears in configuration.
  std::string pin_source;
  std::string key_label;  // CKA_LABEL of the AES key
  // create_key: when the token has no secret key with key_label, generate one: AES-256, token
  // object, private, sensitive, never extractable, usable only to encrypt and decrypt.
  bool create_key = true;
};

class Pkcs11Kek : public KeyEncryptionKey {
 public:
  // Open loads the module, finds the token, opens a session, logs in as user and finds (or
  // creates) the key. A key whose value can leave the token (not CKA_SENSITIVE, CKA_EXTRACTABLE,
  // or, where the token reports them, not CKA_ALWAYS_SENSITIVE or not CKA_NEVER_EXTRACTABLE) is
  // refused with keys.pkcs11_key_extractable. Fails also with keys.config_invalid,
  // keys.pkcs11_module_load_failed, keys.pkcs11_token_not_found, keys.pkcs11_pin_unavailable,
  // keys.pkcs11_pin_file_invalid, keys.pkcs11_pin_incorrect or keys.pkcs11_error (a missing key
  // with create_key false is keys.pkcs11_error too).
  static Result<std::unique_ptr<Pkcs11Kek>> Open(const Pkcs11Config& config);

  ~Pkcs11Kek() override;
  // key_id is "pkcs11:<token label>/<key label>".
  const std::string& key_id() const override { return key_id_; }
  Result<Bytes> Wrap(ByteSpan plaintext, std::string_view aad) const override;
  Result<Bytes> Unwrap(ByteSpan wrapped, std::string_view aad) const override;
  // CheckAvailable asks the token: the session's state (still logged in), the slot (token still
  // present) and the key object (still there). keys.pkcs11_error with the CKR value otherwise.
  Status CheckAvailable() const override;

  struct Module;  // a loaded, initialised module shared by every Pkcs11Kek on it

 private:
  Pkcs11Kek() = default;
  std::shared_ptr<Module> module_;
  unsigned long session_ = 0;
  unsigned long key_ = 0;
  std::string key_id_;
  mutable std::mutex mu_;  // one operation at a time on the session (PKCS#11 sessions are serial)
};

// ReadPin resolves a pin_source ("file:PATH" or "env:NAME"); keys.pkcs11_pin_unavailable when
// the file or variable is missing or empty, keys.config_invalid for another form. A PIN file is
// read like ssh reads a private key: after following a symbolic link, it must be a regular file
// (of at most 4 KiB) that group and others can neither read nor write (mode & 077 == 0), else
// keys.pkcs11_pin_file_invalid. The PIN is its first line.
Result<std::string> ReadPin(const std::string& pin_source);

// CheckPinSource applies ReadPin's rules to a "file:" source and forgets the PIN (for attestd
// check-config); an "env:" source is OK (the variable is set in the service's environment).
Status CheckPinSource(const std::string& pin_source);

// ForgetPinEnvironment wipes and unsets every "env:NAME" PIN variable among pin_sources, so the
// PIN is no longer in the process's environment (/proc/PID/environ, a core dump, a child's
// environment) once the tokens are logged in to (issue 17 #12). Call it once, after every KEK
// that reads one has been opened: two KEKs may share one variable. Other sources are ignored.
void ForgetPinEnvironment(const std::vector<std::string>& pin_sources);

}  // namespace attest::service::keys
