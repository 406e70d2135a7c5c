#include "coordination/lock_service.hpp"

#include <utility>

namespace mr::coordination {
namespace {

bool Held(const LockInfo& lock, int64_t now_ms) { return lock.expires_at_ms > now_ms; }

int64_t ExpiryMs(int64_t now_ms, std::chrono::milliseconds ttl) { return now_ms + ttl.count(); }

}  // namespace

Task<Result<bool>> InProcessLockService::Acquire(std::string key, std::string owner,
                                                 std::chrono::milliseconds ttl) {
  const int64_t now = clock_.NowMs();
  std::lock_guard lock(mu_);
  auto it = locks_.find(key);
  if (it != locks_.end() && Held(it->second, now)) {
    co_return false;
  }
  LockInfo info{.key = key,
                .owner = std::move(owner),
                .created_at_ms = now,
                .expires_at_ms = ExpiryMs(now, ttl)};
  locks_.insert_or_assign(std::move(key), std::move(info));
  co_return true;
}

std::map<std::string, LockInfo>::iterator InProcessLockService::FindHeldBy(const std::string& key,
                                                                          const std::string& owner,
                                                                          int64_t now) {
  auto it = locks_.find(key);
  if (it == locks_.end()) {
    return it;
  }
  if (!Held(it->second, now)) {
    locks_.erase(it);
    return locks_.end();
  }
  return it->second.owner == owner ? it : locks_.end();
}

Task<Result<bool>> InProcessLockService::Renew(std::string key, std::string owner,
                                               std::chrono::milliseconds ttl) {
  const int64_t now = clock_.NowMs();
  std::lock_guard lock(mu_);
  auto it = FindHeldBy(key, owner, now);
  if (it == locks_.end()) {
    co_return false;
  }
  it->second.expires_at_ms = ExpiryMs(now, ttl);
  co_return true;
}

Task<Result<bool>> InProcessLockService::Release(std::string key, std::string owner) {
  const int64_t now = clock_.NowMs();
  std::lock_guard lock(mu_);
  auto it = FindHeldBy(key, owner, now);
  if (it == locks_.end()) {
    co_return false;
  }
  locks_.erase(it);
  co_return true;
}

Task<Result<std::optional<LockInfo>>> InProcessLockService::Get(std::string key) {
  const int64_t now = clock_.NowMs();
  std::optional<LockInfo> out;
  {
    std::lock_guard lock(mu_);
    auto it = locks_.find(key);
    if (it != locks_.end()) {
      if (Held(it->second, now)) {
        out = it->second;
      } else {
        locks_.erase(it);
      }
    }
  }
  co_return out;
}

Task<Result<std::vector<LockInfo>>> InProcessLockService::List(std::string prefix) {
  const int64_t now = clock_.NowMs();
  std::vector<LockInfo> out;
  {
    std::lock_guard lock(mu_);
    for (auto it = locks_.lower_bound(prefix);
         it != locks_.end() && it->first.compare(0, prefix.size(), prefix) == 0;) {
      if (Held(it->second, now)) {
        out.push_back(it->second);
        ++it;
      } else {
        it = locks_.erase(it);
      }
    }
  }
  co_return out;
}

size_t InProcessLockService::SizeForTest() {
  const int64_t now = clock_.NowMs();
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& [key, info] : locks_) {
    if (Held(info, now)) {
      ++n;
    }
  }
  return n;
}

}  // namespace mr::coordination
