#pragma once
// LockService: named leases with a TTL and an owner token (reference §6.2, with scope.md's fixes:
// every lock expires on its own (Q9) and only its owner may renew or release it).
//
// A lock is free when it does not exist or its TTL has passed. `owner` is an opaque token chosen
// by the caller (e.g. 32 random hex characters); whoever knows it may renew or release the lock,
// so an instance that must release a lock it did not take reads the owner with Get() and then
// releases with it (compare-and-delete: a lock re-taken in between by someone else is not freed).
// Times are the injected Clock's wall time in ms, so tests drive expiry with a FakeClock.
//
// Errors: kUnavailable when the backing store (Redis) cannot be reached. "Held by someone else"
// is not an error: Acquire/Renew/Release answer false.
// Thread safety: every method may be called concurrently from any thread.

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/async.hpp"
#include "common/clock.hpp"
#include "common/status.hpp"

namespace mr::coordination {

struct LockInfo {
  std::string key;
  std::string owner;
  int64_t created_at_ms = 0;  // When it was acquired (renewals keep it).
  int64_t expires_at_ms = 0;
};

class LockService {
 public:
  virtual ~LockService() = default;

  // Takes the lock for `ttl` if it is free. true = acquired. REQUIRES: ttl > 0, owner non-empty.
  virtual Task<Result<bool>> Acquire(std::string key, std::string owner,
                                     std::chrono::milliseconds ttl) = 0;
  // Extends a lock held by `owner` to now + ttl. false if it is free or held by another owner.
  virtual Task<Result<bool>> Renew(std::string key, std::string owner,
                                   std::chrono::milliseconds ttl) = 0;
  // Frees a lock held by `owner`. false if it is free or held by another owner.
  virtual Task<Result<bool>> Release(std::string key, std::string owner) = 0;
  // The lock if it is held (not expired); nullopt if free.
  virtual Task<Result<std::optional<LockInfo>>> Get(std::string key) = 0;
  // Every held lock whose key starts with `prefix`, in key order.
  virtual Task<Result<std::vector<LockInfo>>> List(std::string prefix) = 0;
};

// LockService for one process (embedded mode, tests). Expired locks are dropped lazily.
class InProcessLockService final : public LockService {
 public:
  explicit InProcessLockService(const Clock& clock) : clock_(clock) {}

  Task<Result<bool>> Acquire(std::string key, std::string owner,
                             std::chrono::milliseconds ttl) override;
  Task<Result<bool>> Renew(std::string key, std::string owner,
                           std::chrono::milliseconds ttl) override;
  Task<Result<bool>> Release(std::string key, std::string owner) override;
  Task<Result<std::optional<LockInfo>>> Get(std::string key) override;
  Task<Result<std::vector<LockInfo>>> List(std::string prefix) override;

  size_t SizeForTest();  // Held locks, expired ones not counted.

 private:
  // The lock if `owner` holds it, else end(); drops it when expired. REQUIRES: mu_ held.
  std::map<std::string, LockInfo>::iterator FindHeldBy(const std::string& key,
                                                       const std::string& owner, int64_t now);

  const Clock& clock_;
  std::mutex mu_;
  std::map<std::string, LockInfo> locks_;  // Guarded by mu_.
};

}  // namespace mr::coordination
