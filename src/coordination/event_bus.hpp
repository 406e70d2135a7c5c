#pragma once
// EventBus: publish/subscribe of typed events across the process (and, with Redis pub/sub, across
// the fleet; reference §6.4). An event is a type name plus a JSON payload, so the same events
// travel between instances unchanged. Every subscriber of the type receives every event published
// anywhere, the publisher's own instance included.
//
// Delivery: at most once per subscriber, in publish order per publisher. In-process, handlers run
// synchronously inside Publish on the publisher's thread; they must be quick and must not block
// (set a OneShot, post work). A handler is never called after its Subscription is destroyed:
// destroying a Subscription waits for a call of its handler in progress on another thread. A
// handler may destroy its own or other Subscriptions, subscribe, and deliver events itself. A
// handler that throws is logged and skipped; the other subscribers still get the event. A
// Subscription may outlive its bus.
// Errors: Publish fails with kUnavailable when the bus (Redis) cannot be reached.
// Thread safety: all methods may be called concurrently from any thread.

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/async.hpp"
#include "common/json.hpp"
#include "common/status.hpp"

namespace mr::coordination {

using EventHandler = std::function<void(const Json& payload)>;

// Unsubscribes on destruction.
class Subscription {
 public:
  virtual ~Subscription() = default;
};

class EventBus {
 public:
  virtual ~EventBus() = default;
  virtual Task<Status> Publish(std::string type, Json payload) = 0;
  virtual std::unique_ptr<Subscription> Subscribe(std::string type, EventHandler handler) = 0;
};

class InProcessEventBus final : public EventBus {
 public:
  InProcessEventBus();
  ~InProcessEventBus() override;
  Task<Status> Publish(std::string type, Json payload) override;
  std::unique_ptr<Subscription> Subscribe(std::string type, EventHandler handler) override;

  // Delivers synchronously (what Publish does in-process); usable outside a coroutine.
  void Deliver(const std::string& type, const Json& payload);

  struct Registry;  // Shared with the subscriptions, so a late unsubscribe is safe.

 private:
  std::shared_ptr<Registry> registry_;
};

}  // namespace mr::coordination
