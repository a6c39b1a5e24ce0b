#include "service/keys/pkcs11_kek.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <p11-kit/pkcs11.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <utility>

#include "attest/core/file_io.h"
#include "attest/core/wipe.h"

namespace attest::service::keys {
namespace {

std::string RvHex(CK_RV rv) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "0x%lx", static_cast<unsigned long>(rv));
  return buf;
}

Status P11Error(const std::string& what, CK_RV rv) {
  return Status(reasons::kKeysPkcs11Error, "pkcs11: " + what + " failed: CKR " + RvHex(rv));
}

// TokenGone: return values that mean the token or session is unusable, not that the data is bad.
bool TokenGone(CK_RV rv) {
  return rv == CKR_DEVICE_REMOVED || rv == CKR_DEVICE_ERROR || rv == CKR_TOKEN_NOT_PRESENT ||
         rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_SESSION_CLOSED ||
         rv == CKR_USER_NOT_LOGGED_IN || rv == CKR_CRYPTOKI_NOT_INITIALIZED ||
         rv == CKR_DEVICE_MEMORY || rv == CKR_HOST_MEMORY;
}

// A label field is 32 bytes padded with spaces (PKCS#11 2.40, CK_TOKEN_INFO).
std::string TrimLabel(const unsigned char* label, size_t n) {
  std::string s(reinterpret_cast<const char*>(label), n);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) {
    s.pop_back();
  }
  return s;
}

}  // namespace

// Module: one dlopen'ed module, C_Initialize'd while any Pkcs11Kek uses it. PKCS#11 allows one
// initialisation per process, so instances share it and the last one out finalises.
struct Pkcs11Kek::Module {
  std::string path;
  void* handle = nullptr;
  CK_FUNCTION_LIST* fl = nullptr;
  bool owns_init = false;
  ~Module() {
    if (fl != nullptr && owns_init) {
      fl->C_Finalize(nullptr);
    }
    // The handle stays loaded: some modules (SoftHSM with OpenSSL) register exit handlers that
    // would run in unmapped code after dlclose.
  }
};

namespace {

std::mutex& ModulesMutex() {
  static auto* mu = new std::mutex;
  return *mu;
}
std::map<std::string, std::weak_ptr<Pkcs11Kek::Module>>& Modules() {
  static auto* modules = new std::map<std::string, std::weak_ptr<Pkcs11Kek::Module>>;
  return *modules;
}

Result<std::shared_ptr<Pkcs11Kek::Module>> LoadModule(const std::string& path) {
  std::lock_guard<std::mutex> lock(ModulesMutex());
  if (auto existing = Modules()[path].lock()) {
    return existing;
  }
  auto m = std::make_shared<Pkcs11Kek::Module>();
  m->path = path;
  m->handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (m->handle == nullptr) {
    const char* err = dlerror();
    return Status(reasons::kKeysModuleLoadFailed,
                  "pkcs11 module " + path + ": " + (err != nullptr ? err : "dlopen failed"));
  }
  auto get_list = reinterpret_cast<CK_C_GetFunctionList>(dlsym(m->handle, "C_GetFunctionList"));
  CK_FUNCTION_LIST* fl = nullptr;
  if (get_list == nullptr || get_list(&fl) != CKR_OK || fl == nullptr) {
    return Status(reasons::kKeysModuleLoadFailed,
                  "pkcs11 module " + path + " has no usable C_GetFunctionList");
  }
  CK_C_INITIALIZE_ARGS args{};
  args.flags = CKF_OS_LOCKING_OK;
  const CK_RV rv = fl->C_Initialize(&args);
  if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
    return Status(reasons::kKeysModuleLoadFailed,
                  "pkcs11 module " + path + ": C_Initialize failed: CKR " + RvHex(rv));
  }
  m->fl = fl;
  // Only finalise what this code initialised (another library in the process may own it).
  m->owns_init = rv == CKR_OK;
  Modules()[path] = m;
  return m;
}

