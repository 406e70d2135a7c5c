#pragma once
// CatalogueIndexStore: where the catalogue's index lives (the port RecordingCatalogue orders and
// filters through). Storage stays the source of truth; an index store is always rebuildable from
// it (RecordingCatalogue::Rebuild, `meet-recorder reindex`).
//   - InMemoryCatalogueIndexStore: one process (embedded mode) — a CatalogueIndex in memory.
//   - storage/RedisCatalogueIndexStore: the fleet — one index in Redis shared by every instance,
//     so a record saved on instance A is listed by instance B at once.
//
// Semantics of Upsert/Remove/Query/Reset and of the order and cursors: as CatalogueIndex
// (catalogue_index.hpp), which is the reference implementation; every store passes the same
// conformance tests.
//
// Tombstones: ids deleted recently, so a late or retried LiveKit webhook can never bring a
// deleted record back (shared by the fleet in the Redis store). They are kept for at least
// `kTombstoneMinAge` or the last `kTombstoneMinCount` deletions, whichever the store offers.
//
// Errors: kUnavailable when the back-end (Redis) cannot be reached.
// Thread safety: every method may be called concurrently from any thread.

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "common/async.hpp"
#include "common/status.hpp"
#include "recording/catalogue_index.hpp"

namespace mr::recording {

class CatalogueIndexStore {
 public:
  virtual ~CatalogueIndexStore() = default;

  // True when the index is shared by the fleet: an instance must not rebuild it on every start,
  // only when it is not Ready().
  virtual bool shared() const = 0;

  // False when the index was never built, or was lost (a Redis restarted without persistence):
  // the caller then rebuilds it from storage. A Reset makes it ready.
  virtual Task<Result<bool>> Ready() = 0;

  virtual Task<Status> Upsert(IndexEntry e) = 0;
  virtual Task<Status> Remove(std::string recording_id) = 0;
  virtual Task<Result<CataloguePage>> Query(CatalogueQuery q) = 0;
  // Replaces the whole content atomically: readers see the old or the new index, never a mix.
  virtual Task<Status> Reset(std::vector<IndexEntry> entries) = 0;
  virtual Task<Result<size_t>> Size() = 0;

  // Rebuild journal: between BeginRebuild and EndRebuild, every Upsert and Remove (from any
  // instance of the fleet, for a shared store) also records its recording id in a journal, in the
  // same atomic step as the write. The rebuilder runs Begin, scans storage, Reset()s, calls End and
  // then TakeJournal, and re-reads from storage every id it returns: a write that landed in the old
  // index during the scan would otherwise be lost at the swap. Writes after End go to the new
  // index directly. TakeJournal returns and clears the ids journaled so far. A rebuilder that dies
  // leaves the journal on: a shared store expires it (a TTL of a few minutes, renewed by each
  // Begin), so it never grows for ever.
  virtual Task<Status> BeginRebuild() = 0;
  virtual Task<Result<std::vector<std::string>>> TakeJournal() = 0;
  virtual Task<Status> EndRebuild() = 0;

  virtual Task<Status> AddTombstones(std::vector<std::string> recording_ids) = 0;
  // Undo for a deletion that failed (the records stay and must remain writable).
  virtual Task<Status> RemoveTombstones(std::vector<std::string> recording_ids) = 0;
  virtual Task<Result<bool>> IsTombstoned(std::string recording_id) = 0;

  static constexpr std::chrono::hours kTombstoneMinAge{24};
  static constexpr size_t kTombstoneMinCount = 10000;
};

}  // namespace mr::recording
