#pragma once
// OneShot: a thread-safe, one-time signal a coroutine can wait for. Set() may be called from any
// thread, any number of times (only the first counts), before or after Wait() starts; Wait()
// returns once it has been set and resumes on the waiting coroutine's own executor. Used to wait
// for "the first of several things" (an event, a timer) without awaitable operators, which
// Boost 1.74 lacks. At most one coroutine may wait on a OneShot.

#include <functional>
#include <memory>
#include <mutex>

#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>

#include "common/async.hpp"

namespace mr {

class OneShot : public std::enable_shared_from_this<OneShot> {
 public:
  static std::shared_ptr<OneShot> Make() { return std::make_shared<OneShot>(); }

  void Set() {
    std::function<void()> wake;
    {
      std::lock_guard lock(mu_);
      if (set_) {
        return;
      }
      set_ = true;
      wake = std::move(waiter_);
    }
    if (wake) {
      wake();
    }
  }

  bool is_set() const {
    std::lock_guard lock(mu_);
    return set_;
  }

  Task<void> Wait() {
    auto initiation = [self = shared_from_this()](auto handler) {
      // The awaitable's handler is move-only; std::function needs a copyable callable.
      auto h = std::make_shared<decltype(handler)>(std::move(handler));
      auto resume = [h] {
        auto ex = asio::get_associated_executor(*h);
        asio::post(ex, [h] { (*h)(); });
      };
      std::unique_lock lock(self->mu_);
      if (self->set_) {
        lock.unlock();
        resume();
        return;
      }
      self->waiter_ = std::move(resume);
    };
    // The awaitable is built in a named local: g++ 12 destroys a lambda temporary that is part
    // of a co_await expression twice (fixed in g++ 13), which here released `self` once too often.
    auto wait = asio::async_initiate<decltype(asio::use_awaitable), void()>(std::move(initiation),
                                                                            asio::use_awaitable);
    co_await std::move(wait);
  }

 private:
  mutable std::mutex mu_;
  bool set_ = false;                // Guarded by mu_.
  std::function<void()> waiter_;    // Guarded by mu_.
};

}  // namespace mr
