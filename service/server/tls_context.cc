#include "service/server/tls_context.h"

#include <openssl/err.h>
#include <openssl/pem.h>

#include "attest/core/file_io.h"
#include "service/http/reasons.h"

namespace attest::service::server {
namespace {

Status TlsError(const std::string& what) {
  const std::string detail = OsslErrors();
  return Status(reasons::kApiConfig, detail.empty() ? what : what + ": " + detail);
}

// NoPassphrase refuses encrypted keys instead of letting OpenSSL prompt on the terminal.
int NoPassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*u*/) { return 0; }

Result<BioPtr> ReadFileBio(const std::string& file, const std::string& what) {
  Result<Bytes> bytes = ReadFileBytes(file);
  if (!bytes.ok()) {
    return Status(reasons::kApiConfig,
                  "cannot read TLS " + what + " " + file + ": " + bytes.status().message());
  }
  // A memory BIO owning a copy: the file's bytes (the key among them) are not kept around.
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || BIO_write(bio.get(), bytes->data(), static_cast<int>(bytes->size())) !=
                            static_cast<int>(bytes->size())) {
    return TlsError("cannot buffer " + file);
  }
  OPENSSL_cleanse(bytes->data(), bytes->size());
  return bio;
}

}  // namespace

Status CheckTlsSettings(const TlsSettings& settings) {
  if (settings.min_version != "1.2" && settings.min_version != "1.3") {
    return Status(reasons::kApiConfig, "tls_min_version must be \"1.2\" or \"1.3\", got \"" +
                                           settings.min_version.substr(0, 16) + "\"");
  }
  OsslPtr<SSL_CTX, SSL_CTX_free> ctx(SSL_CTX_new(TLS_server_method()));
  if (ctx == nullptr) {
    return TlsError("SSL_CTX_new");
  }
  if (settings.ciphers.empty() ||
      SSL_CTX_set_cipher_list(ctx.get(), settings.ciphers.c_str()) != 1) {
    return TlsError("tls_ciphers selects no cipher OpenSSL knows");
  }
  // An operator may narrow the list or reorder it, never weaken it: every TLS 1.2 suite must
  // encrypt with an AEAD and agree keys with ephemeral (EC)DH (TLS 1.3 suites always do).
  STACK_OF(SSL_CIPHER)* chosen = SSL_CTX_get_ciphers(ctx.get());
  for (int i = 0; i < sk_SSL_CIPHER_num(chosen); ++i) {
    const SSL_CIPHER* c = sk_SSL_CIPHER_value(chosen, i);
    const int kx = SSL_CIPHER_get_kx_nid(c);
    const bool forward_secret = kx == NID_kx_ecdhe || kx == NID_kx_dhe || kx == NID_kx_any;
    if (SSL_CIPHER_is_aead(c) != 1 || !forward_secret) {
      return Status(reasons::kApiConfig,
                    std::string("tls_ciphers: ") + SSL_CIPHER_get_name(c) +
                        " is not an ECDHE/DHE suite with an AEAD cipher (GCM, CCM, "
                        "ChaCha20-Poly1305)");
    }
  }
  return Status::Ok();
}

Result<std::shared_ptr<const TlsIdentity::Pair>> TlsIdentity::Read(const std::string& cert_file,
                                                                   const std::string& key_file) {
  ERR_clear_error();
  auto pair = std::make_shared<Pair>();
  ATTEST_ASSIGN_OR_RETURN(BioPtr certs, ReadFileBio(cert_file, "certificate"));
  pair->leaf.reset(PEM_read_bio_X509(certs.get(), nullptr, NoPassphrase, nullptr));
  if (pair->leaf == nullptr) {
    return TlsError("no PEM certificate in " + cert_file);
  }
  pair->chain.reset(sk_X509_new_null());
  while (X509* next = PEM_read_bio_X509(certs.get(), nullptr, NoPassphrase, nullptr)) {
    if (sk_X509_push(pair->chain.get(), next) <= 0) {
      X509_free(next);
      return TlsError("cannot hold the chain of " + cert_file);
    }
  }
  ERR_clear_error();  // the loop ends on "no start line"
  ATTEST_ASSIGN_OR_RETURN(BioPtr key, ReadFileBio(key_file, "key"));
  pair->key.reset(PEM_read_bio_PrivateKey(key.get(), nullptr, NoPassphrase, nullptr));
  if (pair->key == nullptr) {
    return TlsError("no unencrypted PEM private key in " + key_file);
  }
  if (X509_check_private_key(pair->leaf.get(), pair->key.get()) != 1) {
    return TlsError("TLS key " + key_file + " does not match " + cert_file);
  }
  return std::shared_ptr<const Pair>(std::move(pair));
}

Result<std::shared_ptr<TlsIdentity>> TlsIdentity::Load(const std::string& cert_file,
                                                       const std::string& key_file) {
  ATTEST_ASSIGN_OR_RETURN(std::shared_ptr<const Pair> pair, Read(cert_file, key_file));
  return std::shared_ptr<TlsIdentity>(new TlsIdentity(cert_file, key_file, std::move(pair)));
}

Status TlsIdentity::Reload() {
  ATTEST_ASSIGN_OR_RETURN(std::shared_ptr<const Pair> pair, Read(cert_file_, key_file_));
  std::lock_guard<std::mutex> lock(mu_);
  pair_ = std::move(pair);
  generation_.fetch_add(1);
  return Status::Ok();
}

std::shared_ptr<const TlsIdentity::Pair> TlsIdentity::Current() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pair_;
}

X509Ptr TlsIdentity::leaf() const { return UpRef(Current()->leaf.get()); }

Status TlsIdentity::Configure(SSL_CTX* ctx, const TlsSettings& settings) const {
  const std::shared_ptr<const Pair> pair = Current();
  ERR_clear_error();
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                               SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_SINGLE_DH_USE |
                               SSL_OP_SINGLE_ECDH_USE);
  const int floor = settings.min_version == "1.3" ? TLS1_3_VERSION : TLS1_2_VERSION;
  if (SSL_CTX_set_min_proto_version(ctx, floor) != 1 ||
      SSL_CTX_set_cipher_list(ctx, settings.ciphers.c_str()) != 1) {
    return TlsError("TLS settings");
  }
  // Each use takes its own reference: a later Reload frees nothing a context still holds.
  if (SSL_CTX_use_certificate(ctx, pair->leaf.get()) != 1 ||
      SSL_CTX_use_PrivateKey(ctx, pair->key.get()) != 1) {
    return TlsError("TLS certificate");
  }
  for (int i = 0; i < sk_X509_num(pair->chain.get()); ++i) {
    if (SSL_CTX_add1_chain_cert(ctx, sk_X509_value(pair->chain.get(), i)) != 1) {
      return TlsError("TLS certificate chain");
    }
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return TlsError("TLS key");
  }
  return Status::Ok();
}

}  // namespace attest::service::server
