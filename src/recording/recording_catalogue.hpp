#pragma once
// RecordingCatalogue: the recordings catalogue over an ObjectStore. Storage is the source of
// truth; the index (a CatalogueIndexStore: in memory for one process, in Redis for a fleet) only
// orders and filters, so a page costs O(page):
//   - Rebuild() reads every metadata object once (start-up, `meet-recorder reindex`, or a shared
//     index found lost);
//   - Save/Delete write storage first and then update the index, so the index never shows a
//     record storage does not have for longer than one request;
//   - List() resolves each page entry from storage; a record found gone is dropped from the
//     index, a record whose status/date changed behind our back is re-indexed.
// Storage failures are returned as Status (kUnavailable, ...) and never as "absent".
// Thread safety: all methods may run concurrently (the index is internally synchronised).

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/async.hpp"
#include "common/one_shot.hpp"
#include "common/status.hpp"
#include "recording/catalogue_index.hpp"
#include "recording/in_memory_catalogue_index_store.hpp"
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
  // Without `index`, the catalogue keeps its own in-memory index (one process).
  RecordingCatalogue(ObjectStore& store, StorageLayout layout, CatalogueIndexStore* index = nullptr);

  const StorageLayout& layout() const { return layout_; }
  ObjectStore& store() { return store_; }
  // Whether the index is shared by a fleet (then it is rebuilt only when IndexReady() is false).
  bool shared_index() const { return index_.shared(); }
  Task<Result<size_t>> Size();
  Task<Result<bool>> IndexReady();

  // Reads all metadata objects (kScanParallelism reads at a time) and replaces the index. Fails
  // (leaving the old index) on a storage error. Safe while requests are served, by this instance
  // or others of the fleet: records saved or deleted during the scan are journaled by the index
  // store and re-read from storage after the swap, so none is lost or resurrected.
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

  // Both refuse (DeletedError) a recording deleted recently (by any instance of the fleet), also
  // when the Delete runs concurrently: a late webhook can never bring a deleted record back.
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

  // True when the recording was deleted recently (see CatalogueIndexStore's tombstones): a late
  // or retried LiveKit webhook of a deleted recording must not bring its record back.
  Task<Result<bool>> IsDeleted(std::string recording_id);

  // Index writes that failed (the index store was unreachable) while the storage write landed:
  // re-applied from storage by this call (the fleet's index guard job runs it every tick), so a
  // Redis outage does not leave the shared index without a record. Past kMaxPendingIndexWrites
  // ids, the next call rebuilds the whole index instead.
  Task<Status> RetryIndexWrites();
  static constexpr size_t kMaxPendingIndexWrites = 100000;

  static constexpr size_t kScanParallelism = 32;

 private:
  Task<Status> ReplayJournal();
  Task<Result<std::pair<RebuildStats, std::vector<IndexEntry>>>> Scan();
  Task<std::vector<Result<std::string>>> GetMany(const std::vector<std::string>& keys);
  Task<std::vector<Result<std::optional<RecordingInfo>>>> GetRecords(
      const std::vector<IndexEntry>& entries);
  Task<void> GetWorker(const std::vector<std::string>* keys, std::atomic<size_t>* next,
                       std::vector<Result<std::string>>* out, std::shared_ptr<OneShot> done);
  Task<Status> PutUnlessDeleted(const std::string& recording_id, const std::string& key,
                                std::string body);

  void DeferIndexWrite(const std::string& recording_id, const Status& why);

  ObjectStore& store_;
  StorageLayout layout_;
  std::mutex pending_mu_;
  std::set<std::string> pending_index_;  // Guarded by pending_mu_.
  bool pending_overflow_ = false;        // Guarded by pending_mu_.
  std::unique_ptr<InMemoryCatalogueIndexStore> owned_index_;  // When no store was given.
  CatalogueIndexStore& index_;
};

IndexEntry IndexEntryFor(const RecordingInfo& r);

// kConflict "Recording '{id}' was deleted".
Status DeletedError(const std::string& recording_id);
bool IsDeletedError(const Status& s, const std::string& recording_id);

}  // namespace mr::recording
