#include "coordination/redis/redis_lock_service.hpp"

#include <limits>
#include <map>
#include <utility>

#include "common/logging.hpp"
#include "common/parse_int.hpp"

namespace mr::coordination::redis {
namespace {

// The owner part of a value, the whole value when it has no `|`. Kept identical to
// ParseLockValue below.
constexpr const char kOwnerOfValueLua[] = R"(
local function owner_of(v)
  local sep = string.find(v, '|', 1, true)
  if sep then return string.sub(v, sep + 1) end
  return v
end
)";

const RedisScript& RenewScript() {
  static const RedisScript s = RedisScript::From(std::string(kOwnerOfValueLua) + R"(
local v = redis.call('GET', KEYS[1])
if not v or owner_of(v) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
)");
  return s;
}

const RedisScript& ReleaseScript() {
  static const RedisScript s = RedisScript::From(std::string(kOwnerOfValueLua) + R"(
local v = redis.call('GET', KEYS[1])
if not v or owner_of(v) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
)");
  return s;
}

// {value1, pttl1, value2, pttl2, ...}; a missing key gives a nil value and a negative PTTL. A
// key of another type under the prefix (not a lock) reads as missing instead of failing List.
const RedisScript& ReadScript() {
  static const RedisScript s = RedisScript::From(R"(
local out = {}
for i, key in ipairs(KEYS) do
  if redis.call('TYPE', key)['ok'] == 'string' then
    out[2 * i - 1] = redis.call('GET', key)
  else
    out[2 * i - 1] = false
  end
  out[2 * i] = redis.call('PTTL', key)
end
return out
)");
  return s;
}

// A lock from its key, value and PTTL; nullopt when the key is gone (or not a string).
std::optional<LockInfo> ParseLock(const std::string& key, const RedisReply& value,
                                  const RedisReply& pttl, int64_t now_ms) {
  if (value.type != RedisReply::Type::kString || pttl.type != RedisReply::Type::kInteger ||
      pttl.integer == -2) {
    return std::nullopt;
  }
  LockInfo info;
  info.key = key;
  const auto sep = value.str.find('|');
  std::optional<long long> created;
  if (sep != std::string::npos) {
    created = ParseInt(std::string_view(value.str).substr(0, sep));
  }
  if (created) {
    info.created_at_ms = *created;
    info.owner = value.str.substr(sep + 1);
  } else {
    info.owner = value.str;
  }
  // -1: no TTL, which this service never writes; such a key is held until someone deletes it.
  info.expires_at_ms =
      pttl.integer < 0 ? std::numeric_limits<int64_t>::max() : now_ms + pttl.integer;
  return info;
}

Result<bool> IsOne(const Result<RedisReply>& r) {
  if (!r.ok()) {
    return r.status();
  }
  return r->type == RedisReply::Type::kInteger && r->integer == 1;
}

Status CheckTtl(std::chrono::milliseconds ttl) {
  if (ttl.count() <= 0) {
    return InvalidArgumentError("lock TTL must be positive");
  }
  return Status::Ok();
}

}  // namespace

std::string EncodeLockValue(int64_t created_at_ms, const std::string& owner) {
  std::string v = std::to_string(created_at_ms);
  v.push_back('|');
  v += owner;
  return v;
}

std::string EscapeGlob(const std::string& prefix) {
  std::string out;
  out.reserve(prefix.size() + 4);
  for (char c : prefix) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
      out.push_back('\\');
    }
    out.push_back(c);
  }
  return out;
}

RedisLockService::RedisLockService(RedisClient& client, const Clock& clock)
    : client_(client), clock_(clock) {}

Task<Result<bool>> RedisLockService::Acquire(std::string key, std::string owner,
                                             std::chrono::milliseconds ttl) {
  if (Status st = CheckTtl(ttl); !st.ok()) {
    co_return st;
  }
  std::vector<std::string> args = {"SET",
                                   std::move(key),
                                   EncodeLockValue(clock_.NowMs(), owner),
                                   "NX",
                                   "PX",
                                   std::to_string(ttl.count())};
  auto r = co_await client_.Command(std::move(args));
  if (!r.ok()) {
    co_return r.status();
  }
  co_return r->type == RedisReply::Type::kStatus;  // "OK"; nil when the key exists.
}

Task<Result<bool>> RedisLockService::Renew(std::string key, std::string owner,
                                           std::chrono::milliseconds ttl) {
  if (Status st = CheckTtl(ttl); !st.ok()) {
    co_return st;
  }
  std::vector<std::string> keys = {std::move(key)};
  std::vector<std::string> args = {std::move(owner), std::to_string(ttl.count())};
  auto r = co_await client_.Eval(RenewScript(), std::move(keys), std::move(args));
  co_return IsOne(r);
}

Task<Result<bool>> RedisLockService::Release(std::string key, std::string owner) {
  std::vector<std::string> keys = {std::move(key)};
  std::vector<std::string> args = {std::move(owner)};
  auto r = co_await client_.Eval(ReleaseScript(), std::move(keys), std::move(args));
  co_return IsOne(r);
}

Task<Result<std::optional<LockInfo>>> RedisLockService::Get(std::string key) {
  std::vector<std::string> keys = {key};
  std::vector<std::string> args;
  auto r = co_await client_.Eval(ReadScript(), std::move(keys), std::move(args));
  if (!r.ok()) {
    co_return r.status();
  }
  if (r->type != RedisReply::Type::kArray || r->elements.size() != 2) {
    co_return InternalError("unexpected reply to the lock read script");
  }
  co_return ParseLock(key, r->elements[0], r->elements[1], clock_.NowMs());
}

Task<Result<std::vector<LockInfo>>> RedisLockService::List(std::string prefix) {
  const std::string pattern = EscapeGlob(prefix) + "*";
  std::map<std::string, LockInfo> found;  // SCAN may return a key twice; sorted by key.
  std::string cursor = "0";
  do {
    std::vector<std::string> scan = {"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"};
    auto page = co_await client_.Command(std::move(scan));
    if (!page.ok()) {
      co_return page.status();
    }
    if (page->type != RedisReply::Type::kArray || page->elements.size() != 2 ||
        page->elements[1].type != RedisReply::Type::kArray) {
      co_return InternalError("unexpected reply to SCAN");
    }
    cursor = page->elements[0].str;
    std::vector<std::string> keys;
    for (auto& k : page->elements[1].elements) {
      keys.push_back(std::move(k.str));
    }
    if (keys.empty()) {
      continue;
    }
    std::vector<std::string> script_keys = keys;
    std::vector<std::string> args;
    auto read = co_await client_.Eval(ReadScript(), std::move(script_keys), std::move(args));
    if (!read.ok()) {
      co_return read.status();
    }
    if (read->type != RedisReply::Type::kArray || read->elements.size() != 2 * keys.size()) {
      co_return InternalError("unexpected reply to the lock read script");
    }
    const int64_t now = clock_.NowMs();
    for (size_t i = 0; i < keys.size(); ++i) {
      if (auto info = ParseLock(keys[i], read->elements[2 * i], read->elements[2 * i + 1], now)) {
        found.insert_or_assign(keys[i], std::move(*info));
      }
    }
  } while (cursor != "0");
  std::vector<LockInfo> out;
  out.reserve(found.size());
  for (auto& [key, info] : found) {
    out.push_back(std::move(info));
  }
  co_return out;
}

}  // namespace mr::coordination::redis