Result<CK_SLOT_ID> FindSlot(CK_FUNCTION_LIST* fl, const std::string& label) {
  CK_ULONG n = 0;
  CK_RV rv = fl->C_GetSlotList(CK_TRUE, nullptr, &n);
  if (rv != CKR_OK) {
    return P11Error("C_GetSlotList", rv);
  }
  if (n > 1024) {
    return Status(reasons::kKeysPkcs11Error, "pkcs11: implausible slot count");
  }
  std::vector<CK_SLOT_ID> slots(n);
  rv = fl->C_GetSlotList(CK_TRUE, slots.data(), &n);
  if (rv != CKR_OK) {
    return P11Error("C_GetSlotList", rv);
  }
  for (CK_ULONG i = 0; i < n && i < slots.size(); ++i) {
    CK_TOKEN_INFO info{};
    if (fl->C_GetTokenInfo(slots[i], &info) != CKR_OK) {
      continue;
    }
    if ((info.flags & CKF_TOKEN_INITIALIZED) == 0) {
      continue;
    }
    if (TrimLabel(info.label, sizeof(info.label)) == label) {
      return slots[i];
    }
  }
  return Status(reasons::kKeysTokenNotFound, "pkcs11: no initialised token labelled \"" + label +
                                                 "\" in " + std::to_string(n) + " slot(s)");
}

// CheckKeyStaysOnToken refuses a key whose value can leave the token (not sensitive, or
// extractable) or once could have (not always sensitive, or not never extractable: its bits may
// have been copied out before the flag was changed). Tokens that do not report the last two
// (CKR_ATTRIBUTE_TYPE_INVALID for them) are judged on the first two, which every token has.
Status CheckKeyStaysOnToken(CK_FUNCTION_LIST* fl, CK_SESSION_HANDLE session, CK_OBJECT_HANDLE key,
                            const std::string& where) {
  // Unreported values keep these starting values: "leaves the token" for the two required ones.
  CK_BBOOL sensitive = CK_FALSE, extractable = CK_TRUE;
  CK_BBOOL always_sensitive = CK_TRUE, never_extractable = CK_TRUE;
  CK_ATTRIBUTE attrs[] = {{CKA_SENSITIVE, &sensitive, sizeof(sensitive)},
                          {CKA_EXTRACTABLE, &extractable, sizeof(extractable)},
                          {CKA_ALWAYS_SENSITIVE, &always_sensitive, sizeof(always_sensitive)},
                          {CKA_NEVER_EXTRACTABLE, &never_extractable, sizeof(never_extractable)}};
  const CK_RV rv = fl->C_GetAttributeValue(session, key, attrs, 4);
  if (rv != CKR_OK && rv != CKR_ATTRIBUTE_TYPE_INVALID && rv != CKR_ATTRIBUTE_SENSITIVE) {
    return P11Error("reading the key's attributes (C_GetAttributeValue)", rv);
  }
  auto reported = [&](const CK_ATTRIBUTE& a) { return a.ulValueLen == sizeof(CK_BBOOL); };
  std::string why;
  if (!reported(attrs[0]) || sensitive != CK_TRUE) {
    why = "is not sensitive (CKA_SENSITIVE false or not reported): its value can be read";
  } else if (!reported(attrs[1]) || extractable != CK_FALSE) {
    why = "is extractable (CKA_EXTRACTABLE true or not reported): it can be wrapped off the token";
  } else if (reported(attrs[2]) && always_sensitive != CK_TRUE) {
    why = "was not always sensitive (CKA_ALWAYS_SENSITIVE false): its value may have been read";
  } else if (reported(attrs[3]) && never_extractable != CK_TRUE) {
    why = "was extractable once (CKA_NEVER_EXTRACTABLE false): it may have been wrapped off";
  }
  if (why.empty()) {
    return Status::Ok();
  }
  return Status(reasons::kKeysPkcs11KeyExtractable,
                "pkcs11: key " + where + " " + why +
                    "; attestd uses only a key that never leaves the token: delete it and let "
                    "attestd create one, or create one sensitive and not extractable");
}

