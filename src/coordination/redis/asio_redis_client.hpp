#pragma once
// AsioRedisClient: the RedisClient over one hiredis async connection driven by Asio
// (RedisConnection). Commands are pipelined on that connection; their replies are deep-copied
// into RedisReply inside hiredis' callback, so no hiredis memory escapes.
//
// Lifecycle: the constructor starts connecting in the background. Connect() is the start-up
// check (a PING, bounded by command_timeout). After a drop the connection comes back by itself
// (see RedisConnection for the backoff). Every command is bounded by command_timeout, waiting
// for a reconnect included, and then fails with kUnavailable carrying the last connection error
// (e.g. "AUTH failed: WRONGPASS ..."). A command answered READONLY (the server was demoted to a
// replica by a failover) fails with that error, and the connection is dropped so that the
// reconnect finds the new master (Sentinel mode; see RedisConnection). Stop() (also run by the
// destructor) fails every pending command at once, so no coroutine is left waiting; commands
// after Stop() fail at once. The
// waiting coroutines resume on their own executors, so the io_context must run for them to see
// it. The connection keeps a wait on its socket outstanding, so an io_context with a client never
// runs out of work: run it on threads (not with RunTask, whose run() would not return).
// RoundTrips() counts commands actually sent to Redis (an Eval that hits NOSCRIPT counts 2; a
// command that failed before reaching Redis counts 0; Connect() and the AUTH/SELECT/PING of each
// connect are not counted).
// Thread safety: every method may be called from any thread.

#include <atomic>
#include <deque>
#include <memory>

#include "common/async.hpp"
#include "common/status.hpp"
#include "common/redis_client.hpp"
#include "coordination/redis/redis_options.hpp"

namespace mr::coordination::redis {

class RedisConnection;
struct PendingCommand;

class AsioRedisClient final : public RedisClient {
 public:
  AsioRedisClient(asio::io_context& ioc, RedisOptions options);
  ~AsioRedisClient() override;

  // OK once Redis answers a PING; kUnavailable with the reason otherwise (the reference exits
  // when the first connection fails; app/ decides). Not counted in RoundTrips().
  Task<Status> Connect();
  void Stop();

  Task<Result<RedisReply>> Command(std::vector<std::string> args) override;
  Task<Result<RedisReply>> Eval(const RedisScript& script, std::vector<std::string> keys,
                                std::vector<std::string> args) override;
  uint64_t RoundTrips() const override { return round_trips_.load(); }

  bool connected() const;
  uint64_t ConnectsForTest() const;  // Successful (re)connects so far.
  const RedisOptions& options() const { return options_; }

 private:
  Task<Result<RedisReply>> Run(std::vector<std::string> args, bool count);
  void Submit(const std::shared_ptr<PendingCommand>& op);
  void Send(void* ac, const std::shared_ptr<PendingCommand>& op);  // ac: redisAsyncContext*.

  asio::io_context& ioc_;
  const RedisOptions options_;
  std::shared_ptr<RedisConnection> conn_;
  std::atomic<bool> stopped_{false};
  std::atomic<uint64_t> round_trips_{0};
  // Commands waiting for the connection; guarded by the connection's mutex (WithContext).
  std::deque<std::shared_ptr<PendingCommand>> waiting_;
};

}  // namespace mr::coordination::redis
