#pragma once
// RedisClient: the port every Redis back-end uses (locks, events, the shared catalogue index,
// de-duplication). It lives in common/ because back-ends of several modules (coordination/redis,
// storage/) share it; the adapter is coordination/redis/AsioRedisClient (hiredis' async API driven
// by Asio: no packaged C++ Redis client exists in Debian 12, dependencies.md), configured by
// RedisOptions (coordination/redis/redis_options.hpp).
//
// Connection: one command connection (commands pipeline on it) plus, inside RedisSubscriber, one
// dedicated subscription connection (reference §6.1). A lost connection is re-established in the
// background with backoff; commands issued meanwhile wait for it, bounded by
// RedisOptions::command_timeout, and then fail with kUnavailable (never hang). AUTH (user and
// password) and SELECT (db) are sent on every (re)connect; with Sentinel, each (re)connect first
// asks the sentinels for the master (coordination/redis/sentinel_resolver.hpp).
//
// Errors: kUnavailable when Redis cannot be reached or the connection drops while a command is
// in flight (the command may or may not have run: callers make their writes idempotent);
// kTimeout is reported as kUnavailable too. An error *reply* from Redis (WRONGTYPE, script
// error, ...) is kInternal with Redis' message. Callers never see a half-parsed reply.
// Thread safety: every method may be called concurrently from any thread.

#include <cstdint>
#include <string>
#include <vector>

#include "common/async.hpp"
#include "common/status.hpp"

namespace mr {

// A reply, with hiredis' types. Nested arrays keep their shape.
struct RedisReply {
  enum class Type { kNil, kString, kStatus, kInteger, kArray };
  Type type = Type::kNil;
  std::string str;     // kString, kStatus.
  int64_t integer = 0;  // kInteger.
  std::vector<RedisReply> elements;  // kArray.

  bool is_nil() const { return type == Type::kNil; }
};

// A Lua script run with EVALSHA (loaded with SCRIPT LOAD on NOSCRIPT, e.g. after a restart).
struct RedisScript {
  std::string source;
  std::string sha1;  // Hex SHA-1 of source; RedisScript::From computes it.
  static RedisScript From(std::string source);
};

class RedisClient {
 public:
  virtual ~RedisClient() = default;
  // Runs one command, e.g. {"SET", key, value, "PX", "5000", "NX"}. Arguments are binary-safe.
  virtual Task<Result<RedisReply>> Command(std::vector<std::string> args) = 0;
  // Runs a script (EVALSHA, falling back to loading it once on NOSCRIPT).
  virtual Task<Result<RedisReply>> Eval(const RedisScript& script, std::vector<std::string> keys,
                                        std::vector<std::string> args) = 0;
  // Round trips made since start (commands and scripts), for the benchmark's figures.
  virtual uint64_t RoundTrips() const = 0;
};

}  // namespace mr