// ReadPinFile reads the first line of path. It follows a symbolic link (secret managers link PIN
// files into place) and checks the file it opened, like ssh checks a private key: a regular file
// of the service's user that group and others can neither read nor write.
Result<std::string> ReadPinFile(const std::string& path) {
  constexpr size_t kMaxPinFileBytes = 4096;
  OwnerOnlyFile file = ReadOwnerOnlyFile(path, kMaxPinFileBytes, /*follow_symlink=*/true);
  const std::string name = "pkcs11 PIN file " + path;
  char mode[8];
  std::snprintf(mode, sizeof(mode), "%04o", file.mode);
  switch (file.check) {
    case OwnerOnlyCheck::kOk:
      break;
    case OwnerOnlyCheck::kCannotOpen:
      return Status(reasons::kKeysPinUnavailable,
                    name + " cannot be opened: " + std::strerror(file.open_errno));
    case OwnerOnlyCheck::kNotRegular:
      return Status(reasons::kKeysPinFileInvalid, name + " is not a regular file");
    case OwnerOnlyCheck::kNotOwner:
      return Status(reasons::kKeysPinFileInvalid, name + " belongs to another user than attestd's");
    case OwnerOnlyCheck::kGroupOrOther:
      return Status(
          reasons::kKeysPinFileInvalid,
          name + " has mode " + mode + ": group or others may read or write it; chmod 600 it");
    case OwnerOnlyCheck::kTooLarge:
      return Status(reasons::kKeysPinFileInvalid, name + " is " + std::to_string(file.size) +
                                                      " bytes; it holds one line, the PIN");
    case OwnerOnlyCheck::kReadFailed:
      return Status(reasons::kKeysPinUnavailable, name + " cannot be read");
  }
  Wiped<Bytes> text(std::move(file.data));
  const auto line_end = std::find(text.get().begin(), text.get().end(), '\n');
  std::string pin(text.get().begin(), line_end);
  if (!pin.empty() && pin.back() == '\r') {
    pin.pop_back();
  }
  return pin;
}

}  // namespace

Result<std::string> ReadPin(const std::string& pin_source) {
  std::string pin;
  if (pin_source.rfind("file:", 0) == 0) {
    ATTEST_ASSIGN_OR_RETURN(pin, ReadPinFile(pin_source.substr(5)));
  } else if (pin_source.rfind("env:", 0) == 0) {
    const char* value = std::getenv(pin_source.substr(4).c_str());
    if (value != nullptr) {
      pin = value;
    }
  } else {
    return Status(reasons::kKeysConfigInvalid,
                  "pkcs11 pin_source must be \"file:PATH\" or \"env:NAME\"");
  }
  if (pin.empty()) {
    return Status(reasons::kKeysPinUnavailable, "pkcs11 PIN from " + pin_source + " is empty");
  }
  return pin;
}

Status CheckPinSource(const std::string& pin_source) {
  if (pin_source.rfind("env:", 0) == 0) {
    return Status::Ok();  // the variable is the service's environment, not the checker's
  }
  ATTEST_ASSIGN_OR_RETURN(std::string pin, ReadPin(pin_source));
  Wipe(pin);
  return Status::Ok();
}

void ForgetPinEnvironment(const std::vector<std::string>& pin_sources) {
  for (const std::string& source : pin_sources) {
    if (source.rfind("env:", 0) != 0) {
      continue;
    }
    const std::string name = source.substr(4);
    // The value lives in the environment block itself (for variables inherited at exec, the
    // memory /proc/PID/environ shows): overwrite it there, then drop the variable.
    if (char* value = std::getenv(name.c_str()); value != nullptr) {
      OPENSSL_cleanse(value, std::strlen(value));
    }
    unsetenv(name.c_str());
  }
}

