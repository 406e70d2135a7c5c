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
#include "common/redis_client.hpp"
#include "coordination/redis/redis_options.hpp"
#include "peers/io_threads.hpp"
#include "peers/redis_peer.hpp"

namespace mr::coordination::redis {

using namespace std::chrono_literals;

// An io_context run by two threads, as in the service.
class IoThreads : public test::IoThreads {
 public:
  IoThreads() : test::IoThreads(2, 5s) {}
  template <typename T>
  T Await(Task<T> task, std::chrono::milliseconds limit = 10s) {
    return test::IoThreads::Await(std::move(task), limit);
  }
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
