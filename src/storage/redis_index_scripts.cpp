#include "storage/redis_index_scripts.hpp"

#include <string>

namespace mr::storage::redis_index {
namespace {

// Shared by the scripts that touch a generation. An entry's value is
// status digit (1 byte) .. inverted start (16 hex digits) .. room, and its member in every sorted
// set is inverted start .. id, so these never convert the start to a Lua number (a double, which
// cannot hold every int64).
constexpr const char* kPrelude = R"lua(
local function gen_prefix(ns, gen) return ns .. ':g:' .. gen .. ':' end

local function index_keys(p, st, room)
  return p .. 'all', p .. 's:' .. st, p .. 'r:' .. room, p .. 'rs:' .. st .. ':' .. room
end

local function unindex(p, id, v)
  local m = string.sub(v, 2, 17) .. id
  local a, s, r, rs = index_keys(p, string.sub(v, 1, 1), string.sub(v, 18))
  redis.call('ZREM', a, m)
  redis.call('ZREM', s, m)
  redis.call('ZREM', r, m)
  redis.call('ZREM', rs, m)
end

local function put(p, id, v)
  local old = redis.call('HGET', p .. 'e', id)
  if old == v then return end
  if old then unindex(p, id, old) end
  local m = string.sub(v, 2, 17) .. id
  local a, s, r, rs = index_keys(p, string.sub(v, 1, 1), string.sub(v, 18))
  redis.call('ZADD', a, 0, m)
  redis.call('ZADD', s, 0, m)
  redis.call('ZADD', r, 0, m)
  redis.call('ZADD', rs, 0, m)
  -- The per-room keys have free names: remember them so the generation can be deleted.
  redis.call('SADD', p .. 'keys', r, rs)
  redis.call('HSET', p .. 'e', id, v)
end

-- KEYS[2] is the rebuild flag, KEYS[3] the journal (Upsert, Remove): while a rebuild runs, a
-- write records its id in the same atomic step.
local function journal(id, ttl)
  if redis.call('EXISTS', KEYS[2]) == 1 then
    redis.call('SADD', KEYS[3], id)
    redis.call('PEXPIRE', KEYS[3], ttl)
  end
end

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- A generation being built is alive while its last chunk is more recent than `stale` ms.
local function alive(ns, gen, stale)
  local s = redis.call('ZSCORE', ns .. ':gens', gen)
  return s and tonumber(s) >= now_ms() - stale
end
)lua";

RedisScript Make(const char* body) {
  std::string source = kPrelude;
  source += body;
  return RedisScript::From(std::move(source));
}

}  // namespace

const RedisScript& UpsertScript() {
  static const RedisScript script = Make(R"lua(
journal(ARGV[2], ARGV[3])
local gen = redis.call('GET', KEYS[1])
if not gen then return 0 end
put(gen_prefix(ARGV[1], gen), ARGV[2], ARGV[4])
return 1
)lua");
  return script;
}

const RedisScript& RemoveScript() {
  static const RedisScript script = Make(R"lua(
journal(ARGV[2], ARGV[3])
local gen = redis.call('GET', KEYS[1])
if not gen then return 0 end
local p = gen_prefix(ARGV[1], gen)
local old = redis.call('HGET', p .. 'e', ARGV[2])
if old then
  unindex(p, ARGV[2], old)
  redis.call('HDEL', p .. 'e', ARGV[2])
end
return 1
)lua");
  return script;
}

