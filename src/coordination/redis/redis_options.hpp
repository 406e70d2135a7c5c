#pragma once
// RedisOptions from the configuration (reference §6.1 names). Pure; thread-safe.
//
//   MEET_REDIS_HOST      empty (default): no Redis, in-process coordination -> nullopt
//                        (unless Sentinel mode is on, below)
//   MEET_REDIS_PORT      6379
//   MEET_REDIS_USERNAME  empty: the default user
//   MEET_REDIS_PASSWORD  empty: no AUTH. The reference defaults to `redispassword`; that default
//                        is deliberately not applied, because AUTH against a server without a
//                        password fails and a fleet would not start.
//   MEET_REDIS_DB        0
//   MEET_REDIS_COMMAND_TIMEOUT_MS  5000 (ours): bound of every command, reconnect wait included
//
// Sentinel mode (reference §6.1, §8.3):
//   MEET_REDIS_SENTINEL_HOST_LIST    comma-separated `host:port` (spaces tolerated, empty items
//                                    skipped). Non-empty: Sentinel mode; the master's address is
//                                    asked of these sentinels on every (re)connect, and
//                                    MEET_REDIS_HOST/PORT are ignored (not needed).
//   MEET_REDIS_SENTINEL_PASSWORD     required in Sentinel mode: AUTH to the sentinels.
//   MEET_REDIS_SENTINEL_MASTER_NAME  `openvidu`
// MEET_REDIS_USERNAME/PASSWORD/DB apply to the master in both modes.
//
// Errors: kInvalidArgument with one line naming the variable (never a password's value).

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.hpp"

namespace mr::coordination::redis {

struct SentinelAddress {
  std::string host;
  uint16_t port = 26379;
};

// How AsioRedisClient connects.
struct RedisOptions {
  std::string host;        // MEET_REDIS_HOST (empty: no Redis, in-process mode)
  uint16_t port = 6379;    // MEET_REDIS_PORT
  std::string username;    // MEET_REDIS_USERNAME (ACL user; empty: default user)
  std::string password;    // MEET_REDIS_PASSWORD (never logged)
  int db = 0;              // MEET_REDIS_DB
  std::vector<SentinelAddress> sentinels;  // MEET_REDIS_SENTINEL_HOST_LIST (empty: standalone)
  std::string sentinel_password;           // MEET_REDIS_SENTINEL_PASSWORD (never logged)
  std::string sentinel_master_name = "openvidu";    // MEET_REDIS_SENTINEL_MASTER_NAME
  std::chrono::milliseconds connect_timeout{2000};  // Also bounds each sentinel's round.
  std::chrono::milliseconds command_timeout{5000};  // Includes waiting for a reconnect.
  std::chrono::milliseconds reconnect_min_delay{100};
  std::chrono::milliseconds reconnect_max_delay{2000};

  bool sentinel_mode() const { return !sentinels.empty(); }
};

Result<std::optional<RedisOptions>> RedisOptionsFromEnv(
    const std::map<std::string, std::string>& raw);

// Where the options point, for logs and errors, without secrets: "host:port", or
// "master 'openvidu' via sentinels h1:26379,h2:26379".
std::string DescribeRedisEndpoint(const RedisOptions& options);

}  // namespace mr::coordination::redis
