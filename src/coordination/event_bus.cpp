#include "coordination/event_bus.hpp"

#include <exception>
#include <map>
#include <utility>

#include "common/logging.hpp"

namespace mr::coordination {

namespace {

// One subscriber. `mu` is held while its handler runs, so the Subscription's destructor, which
// takes `mu` to clear `alive`, waits for a delivery in progress on another thread and no delivery
// can start after it. It is recursive so that, on the delivering thread itself, a handler may
// destroy its own Subscription or deliver an event of its own type without deadlocking. Deliver()
// never holds the registry mutex while calling handlers, so handlers may subscribe and unsubscribe.
struct Subscriber {
  std::string type;
  EventHandler handler;
  std::recursive_mutex mu;
  bool alive = true;  // Guarded by mu.
};

}  // namespace

struct InProcessEventBus::Registry {
  std::mutex mu;
  uint64_t next_id = 0;                                         // Guarded by mu.
  std::map<uint64_t, std::shared_ptr<Subscriber>> subscribers;  // Guarded by mu; by id = order.
};

namespace {

class InProcessSubscription final : public Subscription {
 public:
  InProcessSubscription(std::weak_ptr<InProcessEventBus::Registry> registry, uint64_t id,
                        std::shared_ptr<Subscriber> subscriber)
      : registry_(std::move(registry)), id_(id), subscriber_(std::move(subscriber)) {}

  ~InProcessSubscription() override {
    {
      std::lock_guard lock(subscriber_->mu);
      subscriber_->alive = false;
    }
    if (auto registry = registry_.lock()) {
      std::lock_guard lock(registry->mu);
      registry->subscribers.erase(id_);
    }
  }

 private:
  std::weak_ptr<InProcessEventBus::Registry> registry_;
  uint64_t id_;
  std::shared_ptr<Subscriber> subscriber_;
};

}  // namespace

InProcessEventBus::InProcessEventBus() : registry_(std::make_shared<Registry>()) {}

InProcessEventBus::~InProcessEventBus() = default;

Task<Status> InProcessEventBus::Publish(std::string type, Json payload) {
  Deliver(type, payload);
  co_return Status::Ok();
}

std::unique_ptr<Subscription> InProcessEventBus::Subscribe(std::string type, EventHandler handler) {
  auto subscriber = std::make_shared<Subscriber>();
  subscriber->type = std::move(type);
  subscriber->handler = std::move(handler);
  uint64_t id;
  {
    std::lock_guard lock(registry_->mu);
    id = registry_->next_id++;
    registry_->subscribers.emplace(id, subscriber);
  }
  return std::make_unique<InProcessSubscription>(registry_, id, std::move(subscriber));
}

void InProcessEventBus::Deliver(const std::string& type, const Json& payload) {
  std::vector<std::shared_ptr<Subscriber>> targets;
  {
    std::lock_guard lock(registry_->mu);
    for (const auto& [id, subscriber] : registry_->subscribers) {
      if (subscriber->type == type) {
        targets.push_back(subscriber);
      }
    }
  }
  for (const auto& subscriber : targets) {
    std::lock_guard lock(subscriber->mu);
    if (!subscriber->alive) {
      continue;
    }
    // The pub/sub entry point's catch-all (STYLE rule 5): one bad handler must not keep the event
    // from the subscribers after it.
    try {
      subscriber->handler(payload);
    } catch (const std::exception& e) {
      log::Error("event handler threw", {{"type", type}, {"error", e.what()}});
    } catch (...) {
      log::Error("event handler threw", {{"type", type}, {"error", "unknown exception"}});
    }
  }
}

}  // namespace mr::coordination
