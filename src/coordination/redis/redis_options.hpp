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

#include <map>
#include <optional>
#include <string>

#include "common/status.hpp"
#include "coordination/redis/redis_client.hpp"

namespace mr::coordination::redis {

Result<std::optional<RedisOptions>> RedisOptionsFromEnv(
    const std::map<std::string, std::string>& raw);

}  // namespace mr::coordination::redis
