// LoopbackReceiver: a webhook receiver for tests, listening on 127.0.0.1 (a port the kernel
// picks). It records every request and answers from a script: a status code, a hang (the
// connection is held open without an answer until the receiver stops: a receiver that never
// answers), or a drop (the connection is closed unanswered). Past the script it answers 200.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "attest/core/status.h"

namespace attest::service::events::testing {

struct ReceivedRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
};

class LoopbackReceiver {
 public:
  static constexpr int kHang = -1;
  static constexpr int kDrop = -2;

  // Start listens on 127.0.0.1:0 and serves on a thread.
  static Result<std::unique_ptr<LoopbackReceiver>> Start();
  ~LoopbackReceiver();

  int port() const { return port_; }
  std::string Url(const std::string& path = "/hook") const;
  // Script queues the answers to the next requests (status codes, kHang, kDrop).
  void Script(std::vector<int> answers);
  // Requests returns a copy of every request received so far (hung and dropped ones too).
  std::vector<ReceivedRequest> Requests();
  // WaitForRequests waits until at least n requests arrived; false on timeout.
  bool WaitForRequests(size_t n, std::chrono::milliseconds timeout);

 private:
  LoopbackReceiver() = default;
  void Serve();
  void Handle(int fd);

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<int> script_;
  std::vector<ReceivedRequest> requests_;
  std::vector<std::thread> handlers_;
  std::thread server_;
};

}  // namespace attest::service::events::testing
