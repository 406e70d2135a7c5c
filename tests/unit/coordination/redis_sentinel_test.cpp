// The Redis back-ends in Sentinel mode, against a real master, replica and sentinel
// (tests/peers/redis_sentinel_peer.hpp): resolution, failover, skipped sentinels and the errors
// of a wrong sentinel password or master name.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/async.hpp"
#include "coordination/redis/asio_redis_client.hpp"
#include "coordination/redis/redis_event_bus.hpp"
#include "coordination/redis/redis_options.hpp"
#include "peers/child_process.hpp"
#include "peers/redis_sentinel_peer.hpp"
#include "unit/coordination/redis_test_support.hpp"

namespace mr::coordination::redis {
namespace {

using Steady = std::chrono::steady_clock;

const char kDataPassword[] = "data-secret";
const char kSentinelPassword[] = "sentinel-secret";

// Polls `done` (bounded); true once it holds.
bool Eventually(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  const auto deadline = Steady::now() + limit;
  while (!done()) {
    if (Steady::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

test::RedisSentinelPeer::Options PeerOptions() {
  test::RedisSentinelPeer::Options o;
  o.password = kDataPassword;
  o.sentinel_password = kSentinelPassword;
  return o;
}

RedisOptions SentinelOptionsFor(const test::RedisSentinelPeer& peer) {
  RedisOptions o;
  o.sentinels = {{peer.host(), peer.sentinel_port()}};
  o.sentinel_password = kSentinelPassword;
  o.password = kDataPassword;
  o.connect_timeout = 1000ms;
  o.command_timeout = 2000ms;
  o.reconnect_min_delay = 20ms;
  o.reconnect_max_delay = 200ms;
  return o;
}

class RedisSentinelTest : public ::testing::Test {
 protected:
  Result<RedisReply> Cmd(AsioRedisClient& c, std::vector<std::string> args) {
    return io_.Await(c.Command(std::move(args)));
  }

  // Writes `key` through `c` until the write is seen on the sentinel's current master (bounded):
  // during a failover writes may go to the old master until it is demoted.
  bool WriteLandsOnMaster(AsioRedisClient& c, const std::string& key,
                          std::chrono::milliseconds limit) {
    int attempt = 0;
    return Eventually(
        [&] {
          const std::string value = "v" + std::to_string(++attempt);
          if (!Cmd(c, {"SET", key, value}).ok()) {
            return false;
          }
          auto seen = peer_.QueryData(peer_.master_port(), {"GET", key});
          return seen.size() == 1 && seen[0] == value;
        },
        limit);
  }

  test::RedisSentinelPeer peer_{PeerOptions()};
  IoThreads io_;
};

TEST_F(RedisSentinelTest, ReachesTheMasterThroughTheSentinel) {
  AsioRedisClient client(io_.ioc(), SentinelOptionsFor(peer_));
  Status st = io_.Await(client.Connect());
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_TRUE(Cmd(client, {"SET", "k", "v"}).ok());
  EXPECT_EQ(peer_.QueryData(peer_.master_port(), {"GET", "k"}), std::vector<std::string>{"v"});
}

TEST_F(RedisSentinelTest, CommandsWorkAgainOnTheNewMasterAfterAFailover) {
  AsioRedisClient client(io_.ioc(), SentinelOptionsFor(peer_));
  ASSERT_TRUE(io_.Await(client.Connect()).ok());
  const uint16_t old_master = peer_.master_port();
  ASSERT_TRUE(Cmd(client, {"SET", "before", "1"}).ok());

  peer_.Failover();
  ASSERT_NE(peer_.master_port(), old_master);
  // The sentinel demotes the old master about failover-timeout (5 s) after the switch and kills
  // its clients; the client then resolves the new master.
  ASSERT_TRUE(WriteLandsOnMaster(client, "after", 20s));
  EXPECT_EQ(peer_.Role(peer_.master_port()), "master");
  EXPECT_GE(client.ConnectsForTest(), 2u);
  ASSERT_TRUE(Cmd(client, {"SET", "later", "x"}).ok());
  EXPECT_EQ(peer_.QueryData(peer_.master_port(), {"GET", "later"}), std::vector<std::string>{"x"});
}

TEST_F(RedisSentinelTest, EventBusReceivesAgainAfterAFailover) {
  const RedisOptions options = SentinelOptionsFor(peer_);
  AsioRedisClient client(io_.ioc(), options);
  RedisEventBus bus(io_.ioc(), client, options);
  ASSERT_TRUE(io_.Await(bus.WaitSubscribed(5s)));
  std::mutex mu;
  std::vector<int> got;
  auto sub = bus.Subscribe("t", [&](const Json& payload) {
    std::lock_guard lock(mu);
    got.push_back(payload.at("n").get<int>());
  });
  auto received = [&](int n) {
    std::lock_guard lock(mu);
    return std::find(got.begin(), got.end(), n) != got.end();
  };
  Json first = {{"n", 1}};
  ASSERT_TRUE(io_.Await(bus.Publish("t", std::move(first))).ok());
  ASSERT_TRUE(Eventually([&] { return received(1); }, 5s));

  peer_.Failover();
  // Published straight on the new master: only a subscription re-made there receives it.
  int n = 100;
  ASSERT_TRUE(Eventually(
      [&] {
        const std::string message =
            R"({"eventType":"t","payload":{"n":)" + std::to_string(++n) + "}}";
        peer_.QueryData(peer_.master_port(), {"PUBLISH", RedisEventBus::kChannel, message});
        return Eventually([&] { return received(n); }, 200ms);
      },
      20s));
  // And the bus' own publisher reaches it too.
  ASSERT_TRUE(Eventually(
      [&] {
        Json payload = {{"n", 2}};
        return io_.Await(bus.Publish("t", std::move(payload))).ok() &&
               Eventually([&] { return received(2); }, 500ms);
      },
      20s));
}

TEST_F(RedisSentinelTest, AutomaticFailoverAfterTheMasterDies) {
  AsioRedisClient client(io_.ioc(), SentinelOptionsFor(peer_));
  ASSERT_TRUE(io_.Await(client.Connect()).ok());
  const uint16_t survivor = peer_.replica_port();
  peer_.KillMaster();
  // down-after-milliseconds 1 s, then election and promotion: a few seconds.
  peer_.WaitForMaster(survivor, 20s);
  ASSERT_TRUE(WriteLandsOnMaster(client, "after-crash", 15s));
}

TEST_F(RedisSentinelTest, MasterDemotedUnderTheClientIsLeftAndTheNewOneFound) {
  RedisOptions options = SentinelOptionsFor(peer_);
  options.command_timeout = 300ms;
  AsioRedisClient client(io_.ioc(), options);
  ASSERT_TRUE(io_.Await(client.Connect()).ok());
  const uint16_t old_master = peer_.master_port();
  // Demoted without Sentinel (which kills the clients when it demotes): our connection stays.
  peer_.QueryData(old_master, {"REPLICAOF", "127.0.0.1", std::to_string(test::FreeLoopbackPort())});

  auto readonly = Cmd(client, {"SET", "k", "v"});
  ASSERT_FALSE(readonly.ok());
  EXPECT_EQ(readonly.status().message().rfind("READONLY", 0), 0u) << readonly.status().message();
  // The connection was dropped. The sentinel still names the old server (it would count a
  // master calling itself a replica as down only after about 20 s): the ROLE check refuses it.
  std::string last;
  EXPECT_TRUE(Eventually(
      [&] {
        auto r = Cmd(client, {"SET", "k", "v"});
        last = r.ok() ? "OK" : r.status().message();
        return last.find("is not the master (failover in progress?)") != std::string::npos;
      },
      5s))
      << last;
  EXPECT_EQ(last.find(kDataPassword), std::string::npos) << "password leaked";
  // Once the sentinel names the new master, the client gets there by itself.
  peer_.Failover();
  ASSERT_TRUE(WriteLandsOnMaster(client, "after-demotion", 10s));
}

TEST_F(RedisSentinelTest, DeadFirstSentinelIsSkipped) {
  RedisOptions options = SentinelOptionsFor(peer_);
  options.sentinels.insert(options.sentinels.begin(),
                           SentinelAddress{"127.0.0.1", test::FreeLoopbackPort()});
  AsioRedisClient client(io_.ioc(), options);
  Status st = io_.Await(client.Connect());
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_TRUE(Cmd(client, {"SET", "k", "skipped"}).ok());
  EXPECT_EQ(peer_.QueryData(peer_.master_port(), {"GET", "k"}),
            std::vector<std::string>{"skipped"});
}

TEST_F(RedisSentinelTest, WrongSentinelPasswordOrMasterNameFailsWithinTheTimeout) {
  struct Case {
    std::string name;
    std::string sentinel_password;
    std::string master_name;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {"wrong sentinel password", "wrong-sentinel-pass", "openvidu", "AUTH failed"},
      {"unknown master name", kSentinelPassword, "nope", "does not know master 'nope'"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    RedisOptions options = SentinelOptionsFor(peer_);
    options.sentinel_password = c.sentinel_password;
    options.sentinel_master_name = c.master_name;
    options.command_timeout = 1000ms;
    AsioRedisClient client(io_.ioc(), options);
    const auto start = Steady::now();
    auto r = Cmd(client, {"SET", "k", "never"});
    const auto took = Steady::now() - start;
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
    EXPECT_LT(took, 2500ms);
    const std::string& message = r.status().message();
    EXPECT_NE(message.find(c.reason), std::string::npos) << message;
    EXPECT_NE(message.find("sentinels 127.0.0.1:"), std::string::npos) << message;
    EXPECT_EQ(message.find(c.sentinel_password), std::string::npos) << "password leaked";
    EXPECT_EQ(message.find(kDataPassword), std::string::npos) << "password leaked";
    EXPECT_FALSE(client.connected());
  }
}

}  // namespace
}  // namespace mr::coordination::redis
