// HttpsServer over TLS on loopback: any listen address, the TLS floor and ciphers, and
// certificate reload while connections stay open. The client is OpenSSL in-process.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "service/attestd/self_signed.h"
#include "service/http/ip_address.h"
#include "service/http/reasons.h"
#include "service/server/https_server.h"

namespace attest::service::server {
namespace {

namespace fs = std::filesystem;
using SslCtxPtr = OsslPtr<SSL_CTX, SSL_CTX_free>;
using SslPtr = OsslPtr<SSL, SSL_free>;

// TcpConnect connects to ip (an IPv4 or IPv6 loopback literal) with a 5 s receive timeout.
int TcpConnect(const std::string& ip, int port) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, ip.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    len = sizeof(*v4);
  } else if (inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    len = sizeof(*v6);
  } else {
    return -1;
  }
  const int fd = socket(ss.ss_family, SOCK_STREAM, 0);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  if (connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

struct ClientOptions {
  int min_version = TLS1_VERSION;
  int max_version = TLS1_3_VERSION;
  std::string ciphers = "ALL:@SECLEVEL=0";  // the client offers everything: the server decides
  std::string preface;  // bytes sent in the clear before the handshake (a PROXY header)
};

// Client is one TLS connection; ok() when the handshake succeeded.
class Client {
 public:
  Client(const std::string& ip, int port, const ClientOptions& o = {}) {
    ctx_.reset(SSL_CTX_new(TLS_client_method()));
    SSL_CTX_set_security_level(ctx_.get(), 0);
    SSL_CTX_set_min_proto_version(ctx_.get(), o.min_version);
    SSL_CTX_set_max_proto_version(ctx_.get(), o.max_version);
    SSL_CTX_set_cipher_list(ctx_.get(), o.ciphers.c_str());
    fd_ = TcpConnect(ip, port);
    if (fd_ < 0) {
      return;
    }
    if (!o.preface.empty() && send(fd_, o.preface.data(), o.preface.size(), MSG_NOSIGNAL) !=
                                  static_cast<ssize_t>(o.preface.size())) {
      return;
    }
    ssl_.reset(SSL_new(ctx_.get()));
    SSL_set_fd(ssl_.get(), fd_);
    ok_ = SSL_connect(ssl_.get()) == 1;
    ERR_clear_error();
  }
  ~Client() {
    ssl_.reset();
    if (fd_ >= 0) {
      close(fd_);
    }
  }
  bool ok() const { return ok_; }
  X509Ptr peer() const { return X509Ptr(SSL_get1_peer_certificate(ssl_.get())); }
  // Get sends one keep-alive GET and returns the response head and body ("" on failure).
  std::string Get() {
    const std::string req = "GET /x HTTP/1.1\r\nHost: localhost\r\n\r\n";
    if (!ok_ || SSL_write(ssl_.get(), req.data(), static_cast<int>(req.size())) <= 0) {
      return "";
    }
    std::string out;
    char buf[4096];
    while (out.find("\r\n\r\nok") == std::string::npos) {
      const int n = SSL_read(ssl_.get(), buf, sizeof(buf));
      if (n <= 0) {
        return "";
      }
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }

 private:
  SslCtxPtr ctx_;
  SslPtr ssl_;
  int fd_ = -1;
  bool ok_ = false;
};

class TlsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("attestd-tls-server-" + std::to_string(rd()));
    fs::create_directories(dir_);
    a_ = NewPair();
    WritePair(a_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  static attestd::PemKeyPair NewPair() {
    auto pair = attestd::GenerateSelfSignedTls(WallClockNow());
    EXPECT_TRUE(pair.ok());
    return *pair;
  }
  void WritePair(const attestd::PemKeyPair& p) {
    std::ofstream(dir_ / "cert.pem", std::ios::trunc) << p.certificate_pem;
    std::ofstream(dir_ / "key.pem", std::ios::trunc) << p.private_key_pem;
  }
  // Start starts a TLS server on host at a free port, answering "ok <peer address>".
  std::unique_ptr<HttpsServer> Start(const std::string& host, const TlsSettings& settings = {},
                                     const std::vector<std::string>& proxies = {}) {
    for (int p = 30000 + static_cast<int>(getpid() % 20000) + 5; p < 65000; p += 13) {
      ServerConfig config;
      config.host = host;
      config.port = p;
      config.cert_chain_file = (dir_ / "cert.pem").string();
      config.private_key_file = (dir_ / "key.pem").string();
      config.tls_settings = settings;
      for (const std::string& p : proxies) {
        config.trusted_proxies.push_back(*http::ParseCidr(p));
      }
      config.proxy_protocol = !proxies.empty();
      auto server = HttpsServer::Start(config, [](const HttpRequest& r) {
        http::HttpResponse out;
        out.status = 200;
        out.content_type = "text/plain";
        out.body = "ok " + r.remote_address;
        return out;
      });
      if (server.ok()) {
        port_ = p;
        return std::move(server).value();
      }
      EXPECT_EQ(server.status().reason_id(), reasons::kApiListenFailed.id)
          << server.status().ToString();
      if (server.status().reason_id() != reasons::kApiListenFailed.id) {
        return nullptr;
      }
    }
    return nullptr;
  }
  static bool Is(const X509Ptr& cert, const attestd::PemKeyPair& p) {
    BioPtr bio(
        BIO_new_mem_buf(p.certificate_pem.data(), static_cast<int>(p.certificate_pem.size())));
    X509Ptr want(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    return cert != nullptr && X509_cmp(cert.get(), want.get()) == 0;
  }

  fs::path dir_;
  attestd::PemKeyPair a_;
  int port_ = 0;
};

TEST_F(TlsServerTest, ListensOnAnyAddress) {
  struct Case {
    const char* listen;
    const char* connect;
    const char* peer;  // what the server sees (a prefix)
  } cases[] = {
      {"127.0.0.1", "127.0.0.1", "127.0.0.1"},
      {"127.0.0.2", "127.0.0.2", "127.0.0."},  // the source address is the kernel's choice
      {"0.0.0.0", "127.0.0.1", "127.0.0.1"},
      {"0.0.0.0", "127.0.0.3", "127.0.0."},
      {"::1", "::1", "::1"},
      {"::", "::1", "::1"},
      {"::", "127.0.0.1", "127.0.0.1"},  // dual stack: an IPv4 peer reads as IPv4, not ::ffff:
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.listen + std::string(" <- ") + c.connect);
    std::unique_ptr<HttpsServer> server = Start(c.listen);
    ASSERT_NE(server, nullptr);
    Client client(c.connect, port_);
    ASSERT_TRUE(client.ok());
    const std::string reply = client.Get();
    EXPECT_NE(reply.find("200 OK"), std::string::npos) << reply;
    EXPECT_NE(reply.find(std::string("\r\n\r\nok ") + c.peer), std::string::npos) << reply;
  }
}

TEST_F(TlsServerTest, RefusesMalformedListenAddresses) {
  for (const char* host : {"", "localhost", "127.0.0.1 ", "1.2.3", "256.0.0.1", "[::1]", "::1%lo",
                           "[::1]:8443", "10.0.0.0/8", "0x7f.0.0.1", "::g"}) {
    SCOPED_TRACE(host);
    ServerConfig config;
    config.host = host;
    config.port = 8443;
    config.cert_chain_file = (dir_ / "cert.pem").string();
    config.private_key_file = (dir_ / "key.pem").string();
    auto server =
        HttpsServer::Start(config, [](const HttpRequest&) { return http::HttpResponse{}; });
    ASSERT_FALSE(server.ok());
    EXPECT_EQ(server.status().reason_id(), reasons::kApiConfig.id);
  }
  ServerConfig plain;
  plain.host = "0.0.0.0";
  plain.tls = false;
  auto server = HttpsServer::Start(plain, [](const HttpRequest&) { return http::HttpResponse{}; });
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().reason_id(), reasons::kApiConfig.id);  // plain HTTP: loopback only
}

TEST_F(TlsServerTest, RefusesOldProtocolsAndNonAeadCiphers) {
  struct Case {
    const char* name = "";
    TlsSettings server;
    ClientOptions client;
    bool ok = false;
  } cases[] = {
      {"default: tls 1.3", {}, {TLS1_3_VERSION, TLS1_3_VERSION}, true},
      {"default: tls 1.2 gcm",
       {},
       {TLS1_2_VERSION, TLS1_2_VERSION, "ECDHE-ECDSA-AES128-GCM-SHA256"},
       true},
      {"default: tls 1.2 chacha",
       {},
       {TLS1_2_VERSION, TLS1_2_VERSION, "ECDHE-ECDSA-CHACHA20-POLY1305"},
       true},
      {"default: tls 1.1", {}, {TLS1_1_VERSION, TLS1_1_VERSION}, false},
      {"default: tls 1.0", {}, {TLS1_VERSION, TLS1_VERSION}, false},
      {"default: tls 1.2 cbc sha256",
       {},
       {TLS1_2_VERSION, TLS1_2_VERSION, "ECDHE-ECDSA-AES128-SHA256:@SECLEVEL=0"},
       false},
      {"default: tls 1.2 cbc sha1",
       {},
       {TLS1_2_VERSION, TLS1_2_VERSION, "ECDHE-ECDSA-AES256-SHA:@SECLEVEL=0"},
       false},
      {"default: tls 1.2 no ecdhe",
       {},
       {TLS1_2_VERSION, TLS1_2_VERSION, "AES128-GCM-SHA256:@SECLEVEL=0"},
       false},
      {"1.3 only: tls 1.2", {"1.3", kDefaultTlsCiphers}, {TLS1_2_VERSION, TLS1_2_VERSION}, false},
      {"1.3 only: tls 1.3", {"1.3", kDefaultTlsCiphers}, {TLS1_3_VERSION, TLS1_3_VERSION}, true},
      {"operator's list: chacha refused",
       {"1.2", "ECDHE-ECDSA-AES256-GCM-SHA384"},
       {TLS1_2_VERSION, TLS1_2_VERSION, "ECDHE-ECDSA-CHACHA20-POLY1305"},
       false},
      {"operator's list: its suite",
       {"1.2", "ECDHE-ECDSA-AES256-GCM-SHA384"},
       {TLS1_2_VERSION, TLS1_2_VERSION, "ECDHE-ECDSA-AES256-GCM-SHA384"},
       true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::unique_ptr<HttpsServer> server = Start("127.0.0.1", c.server);
    ASSERT_NE(server, nullptr);
    {
      Client client("127.0.0.1", port_, c.client);
      EXPECT_EQ(client.ok(), c.ok);
      if (c.ok) {
        EXPECT_NE(client.Get().find("200 OK"), std::string::npos);
      }
    }
    EXPECT_EQ(server->Drain(std::chrono::milliseconds(100)), 0);
  }
}

TEST_F(TlsServerTest, ReloadServesTheNewCertificateAndKeepsConnections) {
  std::unique_ptr<HttpsServer> server = Start("127.0.0.1");
  ASSERT_NE(server, nullptr);
  Client before("127.0.0.1", port_);
  ASSERT_TRUE(before.ok());
  EXPECT_TRUE(Is(before.peer(), a_));
  EXPECT_NE(before.Get().find("200 OK"), std::string::npos);

  const attestd::PemKeyPair b = NewPair();
  WritePair(b);
  ASSERT_TRUE(server->ReloadCertificate().ok());
  Client after("127.0.0.1", port_);
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(Is(after.peer(), b));
  // The connection made before the reload is still served.
  EXPECT_NE(before.Get().find("200 OK"), std::string::npos);

  // A broken replacement (new certificate, old key) is refused; b stays.
  const attestd::PemKeyPair c = NewPair();
  std::ofstream(dir_ / "cert.pem", std::ios::trunc) << c.certificate_pem;
  Status s = server->ReloadCertificate();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.reason_id(), reasons::kApiConfig.id);
  Client still("127.0.0.1", port_);
  ASSERT_TRUE(still.ok());
  EXPECT_TRUE(Is(still.peer(), b));
  EXPECT_NE(still.Get().find("200 OK"), std::string::npos);
}

// Behind HAProxy in TLS passthrough mode (send-proxy-v2), the PROXY header comes before the
// handshake and names the client; the TLS connection is otherwise untouched.
TEST_F(TlsServerTest, ProxyProtocolBeforeTheHandshake) {
  std::unique_ptr<HttpsServer> server = Start("127.0.0.1", {}, {"127.0.0.1/32"});
  ASSERT_NE(server, nullptr);
  ClientOptions proxied;
  // TCP over IPv6, client 2001:db8::42 port 4711 -> ::1 port 8443.
  proxied.preface = std::string("\r\n\r\n\0\r\nQUIT\n\x21\x21\x00\x24", 16) +
                    std::string("\x20\x01\x0d\xb8", 4) + std::string(11, '\0') + "\x42" +
                    std::string(15, '\0') + "\x01" + "\x12\x67\x20\xfb";
  Client client("127.0.0.1", port_, proxied);
  ASSERT_TRUE(client.ok());
  const std::string reply = client.Get();
  EXPECT_NE(reply.find("\r\n\r\nok 2001:db8::42"), std::string::npos) << reply;
  // The same proxy without the header is dropped before any handshake.
  Client bare("127.0.0.1", port_);
  EXPECT_FALSE(bare.ok());
}

}  // namespace
}  // namespace attest::service::server
