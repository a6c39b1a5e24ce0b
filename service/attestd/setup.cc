#include "service/attestd/setup.h"

#include <sys/stat.h>

#include <filesystem>

#include <openssl/pem.h>

#include "attest/core/file_io.h"
#include "attest/core/wipe.h"
#include "service/attestd/self_signed.h"
#include "service/keys/local_kek.h"
#include "service/store/secret_sealer.h"

namespace attest::service::attestd {
namespace {

Status WriteText(const std::string& path, const std::string& text, unsigned mode) {
  return WriteNewFile(path, AsBytes(text), mode);
}

}  // namespace

namespace {

// OpenOneKek opens the KEK source names and checks it has the id the configuration gives it.
Result<std::shared_ptr<const keys::KeyEncryptionKey>> OpenOneKek(const KekSource& source,
                                                                 const std::string& setting) {
  std::shared_ptr<const keys::KeyEncryptionKey> kek;
  if (source.pkcs11) {
    ATTEST_ASSIGN_OR_RETURN(std::unique_ptr<keys::Pkcs11Kek> token,
                            keys::Pkcs11Kek::Open(*source.pkcs11));
    kek = std::move(token);
  } else {
    Result<std::unique_ptr<keys::LocalKeyFileKek>> file =
        keys::LocalKeyFileKek::FromKeyFile(source.file);
    if (!file.ok()) {
      return Status(reasons::kStoreKekInvalid, file.status().message());
    }
    kek = std::move(file).value();
  }
  if (!source.id.empty() && kek->key_id() != source.id) {
    return Status(reasons::kKeysWrongKey, setting + " names KEK \"" + source.id +
                                              "\", but the key there is \"" + kek->key_id() + "\"");
  }
  return kek;
}

}  // namespace

namespace {

Result<std::shared_ptr<const keys::KeyRing>> OpenEveryKek(const Config& config) {
  ATTEST_ASSIGN_OR_RETURN(
      std::shared_ptr<const keys::KeyEncryptionKey> current,
      OpenOneKek(KekSource{config.kek_id, config.kek_file, config.kek_pkcs11}, "kek_id"));
  std::vector<std::shared_ptr<const keys::KeyEncryptionKey>> previous;
  for (size_t i = 0; i < config.previous_keks.size(); ++i) {
    ATTEST_ASSIGN_OR_RETURN(
        std::shared_ptr<const keys::KeyEncryptionKey> kek,
        OpenOneKek(config.previous_keks[i], "previous_keks[" + std::to_string(i) + "]"));
    previous.push_back(std::move(kek));
  }
  return keys::KeyRing::Make(std::move(current), std::move(previous));
}

}  // namespace

Result<std::shared_ptr<const keys::KeyRing>> OpenKeyRing(const Config& config) {
  Result<std::shared_ptr<const keys::KeyRing>> ring = OpenEveryKek(config);
  // Every token that needs a PIN has been logged in to (or failed): the PIN variables are of no
  // further use, and in the environment they would outlive the sessions.
  std::vector<std::string> pin_sources;
  if (config.kek_pkcs11) {
    pin_sources.push_back(config.kek_pkcs11->pin_source);
  }
  for (const KekSource& previous : config.previous_keks) {
    if (previous.pkcs11) {
      pin_sources.push_back(previous.pkcs11->pin_source);
    }
  }
  keys::ForgetPinEnvironment(pin_sources);
  return ring;
}

Result<std::shared_ptr<const keys::KeyEncryptionKey>> OpenKek(const Config& config) {
  ATTEST_ASSIGN_OR_RETURN(std::shared_ptr<const keys::KeyRing> ring, OpenKeyRing(config));
  return std::shared_ptr<const keys::KeyEncryptionKey>(std::move(ring));
}

Result<std::unique_ptr<store::Store>> OpenStore(const Config& config,
                                                std::shared_ptr<const keys::KeyEncryptionKey> kek) {
  auto sealer = std::make_shared<const store::SecretSealer>(std::move(kek));
  if (config.database.rfind("sqlite:", 0) == 0) {
    return store::OpenSqliteStore(config.database.substr(7), sealer);
  }
  return store::OpenPostgresStore(config.database.substr(9), sealer);
}

Result<std::unique_ptr<store::Store>> OpenStore(const Config& config) {
  ATTEST_ASSIGN_OR_RETURN(std::shared_ptr<const keys::KeyEncryptionKey> kek, OpenKek(config));
  return OpenStore(config, std::move(kek));
}

Result<EvpPkeyPtr> LoadTokenKey(const std::string& path) {
  constexpr size_t kMaxTokenKeyBytes = 64 << 10;
  // Opened once and checked on the descriptor (no stat-then-read window).
  OwnerOnlyFile file = ReadOwnerOnlyFile(path, kMaxTokenKeyBytes);
  const std::string name = "token_key " + path;
  switch (file.check) {
    case OwnerOnlyCheck::kOk:
      break;
    case OwnerOnlyCheck::kCannotOpen:
    case OwnerOnlyCheck::kNotRegular:
      return Status(reasons::kApiConfig, name + ": not a regular file");
    case OwnerOnlyCheck::kNotOwner:
      return Status(reasons::kApiConfig, name + ": belongs to another user than attestd's");
    case OwnerOnlyCheck::kGroupOrOther:
      return Status(reasons::kApiConfig, name + ": readable or writable by group or others");
    case OwnerOnlyCheck::kTooLarge:
    case OwnerOnlyCheck::kReadFailed:
      return Status(reasons::kApiConfig, name + ": cannot be read (at most 64 KiB)");
  }
  Wiped<Bytes> pem(std::move(file.data));
  BioPtr bio(BIO_new_mem_buf(pem.get().data(), static_cast<int>(pem.get().size())));
  EvpPkeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  char group[32] = {0};
  size_t len = 0;
  if (key == nullptr || EVP_PKEY_get_group_name(key.get(), group, sizeof(group), &len) != 1 ||
      (std::string(group) != "prime256v1" && std::string(group) != "secp384r1")) {
    return Status(reasons::kApiConfig, "token_key " + path + ": want a PEM EC P-256/P-384 key");
  }
  return key;
}

namespace {

// NewTokenKeyPem makes a fresh P-384 key as PKCS#8 PEM.
Result<std::string> NewTokenKeyPem() {
  EvpPkeyPtr key(EVP_EC_gen("P-384"));
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (key == nullptr || bio == nullptr ||
      PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return Status(reasons::kApiInternal, "cannot generate the result token key");
  }
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

// CreateState creates what config names (KEK file, TLS pair, token key, volume directory, the
// database with the first operator, whose credentials go to dir/operator-credentials), listing
// each file it creates in created. It never overwrites.
Result<InitResult> CreateState(const Config& config, const std::filesystem::path& dir,
                               const std::string& operator_name, TimePoint now,
                               std::vector<std::string>* created) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!config.kek_pkcs11) {
    ATTEST_RETURN_IF_ERROR(store::LocalKeySealer::CreateKeyFile(config.kek_file));
    created->push_back(config.kek_file);
  }
  ATTEST_ASSIGN_OR_RETURN(PemKeyPair tls, GenerateSelfSignedTls(now));
  ATTEST_RETURN_IF_ERROR(WriteText(config.server.private_key_file, tls.private_key_pem, 0600));
  created->push_back(config.server.private_key_file);
  ATTEST_RETURN_IF_ERROR(WriteText(config.server.cert_chain_file, tls.certificate_pem, 0644));
  created->push_back(config.server.cert_chain_file);
  if (!config.token_key.empty()) {
    ATTEST_ASSIGN_OR_RETURN(std::string token_pem, NewTokenKeyPem());
    ATTEST_RETURN_IF_ERROR(WriteText(config.token_key, token_pem, 0600));
    created->push_back(config.token_key);
  }
  if (!config.api.volume_dir.empty()) {
    if (fs::exists(config.api.volume_dir, ec)) {
      return Status(reasons::kApiConfig, config.api.volume_dir + " exists; refusing to reuse it");
    }
    if (!fs::create_directory(config.api.volume_dir, ec) ||
        chmod(config.api.volume_dir.c_str(), 0700) != 0) {
      return Status(reasons::kApiConfig, "cannot create " + config.api.volume_dir);
    }
    created->push_back(config.api.volume_dir);  // empty: a failed init removes it too
  }
  if (config.database.rfind("sqlite:", 0) == 0) {
    const std::string db_file = config.database.substr(7);
    if (fs::exists(db_file, ec)) {
      return Status(reasons::kApiConfig, db_file + " exists; refusing to reuse a database");
    }
    for (const char* suffix : {"", "-wal", "-shm"}) {
      created->push_back(db_file + suffix);
    }
  }

