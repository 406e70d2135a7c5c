#include "fakes/fake_clock.hpp"

#include <cassert>

namespace mr::fakes {

class FakeClock::Handle final : public TimerHandle {
 public:
  Handle(std::weak_ptr<FakeClock*> clock, Key key) : clock_(std::move(clock)), key_(key) {}

  void Cancel() override {
    if (auto clock = clock_.lock()) {
      (*clock)->CancelTimer(key_);
    }
  }

 private:
  std::weak_ptr<FakeClock*> clock_;
  Key key_;
};

FakeClock::FakeClock(int64_t start_ms)
    : wall_(std::chrono::milliseconds(start_ms)),
      // Any fixed monotonic epoch works; a non-zero one catches code that treats it as wall time.
      mono_(std::chrono::hours(1000)),
      self_(std::make_shared<FakeClock*>(this)) {}

FakeClock::~FakeClock() = default;

WallTime FakeClock::Now() const {
  std::lock_guard lock(mu_);
  return wall_;
}

MonoTime FakeClock::Monotonic() const {
  std::lock_guard lock(mu_);
  return mono_;
}

std::shared_ptr<TimerHandle> FakeClock::After(Millis delay, std::function<void()> fn) {
  std::lock_guard lock(mu_);
  Key key{mono_ + std::max(delay, Millis{0}), next_seq_++};
  timers_.emplace(key, std::move(fn));
  return std::make_shared<Handle>(self_, key);
}

void FakeClock::CancelTimer(const Key& key) {
  std::function<void()> dropped;
  {
    std::lock_guard lock(mu_);
    auto it = timers_.find(key);
    if (it == timers_.end()) {
      return;
    }
    dropped = std::move(it->second);
    timers_.erase(it);
  }
  // `dropped` is destroyed here, outside the lock: its captures may own objects whose destructors
  // call back into the clock.
}

void FakeClock::Advance(Millis d) {
  assert(d >= Millis{0});
  MonoTime target;
  {
    std::lock_guard lock(mu_);
    target = mono_ + d;
  }
  // Pop one due timer at a time, so timers scheduled or cancelled by a callback are seen by the
  // next iteration.
  for (;;) {
    std::function<void()> fn;
    {
      std::lock_guard lock(mu_);
      auto it = timers_.begin();
      if (it == timers_.end() || it->first.first > target) {
        break;
      }
      if (it->first.first > mono_) {
        wall_ += std::chrono::duration_cast<WallTime::duration>(it->first.first - mono_);
        mono_ = it->first.first;
      }
      fn = std::move(it->second);
      timers_.erase(it);
    }
    fn();
  }
  std::lock_guard lock(mu_);
  if (target > mono_) {
    wall_ += std::chrono::duration_cast<WallTime::duration>(target - mono_);
    mono_ = target;
  }
}

void FakeClock::SetWall(WallTime t) {
  std::lock_guard lock(mu_);
  wall_ = t;
}

size_t FakeClock::PendingTimers() const {
  std::lock_guard lock(mu_);
  return timers_.size();
}

}  // namespace mr::fakes
