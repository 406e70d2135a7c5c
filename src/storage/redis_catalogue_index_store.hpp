#pragma once
// RedisCatalogueIndexStore: the catalogue index shared by a fleet of instances, in Redis. A record
// upserted by instance A is listed by instance B at once; every query costs one round trip and
// O(k * (log n + page)) work in Redis (k = number of statuses asked for), never O(catalogue).
// Semantics (order, filters, cursors, paging): exactly CatalogueIndex's (catalogue_index.hpp);
// the conformance suite checks both side by side.
//
// Key layout, under the namespace `ns` given to the constructor (one per catalogue, e.g.
// "mr:catalogue:{openvidu-meet}", so two catalogues never mix):
//   {ns}:current         the current generation id. Ready() iff it exists.
//   {ns}:g:{gen}:e       hash recording_id -> value: status digit, inverted start, room.
//   {ns}:g:{gen}:all     sorted set of every entry;
//   {ns}:g:{gen}:s:{st}  ... of the entries with status st (a digit, RecordingStatus's value);
//   {ns}:g:{gen}:r:{room}         ... of a room (the room id as it is, any bytes);
//   {ns}:g:{gen}:rs:{st}:{room}   ... of a room with one status.
//   {ns}:g:{gen}:keys    set of the per-room key names (to delete a generation without SCAN).
//   {ns}:gens            sorted set of the generations being built (score: last write, ms) or
//                        dead (score 0), for garbage collection.
//   {ns}:seq             counter the generation ids come from.
//   {ns}:rebuilding      the rebuild flag (BeginRebuild .. EndRebuild), PX = kJournalTtl.
//   {ns}:journal         set of the ids written while the flag exists, PX = kJournalTtl (renewed
//                        by each journaled write).
//   {ns}:deleted:{id}    a tombstone, with PX = kTombstoneMinAge: tombstones expire on their own.
// Every member of the sorted sets has score 0 and is inv_start followed by recording_id (no
// separator: inv_start has a fixed width), inv_start being the 16 lowercase hex digits of
// 2^64 - 1 - (start_ms + 2^63): an order-reversing map of every int64 (negative and zero too). Byte order of members (ZRANGEBYLEX is memcmp)
// is thus the listing order: start descending, then recording id ascending byte-wise. Date bounds
// and the cursor are lex bounds ("(" for the cursor: strictly after it), so a page is a seek
// plus `limit + 1` members per set; several statuses are one ZRANGEBYLEX per status and a k-way
// merge, all inside one Lua script.
//
// Key lifetime (scope.md Q9): tombstones expire (24 h). The index keys have no TTL: they are data
// owned by the catalogue, rebuildable from storage at any time (`meet-recorder reindex`); a
// sorted set left empty disappears by itself in Redis, {ns}:g:{gen}:keys keeps one name per room
// key ever created in that generation (a few bytes per room), and Reset deletes the previous
// generation entirely. Redis must run with a `noeviction` or `volatile-*` maxmemory policy:
// an `allkeys-*` policy could evict part of an index that then still looks ready.
//
// Reset: builds the new content in a new generation, 1 000 entries per script call, then one
// script switches {ns}:current to it atomically (readers see the old index or the new one, never a
// mix) and marks the old generation dead; its keys are then deleted in batches of 1 000 (UNLINK,
// freed in Redis' background thread). A generation whose builder died (no chunk written for
// kStaleBuildAge) is dead too, and collected by the next Reset; a builder whose generation was
// collected meanwhile fails instead of switching to a partial index. Concurrent Resets (two
// instances) are safe: the last switch wins, each deletes only dead generations.
// Writes during a rebuild: an Upsert or Remove applies to the generation current when it runs, so
// one that lands in the old generation while the new one is being built is lost at the switch.
// The rebuild journal (the port's BeginRebuild/TakeJournal/EndRebuild) catches them: while
// {ns}:rebuilding exists, Upsert and Remove add their id to {ns}:journal in the same script (also
// when the index is not ready), and RecordingCatalogue re-reads those ids from storage after the
// swap, which makes a plain atomic switch enough. There is one journal per namespace:
// BeginRebuild does not clear it (a second rebuilder of the fleet may be running; extra ids only
// cost a re-read) and TakeJournal takes every id atomically. Two concurrent rebuilders share the
// flag, so EndRebuild by one stops journaling for the other: rebuilds should be serialised by the
// caller (a lock), which the port recommends anyway. The flag expires kJournalTtl after the last
// BeginRebuild: a storage scan must finish within it (a dead rebuilder's flag goes away alone).
//
// Not ready ({ns}:current missing: never built, or a Redis restarted without persistence):
//   - Ready() is false; the caller rebuilds from storage with Reset().
//   - Query and Size fail with kUnavailable and a message starting with kNotReadyMessage (see
//     IsNotReady): an index that is gone must never look like an empty catalogue.
//   - Upsert and Remove change nothing and return OK, so no half index that looks ready is ever
//     created; storage (written first by the caller) holds the truth, and the rebuild that must
//     follow reads it.
//
// Errors: the client's status is returned as it is (kUnavailable when Redis cannot be reached,
// kInternal for an error reply); an outage is never reported as an empty page, "not
// tombstoned" or a size of 0. An unexpected reply shape is kInternal. Upsert and Reset return
// kInvalidArgument for an invalid status or an id longer than CatalogueIndex::kMaxRecordingIdBytes
// (where CatalogueIndex throws).
//
// Round trips: Upsert, Remove, Query (any filters), Size, Ready, IsTombstoned, BeginRebuild,
// TakeJournal, EndRebuild: 1 each.
// AddTombstones/RemoveTombstones: 1 per 1 000 ids (0 for none). Reset: 1 per 1 000 entries
// + 1 switch + 3 + (per-room keys of the old generation) / 1 000 for the clean-up; measured for
// 100 000 entries in 1 000 rooms: 106 the first time, 112 when replacing a generation.
// Work in Redis (blocking it; measured on a loaded 2-core machine, 100 000 entries): a page of 10
// ~0.1 ms, a page of 1 000 merged over 6 statuses ~3 ms, a build chunk of 1 000 entries under
// 40 ms (a Reset of 100 000 entries takes 3.4 to 6.5 s end to end).
// Memory: about 0.95 KB per entry (93 MiB for 100 000 entries in 1 000 rooms, ids of 40 bytes).
//
// Redis Cluster: the scripts name the generation's keys themselves (the generation is only known
// inside the script), so `ns` must contain a hash tag ("{...}") to keep every key in one slot.
//
// Thread safety: stateless apart from the client (which is thread-safe): every method may be
// called concurrently from any thread, by any number of instances on the same namespace.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/redis_client.hpp"
#include "recording/catalogue_index_store.hpp"

