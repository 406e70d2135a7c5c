#include "common/timers.hpp"

#include <gtest/gtest.h>

#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/async.hpp"
#include "common/one_shot.hpp"
#include "fakes/fake_clock.hpp"

namespace mr {
namespace {

using std::chrono::milliseconds;

void Poll(asio::io_context& ioc) {
  ioc.restart();
  ioc.poll();
}

TEST(AsioTimersTest, FiresInDeadlineOrder) {
  asio::io_context ioc;
  AsioTimers timers(ioc);
  std::vector<int> fired;
  auto late = timers.After(milliseconds(30), [&fired] { fired.push_back(30); });
  auto early = timers.After(milliseconds(5), [&fired] { fired.push_back(5); });
  ioc.run();
  EXPECT_EQ(fired, (std::vector<int>{5, 30}));
}

TEST(AsioTimersTest, DroppingTheHandleDoesNotCancel) {
  asio::io_context ioc;
  AsioTimers timers(ioc);
  bool fired = false;
  timers.After(milliseconds(1), [&fired] { fired = true; });
  ioc.run();
  EXPECT_TRUE(fired);
}

TEST(AsioTimersTest, CancelPreventsTheCallback) {
  asio::io_context ioc;
  AsioTimers timers(ioc);
  bool cancelled_fired = false;
  bool other_fired = false;
  auto cancelled = timers.After(milliseconds(10), [&] { cancelled_fired = true; });
  auto other = timers.After(milliseconds(20), [&] { other_fired = true; });
  cancelled->Cancel();
  cancelled->Cancel();  // Idempotent.
  ioc.run();
  EXPECT_FALSE(cancelled_fired);
  EXPECT_TRUE(other_fired);
}

TEST(AsioTimersTest, CancelFromAnotherThreadBeforeTheDeadline) {
  asio::io_context ioc;
  AsioTimers timers(ioc);
  bool fired = false;
  auto handle = timers.After(milliseconds(40), [&fired] { fired = true; });
  std::thread canceller([handle] { handle->Cancel(); });
  canceller.join();
  ioc.run();
  EXPECT_FALSE(fired);
}

TEST(SleepForTest, WaitsOnAsioTimers) {
  asio::io_context ioc;
  AsioTimers timers(ioc);
  const auto start = std::chrono::steady_clock::now();
  RunTask(ioc, SleepFor(timers, milliseconds(30)));
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(30));
}

TEST(SleepForTest, WaitsOnFakeClockUntilAdvanced) {
  asio::io_context ioc;
  fakes::FakeClock clock;
  bool done = false;
  auto sleeper = [&]() -> Task<void> {
    co_await SleepFor(clock, milliseconds(1000));
    done = true;
  };
  asio::co_spawn(ioc, sleeper(), asio::detached);
  Poll(ioc);
  EXPECT_FALSE(done);
  EXPECT_EQ(clock.PendingTimers(), 1u);
  clock.Advance(milliseconds(999));
  Poll(ioc);
  EXPECT_FALSE(done);
  clock.Advance(milliseconds(1));
  EXPECT_FALSE(done);  // The coroutine resumes on its executor, not inside Advance().
  Poll(ioc);
  EXPECT_TRUE(done);
  EXPECT_EQ(clock.PendingTimers(), 0u);
}

TEST(OneShotTest, SetBeforeWaitReturnsAtOnce) {
  asio::io_context ioc;
  auto shot = OneShot::Make();
  shot->Set();
  shot->Set();  // Only the first counts.
  EXPECT_TRUE(shot->is_set());
  RunTask(ioc, shot->Wait());
}

TEST(OneShotTest, SetAfterWaitFromAnotherThreadResumesTheWaiter) {
  asio::io_context ioc;
  auto work = asio::make_work_guard(ioc);
  auto shot = OneShot::Make();
  bool woke = false;
  auto waiter = [&]() -> Task<void> {
    co_await shot->Wait();
    woke = true;
    work.reset();
  };
  asio::co_spawn(ioc, waiter(), asio::detached);
  Poll(ioc);
  EXPECT_FALSE(woke);
  std::thread setter([shot] {
    std::this_thread::sleep_for(milliseconds(10));
    shot->Set();
  });
  ioc.restart();
  ioc.run();  // Returns once the waiter has resumed and released the work guard.
  setter.join();
  EXPECT_TRUE(woke);
}

// FakeClock is the Timers every scheduling test relies on, so its contract is tested here.
TEST(FakeClockTest, StartsAtTheGivenWallTime) {
  EXPECT_EQ(fakes::FakeClock().NowMs(), 1767225600000);  // 2026-01-01T00:00:00Z.
  EXPECT_EQ(fakes::FakeClock(42).NowMs(), 42);
}

TEST(FakeClockTest, AdvanceMovesWallAndMonotonicTimeTogether) {
  fakes::FakeClock clock;
  const WallTime wall = clock.Now();
  const MonoTime mono = clock.Monotonic();
  clock.Advance(milliseconds(1500));
  EXPECT_EQ(clock.Now() - wall, milliseconds(1500));
  EXPECT_EQ(clock.Monotonic() - mono, milliseconds(1500));
  clock.SetWall(wall);
  EXPECT_EQ(clock.Now(), wall);
  EXPECT_EQ(clock.Monotonic() - mono, milliseconds(1500));
}

TEST(FakeClockTest, FiresDueTimersInDeadlineThenCreationOrderAtTheirDeadline) {
  struct Case {
    const char* name;
    std::vector<int64_t> delays_ms;  // Timer i has id i.
    int64_t advance_ms;
    std::vector<int> fired;
  };
  const std::vector<Case> cases = {
      {"none due", {10, 20}, 9, {}},
      {"exact deadline is due", {10, 20}, 10, {0}},
      {"deadline order", {30, 10, 20}, 30, {1, 2, 0}},
      {"ties in creation order", {10, 5, 10, 5}, 10, {1, 3, 0, 2}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    fakes::FakeClock clock(0);
    const MonoTime start = clock.Monotonic();
    std::vector<int> fired;
    std::vector<std::shared_ptr<TimerHandle>> handles;
    for (size_t i = 0; i < c.delays_ms.size(); ++i) {
      const int64_t delay = c.delays_ms[i];
      handles.push_back(clock.After(milliseconds(delay), [&, i, delay] {
        fired.push_back(static_cast<int>(i));
        EXPECT_EQ(clock.Monotonic() - start, milliseconds(delay));
        EXPECT_EQ(clock.NowMs(), delay);
      }));
    }
    clock.Advance(milliseconds(c.advance_ms));
    EXPECT_EQ(fired, c.fired);
    EXPECT_EQ(clock.PendingTimers(), c.delays_ms.size() - c.fired.size());
    EXPECT_EQ(clock.NowMs(), c.advance_ms);
  }
}

TEST(FakeClockTest, TimersScheduledByCallbacksFireInTheSameAdvanceWhenDue) {
  fakes::FakeClock clock(0);
  std::vector<std::string> fired;
  std::shared_ptr<TimerHandle> chained;
  auto first = clock.After(milliseconds(10), [&] {
    fired.push_back("first@" + std::to_string(clock.NowMs()));
    chained = clock.After(milliseconds(5), [&] {
      fired.push_back("second@" + std::to_string(clock.NowMs()));
      clock.After(milliseconds(100), [&] { fired.push_back("third"); });
    });
  });
  clock.Advance(milliseconds(20));
  EXPECT_EQ(fired, (std::vector<std::string>{"first@10", "second@15"}));
  EXPECT_EQ(clock.PendingTimers(), 1u);
  EXPECT_EQ(clock.NowMs(), 20);
}

TEST(FakeClockTest, ZeroDelayFiresOnlyOnTheNextAdvance) {
  fakes::FakeClock clock;
  int fired = 0;
  clock.After(milliseconds(0), [&fired] { ++fired; });
  EXPECT_EQ(fired, 0);
  EXPECT_EQ(clock.PendingTimers(), 1u);
  clock.FireDue();
  EXPECT_EQ(fired, 1);
  EXPECT_EQ(clock.PendingTimers(), 0u);
}

TEST(FakeClockTest, CancelPreventsFiringAndMayComeFromACallback) {
  fakes::FakeClock clock;
  int fired = 0;
  auto cancelled = clock.After(milliseconds(10), [&fired] { ++fired; });
  cancelled->Cancel();
  EXPECT_EQ(clock.PendingTimers(), 0u);
  std::shared_ptr<TimerHandle> victim;
  auto killer = clock.After(milliseconds(5), [&victim] { victim->Cancel(); });
  victim = clock.After(milliseconds(5), [&fired] { ++fired; });
  clock.Advance(milliseconds(100));
  EXPECT_EQ(fired, 0);
  killer->Cancel();  // After firing: a no-op.
}

TEST(FakeClockTest, HandleMayOutliveTheClock) {
  std::shared_ptr<TimerHandle> handle;
  {
    fakes::FakeClock clock;
    handle = clock.After(milliseconds(10), [] {});
  }
  handle->Cancel();
}

}  // namespace
}  // namespace mr
