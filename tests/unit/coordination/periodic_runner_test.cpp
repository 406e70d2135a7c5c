#include "coordination/periodic_runner.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/detached.hpp>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/async.hpp"
#include "coordination/lock_service.hpp"
#include "fakes/fake_clock.hpp"

namespace mr::coordination {
namespace {

using std::chrono::milliseconds;

// Random that returns the given hex strings in turn (the last one forever) and counts calls.
class ScriptedRandom final : public Random {
 public:
  explicit ScriptedRandom(std::vector<std::string> hex = {"00000000"}) : hex_(std::move(hex)) {}
  std::string SecureHex(size_t n) override {
    EXPECT_EQ(n, 8u);
    ++calls_;
    std::string out = hex_[std::min(next_, hex_.size() - 1)];
    ++next_;
    return out;
  }
  std::string SecureString(size_t, const std::string&) override { return ""; }
  int calls() const { return calls_; }

 private:
  std::vector<std::string> hex_;
  size_t next_ = 0;
  int calls_ = 0;
};

// A runner driven by a FakeClock: time moves only in Advance(), and coroutines run only in Poll().
class PeriodicRunnerTest : public ::testing::Test {
 protected:
  void Poll() {
    ioc_.restart();
    ioc_.poll();
  }
  void Advance(milliseconds d) {
    clock_.Advance(d);
    Poll();
  }
  // Advances in 1 ms steps, polling after each, so runs that sleep on the clock make progress
  // with ms precision.
  void AdvanceFinely(milliseconds d) {
    for (int64_t i = 0; i < d.count(); ++i) {
      Advance(milliseconds(1));
    }
  }
  // Starts `task` on the io_context; the result lands in the returned optional.
  std::shared_ptr<std::optional<Status>> Spawn(Task<Status> task) {
    auto out = std::make_shared<std::optional<Status>>();
    asio::co_spawn(ioc_, std::move(task), [out](std::exception_ptr e, Status st) {
      EXPECT_FALSE(e);
      *out = std::move(st);
    });
    return out;
  }