Result<std::unique_ptr<Pkcs11Kek>> Pkcs11Kek::Open(const Pkcs11Config& config) {
  if (config.module_path.empty() || config.token_label.empty() || config.key_label.empty()) {
    return Status(reasons::kKeysConfigInvalid,
                  "pkcs11 KEK needs module_path, token_label and key_label");
  }
  std::unique_ptr<Pkcs11Kek> kek(new Pkcs11Kek());
  kek->key_id_ = "pkcs11:" + config.token_label + "/" + config.key_label;
  if (kek->key_id_.size() > 255) {
    return Status(reasons::kKeysConfigInvalid, "pkcs11 token and key labels are too long");
  }
  ATTEST_ASSIGN_OR_RETURN(std::string pin_text, ReadPin(config.pin_source));
  // Wiped however Open ends, early failures included (issue 17 #12).
  Wiped<std::string> pin(std::move(pin_text));
  ATTEST_ASSIGN_OR_RETURN(kek->module_, LoadModule(config.module_path));
  CK_FUNCTION_LIST* fl = kek->module_->fl;
  auto slot = FindSlot(fl, config.token_label);
  if (!slot.ok()) {
    return slot.status();
  }
  CK_SESSION_HANDLE session = 0;
  CK_RV rv =
      fl->C_OpenSession(*slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &session);
  if (rv != CKR_OK) {
    return P11Error("C_OpenSession", rv);
  }
  kek->session_ = session;
  rv = fl->C_Login(session, CKU_USER, reinterpret_cast<unsigned char*>(pin.get().data()),
                   pin.get().size());
  Wipe(pin.get());
  if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LEN_RANGE || rv == CKR_PIN_LOCKED) {
    return Status(reasons::kKeysPinIncorrect, "pkcs11: user PIN for token \"" + config.token_label +
                                                  "\" refused (CKR " + RvHex(rv) + ")");
  }
  // Login state is per application: a second instance on the same token is already logged in.
  if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
    return P11Error("C_Login", rv);
  }

  CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
  CK_KEY_TYPE type = CKK_AES;
  std::string label = config.key_label;
  CK_ATTRIBUTE find[] = {{CKA_CLASS, &cls, sizeof(cls)},
                         {CKA_KEY_TYPE, &type, sizeof(type)},
                         {CKA_LABEL, label.data(), label.size()}};
  rv = fl->C_FindObjectsInit(session, find, 3);
  if (rv != CKR_OK) {
    return P11Error("C_FindObjectsInit", rv);
  }
  CK_OBJECT_HANDLE found[2];
  CK_ULONG num_found = 0;
  rv = fl->C_FindObjects(session, found, 2, &num_found);
  fl->C_FindObjectsFinal(session);
  if (rv != CKR_OK) {
    return P11Error("C_FindObjects", rv);
  }
  if (num_found > 1) {
    return Status(reasons::kKeysPkcs11Error,
                  "pkcs11: more than one AES key labelled \"" + label + "\"; refusing to guess");
  }
  const std::string where = "\"" + label + "\" on token \"" + config.token_label + "\"";
  if (num_found == 1) {
    ATTEST_RETURN_IF_ERROR(CheckKeyStaysOnToken(fl, session, found[0], where));
    kek->key_ = found[0];
    return kek;
  }
  if (!config.create_key) {
    return Status(reasons::kKeysPkcs11Error,
                  "pkcs11: token \"" + config.token_label + "\" has no AES key \"" + label + "\"");
  }
  CK_MECHANISM gen{CKM_AES_KEY_GEN, nullptr, 0};
  CK_ULONG value_len = 32;
  CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
  CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof(cls)},
                         {CKA_KEY_TYPE, &type, sizeof(type)},
                         {CKA_VALUE_LEN, &value_len, sizeof(value_len)},
                         {CKA_LABEL, label.data(), label.size()},
                         {CKA_TOKEN, &yes, sizeof(yes)},
                         {CKA_PRIVATE, &yes, sizeof(yes)},
                         {CKA_SENSITIVE, &yes, sizeof(yes)},
                         {CKA_EXTRACTABLE, &no, sizeof(no)},
                         {CKA_ENCRYPT, &yes, sizeof(yes)},
                         {CKA_DECRYPT, &yes, sizeof(yes)},
                         {CKA_WRAP, &no, sizeof(no)},
                         {CKA_UNWRAP, &no, sizeof(no)},
                         {CKA_SIGN, &no, sizeof(no)},
                         {CKA_VERIFY, &no, sizeof(no)},
                         {CKA_DERIVE, &no, sizeof(no)}};
  CK_OBJECT_HANDLE key = 0;
  rv = fl->C_GenerateKey(session, &gen, tmpl, sizeof(tmpl) / sizeof(tmpl[0]), &key);
  if (rv != CKR_OK) {
    return P11Error("C_GenerateKey (AES-256)", rv);
  }
  // A token that ignored part of the template is caught here, not trusted.
  ATTEST_RETURN_IF_ERROR(CheckKeyStaysOnToken(fl, session, key, where));
  kek->key_ = key;
  return kek;
}

Pkcs11Kek::~Pkcs11Kek() {
  if (module_ && session_ != 0) {
    module_->fl->C_CloseSession(session_);
  }
}

