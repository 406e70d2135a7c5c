// RedisEventBus: two buses on two clients = two instances of a fleet, on a real redis-server.
#include "coordination/redis/redis_event_bus.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/async.hpp"
#include "coordination/redis/asio_redis_client.hpp"
#include "peers/redis_peer.hpp"
#include "unit/coordination/redis_test_support.hpp"

namespace mr::coordination::redis {
namespace {

using Steady = std::chrono::steady_clock;

// Polls `done` (bounded); true once it holds.
bool Eventually(const std::function<bool()>& done, std::chrono::milliseconds limit = 5s) {
  const auto deadline = Steady::now() + limit;
  while (!done()) {
    if (Steady::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

// What one subscriber received, from the bus' thread.
class Inbox {
 public:
  EventHandler Handler() {
    return [this](const Json& payload) {
      std::lock_guard lock(mu_);
      got_.push_back(payload.at("n").get<int>());
    };
  }
  std::vector<int> got() {
    std::lock_guard lock(mu_);
    return got_;
  }

 private:
  std::mutex mu_;
  std::vector<int> got_;
};

class RedisEventBusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(io_.Await(bus_a_.WaitSubscribed(5s)));
    ASSERT_TRUE(io_.Await(bus_b_.WaitSubscribed(5s)));
  }
  Status Publish(RedisEventBus& bus, const std::string& type, int n) {
    Json payload = {{"n", n}};
    return io_.Await(bus.Publish(type, std::move(payload)));
  }

  test::RedisPeer peer_;
  IoThreads io_;
  AsioRedisClient client_a_{io_.ioc(), OptionsFor(peer_)};
  AsioRedisClient client_b_{io_.ioc(), OptionsFor(peer_)};
  RedisEventBus bus_a_{io_.ioc(), client_a_, OptionsFor(peer_)};
  RedisEventBus bus_b_{io_.ioc(), client_b_, OptionsFor(peer_)};
};

TEST_F(RedisEventBusTest, EveryInstanceReceivesIncludingThePublisher) {
  Inbox on_a;
  Inbox on_b;
  Inbox other_type;
  auto sub_a = bus_a_.Subscribe("recording_active", on_a.Handler());
  auto sub_b = bus_b_.Subscribe("recording_active", on_b.Handler());
  auto sub_other = bus_b_.Subscribe("something_else", other_type.Handler());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(Publish(i % 2 == 0 ? bus_a_ : bus_b_, "recording_active", i).ok());
  }
  const std::vector<int> all = {0, 1, 2, 3, 4};
  EXPECT_TRUE(Eventually([&] { return on_a.got().size() == 5 && on_b.got().size() == 5; }));
  EXPECT_EQ(on_a.got(), all);  // In publish order, each exactly once.
  EXPECT_EQ(on_b.got(), all);
  EXPECT_TRUE(other_type.got().empty());
}

TEST_F(RedisEventBusTest, WireFormatIsTheReferences) {
  Inbox inbox;
  auto sub = bus_b_.Subscribe("recording_active", inbox.Handler());
  // As an instance of the reference would publish it.
  peer_.Query({"PUBLISH", "ov_meet_channel",
               R"({"eventType":"recording_active","payload":{"n":7,"roomId":"r"}})"});
  // Unreadable messages are dropped, and do not stop the ones after them.
  peer_.Query({"PUBLISH", "ov_meet_channel", "not json"});
  peer_.Query({"PUBLISH", "ov_meet_channel", R"({"payload":{"n":8}})"});
  peer_.Query({"PUBLISH", "ov_meet_channel", R"({"eventType":3,"payload":{"n":9}})"});
  ASSERT_TRUE(Publish(bus_a_, "recording_active", 10).ok());
  EXPECT_TRUE(Eventually([&] { return inbox.got().size() == 2; }));
  EXPECT_EQ(inbox.got(), (std::vector<int>{7, 10}));
}

TEST_F(RedisEventBusTest, DestroyedSubscriptionStopsDelivery) {
  Inbox dropped;
  Inbox barrier;
  auto sub = bus_a_.Subscribe("t", dropped.Handler());
  auto sub_barrier = bus_a_.Subscribe("t", barrier.Handler());
  ASSERT_TRUE(Publish(bus_b_, "t", 1).ok());
  ASSERT_TRUE(Eventually([&] { return barrier.got().size() == 1; }));
  sub.reset();
  ASSERT_TRUE(Publish(bus_b_, "t", 2).ok());
  // Both are delivered in one pass on the bus' strand: once the barrier has 2, `dropped` had its
  // chance.
  ASSERT_TRUE(Eventually([&] { return barrier.got().size() == 2; }));
  EXPECT_EQ(dropped.got(), std::vector<int>{1});
}

TEST_F(RedisEventBusTest, HandlerMayUnsubscribeItself) {
  int calls = 0;
  std::unique_ptr<Subscription> self;
  Inbox barrier;
  self = bus_a_.Subscribe("t", [&](const Json&) {
    ++calls;
    self.reset();
  });
  auto sub_barrier = bus_a_.Subscribe("t", barrier.Handler());
  ASSERT_TRUE(Publish(bus_a_, "t", 1).ok());
  ASSERT_TRUE(Publish(bus_a_, "t", 2).ok());
  ASSERT_TRUE(Eventually([&] { return barrier.got().size() == 2; }));
  EXPECT_EQ(calls, 1);
}

TEST_F(RedisEventBusTest, SubscriptionIsRestoredAfterRedisRestarts) {
  Inbox on_a;
  Inbox on_b;
  auto sub_a = bus_a_.Subscribe("t", on_a.Handler());
  auto sub_b = bus_b_.Subscribe("t", on_b.Handler());
  ASSERT_TRUE(Publish(bus_a_, "t", 1).ok());
  ASSERT_TRUE(Eventually([&] { return on_b.got().size() == 1 && on_a.got().size() == 1; }));

  peer_.Stop();
  ASSERT_TRUE(Eventually([&] { return !bus_a_.subscribed() && !bus_b_.subscribed(); }));
  EXPECT_EQ(Publish(bus_a_, "t", 2).code(), StatusCode::kUnavailable);
  peer_.Start();
  ASSERT_TRUE(Eventually([&] {
    return bus_a_.SubscriptionsForTest() >= 2 && bus_b_.SubscriptionsForTest() >= 2 &&
           bus_a_.subscribed() && bus_b_.subscribed();
  }));
  ASSERT_TRUE(Eventually([&] { return Publish(bus_b_, "t", 3).ok(); }));
  EXPECT_TRUE(Eventually([&] { return on_a.got().size() == 2 && on_b.got().size() == 2; }));
  EXPECT_EQ(on_a.got(), (std::vector<int>{1, 3}));
  EXPECT_EQ(on_b.got(), (std::vector<int>{1, 3}));
}

TEST_F(RedisEventBusTest, SubscriptionMayOutliveTheBus) {
  auto bus = std::make_unique<RedisEventBus>(io_.ioc(), client_a_, OptionsFor(peer_));
  auto sub = bus->Subscribe("t", [](const Json&) {});
  bus.reset();
  sub.reset();
}

}  // namespace
}  // namespace mr::coordination::redis