  asio::io_context ioc_;
  fakes::FakeClock clock_;
  ScriptedRandom random_;
  std::unique_ptr<PeriodicRunner> runner_ =
      std::make_unique<PeriodicRunner>(ioc_.get_executor(), clock_, random_);
};

PeriodicTaskOptions Options(std::string name, milliseconds interval) {
  PeriodicTaskOptions o;
  o.name = std::move(name);
  o.interval = interval;
  return o;
}

PeriodicFn Counting(int* runs, Status status = Status::Ok()) {
  return [runs, status]() -> Task<Status> {
    ++*runs;
    co_return status;
  };
}

TEST_F(PeriodicRunnerTest, RunsAtStartThenEveryInterval) {
  int runs = 0;
  runner_->Add(Options("t", milliseconds(1000)), Counting(&runs));
  runner_->Start();
  Poll();
  EXPECT_EQ(runs, 1);
  Advance(milliseconds(999));
  EXPECT_EQ(runs, 1);
  Advance(milliseconds(1));
  EXPECT_EQ(runs, 2);
  for (int i = 0; i < 5; ++i) {
    Advance(milliseconds(1000));
  }
  EXPECT_EQ(runs, 7);
  EXPECT_EQ(runner_->RunCount("t"), 7u);
  EXPECT_EQ(random_.calls(), 0);  // No jitter, no randomness.
}

TEST_F(PeriodicRunnerTest, RunAtStartFalseWaitsOneInterval) {
  int runs = 0;
  auto o = Options("t", milliseconds(1000));
  o.run_at_start = false;
  runner_->Add(o, Counting(&runs));
  runner_->Start();
  Poll();
  EXPECT_EQ(runs, 0);
  Advance(milliseconds(999));
  EXPECT_EQ(runs, 0);
  Advance(milliseconds(1));
  EXPECT_EQ(runs, 1);
}

TEST_F(PeriodicRunnerTest, JitterIsAddedWithinBounds) {
  struct Case {
    const char* hex;
    int64_t extra_ms;  // With jitter = 500 ms: value % 501.
  };
  const Case cases[] = {
      {"00000000", 0},
      {"000000fa", 250},
      {"000001f4", 500},
      {"000001f5", 0},
      {"ffffffff", 4294967295 % 501},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.hex);
    asio::io_context ioc;
    fakes::FakeClock clock;
    ScriptedRandom random({c.hex});
    PeriodicRunner runner(ioc.get_executor(), clock, random);
    int runs = 0;
    auto o = Options("t", milliseconds(1000));
    o.jitter = milliseconds(500);
    runner.Add(o, Counting(&runs));
    runner.Start();
    auto step = [&](milliseconds d) {
      clock.Advance(d);
      ioc.restart();
      ioc.poll();
    };
    step(milliseconds(0));
    ASSERT_EQ(runs, 1);
    EXPECT_LE(c.extra_ms, 500);
    step(milliseconds(1000 + c.extra_ms - 1));
    EXPECT_EQ(runs, 1);
    step(milliseconds(1));
    EXPECT_EQ(runs, 2);
    EXPECT_EQ(random.calls(), 2);  // One draw per scheduled delay.
  }
}

TEST_F(PeriodicRunnerTest, FailedRunRetriesAfterRetryPeriod) {
  struct Case {
    const char* name;
    milliseconds retry_period;
    milliseconds expected_retry;
  };
  const Case cases[] = {
      {"retry period set", milliseconds(1000), milliseconds(1000)},
      {"zero means interval", milliseconds(0), milliseconds(10000)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    asio::io_context ioc;
    fakes::FakeClock clock;
    ScriptedRandom random;
    PeriodicRunner runner(ioc.get_executor(), clock, random);
    std::vector<Status> results = {UnavailableError("down"), Status::Ok(), Status::Ok()};
    size_t runs = 0;
    auto o = Options("t", milliseconds(10000));
    o.retry_period = c.retry_period;
    runner.Add(o,
               [&]() -> Task<Status> { co_return results[std::min(runs++, results.size() - 1)]; });
    runner.Start();
    auto step = [&](milliseconds d) {
      clock.Advance(d);
      ioc.restart();
      ioc.poll();
    };
    step(milliseconds(0));
    ASSERT_EQ(runs, 1u);  // Failed.
    step(c.expected_retry - milliseconds(1));
    EXPECT_EQ(runs, 1u);
    step(milliseconds(1));
    EXPECT_EQ(runs, 2u);  // Succeeded: back to the interval.
    step(milliseconds(9999));
    EXPECT_EQ(runs, 2u);
    step(milliseconds(1));
    EXPECT_EQ(runs, 3u);
    EXPECT_EQ(runner.RunCount("t"), 3u);  // Failed runs count as completed.
  }
}

TEST_F(PeriodicRunnerTest, ThrowingTaskStaysScheduled) {
  int runs = 0;
  auto o = Options("t", milliseconds(1000));
  o.retry_period = milliseconds(100);
  runner_->Add(o, [&runs]() -> Task<Status> {
    ++runs;
    throw std::runtime_error("task bug");
    co_return Status::Ok();
  });
  runner_->Start();
  Poll();
  EXPECT_EQ(runs, 1);
  Advance(milliseconds(100));
  EXPECT_EQ(runs, 2);
  Advance(milliseconds(100));
  EXPECT_EQ(runs, 3);
  EXPECT_EQ(runner_->RunCount("t"), 3u);

  auto now = Spawn(runner_->RunNow("t"));
  Poll();
  ASSERT_TRUE(now->has_value());
  EXPECT_EQ((*now)->code(), StatusCode::kInternal);
}

TEST_F(PeriodicRunnerTest, RunNowRunsOutsideTheScheduleAndReportsStatus) {
  int ok_runs = 0;
  int bad_runs = 0;
  runner_->Add(Options("ok", milliseconds(1000)), Counting(&ok_runs));
  runner_->Add(Options("bad", milliseconds(1000)), Counting(&bad_runs, ConflictError("nope")));

  struct Case {
    std::string name;
    StatusCode code;
  };
  const Case cases[] = {
      {"ok", StatusCode::kOk},
      {"bad", StatusCode::kConflict},
      {"unknown", StatusCode::kNotFound},
  };
  // Before Start(): RunNow still works and nothing else runs.
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto out = Spawn(runner_->RunNow(c.name));
    Poll();
    ASSERT_TRUE(out->has_value());
    EXPECT_EQ((*out)->code(), c.code);
  }
  EXPECT_EQ(ok_runs, 1);
  EXPECT_EQ(bad_runs, 1);
  EXPECT_EQ(runner_->RunCount("ok"), 1u);
  EXPECT_EQ(runner_->RunCount("unknown"), 0u);

  // RunNow does not move the schedule.
  runner_->Start();
  Poll();
  EXPECT_EQ(ok_runs, 2);
  Advance(milliseconds(500));
  Spawn(runner_->RunNow("ok"));
  Poll();
  EXPECT_EQ(ok_runs, 3);
  Advance(milliseconds(500));
  EXPECT_EQ(ok_runs, 4);
}

// A task that sleeps on the FakeClock, so runs last long enough to collide.
struct SlowTask {
  fakes::FakeClock* clock;
  milliseconds duration;
  int in_progress = 0;
  int max_in_progress = 0;
  int starts = 0;

