// SlowWork: a small, bounded pool of threads for jobs that take seconds (cryptsetup luksFormat,
// libvirt calls), so that they cannot occupy every request thread.
//
// A request thread hands its job over and waits for it (handlers are synchronous), so at most
// threads + max_queued request threads ever wait on slow work; attestd's configuration keeps
// that below server_threads, and every other route always finds a free thread. When all threads
// are busy and the queue is full, Run refuses at once with work.busy instead of waiting.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "attest/core/status.h"
#include "service/work/reasons.h"

namespace attest::service::work {

class SlowWork {
 public:
  // SlowWork starts threads (>= 1) workers; max_queued jobs may wait for one.
  SlowWork(size_t threads, size_t max_queued);
  // ~SlowWork refuses new jobs, finishes the queued ones (their callers are waiting) and joins.
  ~SlowWork();
  SlowWork(const SlowWork&) = delete;
  SlowWork& operator=(const SlowWork&) = delete;

  // Run runs job on a worker and returns once it has finished; an exception it throws is
  // rethrown here. Fails with work.busy, without running job, when every worker is busy and
  // the queue is full, or when the pool is stopping.
  Status Run(std::function<void()> job);

  // Call is Run for a job with a result: the job's own Result, or work.busy.
  template <typename T>
  Result<T> Call(const std::function<Result<T>()>& job) {
    std::optional<Result<T>> out;
    ATTEST_RETURN_IF_ERROR(Run([&] { out.emplace(job()); }));
    return std::move(*out);
  }

  struct Stats {
    size_t threads = 0;
    size_t max_queued = 0;
    size_t running = 0;
    size_t queued = 0;
    uint64_t refused = 0;  // Run calls answered work.busy since start
  };
  Stats stats() const;

  // RetryAfterSeconds estimates when a refused caller may find room: the jobs ahead of it times
  // the recent mean job duration, over the threads; 1..60 seconds.
  int64_t RetryAfterSeconds() const;

 private:
  struct Job {
    std::function<void()> fn;
    std::promise<void> done;
  };
  void Work();

  const size_t max_queued_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Job> queue_;
  size_t running_ = 0;
  uint64_t refused_ = 0;
  bool stopping_ = false;
  double mean_job_seconds_ = 1.0;  // moving average; a first guess until a job has run
  std::vector<std::thread> threads_;
};

}  // namespace attest::service::work
