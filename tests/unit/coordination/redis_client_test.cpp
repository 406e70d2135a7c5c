// AsioRedisClient against a real redis-server (tests/peers/redis_peer.hpp).
#include "coordination/redis/asio_redis_client.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>

#include "common/async.hpp"
#include "coordination/redis/redis_options.hpp"
#include "peers/redis_peer.hpp"
#include "unit/coordination/redis_test_support.hpp"

namespace mr::coordination::redis {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class RedisClientTest : public ::testing::Test {
 protected:
  Result<RedisReply> Cmd(AsioRedisClient& c, std::vector<std::string> args) {
    return io_.Await(c.Command(std::move(args)));
  }
  Result<RedisReply> Cmd(std::vector<std::string> args) { return Cmd(*client_, std::move(args)); }

  // Polls until `c` answers a PING (bounded).
  bool WaitUsable(AsioRedisClient& c, std::chrono::milliseconds limit = 5s) {
    const auto deadline = Clock::now() + limit;
    while (Clock::now() < deadline) {
      if (Cmd(c, {"PING"}).ok()) {
        return true;
      }
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  test::RedisPeer peer_;
  IoThreads io_;
  std::unique_ptr<AsioRedisClient> client_ =
      std::make_unique<AsioRedisClient>(io_.ioc(), OptionsFor(peer_));
};

TEST_F(RedisClientTest, ConnectAndBasicReplyTypes) {
  ASSERT_TRUE(io_.Await(client_->Connect()).ok());
  EXPECT_TRUE(client_->connected());

  auto set = Cmd({"SET", "k", "v"});
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->type, RedisReply::Type::kStatus);
  EXPECT_EQ(set->str, "OK");

  auto get = Cmd({"GET", "k"});
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->type, RedisReply::Type::kString);
  EXPECT_EQ(get->str, "v");

  auto missing = Cmd({"GET", "missing"});
  ASSERT_TRUE(missing.ok());
  EXPECT_TRUE(missing->is_nil());

  auto incr = Cmd({"INCRBY", "n", "41"});
  ASSERT_TRUE(incr.ok());
  EXPECT_EQ(incr->type, RedisReply::Type::kInteger);
  EXPECT_EQ(incr->integer, 41);

  ASSERT_TRUE(Cmd({"RPUSH", "list", "a", "b", "c"}).ok());
  auto range = Cmd({"LRANGE", "list", "0", "-1"});
  ASSERT_TRUE(range.ok());
  ASSERT_EQ(range->type, RedisReply::Type::kArray);
  ASSERT_EQ(range->elements.size(), 3u);
  EXPECT_EQ(range->elements[2].str, "c");

  auto empty = Cmd({"LRANGE", "nolist", "0", "-1"});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->type, RedisReply::Type::kArray);
  EXPECT_TRUE(empty->elements.empty());

  EXPECT_EQ(peer_.Query({"GET", "k"}), std::vector<std::string>{"v"});
}

TEST_F(RedisClientTest, ArgumentsAndValuesAreBinarySafe) {
  std::string key("bin\0key \r\n", 10);
  std::string value;
  for (int i = 0; i < 256; ++i) {
    value.push_back(static_cast<char>(i));
  }
  value += std::string(100000, 'x');  // Larger than one socket read.
  ASSERT_TRUE(Cmd({"SET", key, value}).ok());
  auto get = Cmd({"GET", key});
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->str, value);
  EXPECT_EQ(peer_.Query({"STRLEN", key}), std::vector<std::string>{"100256"});
}

TEST_F(RedisClientTest, ErrorReplyIsInternalWithRedisText) {
  ASSERT_TRUE(Cmd({"SET", "s", "not a number"}).ok());
  struct Case {
    std::vector<std::string> args;
    std::string starts_with;
  };
  const std::vector<Case> cases = {
      {{"INCR", "s"}, "ERR value is not an integer"},
      {{"LPUSH", "s", "x"}, "WRONGTYPE"},
      {{"NOSUCHCOMMAND"}, "ERR unknown command"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.args[0]);
    auto r = Cmd(c.args);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInternal);
    EXPECT_EQ(r.status().message().rfind(c.starts_with, 0), 0u) << r.status().message();
  }
  EXPECT_TRUE(Cmd({"PING"}).ok());  // The connection is fine after error replies.
}

