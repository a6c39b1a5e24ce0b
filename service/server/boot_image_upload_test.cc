// Boot image uploads through the real server and the real API over loopback sockets (plain HTTP:
// the streaming path is under test, TLS is tls_server_test's): attestctl's client streaming a
// file, a chunked upload, and a client that goes away mid-body, which must leave no file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "client/api_client.h"
#include "service/api/testing/boot_images.h"
#include "service/api/testing/boot_upload.h"
#include "service/server/https_server.h"
#include "service/server/testing/loopback.h"

namespace attest::service::server {
namespace {

using testing::Connect;
using testing::JsonAnswer;
using testing::SendAll;

namespace fs = std::filesystem;
using api::testing::ApiHarness;

// HeadWire is the signed head as the wire carries it, with framing replaced by `framing`.
std::string HeadWire(const HttpRequest& head, const std::string& framing) {
  std::string wire = head.method + " " + head.path + " HTTP/1.1\r\n";
  for (const HttpHeader& h : head.headers) {
    if (h.name != "Content-Length") {
      wire += h.name + ": " + h.value + "\r\n";
    }
  }
  return wire + framing + "\r\n";
}

class BootImageUploadServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h_.set_now(WallClockNow());  // the client signs with the wall clock
    a_ = h_.CreateTenant("a");
    for (int p = 43000 + static_cast<int>(getpid() % 15000); p < 65000 && !server_; p += 17) {
      ServerConfig config;
      config.port = p;
      config.tls = false;
      config.threads = 2;
      config.timeouts.body = std::chrono::milliseconds(500);
      auto server = HttpsServer::Start(
          config, [this](const HttpRequest& r) { return h_.api().Handle(r); }, h_.api().Streams());
      if (server.ok()) {
        server_ = std::move(server).value();
        port_ = p;
      }
    }
    ASSERT_NE(server_, nullptr);
  }

  size_t Files() {
    size_t n = 0;
    for ([[maybe_unused]] const auto& e :
         fs::directory_iterator(h_.api().service().config.volume_dir)) {
      ++n;
    }
    return n;
  }

  ApiHarness h_;
  sigv4::Credentials a_;
  std::unique_ptr<HttpsServer> server_;
  int port_ = 0;
};

TEST_F(BootImageUploadServerTest, ClientStreamsFilesAndCommits) {
  const Bytes kernel = api::testing::KernelOf(api::testing::BzImageHeader(), 5u << 20);
  const fs::path file = h_.dir() / "vmlinuz";
  std::ofstream(file, std::ios::binary)
      .write(reinterpret_cast<const char*>(kernel.data()),
             static_cast<std::streamsize>(kernel.size()));
  client::ClientConfig config;
  config.endpoint = "http://127.0.0.1:" + std::to_string(port_);
  config.credentials = a_;
  auto api = client::ApiClient::Create(config);
  ASSERT_TRUE(api.ok()) << api.status().ToString();
  auto up = (*api)->SendFile("PUT", "/v1/boot-images/deb/kernel", file.string());
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  ASSERT_EQ(up->status, 201) << up->body;
  EXPECT_EQ(up->json["sha256"], sigv4::HexSha256(kernel));
  EXPECT_EQ(up->json["size_bytes"], kernel.size());
  auto commit = (*api)->Send(
      "PUT", "/v1/boot-images/deb",
      nlohmann::json{{"kernel_sha256", up->json["sha256"]}, {"cmdline", "console=ttyS0"}}.dump());
  ASSERT_TRUE(commit.ok());
  EXPECT_EQ(commit->status, 201) << commit->body;
  EXPECT_EQ(Files(), 1u);
  // A missing file is the client's error, nothing is sent.
  auto missing = (*api)->SendFile("PUT", "/v1/boot-images/x/kernel", (h_.dir() / "no").string());
  EXPECT_EQ(missing.status().reason_id(), "client.config_invalid");
}

TEST_F(BootImageUploadServerTest, ChunkedUploadsAndClientsGoneMidBody) {
  const Bytes kernel = api::testing::KernelOf(api::testing::PeHeader(), size_t{300} * 1024);
  const std::string body(kernel.begin(), kernel.end());
  {
    // Chunked: the signed head, then the body in chunks of 40000 bytes.
    const HttpRequest head = api::testing::StreamHead(h_, "/v1/boot-images/deb/kernel", kernel, a_,
                                                      {.content_length = false}, 1);
    std::string wire = HeadWire(head, "Transfer-Encoding: chunked\r\n");
    for (size_t at = 0; at < body.size(); at += 40000) {
      const std::string piece = body.substr(at, 40000);
      char size[16];
      std::snprintf(size, sizeof(size), "%zx\r\n", piece.size());
      wire += size + piece + "\r\n";
    }
    wire += "0\r\n\r\n";
    const int fd = Connect(port_);
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(SendAll(fd, wire));
    const std::string answer = JsonAnswer(fd);
    close(fd);
    EXPECT_EQ(answer.rfind("HTTP/1.1 201", 0), 0u) << answer;
    EXPECT_NE(answer.find(sigv4::HexSha256(kernel)), std::string::npos);
  }
  EXPECT_EQ(Files(), 1u);
  // Gone mid-body (Content-Length, then chunked), and stalled past the body deadline: the
  // temporary file is removed and the staged kernel stays the first one.
  int serial = 1;  // each request signed anew: a replayed signature is refused
  for (const std::string& framing : {"Content-Length: " + std::to_string(body.size()) + "\r\n",
                                     std::string("Transfer-Encoding: chunked\r\n")}) {
    for (bool stall : {false, true}) {
      SCOPED_TRACE(framing + (stall ? " stalled" : " gone"));
      const HttpRequest head = api::testing::StreamHead(h_, "/v1/boot-images/deb/initrd", kernel,
                                                        a_, {.content_length = false}, ++serial);
      const bool chunked = framing.rfind("Transfer", 0) == 0;
      const int fd = Connect(port_);
      ASSERT_GE(fd, 0);
      ASSERT_TRUE(SendAll(
          fd, HeadWire(head, framing) + (chunked ? "20000\r\n" : "") + body.substr(0, 100000)));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      EXPECT_EQ(Files(), 2u);  // the upload's temporary file, while it lasts
      if (stall) {
        EXPECT_EQ(JsonAnswer(fd), "");  // the deadline closes the connection
      }
      close(fd);
      bool cleaned = false;
      for (int i = 0; i < 200 && !cleaned; ++i) {
        cleaned = Files() == 1;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      EXPECT_TRUE(cleaned);
      auto db = h_.pool().Acquire();
      const std::string tenant = (*db)->LookupCredential(a_.access_key_id)->tenant_id;
      EXPECT_EQ((*db)->GetBootImageParts(tenant, "deb")->size(), 1u);
    }
  }
}

}  // namespace
}  // namespace attest::service::server
