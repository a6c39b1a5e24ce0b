// HttpsServer on plain HTTP (the transport is what is under test here, not TLS): clients that
// send headers and then stall must not take the server down for everyone else.
#include "service/server/https_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>
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

http::HttpResponse Ok(const std::string& body) {
  http::HttpResponse out;
  out.status = 200;
  out.content_type = "text/plain";
  out.body = body;
  return out;
}

// StartOnFreePort starts a plain HTTP server on a port picked by trying; by default it answers
// 200 "ok <body size>".
std::unique_ptr<HttpsServer> StartOnFreePort(int* port, const DispatchFn& dispatch = nullptr) {
  for (int p = 30000 + static_cast<int>(getpid() % 20000); p < 65000; p += 11) {
    ServerConfig config;
    config.port = p;
    config.tls = false;
    auto server = HttpsServer::Start(
        config, dispatch ? dispatch : [](const HttpRequest& r) {
          return Ok("ok " + std::to_string(r.body.size()));
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
  // Every stalled request completes once its body arrives, and then nothing is left in flight.
  for (int fd : stalled) {
    ASSERT_TRUE(SendAll(fd, "12345678"));  // the other 8 of its 10 bytes
    std::string answer;
    char buf[512];
    for (ssize_t n;
         answer.find("ok 10") == std::string::npos && (n = recv(fd, buf, sizeof(buf), 0)) > 0;) {
      answer.append(buf, static_cast<size_t>(n));
    }
    EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer;
    EXPECT_NE(answer.find("ok 10"), std::string::npos) << answer;
    close(fd);
  }
  EXPECT_EQ(server->Drain(std::chrono::seconds(10)), 0);
}

// Exchange sends one request on a new connection ("Connection: close") and returns everything
// the server sent back ("" when it could not connect).
std::string Exchange(int port, const std::string& path) {
  const int fd = Connect(port, 10);
  if (fd < 0) {
    return "";
  }
  std::string answer;
  if (SendAll(fd, "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")) {
    char buf[1024];
    for (ssize_t n; (n = recv(fd, buf, sizeof(buf), 0)) > 0;) {
      answer.append(buf, static_cast<size_t>(n));
    }
  }
  close(fd);
  return answer;
}

// A handler that holds its request until the test lets it go.
struct HeldRequest {
  std::promise<void> entered;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();

  DispatchFn Dispatch() {
    return [this](const HttpRequest& r) {
      if (r.path == "/held") {
        entered.set_value();
        released.wait();
        return Ok("held done");
      }
      return Ok("quick");
    };
  }
};

TEST(HttpsServerTest, DrainFinishesRequestsInFlightAndRefusesNewOnes) {
  HeldRequest held;
  int port = 0;
  std::unique_ptr<HttpsServer> server = StartOnFreePort(&port, held.Dispatch());
  ASSERT_NE(server, nullptr);
  EXPECT_NE(Exchange(port, "/quick").find("quick"), std::string::npos);

  std::future<std::string> in_flight =
      std::async(std::launch::async, [&] { return Exchange(port, "/held"); });
  held.entered.get_future().wait();
  std::future<int> drained =
      std::async(std::launch::async, [&] { return server->Drain(std::chrono::seconds(30)); });
  // Draining: a new request is refused, the held one is not cut off.
  std::string refused;
  for (int i = 0; i < 200 && refused.find("503") == std::string::npos; ++i) {
    refused = Exchange(port, "/quick");
  }
  EXPECT_EQ(refused.rfind("HTTP/1.1 503", 0), 0u) << refused;
  EXPECT_NE(refused.find("api.shutting_down"), std::string::npos) << refused;
  EXPECT_NE(refused.find("Retry-After: 1"), std::string::npos) << refused;
  EXPECT_EQ(drained.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);

  held.release.set_value();
  const std::string answer = in_flight.get();
  EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer;
  EXPECT_NE(answer.find("held done"), std::string::npos) << answer;
  EXPECT_EQ(drained.get(), 0);
  EXPECT_EQ(Exchange(port, "/quick"), "");  // the listener is closed
}

TEST(HttpsServerTest, DrainGivesUpAfterItsGrace) {
  HeldRequest held;
  int port = 0;
  std::unique_ptr<HttpsServer> server = StartOnFreePort(&port, held.Dispatch());
  ASSERT_NE(server, nullptr);
  std::future<std::string> in_flight =
      std::async(std::launch::async, [&] { return Exchange(port, "/held"); });
  held.entered.get_future().wait();
  std::future<int> drained =
      std::async(std::launch::async, [&] { return server->Drain(std::chrono::milliseconds(0)); });
  // Closing the listener waits for the handler's thread; let it go once Drain has counted it.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  held.release.set_value();
  EXPECT_EQ(drained.get(), 1);
  in_flight.get();  // cut off or answered: either way it returns
}

}  // namespace
}  // namespace attest::service::server
