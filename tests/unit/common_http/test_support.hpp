#pragma once
// Helpers shared by the api_http tests: an io_context run by real threads, a way to await a
// coroutine from the test thread, and a Gate a handler can wait on without holding a thread.

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <future>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <vector>

#include "common/async.hpp"

namespace mr::test {

// An io_context run by `threads` threads until destruction.
class IoThreads {
 public:
  explicit IoThreads(int threads) : work_(asio::make_work_guard(ioc_)) {
    for (int i = 0; i < threads; ++i) {
      threads_.emplace_back([this] { ioc_.run(); });
    }
  }
  ~IoThreads() { Stop(); }

  void Stop() {
    work_.reset();
    ioc_.stop();
    for (auto& t : threads_) {
      if (t.joinable()) {
        t.join();
      }
    }
  }

  asio::io_context& ioc() { return ioc_; }

  // Starts `task` on the io_context. The value comes wrapped in an optional because co_spawn
  // needs a default-constructible result, which Result<T> is not.
  template <typename T>
  std::future<std::optional<T>> Spawn(Task<T> task) {
    auto wrap = [](Task<T> t) -> Task<std::optional<T>> { co_return co_await std::move(t); };
    return asio::co_spawn(ioc_, wrap(std::move(task)), asio::use_future);
  }

  // Runs `task` on the io_context and waits for it, at most `limit` (then throws).
  template <typename T>
  T Await(Task<T> task, std::chrono::seconds limit = std::chrono::seconds(20)) {
    if constexpr (std::is_void_v<T>) {
      auto fut = asio::co_spawn(ioc_, std::move(task), asio::use_future);
      if (fut.wait_for(limit) != std::future_status::ready) {
        throw std::runtime_error("Await timed out");
      }
      fut.get();
    } else {
      auto fut = Spawn(std::move(task));
      if (fut.wait_for(limit) != std::future_status::ready) {
        throw std::runtime_error("Await timed out");
      }
      return std::move(*fut.get());
    }
  }

 private:
  asio::io_context ioc_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::vector<std::thread> threads_;
};

// A one-shot gate. Wait() suspends the calling coroutine until Open(). REQUIRES: Wait() is called
// from a coroutine whose executor is a strand or a single-threaded io_context (the server's
// connection coroutines are), so the cancel that Open posts cannot overtake the wait.
class Gate {
 public:
  Task<void> Wait() {
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer timer(ex, asio::steady_timer::time_point::max());
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (open_) {
        co_return;
      }
      waiters_.push_back(&timer);
    }
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }

  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    for (auto* t : waiters_) {
      asio::post(t->get_executor(), [t] { t->cancel(); });
    }
    waiters_.clear();
  }

 private:
  std::mutex mu_;
  bool open_ = false;                         // guarded by mu_
  std::vector<asio::steady_timer*> waiters_;  // guarded by mu_
};

}  // namespace mr::test
