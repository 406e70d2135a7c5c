#pragma once
// RedisEventBus: the EventBus of a fleet over Redis pub/sub (reference §6.4). One channel,
// `ov_meet_channel`; a message is the JSON {"eventType": type, "payload": {...}}, so instances of
// the reference and meet-recorder understand each other's events.
//
// Publish = PUBLISH on the process' command client (RedisClient). Receiving = a dedicated
// subscription connection (RedisSubscriber) that re-subscribes after every reconnect. Every
// instance, the publisher included, gets each event from Redis (never delivered locally by
// Publish, so nobody gets it twice). Incoming messages are parsed and handed to the local
// subscribers of their type on the bus' strand, in arrival order; an unparseable message or one
// without a string eventType is logged (warn) and dropped.
//
// Local subscribers are an InProcessEventBus, so the header's rules hold as in-process: a handler
// is never called after its Subscription is destroyed (destroying it waits for a call in progress
// on another thread), may unsubscribe itself, and a throwing handler is logged and skipped.
// Events published while this instance's subscription is down (Redis restart) are lost: callers
// that wait for an event also bound the wait (e.g. the start timeout).
// Thread safety: every method may be called from any thread.

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "common/async.hpp"
#include "coordination/event_bus.hpp"
#include "common/redis_client.hpp"
#include "coordination/redis/redis_options.hpp"

namespace mr::coordination::redis {

class RedisSubscriber;

class RedisEventBus final : public EventBus {
 public:
  static constexpr const char* kChannel = "ov_meet_channel";

  // `publisher` must outlive the bus. Starts subscribing at once.
  RedisEventBus(asio::io_context& ioc, RedisClient& publisher, RedisOptions options,
                std::string channel = kChannel);
  ~RedisEventBus() override;

  Task<Status> Publish(std::string type, Json payload) override;
  std::unique_ptr<Subscription> Subscribe(std::string type, EventHandler handler) override;

  // True while the subscription is active; events published meanwhile reach this instance.
  bool subscribed() const;
  // Waits (polling, bounded by `timeout`) until subscribed(); false on timeout. For start-up.
  Task<bool> WaitSubscribed(std::chrono::milliseconds timeout);
  uint64_t SubscriptionsForTest() const;  // 1 + re-subscriptions after reconnects.

  // Shared with the posted deliveries, which may run after the bus is gone.
  struct Core;

 private:
  asio::io_context& ioc_;
  RedisClient& publisher_;
  const std::string channel_;
  std::shared_ptr<Core> core_;
  std::unique_ptr<RedisSubscriber> subscriber_;
};

}  // namespace mr::coordination::redis