namespace mr::storage {

class RedisCatalogueIndexStore final : public recording::CatalogueIndexStore {
 public:
  // Entries per build script call of Reset, and keys per tombstone or clean-up call.
  static constexpr size_t kBatch = 1000;
  // A generation being built with no write for this long is considered abandoned.
  static constexpr std::chrono::minutes kStaleBuildAge{10};
  static constexpr std::string_view kNotReadyMessage = "catalogue index not ready";
  // Lifetime of the rebuild flag (from BeginRebuild) and of the journal (from its last write).
  static constexpr std::chrono::minutes kJournalTtl{30};

  // `redis` must outlive the store. `ns`: see the top of the file.
  RedisCatalogueIndexStore(RedisClient& redis, std::string ns);

  bool shared() const override { return true; }
  Task<Result<bool>> Ready() override;
  Task<Status> Upsert(recording::IndexEntry e) override;
  Task<Status> Remove(std::string recording_id) override;
  Task<Result<recording::CataloguePage>> Query(recording::CatalogueQuery q) override;
  Task<Status> Reset(std::vector<recording::IndexEntry> entries) override;
  Task<Result<size_t>> Size() override;
  Task<Status> BeginRebuild() override;
  Task<Result<std::vector<std::string>>> TakeJournal() override;
  Task<Status> EndRebuild() override;
  Task<Status> AddTombstones(std::vector<std::string> recording_ids) override;
  Task<Status> RemoveTombstones(std::vector<std::string> recording_ids) override;
  Task<Result<bool>> IsTombstoned(std::string recording_id) override;

  // True for the error Query and Size return while the index is not ready.
  static bool IsNotReady(const Status& s);

  const std::string& ns() const { return ns_; }

  // The member prefix for `start_ms` (16 lowercase hex digits) and back.
  static std::string EncodeStartForTest(int64_t start_ms);
  static bool DecodeStartForTest(std::string_view hex, int64_t& start_ms);

 private:
  std::string Key(std::string_view suffix) const;  // ns_ + ":" + suffix.
  // The keys of Upsert and Remove: current pointer, rebuild flag, journal.
  std::vector<std::string> WriteKeys() const;
  std::string TombstoneKey(std::string_view recording_id) const;
  // Deletes dead generations (see Reset); best effort, bounded.
  Task<Status> CollectGarbage();

  RedisClient& redis_;
  const std::string ns_;
};

}  // namespace mr::storage
