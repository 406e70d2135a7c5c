#pragma once
// RedisOptions from the configuration (reference §6.1 names). Pure; thread-safe.
//
//   MEET_REDIS_HOST      empty (default): no Redis, in-process coordination -> nullopt
//   MEET_REDIS_PORT      6379
//   MEET_REDIS_USERNAME  empty: the default user
//   MEET_REDIS_PASSWORD  empty: no AUTH. The reference defaults to `redispassword`; that default
//                        is deliberately not applied, because AUTH against a server without a
//                        password fails and a fleet would not start.
//   MEET_REDIS_DB        0
//   MEET_REDIS_COMMAND_TIMEOUT_MS  5000 (ours): bound of every command, reconnect wait included
//   MEET_REDIS_SENTINEL_HOST_LIST  non-empty is refused: Sentinel is not supported yet.
//
// Errors: kInvalidArgument with one line naming the variable (never the password's value).

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "common/status.hpp"

namespace mr::coordination::redis {

// How AsioRedisClient connects.
struct RedisOptions {
  std::string host;                      // MEET_REDIS_HOST (empty: no Redis, in-process mode)
  uint16_t port = 6379;                  // MEET_REDIS_PORT
  std::string username;                  // MEET_REDIS_USERNAME (ACL user; empty: default user)
  std::string password;                  // MEET_REDIS_PASSWORD (never logged)
  int db = 0;                            // MEET_REDIS_DB
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds command_timeout{5000};  // Includes waiting for a reconnect.
  std::chrono::milliseconds reconnect_min_delay{100};
  std::chrono::milliseconds reconnect_max_delay{2000};
};

Result<std::optional<RedisOptions>> RedisOptionsFromEnv(
    const std::map<std::string, std::string>& raw);

}  // namespace mr::coordination::redis
