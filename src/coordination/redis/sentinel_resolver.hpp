#pragma once
// SentinelResolver: one asynchronous "where is the master?" round over Redis Sentinels, for
// RedisConnection in Sentinel mode (internal to the Redis back-ends).
//
// Start() asks the sentinels of RedisOptions::sentinels in turn, beginning with `first` (the one
// that answered last time) and wrapping around: connect (hiredis async, driven by Asio like the
// data connections), AUTH with sentinel_password, then
// `SENTINEL get-master-addr-by-name <sentinel_master_name>`, all bounded by connect_timeout per
// sentinel. The first address returned ends the round: `done` gets it with the index of the
// sentinel that gave it. A sentinel that cannot be reached, refuses the AUTH, errs, times out or
// does not know the name (nil reply) is skipped; when all were, `done` gets kUnavailable naming
// each sentinel and why (never a password). The address is not checked here: the caller checks
// the server's ROLE once connected, since a sentinel's answer may be stale during a failover.
//
// Locking: shares the owner's mutex (`mu`), which guards everything here; every hiredis call and
// `done` run with it held. `done` runs at most once and never after Cancel(); it may drop the
// owner's reference. Cancel() must come before the last reference is dropped while a round is
// in flight (it frees the sentinel connection; the destructor cannot, it may run without `mu`).

#include <hiredis/async.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/async.hpp"
#include "common/status.hpp"
#include "common/timers.hpp"
#include "coordination/redis/redis_options.hpp"

namespace mr::coordination::redis {

class SentinelResolver : public std::enable_shared_from_this<SentinelResolver> {
 public:
  struct Master {
    std::string host;
    uint16_t port = 0;
    size_t sentinel_index = 0;  // Which entry of RedisOptions::sentinels answered.
  };
  using Done = std::function<void(Result<Master>)>;

  // REQUIRES: options.sentinel_mode().
  static std::shared_ptr<SentinelResolver> Make(asio::io_context& ioc,
                                                std::shared_ptr<std::mutex> mu,
                                                const RedisOptions& options, size_t first,
                                                Done done);
  // Starts the round. `done` may run before Start() returns (no sentinel address could even be
  // resolved by DNS), with `mu` still held. REQUIRES: `mu` held; called once.
  void Start();
  void Cancel();  // REQUIRES: `mu` held. Idempotent; `done` will not run.

  // Private, public only for make_shared.
  SentinelResolver(asio::io_context& ioc, std::shared_ptr<std::mutex> mu,
                   const RedisOptions& options, size_t first, Done done);

 private:
  static void OnConnect(const redisAsyncContext* ac, int status);
  static void OnDisconnect(const redisAsyncContext* ac, int status);
  static void OnReply(redisAsyncContext* ac, void* reply, void* privdata);

  void TryLocked();                          // Asks sentinel number (first_ + tried_) % n.
  void SkipLocked(const std::string& why);   // This sentinel failed: drop it, ask the next.
  void FinishLocked(Result<Master> result);  // Runs `done`; nothing may touch `this` after.
  void DropContextLocked();
  void OnQueryReplyLocked(const void* reply);
  const SentinelAddress& Current() const;
  std::string CurrentEndpoint() const;

  asio::io_context& ioc_;
  AsioTimers timers_;
  const std::shared_ptr<std::mutex> mu_;
  const RedisOptions options_;  // A copy: a timer may hold this object after its owner is gone.
  const size_t first_;
  Done done_;                             // Guarded by *mu_; empty once run or cancelled.
  size_t tried_ = 0;                      // Guarded by *mu_; sentinels given up on so far.
  uint64_t attempt_ = 0;                  // Guarded by *mu_; tells a stale timeout apart.
  redisAsyncContext* ac_ = nullptr;       // Guarded by *mu_; the sentinel being asked.
  std::shared_ptr<TimerHandle> timeout_;  // Guarded by *mu_.
  std::vector<std::string> failures_;     // Guarded by *mu_; "host:port: why" per sentinel.
};

}  // namespace mr::coordination::redis
