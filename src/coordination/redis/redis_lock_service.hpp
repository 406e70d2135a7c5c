#pragma once
// RedisLockService: the LockService of a fleet, on one Redis (reference §6.2 with scope.md's
// fixes). Same contract as InProcessLockService (lock_service.hpp); one instance per process,
// over the process' RedisClient.
//
// A lock is one Redis key, the lock's own key (e.g. `ov_meet_lock:recording_active_{roomId}`),
// whose value is `{created_at_ms}|{owner}` and whose Redis TTL is the lock's TTL:
//   Acquire  SET key value NX PX ttl                     (1 round trip)
//   Renew    Lua: PEXPIRE key ttl if the owner matches   (1)
//   Release  Lua: DEL key if the owner matches           (1)
//   Get      Lua: GET + PTTL                             (1)
//   List     SCAN MATCH {escaped prefix}* COUNT 1000 + one Lua GET/PTTL per page (2 per page)
// The reference also writes a registry key `ov_meet_lock_registry:{key}` without a TTL to know
// the owner and the creation time; here the lock key carries both, so nothing is left in Redis
// when a lock expires (scope.md Q9: every key has a TTL or an owner) and Acquire is one atomic
// command (the reference's acquire can set the lock and then fail on the registry).
// A value written by another implementation (no `|`, e.g. the reference's random value) reads as
// owner = the whole value, created_at_ms = 0, so such a lock can still be released by its value.
//
// Times: created_at_ms and "now" come from the injected Clock; expiry itself is Redis' own
// (expires_at_ms = now + PTTL), so instances with skewed clocks still agree on who holds a lock.
// Errors: the client's kUnavailable (Redis down, bounded by command_timeout) and kInternal.
// Thread safety: every method may be called concurrently from any thread.

#include "common/clock.hpp"
#include "coordination/lock_service.hpp"
#include "common/redis_client.hpp"

namespace mr::coordination::redis {

class RedisLockService final : public LockService {
 public:
  RedisLockService(RedisClient& client, const Clock& clock);

  Task<Result<bool>> Acquire(std::string key, std::string owner,
                             std::chrono::milliseconds ttl) override;
  Task<Result<bool>> Renew(std::string key, std::string owner,
                           std::chrono::milliseconds ttl) override;
  Task<Result<bool>> Release(std::string key, std::string owner) override;
  Task<Result<std::optional<LockInfo>>> Get(std::string key) override;
  Task<Result<std::vector<LockInfo>>> List(std::string prefix) override;

 private:
  RedisClient& client_;
  const Clock& clock_;
};

// Helpers, public for tests.
std::string EncodeLockValue(int64_t created_at_ms, const std::string& owner);
// `prefix` with the glob characters of SCAN MATCH (* ? [ ] \) escaped.
std::string EscapeGlob(const std::string& prefix);

}  // namespace mr::coordination::redis