  ATTEST_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> db, OpenStore(config));
  InitResult result;
  Result<store::Tenant> op = db->CreateTenant(operator_name, store::Role::kOperator, now);
  if (op.ok()) {
    ATTEST_ASSIGN_OR_RETURN(store::Credential cred, db->CreateCredential(op->id, now));
    result.credentials_path = (dir / "operator-credentials").string();
    result.access_key_id = cred.access_key_id;
    result.secret_access_key = cred.secret_access_key;
    ATTEST_RETURN_IF_ERROR(
        WriteText(result.credentials_path,
                  "[attestd-operator]\naws_access_key_id = " + cred.access_key_id +
                      "\naws_secret_access_key = " + cred.secret_access_key + "\n",
                  0600));
    created->push_back(result.credentials_path);
    store::AuditRecord record{op->id,
                              now,
                              "system",
                              "tenant.create",
                              op->id,
                              "",
                              "",
                              "ok",
                              "initial operator " + operator_name};
    ATTEST_RETURN_IF_ERROR(db->AppendAudit(record).status());
  } else if (op.status().code() != ErrorCode::kConflict) {
    return op.status();
  }
  return result;
}

// CreateDataDir makes dir (0700) unless it exists, which it may.
Status CreateDataDir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || chmod(dir.c_str(), 0700) != 0) {
    return Status(reasons::kApiConfig, "cannot create " + dir.string());
  }
  return Status::Ok();
}

