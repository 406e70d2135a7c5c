#pragma once
// RecordingCatalogue: the recordings catalogue over an ObjectStore. Storage is the source of
// truth; the in-memory CatalogueIndex only orders and filters, so a page costs O(page):
//   - Rebuild() reads every metadata object once (start-up, `meet-recorder reindex`);
//   - Save/Delete write storage first and then update the index, so the index never shows a
//     record storage does not have for longer than one request;
//   - List() resolves each page entry from storage; a record found gone is dropped from the
//     index, a record whose status/date changed behind our back is re-indexed.
// Storage failures are returned as Status (kUnavailable, ...) and never as "absent".
// Thread safety: all methods may run concurrently (the index is internally synchronised).

#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/async.hpp"
#include "common/status.hpp"
#include "recording/catalogue_index.hpp"
#include "recording/object_store.hpp"
#include "recording/recording.hpp"
#include "recording/storage_layout.hpp"

namespace mr::recording {

// A listing is an index query; each entry is then resolved from storage.
using RecordingListQuery = CatalogueQuery;

struct RecordingListPage {
  std::vector<RecordingInfo> recordings;
  std::optional<std::string> next_page_token;  // Opaque; set iff more records follow.
};

struct RebuildStats {
  size_t indexed = 0;
  size_t skipped = 0;  // Objects under the metadata prefix that are not valid records.
};

class RecordingCatalogue {
 public:
  RecordingCatalogue(ObjectStore& store, StorageLayout layout);

  const StorageLayout& layout() const { return layout_; }
  ObjectStore& store() { return store_; }
  size_t size() const { return index_.size(); }

  // Reads all metadata objects and replaces the index. Fails (leaving the old index) on a
  // storage error. Safe while requests are served: records saved or deleted during the scan are
  // journaled and re-read from storage after the swap, so none is lost or resurrected.
  Task<Result<RebuildStats>> Rebuild();

  // Loads a snapshot written by SaveSnapshot (start-up hint; see catalogue_snapshot.hpp). Returns
  // the number of entries, or an error (absent, damaged, another sub-bucket) leaving the index.
  Task<Result<size_t>> LoadSnapshot();
  Task<Status> SaveSnapshot();
  // The snapshot's key: `.mr-index/catalogue.tsv`, at the bucket root outside the sub-bucket.
  static constexpr const char* kSnapshotKey = ".mr-index/catalogue.tsv";

  // REQUIRES: `recording_id` passed ValidateRecordingId. nullopt when there is no record.
  Task<Result<std::optional<RecordingInfo>>> Get(std::string recording_id);
  Task<Result<std::optional<AccessSecrets>>> GetSecrets(std::string recording_id);

  // Both refuse (DeletedError) a recording this process deleted recently, also when the Delete
  // runs concurrently: a late webhook can never bring a deleted record back.
  Task<Status> Save(RecordingInfo record);
  Task<Status> SaveSecrets(std::string recording_id, AccessSecrets secrets);

  // A bad `after` cursor never gets here: decode tokens with CatalogueIndex::DecodeCursor.
  Task<Result<RecordingListPage>> List(RecordingListQuery query);

  // Deletes media, metadata and secrets of the given recordings (no status checks here: callers
  // decide what may be deleted). Media first, so a failure leaves the record to retry with.
  Task<Status> Delete(std::vector<std::string> recording_ids);

  // Whether storage holds any record of the room (one List call of one key).
  Task<Result<bool>> RoomHasRecordings(std::string room_id);

  // Reference §3.8: after deleting recordings of a room, delete its archived metadata when no
  // record of the room is left.
  Task<Status> CleanUpRoomMetadata(std::string room_id);

  // Every recording id of a room, from storage (used by room deletion).
  Task<Result<std::vector<std::string>>> RoomRecordingIds(std::string room_id);

  // True when this process deleted the recording recently (the last kTombstones deletions): a
  // late or retried LiveKit webhook of a deleted recording must not bring its record back.
  bool RecentlyDeleted(const std::string& recording_id);
  static constexpr size_t kTombstones = 10000;

 private:
  void Journal(const std::string& recording_id);
  Task<Status> ReplayJournal();

  ObjectStore& store_;
  StorageLayout layout_;
  CatalogueIndex index_;
  std::mutex journal_mu_;
  bool journaling_ = false;               // Guarded by journal_mu_.
  std::set<std::string> journal_;         // Guarded by journal_mu_.
  std::set<std::string> tombstones_;      // Guarded by journal_mu_.
  std::deque<std::string> tombstone_order_;  // Guarded by journal_mu_; oldest first.
};

IndexEntry IndexEntryFor(const RecordingInfo& r);

// kConflict "Recording '{id}' was deleted".
Status DeletedError(const std::string& recording_id);

}  // namespace mr::recording
