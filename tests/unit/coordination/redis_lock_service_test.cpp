// RedisLockService beyond the shared LockService suite (lock_service_test.cpp): what is stored in
// Redis, two instances of a fleet racing, and a Redis restart.
#include "coordination/redis/redis_lock_service.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <string>
#include <vector>

#include "common/async.hpp"
#include "coordination/redis/asio_redis_client.hpp"
#include "fakes/fake_clock.hpp"
#include "peers/redis_peer.hpp"
#include "unit/coordination/redis_test_support.hpp"

namespace mr::coordination::redis {
namespace {

using std::chrono::milliseconds;

class RedisLockServiceTest : public ::testing::Test {
 protected:
  test::RedisPeer peer_;
  IoThreads io_;
  fakes::FakeClock clock_;
  AsioRedisClient client_a_{io_.ioc(), OptionsFor(peer_)};
  AsioRedisClient client_b_{io_.ioc(), OptionsFor(peer_)};
  RedisLockService locks_a_{client_a_, clock_};
  RedisLockService locks_b_{client_b_, clock_};
};

TEST_F(RedisLockServiceTest, TheLockKeyHoldsOwnerAndCreationAndExpiresByItself) {
  const int64_t t0 = clock_.NowMs();
  ASSERT_TRUE(*io_.Await(locks_a_.Acquire("ov_meet_lock:recording_active_r1", "owner-1",
                                          milliseconds(60000))));
  EXPECT_EQ(peer_.Query({"GET", "ov_meet_lock:recording_active_r1"}),
            std::vector<std::string>{EncodeLockValue(t0, "owner-1")});
  const long long pttl = std::stoll(peer_.Query({"PTTL", "ov_meet_lock:recording_active_r1"})[0]);
  EXPECT_GT(pttl, 59000);
  EXPECT_LE(pttl, 60000);
  // One key per lock, nothing else (no registry entry without a TTL, unlike the reference).
  EXPECT_EQ(peer_.Query({"DBSIZE"}), std::vector<std::string>{"1"});
}

TEST_F(RedisLockServiceTest, ReadsALockWrittenWithoutCreationTime) {
  // E.g. the reference's random value: the owner is the whole value.
  peer_.Query({"SET", "ov_meet_lock:x", "0123abcd", "PX", "60000"});
  auto info = io_.Await(locks_a_.Get("ov_meet_lock:x"));
  ASSERT_TRUE(info.ok());
  ASSERT_TRUE(info->has_value());
  EXPECT_EQ((*info)->owner, "0123abcd");
  EXPECT_EQ((*info)->created_at_ms, 0);
  EXPECT_TRUE(*io_.Await(locks_a_.Release("ov_meet_lock:x", "0123abcd")));
}

TEST_F(RedisLockServiceTest, OtherKeyTypesUnderThePrefixAreNotLocks) {
  peer_.Query({"HSET", "mr:hash", "f", "v"});
  ASSERT_TRUE(*io_.Await(locks_a_.Acquire("mr:lock", "o", milliseconds(60000))));
  auto list = io_.Await(locks_a_.List("mr:"));
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].key, "mr:lock");
}

TEST_F(RedisLockServiceTest, ListPagesThroughManyKeys) {
  for (int i = 0; i < 2500; ++i) {
    peer_.Query({"SET", "other:" + std::to_string(i), "x"});
  }
  for (int i = 0; i < 30; ++i) {
    std::string key = "ov_meet_lock:k";
    key += std::to_string(100 + i);
    ASSERT_TRUE(*io_.Await(locks_a_.Acquire(key, "o", milliseconds(60000))));
  }
  const uint64_t before = client_a_.RoundTrips();
  auto list = io_.Await(locks_a_.List("ov_meet_lock:"));
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 30u);
  EXPECT_EQ(list->front().key, "ov_meet_lock:k100");
  EXPECT_EQ(list->back().key, "ov_meet_lock:k129");
  EXPECT_GE(client_a_.RoundTrips() - before, 3u);  // Several SCAN pages.
}