// InitFiles does the work of InitDataDir, listing every file it creates in created.
Result<InitResult> InitFiles(const InitOptions& options, TimePoint now,
                             std::vector<std::string>* created) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::absolute(options.data_dir);
  const fs::path config_path = dir / "attestd.json";
  std::error_code ec;
  if (fs::exists(config_path, ec)) {
    return Status(reasons::kApiConfig, config_path.string() + " exists; attestd is initialised");
  }
  ATTEST_RETURN_IF_ERROR(CreateDataDir(dir));

  Config config;
  config.server.host = options.listen_host;
  config.server.port = options.listen_port;
  config.server.cert_chain_file = (dir / "tls-cert.pem").string();
  config.server.private_key_file = (dir / "tls-key.pem").string();
  config.database =
      options.database.empty() ? "sqlite:" + (dir / "attestd.db").string() : options.database;
  if (options.kek_pkcs11) {
    config.kek_pkcs11 = options.kek_pkcs11;
  } else {
    config.kek_file = (dir / "kek.bin").string();
  }
  config.token_key = (dir / "token-key.pem").string();
  config.api.volume_dir = (dir / "volumes").string();

  ATTEST_ASSIGN_OR_RETURN(InitResult result,
                          CreateState(config, dir, options.operator_name, now, created));
  result.config_path = config_path.string();
  // The config is written last: its presence means the directory is complete.
  ATTEST_RETURN_IF_ERROR(WriteText(config_path.string(), ConfigJson(config), 0600));
  return result;
}

// RemoveCreated undoes a failed init: nothing half-created is left behind.
void RemoveCreated(const std::vector<std::string>& created) {
  for (const std::string& path : created) {
    std::remove(path.c_str());
  }
}

}  // namespace

Result<InitResult> InitDataDir(const InitOptions& options, TimePoint now) {
  std::vector<std::string> created;
  Result<InitResult> result = InitFiles(options, now, &created);
  if (!result.ok()) {
    RemoveCreated(created);
  }
  return result;
}

Result<InitResult> InitFromConfig(const std::string& config_path, const InitOptions& options,
                                  TimePoint now) {
  ATTEST_ASSIGN_OR_RETURN(const Config config, LoadConfig(config_path));
  const std::filesystem::path dir = std::filesystem::absolute(options.data_dir);
  ATTEST_RETURN_IF_ERROR(CreateDataDir(dir));
  std::vector<std::string> created;
  Result<InitResult> result = CreateState(config, dir, options.operator_name, now, &created);
  if (!result.ok()) {
    RemoveCreated(created);
    return result;
  }
  result->config_path = config_path;
  return result;
}

}  // namespace attest::service::attestd
