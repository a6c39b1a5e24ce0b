#include "service/work/slow_work.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>

namespace attest::service::work {
namespace {

// Gate: jobs wait on it until the test opens it.
class Gate {
 public:
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return open_; });
  }
  void Open() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

// WaitUntil polls the pool until want holds (no timing assertion: the test's own timeout
// catches a pool that never gets there).
void WaitUntil(const SlowWork& pool, size_t running, size_t queued) {
  for (;;) {
    const SlowWork::Stats s = pool.stats();
    if (s.running == running && s.queued == queued) {
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

TEST(SlowWorkTest, RunsJobsAndReturnsTheirResults) {
  SlowWork pool(2, 2);
  Result<int> ok = pool.Call<int>([] { return Result<int>(42); });
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 42);
  Result<int> failed =
      pool.Call<int>([] { return Result<int>(Status(reasons::kWorkBusy, "the job's own")); });
  EXPECT_EQ(failed.status().message(), "the job's own");
  EXPECT_EQ(pool.stats().refused, 0u);
  const int64_t retry = pool.RetryAfterSeconds();
  EXPECT_GE(retry, 1);
  EXPECT_LE(retry, 60);
}

TEST(SlowWorkTest, RethrowsTheJobsExceptionToItsCaller) {
  SlowWork pool(1, 0);
  EXPECT_THROW(static_cast<void>(pool.Run([] { throw std::runtime_error("boom"); })),
               std::runtime_error);
  EXPECT_TRUE(pool.Run([] {}).ok());  // the worker survived
}

// A full pool refuses at once, runs nothing, and admits again once a job is done.
TEST(SlowWorkTest, FullPoolRefusesWithoutRunning) {
  struct Case {
    std::string name;
    size_t threads, max_queued;
  };
  const Case cases[] = {{"one thread, no queue", 1, 0},
                        {"one thread, one queued", 1, 1},
                        {"two threads, two queued", 2, 2}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    SlowWork pool(c.threads, c.max_queued);
    Gate gate;
    std::atomic<int> ran{0};
    std::vector<std::thread> callers;
    for (size_t i = 0; i < c.threads + c.max_queued; ++i) {
      callers.emplace_back([&] {
        EXPECT_TRUE(pool.Run([&] {
                          gate.Wait();
                          ++ran;
                        })
                        .ok());
      });
    }
    WaitUntil(pool, c.threads, c.max_queued);
    bool extra_ran = false;
    const Status refused = pool.Run([&] { extra_ran = true; });
    EXPECT_EQ(refused.reason_id(), "work.busy");
    EXPECT_FALSE(extra_ran);
    EXPECT_EQ(pool.stats().refused, 1u);
    EXPECT_GE(pool.RetryAfterSeconds(), 1);
    gate.Open();
    for (std::thread& t : callers) {
      t.join();
    }
    EXPECT_EQ(ran, static_cast<int>(c.threads + c.max_queued));
    EXPECT_TRUE(pool.Run([&] { extra_ran = true; }).ok());
    EXPECT_TRUE(extra_ran);
  }
}

TEST(SlowWorkTest, StoppingFinishesQueuedJobs) {
  std::atomic<int> ran{0};
  Gate gate;
  std::vector<std::thread> callers;
  {
    SlowWork pool(1, 2);
    for (int i = 0; i < 3; ++i) {
      callers.emplace_back([&] {
        EXPECT_TRUE(pool.Run([&] {
                          gate.Wait();
                          ++ran;
                        })
                        .ok());
      });
    }
    WaitUntil(pool, 1, 2);
    gate.Open();
  }  // the destructor waits for all three
  EXPECT_EQ(ran, 3);
  for (std::thread& t : callers) {
    t.join();
  }
}

}  // namespace
}  // namespace attest::service::work
