// The server's TLS settings and its certificate: what the server's SSL_CTX gets. The server makes
// a new SSL_CTX when the identity's generation changes (a reload), so a certificate swapped here
// reaches every later handshake while open connections keep the context they started with.
// Plain OpenSSL, no Boost: testable without a socket.
#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "attest/core/ossl.h"
#include "attest/core/status.h"

namespace attest::service::server {

// kDefaultTlsCiphers: the TLS 1.2 suites offered by default, ECDHE key exchange with AEAD
// ciphers only (TLS 1.3 suites are AEAD by definition and keep OpenSSL's default).
inline constexpr const char* kDefaultTlsCiphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

struct TlsSettings {
  std::string min_version = "1.2";           // "1.2" or "1.3"
  std::string ciphers = kDefaultTlsCiphers;  // OpenSSL cipher list for TLS 1.2
};

// CheckTlsSettings fails with reasons::kApiConfig when min_version is not "1.2" or "1.3" or
// OpenSSL selects no cipher from ciphers.
Status CheckTlsSettings(const TlsSettings& settings);

// TlsIdentity holds the certificate chain and key the server presents. Thread-safe.
class TlsIdentity {
 public:
  // Load reads cert_file (PEM: the leaf first, then its intermediates) and key_file (PEM) and
  // checks that they belong together. Fails with reasons::kApiConfig.
  static Result<std::shared_ptr<TlsIdentity>> Load(const std::string& cert_file,
                                                   const std::string& key_file);

  // Reload reads the same files again. On any failure the identity is unchanged and the error
  // (reasons::kApiConfig) says why; connections keep being served with the old certificate.
  Status Reload();

  // Configure sets up a server SSL_CTX: protocol floor, ciphers, options and this identity.
  // Fails with reasons::kApiConfig (a settings error: CheckTlsSettings first).
  Status Configure(SSL_CTX* ctx, const TlsSettings& settings) const;

  // leaf is the certificate presented now (for logs and tests).
  X509Ptr leaf() const;

  // generation changes with every successful Reload: a context Configure made for an older one
  // presents an older certificate.
  uint64_t generation() const { return generation_.load(); }

 private:
  struct Pair {
    X509Ptr leaf;
    X509StackPtr chain;
    EvpPkeyPtr key;
  };
  static Result<std::shared_ptr<const Pair>> Read(const std::string& cert_file,
                                                  const std::string& key_file);
  TlsIdentity(std::string cert_file, std::string key_file, std::shared_ptr<const Pair> pair)
      : cert_file_(std::move(cert_file)), key_file_(std::move(key_file)), pair_(std::move(pair)) {}
  std::shared_ptr<const Pair> Current() const;

  const std::string cert_file_;
  const std::string key_file_;
  mutable std::mutex mu_;
  std::shared_ptr<const Pair> pair_;  // guarded by mu_
  std::atomic<uint64_t> generation_{0};
};

}  // namespace attest::service::server
