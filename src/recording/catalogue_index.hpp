#pragma once
// CatalogueIndex: the in-memory index of the recording catalogue that makes a listing cost
// O(page), not O(catalogue).
//
// Storage (the bucket, or the folder mirroring it) is the source of truth. The index is rebuilt
// from storage at start-up with Reset() and the caller keeps it in step on every write with
// Upsert() and Remove(). It is a pure data structure: no I/O, no clock.
//
// Order: newest first (start_ms descending), ties broken by recording_id ascending (byte-wise).
// This is a strict total order that depends only on the entries themselves, so it is stable across
// restarts and a Cursor taken before a restart stays valid after it.
//
// Paging: a Cursor is a position in that order, not an offset. A query with `after` continues
// strictly after the position, so while entries are added and removed between pages nothing is
// returned twice, entries that existed throughout are never skipped, entries inserted before the
// cursor position are not shown and removed ones are simply absent.
//
// Cost: every Query, with any combination of filters, costs O(limit * log n + k) where k is the
// number of statuses asked for: each filter combination is answered from an ordered secondary
// index (global, per room, per status, per room and status); a list of statuses is a k-way merge;
// date bounds and the cursor are seeks. Upsert and Remove cost O(log n) (amortised: the id arena
// is compacted now and then). Reset costs O(n log n).
//
// Memory: entries live in a slot table; the ordered indexes hold 32-bit slot numbers in
// absl::btree_set; room ids are interned and a recording id that starts with "{room_id}--" is
// stored without that prefix. About 77 bytes per entry (82 by RSS) for 100 000 realistic ids
// (40 bytes) in 1 000 rooms, see bench/catalogue_index_bench.cpp.
//
// Thread safety: internally synchronised with one std::shared_mutex. Query, Find, size and
// MemoryBytesForTest take it shared and may run concurrently from any number of threads; Upsert,
// Remove, Clear and Reset take it exclusively. EncodeCursor and DecodeCursor are static and pure.
// Reads hold the lock for O(page) only and Reset/Clear build the new content outside it. Note that
// libstdc++'s std::shared_mutex (a glibc rwlock) prefers readers: a writer waits until no reader
// holds the lock, so an unbroken stream of overlapping queries can delay writes.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "recording/recording_status.hpp"

namespace mr::recording {

// One recording as the index sees it.
struct IndexEntry {
  std::string recording_id;  // Unique key. REQUIRES: at most 65535 bytes.
  std::string room_id;
  int64_t start_ms = 0;  // Start date, milliseconds since the Unix epoch.
  RecordingStatus status = RecordingStatus::kStarting;

  friend bool operator==(const IndexEntry&, const IndexEntry&) = default;
};

// A position in the listing order: the last entry of the previous page.
struct Cursor {
  int64_t start_ms = 0;
  std::string recording_id;

  friend bool operator==(const Cursor&, const Cursor&) = default;
};

struct CatalogueQuery {
  // Exact room match: room "R" never matches "R2". Unset = every room.
  std::optional<std::string> room_id;
  // Empty = any status; otherwise any of these (duplicates are ignored).
  std::vector<RecordingStatus> statuses;
  // Inclusive lower bound on start_ms. Unset = no bound.
  std::optional<int64_t> start_from_ms;
  // Inclusive upper bound on start_ms. Unset = no bound.
  std::optional<int64_t> start_to_ms;
  // Page size. REQUIRES: 1..1000 (the API validates); values outside are clamped into the range.
  size_t limit = 10;
  // Continue strictly after this position. Unset = from the beginning.
  std::optional<Cursor> after;
};

struct CataloguePage {
  // At most `limit` matching entries, in listing order.
  std::vector<IndexEntry> entries;
  // Set iff more matching entries exist after the last returned one; it is then the position of
  // that last entry, to pass as `after` for the next page.
  std::optional<Cursor> next;
};

class CatalogueIndex {
 public:
  static constexpr size_t kMaxLimit = 1000;
  static constexpr size_t kMaxRecordingIdBytes = 65535;

  CatalogueIndex();
  ~CatalogueIndex();
  CatalogueIndex(const CatalogueIndex&) = delete;
  CatalogueIndex& operator=(const CatalogueIndex&) = delete;

  // Inserts `e`, or replaces the entry with the same recording_id (its room, start and status may
  // all change; the entry then moves to its new place in every index). O(log n) amortised.
  // REQUIRES: e.status is a valid RecordingStatus and e.recording_id has at most
  // kMaxRecordingIdBytes bytes; otherwise throws std::invalid_argument (a bug in the caller) and
  // leaves the index unchanged.
  void Upsert(IndexEntry e);

  // Removes the entry with this recording id. Returns false (and changes nothing) when there is
  // none. A room left without entries is forgotten.
  bool Remove(std::string_view recording_id);

  // The entry with this recording id, or nullopt.
  std::optional<IndexEntry> Find(std::string_view recording_id) const;

  // Number of entries.
  size_t size() const;

  // Removes every entry.
  void Clear();

  // Replaces the whole content at once (start-up and reindex): concurrent readers see either the
  // old content or the new one, never a mix. The new index is built before the lock is taken, so
  // readers are blocked only for a pointer swap. When several entries share a recording_id the
  // last one wins, as with successive Upserts. Fast: 100 000 entries take a few tens of
  // milliseconds. REQUIRES: as for Upsert, for every entry; otherwise throws
  // std::invalid_argument and leaves the index unchanged.
  void Reset(std::vector<IndexEntry> entries);

  // One page of the entries matching every filter of `q`, in listing order (see the top of the
  // file). An unknown room, an empty status set after dropping invalid values, or
  // start_from_ms > start_to_ms yield an empty page. O(limit * log n + k).
  CataloguePage Query(const CatalogueQuery& q) const;

  // An estimate of the heap and object bytes used by the index (slot table, id arena, hash set,
  // btree nodes, rooms), for the benchmark and memory tests.
  size_t MemoryBytesForTest() const;

  // Number of rooms that currently have at least one entry (empty rooms are erased).
  size_t RoomCountForTest() const;

  // An opaque, URL-safe token for `c`: base64url without padding of a versioned payload.
  // Round-trips exactly through DecodeCursor for any recording id of 1..1024 bytes.
  static std::string EncodeCursor(const Cursor& c);

  // Parses a token made by EncodeCursor. Returns nullopt for anything malformed (bad base64url,
  // non-canonical encoding, wrong version, truncated, numbers out of range, empty or oversized
  // id, over-long token); never undefined behaviour.
  static std::optional<Cursor> DecodeCursor(std::string_view token);

 private:
  struct Impl;

  mutable std::shared_mutex mu_;
  std::unique_ptr<Impl> impl_;  // Guarded by mu_ (the pointer and everything it points to).
};

}  // namespace mr::recording
