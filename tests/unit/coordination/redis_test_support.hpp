#pragma once
// Shared by the Redis back-end tests: an io_context run by two threads (as in the service) and
// client options for a RedisPeer with short reconnect delays.

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
#include "coordination/redis/redis_client.hpp"
#include "peers/redis_peer.hpp"

namespace mr::coordination::redis {

using namespace std::chrono_literals;

// An io_context run by two threads, as in the service; Await() runs one coroutine on it with a
// bounded wait.
class IoThreads {
 public:
  IoThreads() : guard_(asio::make_work_guard(ioc_)) {
    for (int i = 0; i < 2; ++i) {
      threads_.emplace_back([this] { ioc_.run(); });
    }
  }
  ~IoThreads() {
    guard_.reset();
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!ioc_.stopped() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(5ms);
    }
    ioc_.stop();
    for (auto& t : threads_) {
      t.join();
    }
  }
  asio::io_context& ioc() { return ioc_; }

  template <typename T>
  T Await(Task<T> task, std::chrono::milliseconds limit = 10s) {
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
  asio::io_context ioc_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_;
  std::vector<std::thread> threads_;
};

inline RedisOptions OptionsFor(const test::RedisPeer& peer) {
  RedisOptions o;
  o.host = peer.host();
  o.port = peer.port();
  o.command_timeout = 2000ms;
  o.reconnect_min_delay = 20ms;
  o.reconnect_max_delay = 200ms;
  return o;
}

}  // namespace mr::coordination::redis
