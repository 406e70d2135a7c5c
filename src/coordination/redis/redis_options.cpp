#include "coordination/redis/redis_options.hpp"

#include "common/parse_int.hpp"

namespace mr::coordination::redis {
namespace {

std::string Get(const std::map<std::string, std::string>& raw, const std::string& key) {
  auto it = raw.find(key);
  return it == raw.end() ? std::string() : it->second;
}

// The value of `key` as an integer in [lo, hi], `fallback` when unset or empty.
Result<long long> IntIn(const std::map<std::string, std::string>& raw, const std::string& key,
                        long long fallback, long long lo, long long hi) {
  const std::string text = Get(raw, key);
  if (text.empty()) {
    return fallback;
  }
  auto v = ParseInt(text);
  if (!v || *v < lo || *v > hi) {
    std::string msg = key;
    msg += " must be an integer between ";
    msg += std::to_string(lo);
    msg += " and ";
    msg += std::to_string(hi);
    msg += ", got '";
    msg += text;
    msg += "'";
    return InvalidArgumentError(std::move(msg));
  }
  return *v;
}

}  // namespace

Result<std::optional<RedisOptions>> RedisOptionsFromEnv(
    const std::map<std::string, std::string>& raw) {
  if (!Get(raw, "MEET_REDIS_SENTINEL_HOST_LIST").empty()) {
    return InvalidArgumentError(
        "MEET_REDIS_SENTINEL_HOST_LIST: Redis Sentinel is not supported yet; point "
        "MEET_REDIS_HOST at the master");
  }
  RedisOptions o;
  o.host = Get(raw, "MEET_REDIS_HOST");
  if (o.host.empty()) {
    return std::optional<RedisOptions>();
  }
  auto port = IntIn(raw, "MEET_REDIS_PORT", 6379, 1, 65535);
  if (!port.ok()) {
    return port.status();
  }
  auto db = IntIn(raw, "MEET_REDIS_DB", 0, 0, 1 << 20);
  if (!db.ok()) {
    return db.status();
  }
  auto timeout = IntIn(raw, "MEET_REDIS_COMMAND_TIMEOUT_MS", 5000, 1, 3600 * 1000);
  if (!timeout.ok()) {
    return timeout.status();
  }
  o.port = static_cast<uint16_t>(*port);
  o.db = static_cast<int>(*db);
  o.command_timeout = std::chrono::milliseconds(*timeout);
  o.username = Get(raw, "MEET_REDIS_USERNAME");
  o.password = Get(raw, "MEET_REDIS_PASSWORD");
  if (!o.username.empty() && o.password.empty()) {
    return InvalidArgumentError("MEET_REDIS_USERNAME is set but MEET_REDIS_PASSWORD is empty");
  }
  return std::optional<RedisOptions>(std::move(o));
}

}  // namespace mr::coordination::redis
