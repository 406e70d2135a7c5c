#include "coordination/redis/redis_event_bus.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>

#include "common/logging.hpp"
#include "coordination/redis/redis_subscriber.hpp"

namespace mr::coordination::redis {

struct RedisEventBus::Core {
  explicit Core(asio::io_context& ioc) : strand(asio::make_strand(ioc)) {}
  asio::strand<asio::io_context::executor_type> strand;
  InProcessEventBus local;
  std::atomic<bool> closed{false};  // Set by ~RedisEventBus: queued messages are dropped.
};

namespace {

void Dispatch(RedisEventBus::Core& core, const std::string& message) {
  if (core.closed) {
    return;
  }
  Json parsed = Json::parse(message, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object() || !parsed.contains("eventType") ||
      !parsed["eventType"].is_string()) {
    log::Warn("dropping an unreadable event from Redis",
              {{"message", message.substr(0, 200)}});
    return;
  }
  const std::string type = parsed["eventType"].get<std::string>();
  Json payload = parsed.contains("payload") ? parsed["payload"] : Json::object();
  core.local.Deliver(type, payload);
}

}  // namespace

RedisEventBus::RedisEventBus(asio::io_context& ioc, RedisClient& publisher, RedisOptions options,
                             std::string channel)
    : ioc_(ioc),
      publisher_(publisher),
      channel_(std::move(channel)),
      core_(std::make_shared<Core>(ioc)) {
  std::weak_ptr<Core> weak = core_;
  // Runs under the subscription connection's lock: only post.
  auto on_message = [weak](std::string message) {
    auto core = weak.lock();
    if (!core) {
      return;
    }
    auto strand = core->strand;
    asio::post(strand, [core = std::move(core), message = std::move(message)] {
      Dispatch(*core, message);
    });
  };
  subscriber_ = std::make_unique<RedisSubscriber>(ioc_, std::move(options), channel_,
                                                  std::move(on_message));
}

RedisEventBus::~RedisEventBus() {
  core_->closed = true;
  subscriber_->Stop();
}

Task<Status> RedisEventBus::Publish(std::string type, Json payload) {
  Json message = {{"eventType", std::move(type)}, {"payload", std::move(payload)}};
  std::vector<std::string> args = {"PUBLISH", channel_, message.dump()};
  auto r = co_await publisher_.Command(std::move(args));
  co_return r.ok() ? Status::Ok() : r.status();
}

std::unique_ptr<Subscription> RedisEventBus::Subscribe(std::string type, EventHandler handler) {
  return core_->local.Subscribe(std::move(type), std::move(handler));
}

bool RedisEventBus::subscribed() const { return subscriber_->subscribed(); }

uint64_t RedisEventBus::SubscriptionsForTest() const { return subscriber_->subscriptions(); }

Task<bool> RedisEventBus::WaitSubscribed(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (!subscribed() && std::chrono::steady_clock::now() < deadline) {
    timer.expires_after(std::chrono::milliseconds(10));
    co_await timer.async_wait(asio::use_awaitable);
  }
  co_return subscribed();
}

}  // namespace mr::coordination::redis
