#include "coordination/redis/redis_options.hpp"

#include <string_view>
#include <utility>

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

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

// MEET_REDIS_SENTINEL_HOST_LIST: "host:port, host:port". Empty items (a trailing comma) are
// skipped; an item without a port, with an empty host or a port out of range is refused.
Result<std::vector<SentinelAddress>> ParseSentinelList(const std::string& text) {
  constexpr const char* kVar = "MEET_REDIS_SENTINEL_HOST_LIST";
  std::vector<SentinelAddress> out;
  std::string_view rest = text;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    const std::string_view item = Trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (item.empty()) {
      continue;
    }
    const size_t colon = item.rfind(':');
    if (colon == std::string_view::npos) {
      return InvalidArgumentError(std::string(kVar) + ": '" + std::string(item) +
                                  "' has no port (expected host:port)");
    }
    SentinelAddress a;
    a.host = std::string(Trim(item.substr(0, colon)));
    const auto port = ParseInt(Trim(item.substr(colon + 1)));
    if (a.host.empty()) {
      return InvalidArgumentError(std::string(kVar) + ": '" + std::string(item) +
                                  "' has an empty host (expected host:port)");
    }
    if (!port || *port < 1 || *port > 65535) {
      return InvalidArgumentError(std::string(kVar) + ": '" + std::string(item) +
                                  "' needs a port between 1 and 65535");
    }
    a.port = static_cast<uint16_t>(*port);
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace

Result<std::optional<RedisOptions>> RedisOptionsFromEnv(
    const std::map<std::string, std::string>& raw) {
  RedisOptions o;
  auto sentinels = ParseSentinelList(Get(raw, "MEET_REDIS_SENTINEL_HOST_LIST"));
  if (!sentinels.ok()) {
    return sentinels.status();
  }
  o.sentinels = std::move(*sentinels);
  if (o.sentinel_mode()) {
    // The reference requires it; without, a typo'd variable name would surface only as AUTH
    // errors from every sentinel.
    o.sentinel_password = Get(raw, "MEET_REDIS_SENTINEL_PASSWORD");
    if (o.sentinel_password.empty()) {
      return InvalidArgumentError(
          "MEET_REDIS_SENTINEL_PASSWORD is required when MEET_REDIS_SENTINEL_HOST_LIST is set");
    }
    const std::string name = Get(raw, "MEET_REDIS_SENTINEL_MASTER_NAME");
    if (!name.empty()) {
      o.sentinel_master_name = name;
    }
  } else {
    o.host = Get(raw, "MEET_REDIS_HOST");
    if (o.host.empty()) {
      return std::optional<RedisOptions>();
    }
    auto port = IntIn(raw, "MEET_REDIS_PORT", 6379, 1, 65535);
    if (!port.ok()) {
      return port.status();
    }
    o.port = static_cast<uint16_t>(*port);
  }
  auto db = IntIn(raw, "MEET_REDIS_DB", 0, 0, 1 << 20);
  if (!db.ok()) {
    return db.status();
  }
  auto timeout = IntIn(raw, "MEET_REDIS_COMMAND_TIMEOUT_MS", 5000, 1, 3600 * 1000);
  if (!timeout.ok()) {
    return timeout.status();
  }
  o.db = static_cast<int>(*db);
  o.command_timeout = std::chrono::milliseconds(*timeout);
  o.username = Get(raw, "MEET_REDIS_USERNAME");
  o.password = Get(raw, "MEET_REDIS_PASSWORD");
  if (!o.username.empty() && o.password.empty()) {
    return InvalidArgumentError("MEET_REDIS_USERNAME is set but MEET_REDIS_PASSWORD is empty");
  }
  return std::optional<RedisOptions>(std::move(o));
}

std::string DescribeRedisEndpoint(const RedisOptions& options) {
  if (!options.sentinel_mode()) {
    return options.host + ":" + std::to_string(options.port);
  }
  std::string out = "master '" + options.sentinel_master_name + "' via sentinels ";
  for (size_t i = 0; i < options.sentinels.size(); ++i) {
    if (i > 0) {
      out += ",";
    }
    out += options.sentinels[i].host + ":" + std::to_string(options.sentinels[i].port);
  }
  return out;
}

}  // namespace mr::coordination::redis
