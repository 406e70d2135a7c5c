// LockService semantics, run against every implementation (typed suite): the in-process one on a
// FakeClock, and RedisLockService on a real redis-server, where time really passes (short TTLs,
// margins) and a FakeClock advanced alongside gives the dates. Cases that need exact times
// (expiry at the millisecond) run in-process only, at the end.
#include "coordination/lock_service.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "common/async.hpp"
#include "coordination/redis/asio_redis_client.hpp"
#include "coordination/redis/redis_lock_service.hpp"
#include "fakes/fake_clock.hpp"
#include "peers/redis_peer.hpp"
#include "unit/coordination/redis_test_support.hpp"

namespace mr::coordination {
namespace {

using std::chrono::milliseconds;

struct InProcessBackend {
  static constexpr milliseconds kTtl{1000};     // The TTL of time-dependent cases.
  static constexpr milliseconds kMargin{0};     // Past an expiry by this much = expired.
  static constexpr milliseconds kTolerance{0};  // On dates read back.

  template <typename T>
  T Run(Task<T> task) {
    return RunTask(ioc, std::move(task));
  }
  void Elapse(milliseconds d) { clock.Advance(d); }
  LockService& locks() { return service; }

  asio::io_context ioc;
  fakes::FakeClock clock;
  InProcessLockService service{clock};
};

struct RedisBackend {
  static constexpr milliseconds kTtl{400};
  static constexpr milliseconds kMargin{100};
  static constexpr milliseconds kTolerance{100};

  template <typename T>
  T Run(Task<T> task) {
    return io.Await(std::move(task));
  }
  // Redis' time really passes; the FakeClock, which dates the locks, follows it.
  void Elapse(milliseconds d) {
    std::this_thread::sleep_for(d);
    clock.Advance(d);
  }
  LockService& locks() { return service; }

  test::RedisPeer peer;
  redis::IoThreads io;
  fakes::FakeClock clock;
  redis::AsioRedisClient client{io.ioc(), redis::OptionsFor(peer)};
  redis::RedisLockService service{client, clock};
};

template <typename Backend>
class LockServiceTest : public ::testing::Test {
 protected:
  static constexpr milliseconds kTtl = Backend::kTtl;
  static constexpr milliseconds kMargin = Backend::kMargin;

  bool Acquire(const std::string& key, const std::string& owner, milliseconds ttl) {
    auto r = b_.Run(b_.locks().Acquire(key, owner, ttl));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() && *r;
  }
  bool Renew(const std::string& key, const std::string& owner, milliseconds ttl) {
    auto r = b_.Run(b_.locks().Renew(key, owner, ttl));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() && *r;
  }
  bool Release(const std::string& key, const std::string& owner) {
    auto r = b_.Run(b_.locks().Release(key, owner));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() && *r;
  }
  std::optional<LockInfo> Get(const std::string& key) {
    auto r = b_.Run(b_.locks().Get(key));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::nullopt;
  }
  std::vector<std::string> ListKeys(const std::string& prefix) {
    auto r = b_.Run(b_.locks().List(prefix));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    std::vector<std::string> keys;
    if (r.ok()) {
      for (const auto& info : *r) {
        keys.push_back(info.key);
      }
    }
    return keys;
  }
  void ExpectNear(int64_t got, int64_t want) {
    EXPECT_LE(got, want) << "want " << want;
    EXPECT_GE(got, want - Backend::kTolerance.count()) << "want " << want;
  }

