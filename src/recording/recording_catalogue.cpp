#include "recording/recording_catalogue.hpp"

#include "common/logging.hpp"
#include "recording/catalogue_snapshot.hpp"

namespace mr::recording {

Status DeletedError(const std::string& recording_id) {
  return Status(StatusCode::kConflict, "Recording '" + recording_id + "' was deleted");
}

IndexEntry IndexEntryFor(const RecordingInfo& r) {
  return IndexEntry{r.recording_id, r.room_id, r.start_date.value_or(0), r.status};
}

RecordingCatalogue::RecordingCatalogue(ObjectStore& store, StorageLayout layout)
    : store_(store), layout_(std::move(layout)) {}

void RecordingCatalogue::Journal(const std::string& recording_id) {
  std::lock_guard<std::mutex> lock(journal_mu_);
  if (journaling_) {
    journal_.insert(recording_id);
  }
}

// Re-reads every record written during a rebuild scan, until no new one arrives. A write after
// the swap updates the index itself, so the journal only needs what happened before it.
Task<Status> RecordingCatalogue::ReplayJournal() {
  for (int round = 0; round < 100; ++round) {
    std::set<std::string> ids;
    {
      std::lock_guard<std::mutex> lock(journal_mu_);
      ids.swap(journal_);
      if (ids.empty()) {
        journaling_ = false;
        co_return Status::Ok();
      }
    }
    for (const auto& id : ids) {
      auto rec = co_await Get(id);
      if (!rec.ok()) {
        std::lock_guard<std::mutex> lock(journal_mu_);
        journaling_ = false;
        co_return rec.status();
      }
      if (rec->has_value()) {
        index_.Upsert(IndexEntryFor(**rec));
      } else {
        index_.Remove(id);
      }
    }
  }
  std::lock_guard<std::mutex> lock(journal_mu_);
  journaling_ = false;
  co_return InternalError("catalogue journal never drained");
}

Task<Result<RebuildStats>> RecordingCatalogue::Rebuild() {
  {
    std::lock_guard<std::mutex> lock(journal_mu_);
    journaling_ = true;
    journal_.clear();
  }
  RebuildStats stats;
  std::vector<IndexEntry> entries;
  std::optional<std::string> token;
  const std::string prefix = layout_.AllMetadataPrefix();
  do {
    auto page = co_await store_.List(prefix, 1000, token);
    if (!page.ok()) {
      std::lock_guard<std::mutex> lock(journal_mu_);
      journaling_ = false;
      co_return page.status();
    }
    for (const auto& obj : page->objects) {
      auto id = layout_.RecordingIdFromMetadataKey(obj.key);
      if (!id) {
        ++stats.skipped;
        continue;
      }
      auto body = co_await store_.Get(obj.key);
      if (!body.ok()) {
        if (body.status().code() == StatusCode::kNotFound) {
          continue;  // Deleted while we were listing.
        }
        std::lock_guard<std::mutex> lock(journal_mu_);
        journaling_ = false;
        co_return body.status();
      }
      auto rec = ParseRecordingJson(*body);
      // The key is authoritative for the id: a record whose body names another id is not ours.
      if (!rec.ok() || rec->recording_id != *id) {
        log::Warn("skipping unreadable recording metadata", {{"key", obj.key}});
        ++stats.skipped;
        continue;
      }
      entries.push_back(IndexEntryFor(*rec));
    }
    token = page->next_token;
  } while (token);
  stats.indexed = entries.size();
  index_.Reset(std::move(entries));
  Status replayed = co_await ReplayJournal();
  if (!replayed.ok()) {
    co_return replayed;
  }
  co_return stats;
}

Task<Result<size_t>> RecordingCatalogue::LoadSnapshot() {
  auto text = co_await store_.Get(kSnapshotKey);
  if (!text.ok()) {
    co_return text.status();
  }
  auto entries = DecodeCatalogueSnapshot(layout_.subbucket(), *text);
  if (!entries.ok()) {
    co_return entries.status();
  }
  const size_t n = entries->size();
  index_.Reset(std::move(*entries));
  co_return n;
}

Task<Status> RecordingCatalogue::SaveSnapshot() {
  std::vector<IndexEntry> all;
  all.reserve(index_.size());
  CatalogueQuery q;
  q.limit = CatalogueIndex::kMaxLimit;
  while (true) {
    CataloguePage page = index_.Query(q);
    for (auto& e : page.entries) {
      all.push_back(std::move(e));
    }
    if (!page.next) {
      break;
    }
    q.after = page.next;
  }
  co_return co_await store_.Put(kSnapshotKey, EncodeCatalogueSnapshot(layout_.subbucket(), all));
}

Task<Result<std::optional<RecordingInfo>>> RecordingCatalogue::Get(std::string recording_id) {
  auto parts = ParseRecordingId(recording_id);
  if (!parts) {
    co_return InvalidArgumentError("Invalid recordingId format: " + recording_id);
  }
  auto body = co_await store_.Get(layout_.MetadataKey(*parts));
  if (!body.ok()) {
    if (body.status().code() == StatusCode::kNotFound) {
      co_return std::optional<RecordingInfo>();
    }
    co_return body.status();
  }
  auto rec = ParseRecordingJson(*body);
  if (!rec.ok() || rec->recording_id != recording_id) {
    co_return InternalError("recording metadata of '" + recording_id + "' is unreadable");
  }
  co_return std::optional<RecordingInfo>(std::move(*rec));
}

Task<Result<std::optional<AccessSecrets>>> RecordingCatalogue::GetSecrets(std::string recording_id) {
  auto parts = ParseRecordingId(recording_id);
  if (!parts) {
    co_return InvalidArgumentError("Invalid recordingId format: " + recording_id);
  }
  auto body = co_await store_.Get(layout_.SecretsKey(*parts));
  if (!body.ok()) {
    if (body.status().code() == StatusCode::kNotFound) {
      co_return std::optional<AccessSecrets>();
    }
    co_return body.status();
  }
  auto secrets = ParseSecretsJson(*body);
  if (!secrets.ok()) {
    co_return InternalError("access secrets of '" + recording_id + "' are unreadable");
  }
  co_return std::optional<AccessSecrets>(std::move(*secrets));
}

Task<Status> RecordingCatalogue::Save(RecordingInfo record) {
  auto parts = ParseRecordingId(record.recording_id);
  if (!parts) {
    co_return InvalidArgumentError("Invalid recordingId format: " + record.recording_id);
  }
  if (RecentlyDeleted(record.recording_id)) {
    co_return DeletedError(record.recording_id);
  }
  const std::string key = layout_.MetadataKey(*parts);
  Status s = co_await store_.Put(key, RecordingToJson(record).dump());
  if (!s.ok()) {
    co_return s;
  }
  // Delete tombstones an id before removing its objects; a Put that raced past the check above
  // and landed after the removal is undone here, so a deleted record never comes back.
  if (RecentlyDeleted(record.recording_id)) {
    std::vector<std::string> keys;
    keys.push_back(key);
    co_await store_.DeleteMany(std::move(keys));
    co_return DeletedError(record.recording_id);
  }
  index_.Upsert(IndexEntryFor(record));
  Journal(record.recording_id);
  co_return s;
}

Task<Status> RecordingCatalogue::SaveSecrets(std::string recording_id, AccessSecrets secrets) {
  auto parts = ParseRecordingId(recording_id);
  if (!parts) {
    co_return InvalidArgumentError("Invalid recordingId format: " + recording_id);
  }
  if (RecentlyDeleted(recording_id)) {
    co_return DeletedError(recording_id);
  }
  const std::string key = layout_.SecretsKey(*parts);
  Status s = co_await store_.Put(key, SecretsToJson(secrets).dump());
  if (s.ok() && RecentlyDeleted(recording_id)) {
    std::vector<std::string> keys;
    keys.push_back(key);
    co_await store_.DeleteMany(std::move(keys));
    co_return DeletedError(recording_id);
  }
  co_return s;
}

Task<Result<RecordingListPage>> RecordingCatalogue::List(RecordingListQuery query) {
  CatalogueQuery q = std::move(query);
  RecordingListPage out;
  // A page entry whose record vanished or changed is fixed in the index and the query re-run
  // from the same position, so the page still holds `limit` matching records when they exist.
  for (int round = 0; round < 4; ++round) {
    CataloguePage page = index_.Query(q);
    bool stale = false;
    for (const auto& entry : page.entries) {
      auto rec = co_await Get(entry.recording_id);
      if (!rec.ok()) {
        co_return rec.status();
      }
      if (!rec->has_value()) {
        index_.Remove(entry.recording_id);
        stale = true;
        break;
      }
      IndexEntry fresh = IndexEntryFor(**rec);
      if (fresh.start_ms != entry.start_ms || fresh.status != entry.status ||
          fresh.room_id != entry.room_id) {
        index_.Upsert(fresh);
        stale = true;
        break;
      }
      out.recordings.push_back(std::move(**rec));
      q.after = Cursor{entry.start_ms, entry.recording_id};
      --q.limit;
    }
    if (!stale) {
      if (page.next) {
        out.next_page_token = CatalogueIndex::EncodeCursor(*page.next);
      }
      co_return out;
    }
  }
  // Storage keeps changing under us; answer with what is consistent so far.
  if (q.after && !out.recordings.empty()) {
    out.next_page_token = CatalogueIndex::EncodeCursor(*q.after);
  }
  co_return out;
}

Task<Status> RecordingCatalogue::Delete(std::vector<std::string> recording_ids) {
  std::vector<std::string> media_keys;
  std::vector<std::string> meta_keys;
  for (const auto& id : recording_ids) {
    auto parts = ParseRecordingId(id);
    if (!parts) {
      co_return InvalidArgumentError("Invalid recordingId format: " + id);
    }
    media_keys.push_back(layout_.MediaKey(*parts));
    meta_keys.push_back(layout_.MetadataKey(*parts));
    meta_keys.push_back(layout_.SecretsKey(*parts));
  }
  // Tombstones first: a concurrent Save of one of these ids either sees the tombstone or has
  // its object removed below or by its own re-check (see Save).
  std::vector<std::string> added;
  {
    std::lock_guard lock(journal_mu_);
    for (const auto& id : recording_ids) {
      if (tombstones_.insert(id).second) {
        tombstone_order_.push_back(id);
        added.push_back(id);
      }
    }
    while (tombstone_order_.size() > kTombstones) {
      tombstones_.erase(tombstone_order_.front());
      tombstone_order_.pop_front();
    }
  }
  // A failed deletion leaves the records in place: they must stay writable.
  auto untombstone = [this, &added] {
    std::lock_guard lock(journal_mu_);
    for (const auto& id : added) {
      tombstones_.erase(id);
    }
  };
  // Batches of at most 1 000 keys, as S3's DeleteObjects allows (Q12).
  auto delete_all = [this](std::vector<std::string> keys) -> Task<Status> {
    for (size_t i = 0; i < keys.size(); i += 1000) {
      std::vector<std::string> batch(keys.begin() + i,
                                     keys.begin() + std::min(keys.size(), i + 1000));
      Status s = co_await store_.DeleteMany(std::move(batch));
      if (!s.ok()) {
        co_return s;
      }
    }
    co_return Status::Ok();
  };
  Status s = co_await delete_all(std::move(media_keys));
  if (!s.ok()) {
    untombstone();
    co_return s;
  }
  s = co_await delete_all(std::move(meta_keys));
  if (!s.ok()) {
    untombstone();
    co_return s;
  }
  for (const auto& id : recording_ids) {
    index_.Remove(id);
    Journal(id);
  }
  co_return Status::Ok();
}

bool RecordingCatalogue::RecentlyDeleted(const std::string& recording_id) {
  std::lock_guard lock(journal_mu_);
  return tombstones_.count(recording_id) > 0;
}

Task<Result<bool>> RecordingCatalogue::RoomHasRecordings(std::string room_id) {
  auto page = co_await store_.List(layout_.RoomMetadataPrefix(room_id), 1, std::nullopt);
  if (!page.ok()) {
    co_return page.status();
  }
  co_return !page->objects.empty();
}

Task<Status> RecordingCatalogue::CleanUpRoomMetadata(std::string room_id) {
  auto has = co_await RoomHasRecordings(room_id);
  if (!has.ok()) {
    co_return has.status();
  }
  if (*has) {
    co_return Status::Ok();
  }
  // (g++ 12 miscompiles braced lists inside co_await expressions: build the vector first.)
  std::vector<std::string> keys{layout_.RoomMetadataKey(room_id)};
  co_return co_await store_.DeleteMany(std::move(keys));
}

Task<Result<std::vector<std::string>>> RecordingCatalogue::RoomRecordingIds(std::string room_id) {
  std::vector<std::string> ids;
  std::optional<std::string> token;
  do {
    auto page = co_await store_.List(layout_.RoomMetadataPrefix(room_id), 1000, token);
    if (!page.ok()) {
      co_return page.status();
    }
    for (const auto& obj : page->objects) {
      if (auto id = layout_.RecordingIdFromMetadataKey(obj.key)) {
        ids.push_back(std::move(*id));
      }
    }
    token = page->next_token;
  } while (token);
  co_return ids;
}

}  // namespace mr::recording
