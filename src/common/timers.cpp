#include "common/timers.hpp"

#include <atomic>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "common/one_shot.hpp"

namespace mr {
namespace {

// The asio timer lives on a strand: Cancel() from another thread must not race with the wait.
class AsioTimerHandle final : public TimerHandle,
                              public std::enable_shared_from_this<AsioTimerHandle> {
 public:
  explicit AsioTimerHandle(asio::io_context& ioc)
      : strand_(asio::make_strand(ioc)), timer_(strand_) {}

  void Arm(Millis delay, std::function<void()> fn) {
    asio::dispatch(strand_, [self = shared_from_this(), delay, fn = std::move(fn)]() mutable {
      self->timer_.expires_after(delay);
      self->timer_.async_wait([self, fn = std::move(fn)](const boost::system::error_code& ec) {
        if (!ec && !self->cancelled_.exchange(true)) {
          fn();
        }
      });
    });
  }

  void Cancel() override {
    if (cancelled_.exchange(true)) {
      return;
    }
    asio::post(strand_, [self = shared_from_this()] { self->timer_.cancel(); });
  }

 private:
  asio::strand<asio::io_context::executor_type> strand_;
  asio::steady_timer timer_;
  std::atomic<bool> cancelled_{false};
};

}  // namespace

std::shared_ptr<TimerHandle> AsioTimers::After(Millis delay, std::function<void()> fn) {
  auto handle = std::make_shared<AsioTimerHandle>(ioc_);
  handle->Arm(delay, std::move(fn));
  return handle;
}

Task<void> SleepFor(Timers& timers, Millis delay) {
  auto done = OneShot::Make();
  auto handle = timers.After(delay, [done] { done->Set(); });
  co_await done->Wait();
}

}  // namespace mr
