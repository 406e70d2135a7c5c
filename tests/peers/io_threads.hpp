#pragma once
// IoThreads: an io_context run by `n` threads until destruction, for tests of clients that keep
// work pending on it (a Redis connection always waits on its socket, so RunTask's run() would
// never return). Await() runs one coroutine on it and waits for its result, bounded.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <future>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>

#include "common/async.hpp"

namespace mr::test {

class IoThreads {
 public:
  // With `drain`, destruction first lets pending operations end by themselves (clients closing)
  // for up to that long; without, it stops the io_context at once.
  explicit IoThreads(int n = 1, std::chrono::milliseconds drain = std::chrono::milliseconds(0))
      : drain_(drain), guard_(asio::make_work_guard(ioc_)) {
    for (int i = 0; i < n; ++i) {
      threads_.emplace_back([this] { ioc_.run(); });
    }
  }
  ~IoThreads() {
    guard_.reset();
    const auto deadline = std::chrono::steady_clock::now() + drain_;
    while (!ioc_.stopped() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ioc_.stop();
    for (auto& t : threads_) {
      t.join();
    }
  }
  IoThreads(const IoThreads&) = delete;
  IoThreads& operator=(const IoThreads&) = delete;

  asio::io_context& ioc() { return ioc_; }

  template <typename T>
  T Await(Task<T> task, std::chrono::milliseconds limit = std::chrono::seconds(120)) {
    auto out = std::make_shared<std::optional<T>>();
    auto wrapper = [](Task<T> t, std::shared_ptr<std::optional<T>> o) -> Task<void> {
      o->emplace(co_await std::move(t));
    };
    auto fut = asio::co_spawn(ioc_, wrapper(std::move(task), out), asio::use_future);
    if (fut.wait_for(limit) != std::future_status::ready) {
      ADD_FAILURE() << "coroutine did not finish in time";
      std::abort();  // The coroutine still references live state; nothing sane to do.
    }
    fut.get();
    return std::move(**out);
  }

 private:
  const std::chrono::milliseconds drain_;
  asio::io_context ioc_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::vector<std::thread> threads_;
};

}  // namespace mr::test
