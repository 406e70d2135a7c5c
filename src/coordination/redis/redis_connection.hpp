#pragma once
// RedisConnection: one hiredis async connection that keeps itself up. Internal to the Redis
// back-ends (AsioRedisClient's command connection, RedisSubscriber's subscription connection).
//
// Start() connects in the background: TCP connect (bounded by connect_timeout), then AUTH
// (username + password, or password alone), SELECT db and a PING, pipelined. When the PING
// answers, the connection is *ready* and `on_ready` runs.
//
// Sentinel mode (options.sentinel_mode()): every (re)connect first asks the sentinels where the
// master is (SentinelResolver; the sentinel that answered last is asked first), then connects
// there as above with ROLE in place of the PING: a server whose role is not "master" (a sentinel
// answering during a failover, a demoted master) fails the attempt, which is retried with the
// usual backoff and a fresh resolution. A failover while connected ends the connection (Sentinel
// kills the old master's clients when it demotes it) and so re-resolves; so does a READONLY
// reply seen by the owner (DropFromReplyCallback). When the connection drops (or a step
// fails), `on_lost` runs, every command in flight gets hiredis' NULL reply, and a reconnect is
// scheduled after a delay that starts at reconnect_min_delay and doubles up to
// reconnect_max_delay (reset once ready again). Stop() frees the context at once (pending
// callbacks get their NULL reply), cancels the reconnect, and no hook runs after it returns.
//
// Locking: one mutex (mu()) serialises every hiredis call on the context and every hook; the hooks
// run with it held and must not block or take it again. Callers use WithContext() to issue
// commands. Thread safety: all public methods may be called from any thread, except from inside a
// hook (they take the mutex).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include <hiredis/async.h>

#include "common/async.hpp"
#include "common/json.hpp"
#include "common/redis_client.hpp"
#include "common/timers.hpp"
#include "coordination/redis/redis_options.hpp"
#include "coordination/redis/sentinel_resolver.hpp"

namespace mr::coordination::redis {

class RedisConnection : public std::enable_shared_from_this<RedisConnection> {
 public:
  struct Hooks {
    std::function<void(redisAsyncContext*)> on_ready;  // Ready (after AUTH/SELECT/PING).
    std::function<void()> on_lost;                     // A ready connection was lost.
  };

  // `name` tells the connections apart in logs ("commands", "subscription").
  static std::shared_ptr<RedisConnection> Make(asio::io_context& ioc, RedisOptions options,
                                               std::string name, Hooks hooks);
  ~RedisConnection();

  void Start();  // Idempotent.
  void Stop();   // Idempotent; final (no restart).

  // Runs fn(ac) with the mutex held; ac is the ready context, or nullptr when not ready.
  void WithContext(const std::function<void(redisAsyncContext*)>& fn);

  // Drops the connection from inside a reply callback of its context, where the mutex is held
  // (the adapter takes it around every hiredis call): the reconnect that follows resolves the
  // master again in Sentinel mode. For a READONLY error reply, i.e. a master demoted under us.
  // Commands still in flight on the context get a NULL reply. No-op if `ac` is no longer this
  // connection's context. REQUIRES: called from a callback of a context given by on_ready or
  // WithContext.
  static void DropFromReplyCallback(const redisAsyncContext* ac, const std::string& why);

  bool ready() const { return ready_.load(); }
  uint64_t ready_count() const { return ready_count_.load(); }  // Successful (re)connects.
  // Why the last connection attempt failed ("" if it did not); never contains the password.
  std::string last_error() const;

  // Private, public only for make_shared.
  RedisConnection(asio::io_context& ioc, RedisOptions options, std::string name, Hooks hooks);

 private:
  struct HandshakeStep;
  static void OnConnect(const redisAsyncContext* ac, int status);
  static void OnDisconnect(const redisAsyncContext* ac, int status);
  static void OnHandshakeReply(redisAsyncContext* ac, void* reply, void* privdata);

  void ConnectLocked();  // Resolves the master first in Sentinel mode.
  void OnMasterResolvedLocked(uint64_t generation, Result<SentinelResolver::Master> master);
  void ConnectToLocked(const std::string& host, uint16_t port, uint64_t generation);
  Json EndpointFields() const;  // For logs: where we connect (no secrets).
  void FailLocked(const std::string& why);  // Drops the context, schedules a reconnect.
  void ScheduleReconnectLocked();
  void LostLocked();

  asio::io_context& ioc_;
  const RedisOptions options_;
  const std::string name_;
  AsioTimers timers_;
  std::shared_ptr<std::mutex> mu_ = std::make_shared<std::mutex>();
  Hooks hooks_;                        // Guarded by *mu_; cleared by Stop().
  redisAsyncContext* ac_ = nullptr;    // Guarded by *mu_.
  uint64_t generation_ = 0;            // Guarded by *mu_; one per connection attempt.
  bool started_ = false;               // Guarded by *mu_.
  bool stopped_ = false;               // Guarded by *mu_.
  bool logged_failure_ = false;        // Guarded by *mu_; one warning per outage.
  std::string last_error_;             // Guarded by *mu_.
  std::chrono::milliseconds delay_;    // Next reconnect delay. Guarded by *mu_.
  std::shared_ptr<TimerHandle> reconnect_timer_;        // Guarded by *mu_.
  std::shared_ptr<TimerHandle> connect_timeout_timer_;  // Guarded by *mu_.
  // Sentinel mode. All guarded by *mu_.
  std::shared_ptr<SentinelResolver> resolver_;  // The resolution in flight, or the last one.
  size_t preferred_sentinel_ = 0;               // The one that answered last: asked first.
  std::string master_;                          // "host:port" of the server (being) connected.
  std::atomic<bool> ready_{false};
  std::atomic<uint64_t> ready_count_{0};
};

// Deep copy of a hiredis reply; an error reply becomes kInternal with Redis' text.
Result<RedisReply> ConvertReply(const void* hiredis_reply);

}  // namespace mr::coordination::redis