  Backend b_;
};

using Backends = ::testing::Types<InProcessBackend, RedisBackend>;
struct BackendNames {
  template <typename T>
  static std::string GetName(int) {
    return std::is_same_v<T, InProcessBackend> ? "InProcess" : "Redis";
  }
};
TYPED_TEST_SUITE(LockServiceTest, Backends, BackendNames);

TYPED_TEST(LockServiceTest, AcquireFreeLockRecordsOwnerAndTimes) {
  const int64_t t0 = this->b_.clock.NowMs();
  ASSERT_TRUE(this->Acquire("room:a", "owner-1", milliseconds(5000)));
  auto info = this->Get("room:a");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->key, "room:a");
  EXPECT_EQ(info->owner, "owner-1");
  EXPECT_EQ(info->created_at_ms, t0);
  this->ExpectNear(info->expires_at_ms, t0 + 5000);
}

TYPED_TEST(LockServiceTest, HeldLockCannotBeAcquiredByAnyone) {
  ASSERT_TRUE(this->Acquire("room:a", "owner-1", milliseconds(5000)));
  EXPECT_FALSE(this->Acquire("room:a", "owner-2", milliseconds(5000)));
  // The owner itself must Renew, not Acquire again.
  EXPECT_FALSE(this->Acquire("room:a", "owner-1", milliseconds(5000)));
  EXPECT_EQ(this->Get("room:a")->owner, "owner-1");
  EXPECT_TRUE(this->Acquire("room:b", "owner-2", milliseconds(5000)));
}

TYPED_TEST(LockServiceTest, LockExpiresAtItsTtl) {
  const auto ttl = this->kTtl;
  ASSERT_TRUE(this->Acquire("k", "owner-1", ttl));
  EXPECT_TRUE(this->Get("k").has_value());
  EXPECT_FALSE(this->Acquire("k", "owner-2", ttl));
  this->b_.Elapse(ttl + this->kMargin);
  EXPECT_FALSE(this->Get("k").has_value());
  EXPECT_TRUE(this->Acquire("k", "owner-2", ttl));
  EXPECT_EQ(this->Get("k")->owner, "owner-2");
}

TYPED_TEST(LockServiceTest, RenewExtendsFromNowAndKeepsCreatedAt) {
  const auto ttl = this->kTtl;
  const int64_t t0 = this->b_.clock.NowMs();
  ASSERT_TRUE(this->Acquire("k", "owner-1", ttl));
  this->b_.Elapse(ttl / 2);
  ASSERT_TRUE(this->Renew("k", "owner-1", ttl));
  auto info = this->Get("k");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->created_at_ms, t0);
  this->ExpectNear(info->expires_at_ms, t0 + (ttl / 2 + ttl).count());
  this->b_.Elapse(ttl * 3 / 4);  // Past the original expiry, before the renewed one.
  EXPECT_TRUE(this->Get("k").has_value());
}

TYPED_TEST(LockServiceTest, RenewAndReleaseNeedTheOwnerAndAHeldLock) {
  enum class Op { kRenew, kRelease };
  struct Case {
    const char* name;
    Op op;
    const char* owner;
    bool expire_first;
    bool expected;
    bool held_after;
  };
  const Case cases[] = {
      {"renew by owner", Op::kRenew, "owner-1", false, true, true},
      {"renew by other", Op::kRenew, "owner-2", false, false, true},
      {"renew after expiry", Op::kRenew, "owner-1", true, false, false},
      {"release by owner", Op::kRelease, "owner-1", false, true, false},
      {"release by other", Op::kRelease, "owner-2", false, false, true},
      {"release after expiry", Op::kRelease, "owner-1", true, false, false},
  };
  const auto ttl = this->kTtl;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::string key = "k:";
    key += c.name;
    // Cases that do not wait get a long TTL, so real time passing cannot expire them.
    ASSERT_TRUE(this->Acquire(key, "owner-1", c.expire_first ? ttl : milliseconds(60000)));
    if (c.expire_first) {
      this->b_.Elapse(ttl + this->kMargin);
    }
    const bool got = c.op == Op::kRenew ? this->Renew(key, c.owner, milliseconds(60000))
                                        : this->Release(key, c.owner);
    EXPECT_EQ(got, c.expected);
    auto info = this->Get(key);
    EXPECT_EQ(info.has_value(), c.held_after);
    if (info) {
      EXPECT_EQ(info->owner, "owner-1");
    }
  }
}

TYPED_TEST(LockServiceTest, RenewAndReleaseOfUnknownLockAreFalse) {
  EXPECT_FALSE(this->Renew("nope", "owner-1", milliseconds(1000)));
  EXPECT_FALSE(this->Release("nope", "owner-1"));
}

TYPED_TEST(LockServiceTest, ReleasedLockCanBeTakenByAnother) {
  ASSERT_TRUE(this->Acquire("k", "owner-1", milliseconds(1000)));
  ASSERT_TRUE(this->Release("k", "owner-1"));
  EXPECT_TRUE(this->Acquire("k", "owner-2", milliseconds(1000)));
  EXPECT_EQ(this->Get("k")->owner, "owner-2");
}