  PeriodicFn Fn() {
    return [this]() -> Task<Status> {
      ++starts;
      max_in_progress = std::max(max_in_progress, ++in_progress);
      co_await SleepFor(*clock, duration);
      --in_progress;
      co_return Status::Ok();
    };
  }
};

TEST_F(PeriodicRunnerTest, RunsNeverOverlapAndRunNowWaitsForTheRunningOne) {
  SlowTask slow{&clock_, milliseconds(50)};
  runner_->Add(Options("slow", milliseconds(20)), slow.Fn());
  runner_->Start();
  Poll();
  EXPECT_EQ(slow.starts, 1);

  // Two RunNow calls while the scheduled run sleeps: they queue behind it, in order.
  auto first = Spawn(runner_->RunNow("slow"));
  auto second = Spawn(runner_->RunNow("slow"));
  Poll();
  EXPECT_EQ(slow.starts, 1);
  EXPECT_FALSE(first->has_value());

  AdvanceFinely(milliseconds(50));  // Scheduled run ends; the first RunNow starts.
  EXPECT_EQ(slow.starts, 2);
  EXPECT_FALSE(first->has_value());
  AdvanceFinely(milliseconds(50));  // First RunNow ends; the second starts.
  ASSERT_TRUE(first->has_value());
  EXPECT_TRUE((*first)->ok());
  EXPECT_FALSE(second->has_value());
  EXPECT_EQ(slow.starts, 3);
  // The scheduled timer (20 ms after the first run) came due meanwhile and waits its turn too.
  AdvanceFinely(milliseconds(50));
  ASSERT_TRUE(second->has_value());
  EXPECT_EQ(slow.starts, 4);
  AdvanceFinely(milliseconds(300));
  EXPECT_EQ(slow.max_in_progress, 1);
  EXPECT_GE(slow.starts, 6);

  // Drain: a run left sleeping on a OneShot that is never set would leak its coroutine frames
  // (the OneShot owns the waiting handler, which owns the frame that owns the OneShot).
  bool stopped = false;
  auto stop = [&]() -> Task<void> {
    co_await runner_->Stop();
    stopped = true;
  };
  asio::co_spawn(ioc_, stop(), asio::detached);
  AdvanceFinely(milliseconds(50));
  EXPECT_TRUE(stopped);
}

TEST_F(PeriodicRunnerTest, StopCancelsTimersAndWaitsForTheRunningTask) {
  SlowTask slow{&clock_, milliseconds(100)};
  int other_runs = 0;
  runner_->Add(Options("slow", milliseconds(1000)), slow.Fn());
  runner_->Add(Options("other", milliseconds(1000)), Counting(&other_runs));
  runner_->Start();
  Poll();
  ASSERT_EQ(slow.in_progress, 1);
  EXPECT_EQ(other_runs, 1);
  EXPECT_EQ(clock_.PendingTimers(), 2u);  // "other"'s next run and the slow task's sleep.

  bool stopped = false;
  auto stop = [&]() -> Task<void> {
    co_await runner_->Stop();
    stopped = true;
  };
  asio::co_spawn(ioc_, stop(), asio::detached);
  Poll();
  EXPECT_FALSE(stopped);
  EXPECT_EQ(clock_.PendingTimers(), 1u);  // Only the sleep is left.

  Advance(milliseconds(100));
  EXPECT_TRUE(stopped);
  EXPECT_EQ(slow.in_progress, 0);
  EXPECT_EQ(runner_->RunCount("slow"), 1u);
  EXPECT_EQ(clock_.PendingTimers(), 0u);

  Advance(milliseconds(5000));
  EXPECT_EQ(slow.starts, 1);
  EXPECT_EQ(other_runs, 1);

  auto now = Spawn(runner_->RunNow("other"));
  Poll();
  ASSERT_TRUE(now->has_value());
  EXPECT_EQ((*now)->code(), StatusCode::kUnavailable);
  EXPECT_EQ(other_runs, 1);
}

TEST_F(PeriodicRunnerTest, StopDropsRunsQueuedBehindTheRunningOne) {
  SlowTask slow{&clock_, milliseconds(100)};
  runner_->Add(Options("slow", milliseconds(1000)), slow.Fn());
  runner_->Start();
  Poll();
  auto queued = Spawn(runner_->RunNow("slow"));
  Poll();
  bool stopped = false;
  auto stop = [&]() -> Task<void> {
    co_await runner_->Stop();
    stopped = true;
  };
  asio::co_spawn(ioc_, stop(), asio::detached);
  Poll();
  Advance(milliseconds(100));
  EXPECT_TRUE(stopped);
  ASSERT_TRUE(queued->has_value());
  EXPECT_EQ((*queued)->code(), StatusCode::kUnavailable);
  EXPECT_EQ(slow.starts, 1);
}

TEST_F(PeriodicRunnerTest, StopWithNothingRunningReturnsAtOnce) {
  int runs = 0;
  auto o = Options("t", milliseconds(1000));
  o.run_at_start = false;
  runner_->Add(o, Counting(&runs));
  runner_->Start();
  RunTask(ioc_, runner_->Stop());
  EXPECT_EQ(clock_.PendingTimers(), 0u);
  Advance(milliseconds(2000));
  EXPECT_EQ(runs, 0);
}

TEST_F(PeriodicRunnerTest, DestroyingTheRunnerCancelsItsTimers) {
  int runs = 0;
  runner_->Add(Options("t", milliseconds(1000)), Counting(&runs));
  runner_->Start();
  Poll();
  runner_.reset();
  EXPECT_EQ(clock_.PendingTimers(), 0u);
  Advance(milliseconds(2000));
  EXPECT_EQ(runs, 1);
}

// Two instances of a fleet share one lock service: each interval exactly one of them runs.
TEST_F(PeriodicRunnerTest, OncePerFleetRunsOnceAcrossInstancesEachInterval) {
  InProcessLockService locks(clock_);
  ScriptedRandom random_b;
  PeriodicRunner runner_b(ioc_.get_executor(), clock_, random_b);
  std::vector<std::string> ran_on;
  auto task = [&ran_on](std::string instance) -> PeriodicFn {
    return [&ran_on, instance]() -> Task<Status> {
      ran_on.push_back(instance);
      co_return Status::Ok();
    };
  };
  const milliseconds interval(10000);
  runner_->Add(Options("reaper", interval),
               OncePerFleet(locks, "reaper", "instance-a", interval - milliseconds(1000),
                            task("instance-a")));
  runner_b.Add(Options("reaper", interval),
               OncePerFleet(locks, "reaper", "instance-b", interval - milliseconds(1000),
                            task("instance-b")));
  runner_->Start();
  runner_b.Start();
  Poll();
  ASSERT_EQ(ran_on.size(), 1u);
  for (int i = 1; i <= 5; ++i) {
    Advance(interval);
    EXPECT_EQ(ran_on.size(), static_cast<size_t>(i + 1)) << "interval " << i;
  }
  // Both instances ran their wrapper every interval; one of them skipped.
  EXPECT_EQ(runner_->RunCount("reaper"), 6u);
  EXPECT_EQ(runner_b.RunCount("reaper"), 6u);
  auto lock = RunTask(ioc_, locks.Get("mr:task:reaper"));
  ASSERT_TRUE(lock.ok());
  ASSERT_TRUE(lock->has_value());
  EXPECT_EQ((*lock)->owner, ran_on.back());
  RunTask(ioc_, runner_b.Stop());
  RunTask(ioc_, runner_->Stop());
}

// LockService that fails every call.
class DownLockService final : public LockService {
 public:
  Task<Result<bool>> Acquire(std::string, std::string, milliseconds) override {
    co_return UnavailableError("redis down");
  }
  Task<Result<bool>> Renew(std::string, std::string, milliseconds) override {
    co_return UnavailableError("redis down");
  }
  Task<Result<bool>> Release(std::string, std::string) override {
    co_return UnavailableError("redis down");
  }
  Task<Result<std::optional<LockInfo>>> Get(std::string) override {
    co_return UnavailableError("redis down");
  }
  Task<Result<std::vector<LockInfo>>> List(std::string) override {
    co_return UnavailableError("redis down");
  }
};

TEST(OncePerFleetTest, SkipsWhenHeldAndReportsLockServiceErrors) {
  struct Case {
    const char* name;
    const char* other_owner;  // Takes the lock first; nullptr = nobody.
    bool lock_service_down;
    StatusCode code;
    bool ran;
  };
  const Case cases[] = {
      {"free lock", nullptr, false, StatusCode::kOk, true},
      {"held by this instance", "me", false, StatusCode::kOk, false},
      {"held by another", "other", false, StatusCode::kOk, false},
      {"lock service down", nullptr, true, StatusCode::kUnavailable, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    asio::io_context ioc;
    fakes::FakeClock clock;
    InProcessLockService memory(clock);
    DownLockService down;
    LockService& locks = c.lock_service_down ? static_cast<LockService&>(down) : memory;
    if (c.other_owner) {
      ASSERT_TRUE(*RunTask(ioc, memory.Acquire("mr:task:job", c.other_owner, milliseconds(5000))));
    }
    bool ran = false;
    PeriodicFn fn = OncePerFleet(locks, "job", "me", milliseconds(5000), [&ran]() -> Task<Status> {
      ran = true;
      co_return ConflictError("task's own status");
    });
    Status st = RunTask(ioc, fn());
    EXPECT_EQ(st.code(), c.ran ? StatusCode::kConflict : c.code);
    EXPECT_EQ(ran, c.ran);
    if (c.ran) {
      auto lock = RunTask(ioc, memory.Get("mr:task:job"));
      ASSERT_TRUE(lock.ok() && lock->has_value());
      EXPECT_EQ((*lock)->owner, "me");
      EXPECT_EQ((*lock)->expires_at_ms, clock.NowMs() + 5000);
    }
  }
}

}  // namespace
}  // namespace mr::coordination