TEST_F(RedisLockServiceTest, TwoInstancesRacingExactlyOneWins) {
  for (int round = 0; round < 20; ++round) {
    std::string key = "ov_meet_lock:race_";
    key += std::to_string(round);
    std::atomic<int> winners{0};
    std::atomic<int> errors{0};
    auto contender = [](LockService* locks, std::string key, std::string owner,
                        std::atomic<int>* winners, std::atomic<int>* errors) -> Task<bool> {
      auto r = co_await locks->Acquire(std::move(key), std::move(owner), milliseconds(60000));
      if (!r.ok()) {
        ++*errors;
      } else if (*r) {
        ++*winners;
      }
      co_return true;
    };
    std::vector<std::future<bool>> futures;
    for (int i = 0; i < 4; ++i) {
      LockService* locks = i % 2 == 0 ? &locks_a_ : &locks_b_;
      std::string owner = "owner-";
      owner += std::to_string(i);
      futures.push_back(asio::co_spawn(io_.ioc(), contender(locks, key, owner, &winners, &errors),
                                       asio::use_future));
    }
    for (auto& f : futures) {
      ASSERT_EQ(f.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    }
    EXPECT_EQ(winners.load(), 1);
    EXPECT_EQ(errors.load(), 0);
  }
}

TEST_F(RedisLockServiceTest, UnavailableWhileRedisIsDownThenWorksAgain) {
  auto options = OptionsFor(peer_);
  options.command_timeout = milliseconds(300);
  AsioRedisClient client(io_.ioc(), options);
  RedisLockService locks(client, clock_);
  ASSERT_TRUE(*io_.Await(locks.Acquire("ov_meet_lock:a", "o", milliseconds(60000))));

  peer_.Stop();
  auto down = io_.Await(locks.Acquire("ov_meet_lock:b", "o", milliseconds(60000)));
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(io_.Await(locks.List("")).status().code(), StatusCode::kUnavailable);

  peer_.Start();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  Result<bool> r = false;
  do {
    r = io_.Await(locks.Acquire("ov_meet_lock:b", "o", milliseconds(60000)));
  } while (!r.ok() && std::chrono::steady_clock::now() < deadline);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(*r);
  // The restarted server has no data: the lock taken before the outage is free (scripts are
  // reloaded on NOSCRIPT).
  EXPECT_FALSE(*io_.Await(locks.Release("ov_meet_lock:a", "o")));
  EXPECT_TRUE(*io_.Await(locks.Acquire("ov_meet_lock:a", "o2", milliseconds(60000))));
}

TEST_F(RedisLockServiceTest, OneRoundTripPerOperation) {
  // Load the scripts once (a fresh server answers NOSCRIPT the first time).
  ASSERT_TRUE(io_.Await(locks_a_.Renew("warm", "o", milliseconds(1000))).ok());
  ASSERT_TRUE(io_.Await(locks_a_.Release("warm", "o")).ok());
  ASSERT_TRUE(io_.Await(locks_a_.Get("warm")).ok());
  struct Case {
    const char* name;
    std::function<Task<bool>()> op;
  };
  auto ok = [](auto task) -> Task<bool> {
    auto r = co_await std::move(task);
    co_return r.ok();
  };
  const std::vector<Case> cases = {
      {"acquire", [&] { return ok(locks_a_.Acquire("k", "o", milliseconds(60000))); }},
      {"get", [&] { return ok(locks_a_.Get("k")); }},
      {"renew", [&] { return ok(locks_a_.Renew("k", "o", milliseconds(60000))); }},
      {"release", [&] { return ok(locks_a_.Release("k", "o")); }},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const uint64_t before = client_a_.RoundTrips();
    EXPECT_TRUE(io_.Await(c.op()));
    EXPECT_EQ(client_a_.RoundTrips() - before, 1u);
  }
}

TEST(RedisLockHelpersTest, EscapeGlob) {
  EXPECT_EQ(EscapeGlob("ov_meet_lock:"), "ov_meet_lock:");
  EXPECT_EQ(EscapeGlob("a*b?c[d]e\\f"), "a\\*b\\?c\\[d\\]e\\\\f");
}

}  // namespace
}  // namespace mr::coordination::redis
