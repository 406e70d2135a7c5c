#pragma once
// The Lua scripts of RedisCatalogueIndexStore (redis_catalogue_index_store.hpp documents the key
// layout and the encodings they share with the C++ side). One script per operation, so every
// write is atomic and costs one round trip. Each is built once (its SHA-1 computed once) and
// lives for the whole process.
//
// Every script takes the namespace as ARGV[1] and derives the generation's keys from it inside
// the script (the current generation is only known there). All those keys share the namespace's
// hash tag, so they live in one cluster slot; see the header of the store.
//
// Lua compares strings with strcoll() and redis-server sets LC_COLLATE from its environment, so
// the scripts never order strings with `<`: the merge of Query compares bytes explicitly.
//
// Thread safety: the returned references are to immutable function-local statics.

#include "common/redis_client.hpp"

namespace mr::storage::redis_index {


// KEYS: current pointer, rebuild flag, journal. ARGV: ns, id, journal ttl ms, value.
// Journals the id while the flag exists. Returns 1, or 0 when the index is not ready.
const RedisScript& UpsertScript();
// KEYS: current pointer, rebuild flag, journal. ARGV: ns, id, journal ttl ms.
// Journals the id while the flag exists. Returns 1, or 0 when the index is not ready.
const RedisScript& RemoveScript();
// KEYS[1] current pointer. ARGV: ns, has_room ("0"/"1"), room, lex min, lex max, fetch count,
// statuses ("" = every status, "-" = none, else one digit per status).
// Returns nil when not ready, else {more (0/1), id1, value1, id2, value2, ...} with at most
// fetch-1 entries; more = 1 when a fetch-th matching entry exists.
const RedisScript& QueryScript();
// KEYS[1] current pointer. ARGV: ns. Returns the number of entries, or nil when not ready.
const RedisScript& SizeScript();
// ARGV: ns, generation ("" = allocate a new one), stale ms, then id/value pairs.
// Returns the generation id, or nil when that generation is no longer alive (collected).
const RedisScript& BuildChunkScript();
// KEYS[1] current pointer. ARGV: ns, generation, stale ms. Makes the generation current and
// marks the previous one dead. Returns 1, or 0 when the generation is no longer alive.
const RedisScript& SwitchScript();
// ARGV: ns, stale ms, batch. Deletes up to `batch` keys of one dead generation. Returns 1 when
// it did some work (call again), 0 when no dead generation is left.
const RedisScript& CollectScript();
// KEYS[1] journal. Returns its ids and deletes it, atomically.
const RedisScript& TakeJournalScript();
// KEYS: tombstone keys. ARGV[1]: time to live in ms. Sets each key with that expiry.
const RedisScript& TombstoneScript();

}  // namespace mr::storage::redis_index