const RedisScript& QueryScript() {
  static const RedisScript script = Make(R"lua(
local gen = redis.call('GET', KEYS[1])
if not gen then return false end
local p = gen_prefix(ARGV[1], gen)
local has_room, room, min, max = ARGV[2] == '1', ARGV[3], ARGV[4], ARGV[5]
local fetch, sts = tonumber(ARGV[6]), ARGV[7]

local sets = {}
if sts == '' then
  sets[1] = has_room and (p .. 'r:' .. room) or (p .. 'all')
elseif sts ~= '-' then
  for i = 1, #sts do
    local st = string.sub(sts, i, i)
    sets[#sets + 1] = has_room and (p .. 'rs:' .. st .. ':' .. room) or (p .. 's:' .. st)
  end
end

-- Byte-wise order, as memcmp (never strcoll, see redis_index_scripts.hpp).
local function bytes_less(a, b)
  local la, lb = #a, #b
  local n = la < lb and la or lb
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return la < lb
end

local out
if #sets == 1 then
  out = redis.call('ZRANGEBYLEX', sets[1], min, max, 'LIMIT', 0, fetch)
elseif #sets == 0 then
  out = {}
else
  -- k-way merge of the sets (disjoint: an entry has one status). Each set is read in chunks, the
  -- next one starting strictly after the previous one's last member, so the work stays near
  -- `fetch` members in all instead of `fetch` per set (reading a member into Lua is what costs).
  -- Each head's 16 hex digits are read once as two exact 32-bit numbers, so most comparisons are
  -- numeric; only equal starts compare ids byte by byte.
  out = {}
  local lists, pos, hi, lo, chunk, full = {}, {}, {}, {}, {}, {}
  local first = math.floor(fetch / #sets) + 2
  local function refill(i, from)
    lists[i] = redis.call('ZRANGEBYLEX', sets[i], from, max, 'LIMIT', 0, chunk[i])
    full[i] = #lists[i] == chunk[i]
    pos[i] = 1
    chunk[i] = math.min(chunk[i] * 2, fetch)
  end
  local function load(i)
    local m = lists[i][pos[i]]
    if m == nil and full[i] then
      refill(i, '(' .. lists[i][pos[i] - 1])
      m = lists[i][1]
    end
    if m then
      hi[i], lo[i] = tonumber(string.sub(m, 1, 8), 16), tonumber(string.sub(m, 9, 16), 16)
    end
  end
  for i = 1, #sets do
    chunk[i] = math.min(first, fetch)
    refill(i, min)
    load(i)
  end
  while #out < fetch do
    local best = nil
    for i = 1, #sets do
      if lists[i][pos[i]] then
        if best == nil or hi[i] < hi[best] or (hi[i] == hi[best] and (lo[i] < lo[best] or
            (lo[i] == lo[best] and bytes_less(lists[i][pos[i]], lists[best][pos[best]])))) then
          best = i
        end
      end
    end
    if best == nil then break end
    out[#out + 1] = lists[best][pos[best]]
    pos[best] = pos[best] + 1
    load(best)
  end
end

local more = 0
if #out == fetch then
  more = 1
  out[#out] = nil
end
local reply = {more}
if #out == 0 then return reply end
local ids = {}
for i, m in ipairs(out) do ids[i] = string.sub(m, 17) end
local values = redis.call('HMGET', p .. 'e', unpack(ids))
for i, id in ipairs(ids) do
  reply[2 * i] = id
  reply[2 * i + 1] = values[i]
end
return reply
)lua");
  return script;
}

const RedisScript& SizeScript() {
  static const RedisScript script = Make(R"lua(
local gen = redis.call('GET', KEYS[1])
if not gen then return false end
return redis.call('HLEN', gen_prefix(ARGV[1], gen) .. 'e')
)lua");
  return script;
}

const RedisScript& BuildChunkScript() {
  static const RedisScript script = Make(R"lua(
local ns, gen, stale = ARGV[1], ARGV[2], tonumber(ARGV[3])
if gen == '' then
  gen = tostring(redis.call('INCR', ns .. ':seq'))
elseif not alive(ns, gen, stale) then
  return false
end
redis.call('ZADD', ns .. ':gens', string.format('%d', now_ms()), gen)
local p = gen_prefix(ns, gen)
for i = 4, #ARGV, 2 do put(p, ARGV[i], ARGV[i + 1]) end
return gen
)lua");
  return script;
}

const RedisScript& SwitchScript() {
  static const RedisScript script = Make(R"lua(
local ns, gen, stale = ARGV[1], ARGV[2], tonumber(ARGV[3])
if not alive(ns, gen, stale) then return 0 end
local old = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], gen)
redis.call('ZREM', ns .. ':gens', gen)
-- Score 0: dead at once, for Collect.
if old and old ~= gen then redis.call('ZADD', ns .. ':gens', 0, old) end
return 1
)lua");
  return script;
}

const RedisScript& CollectScript() {
  static const RedisScript script = Make(R"lua(
local ns, stale, batch = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local dead = redis.call('ZRANGEBYSCORE', ns .. ':gens', '-inf',
                        string.format('(%d', now_ms() - stale), 'LIMIT', 0, 1)
if #dead == 0 then return 0 end
local p = gen_prefix(ns, dead[1])
local keys = redis.call('SPOP', p .. 'keys', batch)
if #keys > 0 then
  redis.call('UNLINK', unpack(keys))
  return 1
end
-- UNLINK frees big values (the entries hash) in a background thread.
redis.call('UNLINK', p .. 'e', p .. 'all', p .. 'keys', p .. 's:0', p .. 's:1', p .. 's:2',
           p .. 's:3', p .. 's:4', p .. 's:5', p .. 's:6')
redis.call('ZREM', ns .. ':gens', dead[1])
return 1
)lua");
  return script;
}

const RedisScript& TakeJournalScript() {
  static const RedisScript script = RedisScript::From(R"lua(
local ids = redis.call('SMEMBERS', KEYS[1])
redis.call('DEL', KEYS[1])
return ids
)lua");
  return script;
}

const RedisScript& TombstoneScript() {
  static const RedisScript script = RedisScript::From(R"lua(
for _, k in ipairs(KEYS) do redis.call('SET', k, '1', 'PX', ARGV[1]) end
return #KEYS
)lua");
  return script;
}

}  // namespace mr::storage::redis_index
