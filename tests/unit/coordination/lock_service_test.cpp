#include "coordination/lock_service.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/async.hpp"
#include "fakes/fake_clock.hpp"

namespace mr::coordination {
namespace {

using std::chrono::milliseconds;

class LockServiceTest : public ::testing::Test {
 protected:
  bool Acquire(const std::string& key, const std::string& owner, milliseconds ttl) {
    auto r = RunTask(ioc_, locks_.Acquire(key, owner, ttl));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() && *r;
  }
  bool Renew(const std::string& key, const std::string& owner, milliseconds ttl) {
    auto r = RunTask(ioc_, locks_.Renew(key, owner, ttl));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() && *r;
  }
  bool Release(const std::string& key, const std::string& owner) {
    auto r = RunTask(ioc_, locks_.Release(key, owner));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() && *r;
  }
  std::optional<LockInfo> Get(const std::string& key) {
    auto r = RunTask(ioc_, locks_.Get(key));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::nullopt;
  }
  std::vector<std::string> ListKeys(const std::string& prefix) {
    auto r = RunTask(ioc_, locks_.List(prefix));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    std::vector<std::string> keys;
    if (r.ok()) {
      for (const auto& info : *r) {
        keys.push_back(info.key);
      }
    }
    return keys;
  }

  asio::io_context ioc_;
  fakes::FakeClock clock_;
  InProcessLockService locks_{clock_};
};

TEST_F(LockServiceTest, AcquireFreeLockRecordsOwnerAndTimes) {
  const int64_t t0 = clock_.NowMs();
  ASSERT_TRUE(Acquire("room:a", "owner-1", milliseconds(5000)));
  auto info = Get("room:a");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->key, "room:a");
  EXPECT_EQ(info->owner, "owner-1");
  EXPECT_EQ(info->created_at_ms, t0);
  EXPECT_EQ(info->expires_at_ms, t0 + 5000);
  EXPECT_EQ(locks_.SizeForTest(), 1u);
}

TEST_F(LockServiceTest, HeldLockCannotBeAcquiredByAnyone) {
  ASSERT_TRUE(Acquire("room:a", "owner-1", milliseconds(5000)));
  EXPECT_FALSE(Acquire("room:a", "owner-2", milliseconds(5000)));
  // The owner itself must Renew, not Acquire again.
  EXPECT_FALSE(Acquire("room:a", "owner-1", milliseconds(5000)));
  EXPECT_EQ(Get("room:a")->owner, "owner-1");
  EXPECT_TRUE(Acquire("room:b", "owner-2", milliseconds(5000)));
}

TEST_F(LockServiceTest, LockExpiresExactlyAtItsTtl) {
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
    clock_.Advance(c.advance);
    EXPECT_EQ(Get(key).has_value(), c.still_held);
    EXPECT_EQ(Acquire(key, "owner-2", milliseconds(1000)), !c.still_held);
  }
}

TEST_F(LockServiceTest, ExpiredLockIsDroppedAndNotCounted) {
  ASSERT_TRUE(Acquire("a", "o", milliseconds(1000)));
  ASSERT_TRUE(Acquire("b", "o", milliseconds(3000)));
  clock_.Advance(milliseconds(2000));
  EXPECT_EQ(locks_.SizeForTest(), 1u);
  EXPECT_FALSE(Get("a").has_value());
}

TEST_F(LockServiceTest, RenewExtendsFromNowAndKeepsCreatedAt) {
  const int64_t t0 = clock_.NowMs();
  ASSERT_TRUE(Acquire("k", "owner-1", milliseconds(1000)));
  clock_.Advance(milliseconds(800));
  ASSERT_TRUE(Renew("k", "owner-1", milliseconds(1000)));
  auto info = Get("k");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->created_at_ms, t0);
  EXPECT_EQ(info->expires_at_ms, t0 + 1800);
  clock_.Advance(milliseconds(900));  // Past the original expiry, before the renewed one.
  EXPECT_TRUE(Get("k").has_value());
}

TEST_F(LockServiceTest, RenewAndReleaseNeedTheOwnerAndAHeldLock) {
  enum class Op { kRenew, kRelease };
  struct Case {
    const char* name;
    Op op;
    const char* owner;
    milliseconds advance;  // Before the operation; the lock's TTL is 1000 ms.
    bool expected;
    bool held_after;
  };
  const Case cases[] = {
      {"renew by owner", Op::kRenew, "owner-1", milliseconds(0), true, true},
      {"renew by other", Op::kRenew, "owner-2", milliseconds(0), false, true},
      {"renew after expiry", Op::kRenew, "owner-1", milliseconds(1000), false, false},
      {"release by owner", Op::kRelease, "owner-1", milliseconds(0), true, false},
      {"release by other", Op::kRelease, "owner-2", milliseconds(0), false, true},
      {"release after expiry", Op::kRelease, "owner-1", milliseconds(1000), false, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string key = std::string("k:") + c.name;
    ASSERT_TRUE(Acquire(key, "owner-1", milliseconds(1000)));
    clock_.Advance(c.advance);
    const bool got =
        c.op == Op::kRenew ? Renew(key, c.owner, milliseconds(1000)) : Release(key, c.owner);
    EXPECT_EQ(got, c.expected);
    auto info = Get(key);
    EXPECT_EQ(info.has_value(), c.held_after);
    if (info) {
      EXPECT_EQ(info->owner, "owner-1");
    }
  }
}

TEST_F(LockServiceTest, RenewAndReleaseOfUnknownLockAreFalse) {
  EXPECT_FALSE(Renew("nope", "owner-1", milliseconds(1000)));
  EXPECT_FALSE(Release("nope", "owner-1"));
}

TEST_F(LockServiceTest, ReleasedLockCanBeTakenByAnother) {
  ASSERT_TRUE(Acquire("k", "owner-1", milliseconds(1000)));
  ASSERT_TRUE(Release("k", "owner-1"));
  EXPECT_TRUE(Acquire("k", "owner-2", milliseconds(1000)));
  EXPECT_EQ(Get("k")->owner, "owner-2");
}

TEST_F(LockServiceTest, ListReturnsHeldLocksWithPrefixInKeyOrder) {
  ASSERT_TRUE(Acquire("mr:room:c", "o", milliseconds(5000)));
  ASSERT_TRUE(Acquire("mr:room:a", "o", milliseconds(5000)));
  ASSERT_TRUE(Acquire("mr:room:b", "o", milliseconds(1000)));  // Expires below.
  ASSERT_TRUE(Acquire("mr:roomz", "o", milliseconds(5000)));
  ASSERT_TRUE(Acquire("mr:task:x", "o", milliseconds(5000)));
  ASSERT_TRUE(Acquire("mr:rool", "o", milliseconds(5000)));
  clock_.Advance(milliseconds(1000));

  struct Case {
    const char* prefix;
    std::vector<std::string> keys;
  };
  const std::vector<Case> cases = {
      {"mr:room:", {"mr:room:a", "mr:room:c"}},
      {"mr:room", {"mr:room:a", "mr:room:c", "mr:roomz"}},
      {"mr:task:", {"mr:task:x"}},
      {"mr:nothing", {}},
      {"", {"mr:rool", "mr:room:a", "mr:room:c", "mr:roomz", "mr:task:x"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.prefix);
    EXPECT_EQ(ListKeys(c.prefix), c.keys);
  }
}

}  // namespace
}  // namespace mr::coordination
