#pragma once
// FakeClock: a Clock and Timers for tests (STYLE rule 2). Time stands still until the test calls
// Advance(), which moves wall and monotonic time forward together and fires every timer that
// becomes due, so scheduler, lease and retry tests run instantly and in a fixed order.
//
// Timers fire synchronously on the thread that calls Advance(), in deadline order (timers with the
// same deadline fire in the order they were created), and each one sees the clock already set to
// its own deadline. A timer that a firing callback schedules with a deadline at or before the
// target of the current Advance() fires within that same Advance() (so a callback that keeps
// rescheduling itself with a zero delay makes Advance() loop forever). A timer created with a
// delay of zero (or less) is due at once but still only fires on the next Advance() or FireDue():
// After() never calls its callback inline.
//
// Thread safety: every method may be called from any thread. Callbacks run without the internal
// mutex held, so they may call After(), Cancel(), Now() and even Advance() again. Concurrent
// Advance() calls are allowed but their interleaving is unspecified; tests normally advance from
// one thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <utility>

#include "common/clock.hpp"
#include "common/timers.hpp"

namespace mr::fakes {

class FakeClock final : public Clock, public Timers {
 public:
  // 2026-01-01T00:00:00Z in ms since the Unix epoch, the default start.
  static constexpr int64_t kDefaultStartMs = 1767225600000;

  // Starts at wall time `start_ms` (ms since the Unix epoch) and an arbitrary monotonic epoch.
  explicit FakeClock(int64_t start_ms = kDefaultStartMs);
  ~FakeClock() override;

  WallTime Now() const override;
  MonoTime Monotonic() const override;

  // Schedules `fn` `delay` after the current monotonic time. The callback only ever runs inside
  // Advance() or FireDue(), never inside After() itself.
  std::shared_ptr<TimerHandle> After(Millis delay, std::function<void()> fn) override;

  // Moves wall and monotonic time forward by `d` and fires every timer that becomes due, as the
  // file comment describes. REQUIRES: d >= 0.
  void Advance(Millis d);
  // Fires the timers that are already due without moving time (Advance(0ms)).
  void FireDue() { Advance(Millis{0}); }
  // Sets wall time only (a wall-clock jump); monotonic time and timers are unaffected.
  void SetWall(WallTime t);
  // Timers neither fired nor cancelled.
  size_t PendingTimers() const;

 private:
  class Handle;
  // Timers are ordered by (deadline, creation sequence).
  using Key = std::pair<MonoTime, uint64_t>;

  void CancelTimer(const Key& key);

  mutable std::mutex mu_;
  WallTime wall_;                                // Guarded by mu_.
  MonoTime mono_;                                // Guarded by mu_.
  uint64_t next_seq_ = 0;                        // Guarded by mu_.
  std::map<Key, std::function<void()>> timers_;  // Guarded by mu_.
  // Handles hold a weak reference to this token so that Cancel() after the clock is gone is a
  // harmless no-op instead of a use-after-free.
  std::shared_ptr<FakeClock*> self_;
};

}  // namespace mr::fakes
