#include "service/events/testing/loopback_receiver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>

#include "tests/testing/loopback.h"

namespace attest::service::events::testing {
namespace {

constexpr size_t kMaxRequestBytes = 1 << 20;

// ReadRequest reads one HTTP/1.1 request with a Content-Length body; false on a malformed or
// oversized one, or when stopping.
bool ReadRequest(int fd, const std::atomic<bool>& stopping, ReceivedRequest& out) {
  std::string data;
  size_t header_end = std::string::npos;
  size_t want = 0;
  char buf[4096];
  for (;;) {
    if (header_end != std::string::npos && data.size() >= header_end + 4 + want) {
      out.body = data.substr(header_end + 4, want);
      return true;
    }
    pollfd p{fd, POLLIN, 0};
    const int ready = poll(&p, 1, 50);
    if (stopping.load()) {
      return false;
    }
    if (ready <= 0) {
      continue;
    }
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) {
      return false;
    }
    data.append(buf, static_cast<size_t>(n));
    if (data.size() > kMaxRequestBytes) {
      return false;
    }
    if (header_end == std::string::npos) {
      header_end = data.find("\r\n\r\n");
      if (header_end == std::string::npos) {
        continue;
      }
      const std::string head = data.substr(0, header_end);
      size_t line_end = head.find("\r\n");
      const std::string request_line = head.substr(0, line_end);
      const size_t sp1 = request_line.find(' ');
      const size_t sp2 = request_line.find(' ', sp1 + 1);
      if (sp1 == std::string::npos || sp2 == std::string::npos) {
        return false;
      }
      out.method = request_line.substr(0, sp1);
      out.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
      while (line_end != std::string::npos && line_end < head.size()) {
        const size_t next = head.find("\r\n", line_end + 2);
        const std::string line = head.substr(
            line_end + 2, next == std::string::npos ? std::string::npos : next - line_end - 2);
        const size_t colon = line.find(':');
        if (colon != std::string::npos) {
          std::string name = line.substr(0, colon);
          std::transform(name.begin(), name.end(), name.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
          std::string value = line.substr(colon + 1);
          value.erase(0, value.find_first_not_of(' '));
          out.headers[name] = value;
        }
        line_end = next;
      }
      const auto length = out.headers.find("content-length");
      want = length == out.headers.end() ? 0 : std::stoul(length->second);
      if (want > kMaxRequestBytes) {
        return false;
      }
    }
  }
}

}  // namespace

Result<std::unique_ptr<LoopbackReceiver>> LoopbackReceiver::Start() {
  std::unique_ptr<LoopbackReceiver> r(new LoopbackReceiver());
  uint16_t port = 0;
  Result<int> fd = attest::testing::ListenOnLoopback(&port);
  if (!fd.ok()) {
    return Status(reasons::kInternalError, "receiver: " + fd.status().message());
  }
  r->listen_fd_ = *fd;
  r->port_ = port;
  r->server_ = std::thread([raw = r.get()] { raw->Serve(); });
  return r;
}

LoopbackReceiver::~LoopbackReceiver() {
  stopping_ = true;
  if (server_.joinable()) {
    server_.join();
  }
  for (std::thread& t : handlers_) {
    t.join();
  }
  if (listen_fd_ >= 0) {
    close(listen_fd_);
  }
}

std::string LoopbackReceiver::Url(const std::string& path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void LoopbackReceiver::Script(std::vector<int> answers) {
  std::lock_guard<std::mutex> lock(mu_);
  script_.assign(answers.begin(), answers.end());
}

std::vector<ReceivedRequest> LoopbackReceiver::Requests() {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

bool LoopbackReceiver::WaitForRequests(size_t n, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
}

void LoopbackReceiver::Serve() {
  while (!stopping_.load()) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) {
      continue;
    }
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      continue;
    }
    handlers_.emplace_back([this, fd] { Handle(fd); });
  }
}

void LoopbackReceiver::Handle(int fd) {
  // One request per connection (answers say Connection: close).
  ReceivedRequest request;
  if (!ReadRequest(fd, stopping_, request)) {
    close(fd);
    return;
  }
  int answer = 200;
  {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(request);
    if (!script_.empty()) {
      answer = script_.front();
      script_.pop_front();
    }
  }
  cv_.notify_all();
  if (answer == kHang) {
    while (!stopping_.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  } else if (answer != kDrop) {
    const std::string response = "HTTP/1.1 " + std::to_string(answer) +
                                 " X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
    (void)!write(fd, response.data(), response.size());
  }
  close(fd);
}

}  // namespace attest::service::events::testing
