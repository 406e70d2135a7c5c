#pragma once
// Timers: the injected way to run something later (STYLE rules 1 and 2). Everything that waits —
// the start timeout, retries with backoff, periodic jobs, lock renewal — goes through Timers, so a
// test's FakeClock (tests/fakes/fake_clock.hpp) fires them with Advance() instead of sleeping.
//
// Thread safety: After() and TimerHandle::Cancel() may be called from any thread. A callback runs
// at most once, on an io_context thread (AsioTimers) or inside FakeClock::Advance (tests); it must
// not block. Cancel() after the callback has started does not wait for it.

#include <chrono>
#include <functional>
#include <memory>

#include "common/async.hpp"

namespace mr {

using Millis = std::chrono::milliseconds;

class TimerHandle {
 public:
  virtual ~TimerHandle() = default;
  // Prevents the callback from running if it has not started yet. Idempotent.
  virtual void Cancel() = 0;
};

class Timers {
 public:
  virtual ~Timers() = default;
  // Runs `fn` once, `delay` from now (monotonic time). Dropping the handle does NOT cancel.
  virtual std::shared_ptr<TimerHandle> After(Millis delay, std::function<void()> fn) = 0;
};

// Timers on an io_context's steady clock.
class AsioTimers final : public Timers {
 public:
  explicit AsioTimers(asio::io_context& ioc) : ioc_(ioc) {}
  std::shared_ptr<TimerHandle> After(Millis delay, std::function<void()> fn) override;

 private:
  asio::io_context& ioc_;
};

// Suspends the calling coroutine for `delay` of `timers`' time; resumes on its own executor.
Task<void> SleepFor(Timers& timers, Millis delay);

}  // namespace mr
