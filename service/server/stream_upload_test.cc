// HttpsServer's streamed request bodies over real loopback sockets (plain HTTP: the transport is
// under test): Content-Length and chunked bodies reach the sink whole and in order, past the
// buffered-body limit; over the route's limit, refused heads, malformed framing and clients that
// go away mid-body leave the sink destroyed without Finish.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>

#include "service/server/https_server.h"
#include "service/server/testing/loopback.h"

namespace attest::service::server {
namespace {

using testing::Connect;
using testing::JsonAnswer;
using testing::SendAll;

constexpr uint64_t kStreamLimit = uint64_t{1} << 20;

// Seen: what the test routes observed, shared with the server's threads.
struct Seen {
  std::mutex mu;
  int begun = 0;
  int finished = 0;
  int abandoned = 0;  // destroyed without Finish
  std::string bytes;  // of the last sink
};

class TestSink final : public http::BodySink {
 public:
  explicit TestSink(Seen* seen) : seen_(seen) {}
  ~TestSink() override {
    if (!finished_) {
      std::lock_guard<std::mutex> lock(seen_->mu);
      ++seen_->abandoned;
    }
  }
  TestSink(const TestSink&) = delete;
  TestSink& operator=(const TestSink&) = delete;
  Status Write(std::string_view bytes) override {
    if (bytes.find("refuse-me") != std::string_view::npos) {
      return Status(reasons::kApiInvalidField, "refused mid-body");
    }
    got_.append(bytes);
    return Status::Ok();
  }
  http::HttpResponse Finish() override {
    finished_ = true;
    std::lock_guard<std::mutex> lock(seen_->mu);
    ++seen_->finished;
    seen_->bytes = got_;
    return http::ErrorResponse(201, "stored", std::to_string(got_.size()));
  }

 private:
  Seen* seen_;
  std::string got_;
  bool finished_ = false;
};

std::string Body(size_t n) {
  std::string body(n, '\0');
  for (size_t i = 0; i < n; ++i) {
    body[i] = static_cast<char>('a' + (i * 7) % 26);
  }
  return body;
}

class StreamUploadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    http::StreamRoutes routes;
    routes.plan = [](const HttpRequest& head) {
      return head.method == "PUT" && head.path == "/upload" ? kStreamLimit : 0;
    };
    routes.begin = [this](const HttpRequest& head) {
      http::StreamStart start;
      for (const HttpHeader& h : head.headers) {
        if (h.name == "X-Refuse") {
          start.refusal = http::ErrorResponse(403, "AccessDenied", "refused head");
          return start;
        }
      }
      std::lock_guard<std::mutex> lock(seen_.mu);
      ++seen_.begun;
      start.sink = std::make_unique<TestSink>(&seen_);
      return start;
    };
    for (int p = 40000 + static_cast<int>(getpid() % 20000); p < 65000 && !server_; p += 13) {
      ServerConfig config;
      config.port = p;
      config.tls = false;
      config.threads = 2;
      config.limits.max_body_bytes = 1024;  // buffered bodies: far below the streamed limit
      config.timeouts.body = std::chrono::milliseconds(500);
      auto server = HttpsServer::Start(
          config,
          [](const HttpRequest& r) {
            return http::ErrorResponse(200, "buffered", std::to_string(r.body.size()));
          },
          routes);
      if (server.ok()) {
        server_ = std::move(server).value();
        port_ = p;
      }
    }
    ASSERT_NE(server_, nullptr);
  }

