// HttpsServer on plain HTTP (the transport is what is under test here, not TLS): clients that
// send headers and then stall must not take the server down for everyone else.
#include "service/server/https_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace attest::service::server {
namespace {

// Connect opens a TCP connection to 127.0.0.1:port with a receive timeout; -1 on failure.
int Connect(int port, int timeout_seconds) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    return -1;
  }
  timeval tv{timeout_seconds, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool SendAll(int fd, const std::string& data) {
  return send(fd, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size());
}

// StartOnFreePort starts a plain HTTP server answering 200 "ok" on a port picked by trying.
std::unique_ptr<HttpsServer> StartOnFreePort(int* port) {
  for (int p = 30000 + static_cast<int>(getpid() % 20000); p < 65000; p += 11) {
    ServerConfig config;
    config.port = p;
    config.tls = false;
    auto server = HttpsServer::Start(config, [](const HttpRequest& r) {
      http::HttpResponse out;
      out.status = 200;
      out.content_type = "text/plain";
      out.body = "ok " + std::to_string(r.body.size());
      return out;
    });
    if (server.ok()) {
      *port = p;
      return std::move(server).value();
    }
  }
  return nullptr;
}

TEST(HttpsServerTest, StalledBodiesDoNotStarveOtherRequests) {
  int port = 0;
  std::unique_ptr<HttpsServer> server = StartOnFreePort(&port);
  ASSERT_NE(server, nullptr);
  // More stalled requests than the server's thread pool has threads (cpprestsdk: 40).
  constexpr int kStalled = 64;
  std::vector<int> stalled;
  for (int i = 0; i < kStalled; ++i) {
    const int fd = Connect(port, 5);
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(SendAll(fd,
                        "POST /x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                        "application/json\r\nContent-Length: 10\r\n\r\n{\""));
    stalled.push_back(fd);
  }
  usleep(200 * 1000);  // let the server take them all in
  for (const char* body : {"", "{\"a\":1}"}) {
    SCOPED_TRACE(body);
    const int fd = Connect(port, 5);
    ASSERT_GE(fd, 0);
    const std::string b = body;
    ASSERT_TRUE(SendAll(fd, "POST /y HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " +
                                std::to_string(b.size()) + "\r\nConnection: close\r\n\r\n" + b));
    char buf[512];
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);  // times out after 5 s if starved
    close(fd);
    ASSERT_GT(n, 0) << "no answer while " << kStalled << " bodies stall";
    const std::string answer(buf, static_cast<size_t>(n));
    EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer;
  }
  // The stalled requests complete once their bodies arrive.
  ASSERT_TRUE(SendAll(stalled[0], "12345678"));  // the other 8 of its 10 bytes
  std::string answer;
  char buf[512];
  for (ssize_t n; answer.find("ok 10") == std::string::npos &&
                  (n = recv(stalled[0], buf, sizeof(buf), 0)) > 0;) {
    answer.append(buf, static_cast<size_t>(n));
  }
  EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer;
  EXPECT_NE(answer.find("ok 10"), std::string::npos) << answer;
  for (int fd : stalled) {
    close(fd);
  }
  server->Stop();
}

}  // namespace
}  // namespace attest::service::server
