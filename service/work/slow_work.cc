#include "service/work/slow_work.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <exception>

namespace attest::service::work {

SlowWork::SlowWork(size_t threads, size_t max_queued) : max_queued_(max_queued) {
  assert(threads >= 1);
  threads_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) {
    threads_.emplace_back([this] { Work(); });
  }
}

SlowWork::~SlowWork() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : threads_) {
    t.join();
  }
}

Status SlowWork::Run(std::function<void()> job) {
  Job task{std::move(job), {}};
  std::future<void> done = task.done.get_future();
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Each admitted job holds one waiting request thread: running + queued is what is bounded.
    if (stopping_ || running_ + queue_.size() >= threads_.size() + max_queued_) {
      ++refused_;
      return Status(reasons::kWorkBusy,
                    stopping_ ? "attestd is stopping"
                              : "slow work pool full: " + std::to_string(running_) + " running, " +
                                    std::to_string(queue_.size()) + " queued");
    }
    queue_.push_back(std::move(task));
  }
  wake_.notify_one();
  done.get();  // rethrows the job's exception
  return Status::Ok();
}

void SlowWork::Work() {
  for (;;) {
    Job task;
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) {
        return;  // stopping, and nothing left that a caller waits for
      }
      task = std::move(queue_.front());
      queue_.pop_front();
      ++running_;
    }
    const auto start = std::chrono::steady_clock::now();
    std::exception_ptr thrown;
    try {
      task.fn();
    } catch (...) {
      thrown = std::current_exception();
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    {
      std::lock_guard<std::mutex> lock(mu_);
      --running_;
      mean_job_seconds_ = 0.8 * mean_job_seconds_ + 0.2 * seconds;
    }
    // Only now wake the caller: a Run right after this one's return must find the thread free.
    if (thrown) {
      task.done.set_exception(thrown);
    } else {
      task.done.set_value();
    }
  }
}

SlowWork::Stats SlowWork::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {threads_.size(), max_queued_, running_, queue_.size(), refused_};
}

int64_t SlowWork::RetryAfterSeconds() const {
  std::lock_guard<std::mutex> lock(mu_);
  const double ahead = static_cast<double>(running_ + queue_.size());
  const double seconds = ahead * mean_job_seconds_ / static_cast<double>(threads_.size());
  return std::clamp<int64_t>(static_cast<int64_t>(std::ceil(seconds)), 1, 60);
}

}  // namespace attest::service::work