TYPED_TEST(LockServiceTest, OwnerMayContainTheSeparator) {
  ASSERT_TRUE(this->Acquire("k", "a|b|c", milliseconds(5000)));
  EXPECT_EQ(this->Get("k")->owner, "a|b|c");
  EXPECT_FALSE(this->Release("k", "b|c"));
  EXPECT_TRUE(this->Release("k", "a|b|c"));
}

TYPED_TEST(LockServiceTest, ListReturnsHeldLocksWithPrefixInKeyOrder) {
  const auto ttl = this->kTtl;
  const milliseconds long_ttl(60000);
  ASSERT_TRUE(this->Acquire("mr:room:c", "o", long_ttl));
  ASSERT_TRUE(this->Acquire("mr:room:a", "o", long_ttl));
  ASSERT_TRUE(this->Acquire("mr:room:b", "o", ttl));  // Expires below.
  ASSERT_TRUE(this->Acquire("mr:roomz", "o", long_ttl));
  ASSERT_TRUE(this->Acquire("mr:task:x", "o", long_ttl));
  ASSERT_TRUE(this->Acquire("mr:rool", "o", long_ttl));
  ASSERT_TRUE(this->Acquire("mr:*glob?[x]", "o", long_ttl));
  this->b_.Elapse(ttl + this->kMargin);

  struct Case {
    const char* prefix;
    std::vector<std::string> keys;
  };
  const std::vector<Case> cases = {
      {"mr:room:", {"mr:room:a", "mr:room:c"}},
      {"mr:room", {"mr:room:a", "mr:room:c", "mr:roomz"}},
      {"mr:task:", {"mr:task:x"}},
      {"mr:nothing", {}},
      {"mr:*", {"mr:*glob?[x]"}},  // Glob characters in a prefix are literal.
      {"mr:?", {}},
      {"", {"mr:*glob?[x]", "mr:rool", "mr:room:a", "mr:room:c", "mr:roomz", "mr:task:x"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.prefix);
    EXPECT_EQ(this->ListKeys(c.prefix), c.keys);
  }
}

// In-process only: exact times on the FakeClock.
class InProcessLockServiceTest : public LockServiceTest<InProcessBackend> {
 protected:
  InProcessLockService& service() { return b_.service; }
};

TEST_F(InProcessLockServiceTest, LockExpiresExactlyAtItsTtl) {
  struct Case {
    const char* name;
    milliseconds advance;
    bool still_held;
  };
  const Case cases[] = {
      {"just acquired", milliseconds(0), true},
      {"one ms before expiry", milliseconds(999), true},
      {"at expiry", milliseconds(1000), false},
      {"long after", milliseconds(60000), false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string key = std::string("k:") + c.name;
    ASSERT_TRUE(Acquire(key, "owner-1", milliseconds(1000)));
    b_.clock.Advance(c.advance);
    EXPECT_EQ(Get(key).has_value(), c.still_held);
    EXPECT_EQ(Acquire(key, "owner-2", milliseconds(1000)), !c.still_held);
  }
}

TEST_F(InProcessLockServiceTest, ExpiredLockIsDroppedAndNotCounted) {
  ASSERT_TRUE(Acquire("a", "o", milliseconds(1000)));
  ASSERT_TRUE(Acquire("b", "o", milliseconds(3000)));
  EXPECT_EQ(service().SizeForTest(), 2u);
  b_.clock.Advance(milliseconds(2000));
  EXPECT_EQ(service().SizeForTest(), 1u);
  EXPECT_FALSE(Get("a").has_value());
}

TEST_F(InProcessLockServiceTest, ExactDatesAfterRenew) {
  const int64_t t0 = b_.clock.NowMs();
  ASSERT_TRUE(Acquire("k", "owner-1", milliseconds(1000)));
  b_.clock.Advance(milliseconds(800));
  ASSERT_TRUE(Renew("k", "owner-1", milliseconds(1000)));
  EXPECT_EQ(Get("k")->expires_at_ms, t0 + 1800);
  b_.clock.Advance(milliseconds(999));
  EXPECT_TRUE(Get("k").has_value());
  b_.clock.Advance(milliseconds(1));
  EXPECT_FALSE(Get("k").has_value());
}

}  // namespace
}  // namespace mr::coordination
