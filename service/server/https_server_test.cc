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

#include "service/http/ip_address.h"
#include "service/server/testing/loopback.h"

namespace attest::service::server {
namespace {

using testing::Connect;
using testing::SendAll;

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
  // Many more stalled requests than the server has threads (8).
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

// ReadAll reads until the server closes the connection or the receive timeout passes.
std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = recv(fd, buf, sizeof(buf), 0)) > 0;) {
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// ReadResponses reads until `count` complete responses (each with its Content-Length; a HEAD
// answer has none of its body) arrived. *rest keeps what came after them.
std::vector<std::string> ReadResponses(int fd, size_t count, std::string* rest,
                                       bool last_is_head = false) {
  std::string& in = *rest;
  std::vector<std::string> out;
  char buf[4096];
  while (out.size() < count) {
    const size_t end = in.find("\r\n\r\n");
    if (end != std::string::npos) {
      const size_t cl = in.find("Content-Length: ");
      const bool head = last_is_head && out.size() + 1 == count;
      const size_t length = cl < end && !head ? std::stoul(in.substr(cl + 16)) : 0;
      if (in.size() >= end + 4 + length) {
        out.push_back(in.substr(0, end + 4 + length));
        in.erase(0, end + 4 + length);
        continue;
      }
    }
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) {
      break;
    }
    in.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// ResidentBytes is this process's resident set size, from /proc/self/statm.
size_t ResidentBytes() {
  FILE* f = fopen("/proc/self/statm", "r");
  unsigned long size = 0;
  unsigned long resident = 0;
  if (f == nullptr || fscanf(f, "%lu %lu", &size, &resident) != 2) {
    resident = 0;
  }
  if (f != nullptr) {
    fclose(f);
  }
  return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

TEST(HttpsServerTest, KeepAliveAndPipelinedRequestsAnswerInOrder) {
  int port = 0;
  std::unique_ptr<HttpsServer> server =
      StartOnFreePort(&port, [](const HttpRequest& r) { return Ok(r.method + " " + r.path); });
  ASSERT_NE(server, nullptr);
  const int fd = Connect(port, 5);
  ASSERT_GE(fd, 0);
  // Three requests in one write, the second with a body, the last HEAD.
  ASSERT_TRUE(SendAll(fd,
                      "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
                      "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nxyz"
                      "HEAD /c HTTP/1.1\r\nHost: h\r\n\r\n"));
  std::string rest;
  const std::vector<std::string> answers = ReadResponses(fd, 3, &rest, true);
  ASSERT_EQ(answers.size(), 3u);
  EXPECT_NE(answers[0].find("\r\n\r\nGET /a"), std::string::npos) << answers[0];
  EXPECT_NE(answers[1].find("\r\n\r\nPOST /b"), std::string::npos) << answers[1];
  // HEAD: the GET length, no body; then the connection is still open for one more.
  EXPECT_NE(answers[2].find("Content-Length: 7\r\n"), std::string::npos) << answers[2];
  EXPECT_EQ(rest, "");
  ASSERT_TRUE(SendAll(fd, "GET /d HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"));
  const std::string last = ReadAll(fd);
  EXPECT_NE(last.find("Connection: close"), std::string::npos) << last;
  EXPECT_NE(last.find("GET /d"), std::string::npos) << last;
  close(fd);
}

TEST(HttpsServerTest, ChunkedBodiesAndExpectContinue) {
  int port = 0;
  std::unique_ptr<HttpsServer> server = StartOnFreePort(&port);
  ASSERT_NE(server, nullptr);
  const int fd = Connect(port, 5);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(SendAll(fd,
                      "POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "4\r\nabcd\r\n6\r\nefghij\r\n0\r\n\r\n"));
  std::string rest;
  std::vector<std::string> answers = ReadResponses(fd, 1, &rest);
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_NE(answers[0].find("ok 10"), std::string::npos) << answers[0];
  // Expect: 100-continue gets its interim answer before the body is sent.
  ASSERT_TRUE(SendAll(fd,
                      "PUT /x HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
                      "Content-Length: 5\r\n\r\n"));
  char buf[256];
  const ssize_t n = recv(fd, buf, sizeof(buf), 0);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)), "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_TRUE(SendAll(fd, "12345"));
  answers = ReadResponses(fd, 1, &rest);
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_NE(answers[0].find("ok 5"), std::string::npos) << answers[0];
  close(fd);
}

// Issue 17 #9: a 100 MiB body and 10 MiB of headers are refused while they arrive; the server
// never holds more than its limits, whatever the client sends.
TEST(HttpsServerTest, OversizedRequestsAreRefusedWithoutBuffering) {
  int port = 0;
  std::unique_ptr<HttpsServer> server = StartOnFreePort(&port);
  ASSERT_NE(server, nullptr);
  const size_t before = ResidentBytes();
  const std::string mib(size_t{1} << 20, 'a');
  struct Case {
    const char* name;
    std::string head;
    std::string filler;  // sent 100 times after head, until the server stops reading
    const char* want;
  } cases[] = {
      {"declared 100 MiB body", "POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 104857600\r\n\r\n",
       mib, "HTTP/1.1 413 Content Too Large"},
      {"chunked 100 MiB body", "POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
       "100000\r\n" + mib + "\r\n", "HTTP/1.1 413 Content Too Large"},
      {"10 MiB of headers", "GET /x HTTP/1.1\r\nHost: h\r\nX-Junk: ",
       mib.substr(0, size_t{1} << 17), "HTTP/1.1 431 Request Header Fields Too Large"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const int fd = Connect(port, 5);
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(SendAll(fd, c.head));
    // Keep sending until the server has answered and closed (a send then fails) or 100 MiB.
    const size_t rounds = c.filler.size() >= mib.size() ? 100 : 80;
    for (size_t i = 0; i < rounds; ++i) {
      if (send(fd, c.filler.data(), c.filler.size(), MSG_NOSIGNAL) < 0) {
        break;
      }
    }
    const std::string answer = ReadAll(fd);
    close(fd);
    EXPECT_EQ(answer.rfind(c.want, 0), 0u) << answer.substr(0, 200);
    EXPECT_NE(answer.find("Connection: close"), std::string::npos);
  }
  // Generous: the parser holds at most 4 MiB of body or 64 KiB of headers per connection.
  EXPECT_LT(ResidentBytes(), before + (size_t{32} << 20));
  EXPECT_NE(Exchange(port, "/after").find("HTTP/1.1 200"), std::string::npos);
}

TEST(HttpsServerTest, MalformedRequestsGetAStableErrorAndAClose) {
  int port = 0;
  std::unique_ptr<HttpsServer> server = StartOnFreePort(&port);
  ASSERT_NE(server, nullptr);
  struct Case {
    const char* wire;
    const char* status;
    const char* code;
  } cases[] = {
      {"GET / HTTP/1.1\r\n\r\n", "400", "api.bad_request"},
      {"GET / HTTP/2.0\r\nHost: h\r\n\r\n", "505", "api.http_version_unsupported"},
      {"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
       "400", "api.bad_request"},
      {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: br, chunked\r\n\r\n", "501",
       "api.unsupported_transfer_encoding"},
      {"\x16\x03\x01\x02\x05\x01\x02\x03\r\n\r\n", "400", "api.bad_request"},  // TLS, no NUL
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.wire);
    const int fd = Connect(port, 5);
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(SendAll(fd, c.wire));
    const std::string answer = ReadAll(fd);
    close(fd);
    EXPECT_EQ(answer.rfind(std::string("HTTP/1.1 ") + c.status, 0), 0u) << answer;
    EXPECT_NE(answer.find(c.code), std::string::npos) << answer;
  }
}

TEST(HttpsServerTest, SlowHeadersAndIdleConnectionsAreClosed) {
  int port = 0;
  ServerConfig config;
  config.port = 0;
  config.tls = false;
  config.timeouts.header = std::chrono::milliseconds(300);
  config.timeouts.idle = std::chrono::milliseconds(300);
  auto server = HttpsServer::Start(config, [](const HttpRequest&) { return Ok("ok"); });
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  port = (*server)->port();
  ASSERT_GT(port, 0);
  // Headers trickling in (slowloris): closed when the header deadline passes.
  const int slow = Connect(port, 5);
  ASSERT_GE(slow, 0);
  ASSERT_TRUE(SendAll(slow, "GET / HTTP/1.1\r\nHost: h\r\n"));
  EXPECT_EQ(ReadAll(slow), "");  // closed, not answered
  close(slow);
  // A keep-alive connection with nothing more to say: closed after the idle time.
  const int idle = Connect(port, 5);
  ASSERT_GE(idle, 0);
  ASSERT_TRUE(SendAll(idle, "GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
  const std::string answer = ReadAll(idle);
  EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer;
  close(idle);
}

TEST(HttpsServerTest, ConnectionsBeyondTheLimitAreClosed) {
  ServerConfig config;
  config.port = 0;
  config.tls = false;
  config.max_connections = 2;
  auto server = HttpsServer::Start(config, [](const HttpRequest&) { return Ok("ok"); });
  ASSERT_TRUE(server.ok());
  const int port = (*server)->port();
  const int a = Connect(port, 5);
  const int b = Connect(port, 5);
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  usleep(100 * 1000);  // both accepted
  const int c = Connect(port, 5);
  ASSERT_GE(c, 0);
  SendAll(c, "GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(ReadAll(c), "");
  close(c);
  close(a);  // one slot frees up
  usleep(100 * 1000);
  EXPECT_NE(Exchange(port, "/").find("HTTP/1.1 200"), std::string::npos);
  close(b);
}

TEST(HttpsServerTest, AThrowingHandlerAnswers500) {
  int port = 0;
  std::unique_ptr<HttpsServer> server = StartOnFreePort(
      &port, [](const HttpRequest&) -> http::HttpResponse { throw std::runtime_error("boom"); });
  ASSERT_NE(server, nullptr);
  const std::string answer = Exchange(port, "/");
  EXPECT_EQ(answer.rfind("HTTP/1.1 500", 0), 0u) << answer;
  EXPECT_EQ(answer.find("boom"), std::string::npos);  // internal detail stays inside
}

// PROXY protocol v2 from a trusted proxy names the client; from anyone else it is not read.
TEST(HttpsServerTest, ProxyProtocolFromTrustedProxiesOnly) {
  ServerConfig config;
  config.port = 0;
  config.tls = false;
  config.proxy_protocol = true;
  config.trusted_proxies = {*http::ParseCidr("127.0.0.1/32")};
  auto started = HttpsServer::Start(
      config, [](const HttpRequest& r) { return Ok("client " + r.remote_address); });
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  const int port = (*started)->port();
  const std::string v2 = std::string("\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x0c", 16) +
                         std::string("\xc0\x00\x02\x07\x7f\x00\x00\x01\xc7\x38\x20\xfb", 12);
  const std::string get = "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
  {
    const int fd = Connect(port, 5);  // from 127.0.0.1: trusted
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(SendAll(fd, v2 + get));
    const std::string answer = ReadAll(fd);
    close(fd);
    EXPECT_NE(answer.find("client 192.0.2.7"), std::string::npos) << answer;
  }
  {
    const int fd = Connect(port, 5);  // trusted but without the header: dropped
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(SendAll(fd, get));
    EXPECT_EQ(ReadAll(fd), "");
    close(fd);
  }
  // LOCAL (a proxy's own health check): the peer itself.
  {
    const int fd = Connect(port, 5);
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(SendAll(fd, std::string("\r\n\r\n\0\r\nQUIT\n\x20\x00\x00\x00", 16) + get));
    EXPECT_NE(ReadAll(fd).find("client 127.0.0.1"), std::string::npos);
    close(fd);
  }
}

TEST(HttpsServerTest, ProxyProtocolIsNotReadFromOtherPeers) {
  ServerConfig config;
  config.port = 0;
  config.tls = false;
  config.proxy_protocol = true;
  config.trusted_proxies = {*http::ParseCidr("10.9.9.9/32")};  // not us
  auto started = HttpsServer::Start(
      config, [](const HttpRequest& r) { return Ok("client " + r.remote_address); });
  ASSERT_TRUE(started.ok());
  const int fd = Connect((*started)->port(), 5);
  ASSERT_GE(fd, 0);
  const std::string spoof = std::string("\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x0c", 16) +
                            std::string("\xc0\x00\x02\x07\x7f\x00\x00\x01\xc7\x38\x20\xfb", 12);
  ASSERT_TRUE(SendAll(fd, spoof + "GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
  const std::string answer = ReadAll(fd);
  close(fd);
  EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << answer;
  EXPECT_EQ(answer.find("192.0.2.7"), std::string::npos);
  // Without trusted proxies the setting is refused outright.
  config.trusted_proxies.clear();
  auto refused = HttpsServer::Start(config, [](const HttpRequest&) { return Ok(""); });
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().reason_id(), reasons::kApiConfig.id);
}

}  // namespace
}  // namespace attest::service::server