TEST_F(RedisClientTest, EvalLoadsScriptOnNoscriptAndKeepsNestedArrays) {
  auto script = RedisScript::From("return {KEYS[1], ARGV[1], {7, 'x'}, redis.call('GET', KEYS[1])}");
  EXPECT_EQ(peer_.Query({"SCRIPT", "LOAD", script.source}), std::vector<std::string>{script.sha1});
  ASSERT_TRUE(Cmd({"SCRIPT", "FLUSH"}).ok());

  auto check = [&](const Result<RedisReply>& r) {
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->elements.size(), 4u);
    EXPECT_EQ(r->elements[0].str, "key");
    EXPECT_EQ(r->elements[1].str, "arg");
    ASSERT_EQ(r->elements[2].type, RedisReply::Type::kArray);
    EXPECT_EQ(r->elements[2].elements[0].integer, 7);
    EXPECT_EQ(r->elements[2].elements[1].str, "x");
    EXPECT_TRUE(r->elements[3].is_nil());  // GET of a missing key: Lua false, a nil element.
  };
  uint64_t before = client_->RoundTrips();
  check(io_.Await(client_->Eval(script, {"key"}, {"arg"})));  // NOSCRIPT, then EVAL.
  EXPECT_EQ(client_->RoundTrips() - before, 2u);
  before = client_->RoundTrips();
  check(io_.Await(client_->Eval(script, {"key"}, {"arg"})));  // Cached now.
  EXPECT_EQ(client_->RoundTrips() - before, 1u);

  peer_.Query({"SCRIPT", "FLUSH"});
  check(io_.Await(client_->Eval(script, {"key"}, {"arg"})));

  auto failing = RedisScript::From("return redis.call('INCR', KEYS[1])");
  ASSERT_TRUE(Cmd({"SET", "str", "abc"}).ok());
  auto r = io_.Await(client_->Eval(failing, {"str"}, {}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
  EXPECT_NE(r.status().message().find("not an integer"), std::string::npos);
}

TEST_F(RedisClientTest, SelectsTheConfiguredDatabaseAfterEveryConnect) {
  auto options = OptionsFor(peer_);
  options.db = 3;
  AsioRedisClient client(io_.ioc(), options);
  ASSERT_TRUE(Cmd(client, {"SET", "in-db-3", "x"}).ok());
  EXPECT_EQ(peer_.Query({"EXISTS", "in-db-3"}), std::vector<std::string>{"0"});  // Db 0.
  auto info = Cmd(client, {"CLIENT", "INFO"});
  ASSERT_TRUE(info.ok());
  EXPECT_NE(info->str.find(" db=3 "), std::string::npos) << info->str;

  peer_.Restart();
  ASSERT_TRUE(WaitUsable(client));
  info = Cmd(client, {"CLIENT", "INFO"});
  ASSERT_TRUE(info.ok());
  EXPECT_NE(info->str.find(" db=3 "), std::string::npos) << info->str;
}

TEST_F(RedisClientTest, ThousandConcurrentCommandsFromTwoThreads) {
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  std::atomic<int> finished{0};
  auto worker = [&] {
    for (int i = 0; i < 500; ++i) {
      auto one = [](AsioRedisClient* c, std::atomic<int>* ok, std::atomic<int>* failed,
                    std::atomic<int>* finished) -> Task<void> {
        std::vector<std::string> args = {"INCR", "counter"};
        auto r = co_await c->Command(std::move(args));
        (r.ok() && r->type == RedisReply::Type::kInteger ? *ok : *failed) += 1;
        *finished += 1;
      };
      asio::co_spawn(io_.ioc(), one(client_.get(), &ok, &failed, &finished), asio::detached);
    }
  };
  const uint64_t before = client_->RoundTrips();
  std::thread a(worker);
  std::thread b(worker);
  a.join();
  b.join();
  const auto deadline = Clock::now() + 20s;
  while (finished.load() < 1000 && Clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_EQ(finished.load(), 1000);
  EXPECT_EQ(ok.load(), 1000);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(peer_.Query({"GET", "counter"}), std::vector<std::string>{"1000"});
  EXPECT_EQ(client_->RoundTrips() - before, 1000u);
}

TEST_F(RedisClientTest, RedisDownFailsWithinCommandTimeoutAndReconnectsByItself) {
  auto options = OptionsFor(peer_);
  options.command_timeout = 300ms;
  AsioRedisClient client(io_.ioc(), options);
  ASSERT_TRUE(Cmd(client, {"SET", "k", "v"}).ok());
  const uint64_t connects = client.ConnectsForTest();

  peer_.Stop();
  const uint64_t trips = client.RoundTrips();
  for (int i = 0; i < 3; ++i) {
    const auto t0 = Clock::now();
    auto r = Cmd(client, {"GET", "k"});
    const auto elapsed = Clock::now() - t0;
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
    EXPECT_LT(elapsed, 1500ms);
  }
  EXPECT_FALSE(client.connected());
  // Only a command sent before the drop was noticed reached the wire.
  EXPECT_LE(client.RoundTrips() - trips, 1u);

  peer_.Start();
  ASSERT_TRUE(WaitUsable(client));
  EXPECT_GT(client.ConnectsForTest(), connects);
  // Same port, but a fresh server without persistence: the data is gone, the connection works.
  auto r = Cmd(client, {"GET", "k"});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->is_nil());
}

TEST_F(RedisClientTest, CommandInFlightFailsAtOnceWhenTheConnectionDrops) {
  auto options = OptionsFor(peer_);
  options.command_timeout = 8000ms;
  AsioRedisClient client(io_.ioc(), options);
  ASSERT_TRUE(io_.Await(client.Connect()).ok());
  std::vector<std::string> blpop = {"BLPOP", "never", "0"};
  auto fut = asio::co_spawn(
      io_.ioc(),
      [](AsioRedisClient* c, std::vector<std::string> args) -> Task<Status> {
        auto r = co_await c->Command(std::move(args));
        co_return r.status();
      }(&client, std::move(blpop)),
      asio::use_future);
  std::this_thread::sleep_for(100ms);  // Let BLPOP reach the server.
  const auto t0 = Clock::now();
  peer_.Stop();
  ASSERT_EQ(fut.wait_for(4s), std::future_status::ready);
  EXPECT_LT(Clock::now() - t0, 4s);
  Status st = fut.get();
  EXPECT_EQ(st.code(), StatusCode::kUnavailable) << st.ToString();
}

TEST_F(RedisClientTest, StopFailsWaitingCommandsAtOnce) {
  peer_.Stop();
  auto options = OptionsFor(peer_);
  options.command_timeout = 30s;
  AsioRedisClient client(io_.ioc(), options);
  auto fut = asio::co_spawn(
      io_.ioc(),
      [](AsioRedisClient* c) -> Task<Status> {
        std::vector<std::string> args = {"PING"};
        auto r = co_await c->Command(std::move(args));
        co_return r.status();
      }(&client),
      asio::use_future);
  std::this_thread::sleep_for(100ms);
  client.Stop();
  ASSERT_EQ(fut.wait_for(2s), std::future_status::ready);
  EXPECT_EQ(fut.get().code(), StatusCode::kUnavailable);
  EXPECT_EQ(Cmd(client, {"PING"}).status().code(), StatusCode::kUnavailable);
}

TEST(RedisClientAuthTest, AuthenticatesAndReportsAWrongPasswordClearly) {
  test::RedisPeer peer("s3cret-pass");
  IoThreads io;
  struct Case {
    const char* name;
    std::string username;
    std::string password;
    bool ok;
  };
  const std::vector<Case> cases = {
      {"password only", "", "s3cret-pass", true},
      {"default user", "default", "s3cret-pass", true},
      {"wrong password", "", "wrong-pass", false},
      {"no password", "", "", false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto options = OptionsFor(peer);
    options.username = c.username;
    options.password = c.password;
    options.command_timeout = 500ms;
    AsioRedisClient client(io.ioc(), options);
    Status st = io.Await(client.Connect());
    EXPECT_EQ(st.ok(), c.ok) << st.ToString();
    if (!c.ok) {
      EXPECT_EQ(st.code(), StatusCode::kUnavailable);
      // "AUTH failed: WRONGPASS ..." or, without AUTH, "PING failed: NOAUTH ...".
      EXPECT_NE(st.message().find("AUTH"), std::string::npos) << st.message();
      EXPECT_EQ(st.message().find("wrong-pass"), std::string::npos) << "password leaked";
    } else {
      std::vector<std::string> set = {"SET", "a", "1"};
      EXPECT_TRUE(io.Await(client.Command(std::move(set))).ok());
    }
  }
}

TEST(RedisOptionsTest, FromEnv) {
  using Env = std::map<std::string, std::string>;
  auto ok = RedisOptionsFromEnv(Env{{"MEET_REDIS_HOST", "redis.local"},
                                    {"MEET_REDIS_PORT", "6380"},
                                    {"MEET_REDIS_USERNAME", "meet"},
                                    {"MEET_REDIS_PASSWORD", "pw"},
                                    {"MEET_REDIS_DB", "2"},
                                    {"MEET_REDIS_COMMAND_TIMEOUT_MS", "750"}});
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  ASSERT_TRUE(ok->has_value());
  const RedisOptions& o = **ok;
  EXPECT_EQ(o.host, "redis.local");
  EXPECT_EQ(o.port, 6380);
  EXPECT_EQ(o.username, "meet");
  EXPECT_EQ(o.password, "pw");
  EXPECT_EQ(o.db, 2);
  EXPECT_EQ(o.command_timeout, 750ms);

  auto defaults = RedisOptionsFromEnv(Env{{"MEET_REDIS_HOST", "h"}});
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ((*defaults)->port, 6379);
  EXPECT_EQ((*defaults)->db, 0);
  EXPECT_EQ((*defaults)->password, "");  // Not the reference's `redispassword`.
  EXPECT_EQ((*defaults)->command_timeout, 5000ms);

  auto none = RedisOptionsFromEnv(Env{{"MEET_REDIS_PASSWORD", "pw"}});
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  struct Bad {
    Env env;
    std::string mentions;
  };
  const std::vector<Bad> bad = {
      {{{"MEET_REDIS_HOST", "h"}, {"MEET_REDIS_PORT", "0"}}, "MEET_REDIS_PORT"},
      {{{"MEET_REDIS_HOST", "h"}, {"MEET_REDIS_PORT", "70000"}}, "MEET_REDIS_PORT"},
      {{{"MEET_REDIS_HOST", "h"}, {"MEET_REDIS_DB", "x"}}, "MEET_REDIS_DB"},
      {{{"MEET_REDIS_HOST", "h"}, {"MEET_REDIS_COMMAND_TIMEOUT_MS", "-1"}},
       "MEET_REDIS_COMMAND_TIMEOUT_MS"},
      {{{"MEET_REDIS_HOST", "h"}, {"MEET_REDIS_USERNAME", "u"}}, "MEET_REDIS_PASSWORD"},
      {{{"MEET_REDIS_SENTINEL_HOST_LIST", "a:26379"}}, "MEET_REDIS_SENTINEL_PASSWORD"},
      {{{"MEET_REDIS_SENTINEL_HOST_LIST", "a:26379"}, {"MEET_REDIS_SENTINEL_PASSWORD", ""}},
       "MEET_REDIS_SENTINEL_PASSWORD"},
      {{{"MEET_REDIS_SENTINEL_HOST_LIST", "a"}, {"MEET_REDIS_SENTINEL_PASSWORD", "s"}},
       "MEET_REDIS_SENTINEL_HOST_LIST"},
      {{{"MEET_REDIS_SENTINEL_HOST_LIST", "a:1,b:0"}, {"MEET_REDIS_SENTINEL_PASSWORD", "s"}},
       "MEET_REDIS_SENTINEL_HOST_LIST"},
      {{{"MEET_REDIS_SENTINEL_HOST_LIST", "a:65536"}, {"MEET_REDIS_SENTINEL_PASSWORD", "s"}},
       "MEET_REDIS_SENTINEL_HOST_LIST"},
      {{{"MEET_REDIS_SENTINEL_HOST_LIST", ":26379"}, {"MEET_REDIS_SENTINEL_PASSWORD", "s"}},
       "MEET_REDIS_SENTINEL_HOST_LIST"},
      {{{"MEET_REDIS_SENTINEL_HOST_LIST", "a:x"}, {"MEET_REDIS_SENTINEL_PASSWORD", "s"}},
       "MEET_REDIS_SENTINEL_HOST_LIST"},
      {{{"MEET_REDIS_SENTINEL_HOST_LIST", "a:1"},
        {"MEET_REDIS_SENTINEL_PASSWORD", "s"},
        {"MEET_REDIS_USERNAME", "u"}},
       "MEET_REDIS_PASSWORD"},
  };
  for (const Bad& b : bad) {
    SCOPED_TRACE(b.mentions);
    auto r = RedisOptionsFromEnv(b.env);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(b.mentions), std::string::npos) << r.status().message();
    EXPECT_EQ(r.status().message().find('\n'), std::string::npos) << "one line";
  }
}

TEST(RedisOptionsTest, SentinelFromEnv) {
  using Env = std::map<std::string, std::string>;
  // MEET_REDIS_HOST/PORT are ignored (even invalid) in Sentinel mode; the master's credentials
  // and db still apply.
  auto ok = RedisOptionsFromEnv(Env{{"MEET_REDIS_SENTINEL_HOST_LIST", " s1:26379 , 10.0.0.2:26380,"},
                                    {"MEET_REDIS_SENTINEL_PASSWORD", "sentinel-pw"},
                                    {"MEET_REDIS_SENTINEL_MASTER_NAME", "meet"},
                                    {"MEET_REDIS_HOST", "ignored"},
                                    {"MEET_REDIS_PORT", "not-a-port"},
                                    {"MEET_REDIS_PASSWORD", "pw"},
                                    {"MEET_REDIS_DB", "3"}});
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  ASSERT_TRUE(ok->has_value());
  const RedisOptions& o = **ok;
  EXPECT_TRUE(o.sentinel_mode());
  ASSERT_EQ(o.sentinels.size(), 2u);
  EXPECT_EQ(o.sentinels[0].host, "s1");
  EXPECT_EQ(o.sentinels[0].port, 26379);
  EXPECT_EQ(o.sentinels[1].host, "10.0.0.2");
  EXPECT_EQ(o.sentinels[1].port, 26380);
  EXPECT_EQ(o.sentinel_password, "sentinel-pw");
  EXPECT_EQ(o.sentinel_master_name, "meet");
  EXPECT_EQ(o.password, "pw");
  EXPECT_EQ(o.db, 3);
  const std::string described = DescribeRedisEndpoint(o);
  EXPECT_EQ(described, "master 'meet' via sentinels s1:26379,10.0.0.2:26380");

  // Sentinel mode needs no MEET_REDIS_HOST; the master name defaults to the reference's.
  auto defaults = RedisOptionsFromEnv(Env{{"MEET_REDIS_SENTINEL_HOST_LIST", "s:26379"},
                                          {"MEET_REDIS_SENTINEL_PASSWORD", "sentinel-pw"}});
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  ASSERT_TRUE(defaults->has_value());
  EXPECT_EQ((*defaults)->sentinel_master_name, "openvidu");

  // Only separators: not Sentinel mode.
  auto blank = RedisOptionsFromEnv(Env{{"MEET_REDIS_SENTINEL_HOST_LIST", " , "}});
  ASSERT_TRUE(blank.ok());
  EXPECT_FALSE(blank->has_value());

  // Errors never print a password.
  auto bad = RedisOptionsFromEnv(Env{{"MEET_REDIS_SENTINEL_HOST_LIST", "s"},
                                     {"MEET_REDIS_SENTINEL_PASSWORD", "sentinel-pw"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().find("sentinel-pw"), std::string::npos);
}

}  // namespace
}  // namespace mr::coordination::redis
