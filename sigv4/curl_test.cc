// A real client: Debian's curl signs with --aws-sigv4 against a loopback listener written here
// (raw sockets, no HTTP library); the raw bytes curl sent must pass our verifier, and fail it once
// one header or the body is altered.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "attest/core/time.h"
#include "sigv4/canonical.h"
#include "sigv4/request_file.h"
#include "sigv4/verifier.h"

extern char** environ;

namespace attest::sigv4 {
namespace {

constexpr char kKeyId[] = "AKIACURLTEST0001";
constexpr char kSecret[] = "curl-test-secret/with+special=chars";

// Listener is a one-shot HTTP/1.1 server on 127.0.0.1 with a kernel-assigned port.
class Listener {
 public:
  Listener() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        listen(fd_, 1) != 0) {
      ADD_FAILURE() << "cannot listen on 127.0.0.1";
      return;
    }
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~Listener() {
    if (fd_ >= 0) {
      close(fd_);
    }
  }
  int port() const { return port_; }

  // AcceptOne reads one request (head plus Content-Length body), answers 200 and returns the raw
  // bytes; "" on timeout.
  std::string AcceptOne(int timeout_ms) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) != 1) {
      return "";
    }
    const int conn = accept(fd_, nullptr, nullptr);
    if (conn < 0) {
      return "";
    }
    std::string data;
    char buf[4096];
    size_t want = std::string::npos;
    while (data.size() < (1u << 20)) {
      pollfd c{conn, POLLIN, 0};
      if (poll(&c, 1, timeout_ms) != 1) {
        break;
      }
      const ssize_t n = read(conn, buf, sizeof(buf));
      if (n <= 0) {
        break;
      }
      data.append(buf, static_cast<size_t>(n));
      const size_t head_end = data.find("\r\n\r\n");
      if (head_end != std::string::npos && want == std::string::npos) {
        want = head_end + 4 + ContentLength(data.substr(0, head_end));
      }
      if (want != std::string::npos && data.size() >= want) {
        break;
      }
    }
    const char kReply[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    (void)!write(conn, kReply, sizeof(kReply) - 1);
    close(conn);
    return data;
  }

 private:
  static size_t ContentLength(const std::string& head) {
    const std::string lower = ToLower(head);
    const size_t at = lower.find("\r\ncontent-length:");
    if (at == std::string::npos) {
      return 0;
    }
    return std::stoul(head.substr(at + 17));
  }
  int fd_ = -1;
  int port_ = 0;
};

// RunCurl starts curl with args and returns its pid.
pid_t RunCurl(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>("curl"));
  for (const std::string& a : args) {
    argv.push_back(const_cast<char*>(a.c_str()));
  }
  argv.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawnp(&pid, "curl", nullptr, nullptr, argv.data(), environ) != 0) {
    return -1;
  }
  return pid;
}

// CurlRequest has curl send one signed request and returns what arrived, parsed.
HttpRequest CurlRequest(const std::vector<std::string>& extra, const std::string& path) {
  Listener listener;
  std::vector<std::string> args = {"-sS",
                                   "-o",
                                   "/dev/null",
                                   "--max-time",
                                   "10",
                                   "--aws-sigv4",
                                   "aws:amz:us-east-1:service",
                                   "--user",
                                   std::string(kKeyId) + ":" + kSecret};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back("http://127.0.0.1:" + std::to_string(listener.port()) + path);
  const pid_t pid = RunCurl(args);
  EXPECT_GT(pid, 0) << "curl not found (scripts/packages-test.txt installs it)";
  const std::string raw = pid > 0 ? listener.AcceptOne(10000) : "";
  int status = 0;
  if (pid > 0) {
    waitpid(pid, &status, 0);
  }
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "curl failed";
  EXPECT_FALSE(raw.empty()) << "curl sent nothing";
  auto req = ParseRequestFile(raw);
  EXPECT_TRUE(req.ok()) << req.status().ToString() << "\n" << raw;
  return req.ok() ? *req : HttpRequest{};
}

CredentialLookup Lookup() {
  return [](std::string_view id) -> std::optional<StoredCredential> {
    if (id != kKeyId) {
      return std::nullopt;
    }
    return StoredCredential{kSecret, std::nullopt, "curl"};
  };
}

const VerifierConfig kConfig{"us-east-1", "service"};

TEST(CurlSigv4, GetIsAccepted) {
  // Debian's curl 7.88 puts the query into its canonical request without sorting it (curl issue
  // #9717, fixed upstream later), so the parameters are written already in canonical order here.
  const HttpRequest req = CurlRequest({}, "/v1/policies?after=a%20b&limit=10");
  ASSERT_FALSE(req.method.empty());
  EXPECT_EQ(req.method, "GET");
  auto ok = VerifyRequest(req, kConfig, Lookup(), WallClockNow());
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->principal, "curl");

  HttpRequest altered = req;
  altered.query = "after=a%20b&limit=11";
  EXPECT_EQ(VerifyRequest(altered, kConfig, Lookup(), WallClockNow()).status().reason_id(),
            "sigv4.signature_does_not_match");
}

TEST(CurlSigv4, PostWithBodyIsAcceptedAndAlterationsRefused) {
  const HttpRequest req =
      CurlRequest({"-X", "POST", "-H", "Content-Type: application/json", "--data-binary",
                   R"({"name":"prod","document":{"measurement":"00ff"}})"},
                  "/v1/policies/prod");
  ASSERT_FALSE(req.method.empty());
  EXPECT_EQ(req.method, "POST");
  auto ok = VerifyRequest(req, kConfig, Lookup(), WallClockNow());
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_TRUE(ok->payload_signed);

  // One signed header altered.
  HttpRequest header = req;
  bool changed = false;
  for (HttpHeader& h : header.headers) {
    if (ToLower(h.name) == "content-type") {
      h.value = "text/plain";
      changed = true;
    }
  }
  ASSERT_TRUE(changed);
  EXPECT_EQ(VerifyRequest(header, kConfig, Lookup(), WallClockNow()).status().reason_id(),
            "sigv4.signature_does_not_match");

  // The body altered: caught by the payload hash curl signed (in x-amz-content-sha256 when curl
  // sends one, else in the canonical request's last line).
  HttpRequest body = req;
  body.body.back() ^= 1;
  bool declared = false;
  for (const HttpHeader& h : req.headers) {
    declared |= ToLower(h.name) == "x-amz-content-sha256";
  }
  EXPECT_EQ(VerifyRequest(body, kConfig, Lookup(), WallClockNow()).status().reason_id(),
            declared ? "sigv4.content_sha256_mismatch" : "sigv4.signature_does_not_match");

  // Another key's secret, and a clock ten minutes ahead.
  const CredentialLookup other = [](std::string_view) -> std::optional<StoredCredential> {
    return StoredCredential{"another-secret", std::nullopt, "x"};
  };
  EXPECT_EQ(VerifyRequest(req, kConfig, other, WallClockNow()).status().reason_id(),
            "sigv4.signature_does_not_match");
  EXPECT_EQ(VerifyRequest(req, kConfig, Lookup(), WallClockNow() + std::chrono::minutes(10))
                .status()
                .reason_id(),
            "sigv4.request_time_too_skewed");
}

}  // namespace
}  // namespace attest::sigv4
