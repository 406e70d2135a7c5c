#pragma once
// RedisSubscriber: the dedicated subscription connection (reference §6.1: commands and
// publishing use another one). SUBSCRIBEs to one channel once the connection is ready, and again
// after every reconnect (RedisConnection reconnects by itself). Messages published while the
// subscription is down are lost: Redis pub/sub is at-most-once.
//
// `on_message` runs with the connection's lock held, on an io_context thread: it must not block
// and must not call back into this object; post the work elsewhere (RedisEventBus posts to its
// strand). It is never called after Stop() (or the destructor) returns.
// Thread safety: every method may be called from any thread.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/async.hpp"
#include "common/redis_client.hpp"
#include "coordination/redis/redis_options.hpp"

struct redisAsyncContext;  // hiredis

namespace mr::coordination::redis {

class RedisConnection;

class RedisSubscriber {
 public:
  using MessageHandler = std::function<void(std::string message)>;

  // Starts connecting and subscribing at once.
  RedisSubscriber(asio::io_context& ioc, RedisOptions options, std::string channel,
                  MessageHandler on_message);
  ~RedisSubscriber();
  RedisSubscriber(const RedisSubscriber&) = delete;
  RedisSubscriber& operator=(const RedisSubscriber&) = delete;

  void Stop();
  // True while Redis has confirmed the SUBSCRIBE on the current connection.
  bool subscribed() const { return subscribed_.load(); }
  // Confirmed SUBSCRIBEs so far: 1 after the first, +1 per re-subscription after a reconnect.
  uint64_t subscriptions() const { return subscriptions_.load(); }

 private:
  static void OnSubscriptionReply(redisAsyncContext* ac, void* reply, void* privdata);

  const std::string channel_;
  MessageHandler on_message_;
  std::shared_ptr<RedisConnection> conn_;
  std::atomic<bool> subscribed_{false};
  std::atomic<uint64_t> subscriptions_{0};
};

}  // namespace mr::coordination::redis