Result<Bytes> Pkcs11Kek::Wrap(ByteSpan plaintext, std::string_view aad) const {
  // The nonce comes from our CSPRNG: PKCS#11 2.40 has the caller supply the GCM IV, and 96
  // random bits keep the collision chance negligible for the number of keys a service wraps.
  Bytes nonce = RandomBytes(kGcmNonceBytes);
  Bytes gcm_aad = GcmAssociatedData(key_id_, aad);
  CK_GCM_PARAMS params{nonce.data(),   nonce.size(),   nonce.size() * 8,
                       gcm_aad.data(), gcm_aad.size(), kGcmTagBytes * 8};
  CK_MECHANISM mech{CKM_AES_GCM, &params, sizeof(params)};
  std::lock_guard<std::mutex> lock(mu_);
  CK_FUNCTION_LIST* fl = module_->fl;
  CK_RV rv = fl->C_EncryptInit(session_, &mech, key_);
  if (rv != CKR_OK) {
    return P11Error("C_EncryptInit (AES-GCM)", rv);
  }
  Bytes in(plaintext.begin(), plaintext.end());
  Bytes ct(plaintext.size() + kGcmTagBytes);
  CK_ULONG ct_len = ct.size();
  rv = fl->C_Encrypt(session_, in.data(), in.size(), ct.data(), &ct_len);
  OPENSSL_cleanse(in.data(), in.size());
  if (rv != CKR_OK) {
    return P11Error("C_Encrypt (AES-GCM)", rv);
  }
  if (ct_len != ct.size()) {
    return Status(reasons::kKeysWrapFailed, "pkcs11: AES-GCM output has an unexpected length");
  }
  return SerializeWrapped(KekKind::kPkcs11, key_id_, nonce, ct);
}

Result<Bytes> Pkcs11Kek::Unwrap(ByteSpan wrapped, std::string_view aad) const {
  ATTEST_ASSIGN_OR_RETURN(const WrappedHeader h,
                          CheckHeaderFor(wrapped, KekKind::kPkcs11, key_id_));
  Bytes nonce(h.nonce.begin(), h.nonce.end());
  Bytes gcm_aad = GcmAssociatedData(key_id_, aad);
  CK_GCM_PARAMS params{nonce.data(),   nonce.size(),   nonce.size() * 8,
                       gcm_aad.data(), gcm_aad.size(), kGcmTagBytes * 8};
  CK_MECHANISM mech{CKM_AES_GCM, &params, sizeof(params)};
  std::lock_guard<std::mutex> lock(mu_);
  CK_FUNCTION_LIST* fl = module_->fl;
  CK_RV rv = fl->C_DecryptInit(session_, &mech, key_);
  if (rv != CKR_OK) {
    return P11Error("C_DecryptInit (AES-GCM)", rv);
  }
  Bytes in(h.ciphertext.begin(), h.ciphertext.end());
  Bytes out(in.size());
  CK_ULONG out_len = out.size();
  rv = fl->C_Decrypt(session_, in.data(), in.size(), out.data(), &out_len);
  if (rv != CKR_OK) {
    OPENSSL_cleanse(out.data(), out.size());
    if (TokenGone(rv)) {
      return P11Error("C_Decrypt (AES-GCM)", rv);
    }
    return Status(reasons::kKeysUnwrapFailed, "wrapped key does not open under KEK \"" + key_id_ +
                                                  "\" for this purpose (CKR " + RvHex(rv) + ")");
  }
  out.resize(out_len);
  return out;
}

Status Pkcs11Kek::CheckAvailable() const {
  std::lock_guard<std::mutex> lock(mu_);
  CK_FUNCTION_LIST* fl = module_->fl;
  CK_SESSION_INFO session{};
  CK_RV rv = fl->C_GetSessionInfo(session_, &session);
  if (rv != CKR_OK) {
    return P11Error("C_GetSessionInfo", rv);
  }
  if (session.state != CKS_RW_USER_FUNCTIONS && session.state != CKS_RO_USER_FUNCTIONS) {
    return Status(reasons::kKeysPkcs11Error,
                  "pkcs11: session no longer logged in (state " + RvHex(session.state) + ")");
  }
  CK_SLOT_INFO slot{};
  rv = fl->C_GetSlotInfo(session.slotID, &slot);
  if (rv != CKR_OK) {
    return P11Error("C_GetSlotInfo", rv);
  }
  if ((slot.flags & CKF_TOKEN_PRESENT) == 0) {
    return Status(reasons::kKeysPkcs11Error, "pkcs11: token \"" + key_id_ + "\" removed");
  }
  CK_OBJECT_CLASS object_class = 0;
  CK_ATTRIBUTE attr{CKA_CLASS, &object_class, sizeof(object_class)};
  rv = fl->C_GetAttributeValue(session_, key_, &attr, 1);
  if (rv != CKR_OK) {
    return P11Error("reading the key (C_GetAttributeValue)", rv);
  }
  return Status::Ok();
}

}  // namespace attest::service::keys