  // WaitFor polls until done() holds (the server's threads finish after the answer is sent).
  bool WaitFor(const std::function<bool()>& done) {
    for (int i = 0; i < 300; ++i) {
      {
        std::lock_guard<std::mutex> lock(seen_.mu);
        if (done()) {
          return true;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  Seen seen_;
  std::unique_ptr<HttpsServer> server_;
  int port_ = 0;
};

TEST_F(StreamUploadTest, ContentLengthAndChunkedBodiesReachTheSinkWhole) {
  const std::string body = Body(size_t{700} * 1024);  // far past the buffered limit of 1 KiB
  {
    const int fd = Connect(port_);
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(SendAll(fd, "PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                                std::to_string(body.size()) + "\r\n\r\n"));
    for (size_t at = 0; at < body.size(); at += 50000) {
      ASSERT_TRUE(SendAll(fd, std::string_view(body).substr(at, 50000)));
    }
    const std::string answer = JsonAnswer(fd);
    close(fd);
    EXPECT_EQ(answer.rfind("HTTP/1.1 201", 0), 0u) << answer;
    EXPECT_NE(answer.find(std::to_string(body.size())), std::string::npos) << answer;
  }
  {
    std::lock_guard<std::mutex> lock(seen_.mu);
    EXPECT_EQ(seen_.bytes, body);
  }
  // Chunked, with chunk extensions and a trailer, and Expect: 100-continue.
  const int fd = Connect(port_);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(SendAll(fd,
                      "PUT /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                      "Expect: 100-continue\r\n\r\n"));
  char buf[64];
  const ssize_t n = recv(fd, buf, sizeof(buf), 0);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)).rfind("HTTP/1.1 100", 0), 0u);
  std::string wire;
  for (size_t at = 0; at < body.size(); at += 65536) {
    const std::string piece = body.substr(at, 65536);
    char size[32];
    std::snprintf(size, sizeof(size), "%zx;ext=1\r\n", piece.size());
    wire += size + piece + "\r\n";
  }
  wire += "0\r\nX-Trailer: t\r\n\r\n";
  ASSERT_TRUE(SendAll(fd, wire));
  const std::string answer = JsonAnswer(fd);
  close(fd);
  EXPECT_EQ(answer.rfind("HTTP/1.1 201", 0), 0u) << answer;
  std::lock_guard<std::mutex> lock(seen_.mu);
  EXPECT_EQ(seen_.bytes, body);
  EXPECT_EQ(seen_.finished, 2);
  EXPECT_EQ(seen_.abandoned, 0);
}

TEST_F(StreamUploadTest, BuffersOtherRequestsUnderTheirOwnLimit) {
  const int fd = Connect(port_);
  ASSERT_GE(fd, 0);
  // The same size to a route that is not streamed: refused at its header, nothing streamed.
  ASSERT_TRUE(SendAll(fd, "PUT /other HTTP/1.1\r\nHost: x\r\nContent-Length: 2048\r\n\r\n"));
  const std::string answer = JsonAnswer(fd);
  close(fd);
  EXPECT_EQ(answer.rfind("HTTP/1.1 413", 0), 0u) << answer;
  EXPECT_NE(answer.find("api.body_too_large"), std::string::npos);
  std::lock_guard<std::mutex> lock(seen_.mu);
  EXPECT_EQ(seen_.begun, 0);
}

TEST_F(StreamUploadTest, FailedUploadsLeaveTheSinkAbandoned) {
  const std::string head = "PUT /upload HTTP/1.1\r\nHost: x\r\n";
  const std::string over = std::to_string(kStreamLimit + 1);
  const std::string big_chunk = "100001\r\n";  // one chunk over the 1 MiB limit
  const struct {
    std::string name;
    std::string wire;
    bool close_early;  // the client goes away instead of waiting for an answer
    std::string want;  // status line prefix ("" when no answer is expected)
    int begun;         // sinks this case opens at least (framing refused with the head opens none)
  } cases[] = {
      {"content-length over the limit", head + "Content-Length: " + over + "\r\n\r\n", false,
       "HTTP/1.1 413", 0},
      {"chunked past the limit", head + "Transfer-Encoding: chunked\r\n\r\n" + big_chunk, false,
       "HTTP/1.1 413", 0},
      {"malformed chunk", head + "Transfer-Encoding: chunked\r\n\r\n4\r\nabcdefg\r\n", false,
       "HTTP/1.1 400", 0},
      {"sink refuses mid-body", head + "Content-Length: 20\r\n\r\nxx refuse-me xxxxxxx", false,
       "HTTP/1.1 400", 1},
      {"refused head", head + "X-Refuse: 1\r\nContent-Length: 10\r\n\r\n", false, "HTTP/1.1 403",
       0},
      {"client gone mid-body", head + "Content-Length: 1000\r\n\r\n" + Body(300), true, "", 1},
      {"client stalls past the body deadline", head + "Content-Length: 1000\r\n\r\n" + Body(10),
       false, "", 1},
  };
  int begun = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const int fd = Connect(port_);
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(SendAll(fd, c.wire));
    if (c.close_early) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      close(fd);
    } else {
      const std::string answer = JsonAnswer(fd);
      close(fd);
      if (c.want.empty()) {
        EXPECT_EQ(answer, "");  // the deadline closes the connection without an answer
      } else {
        EXPECT_EQ(answer.rfind(c.want, 0), 0u) << answer;
      }
    }
    begun += c.begun;
    // Every sink opened is destroyed unfinished once the connection is done with.
    EXPECT_TRUE(WaitFor([&] { return seen_.begun >= begun && seen_.abandoned == seen_.begun; }))
        << "begun " << seen_.begun << " abandoned " << seen_.abandoned;
    begun = seen_.begun;
  }
  std::lock_guard<std::mutex> lock(seen_.mu);
  EXPECT_EQ(seen_.finished, 0);
}

}  // namespace
}  // namespace attest::service::server
