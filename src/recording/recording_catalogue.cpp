#include "recording/recording_catalogue.hpp"

#include <boost/asio/detached.hpp>

#include "common/logging.hpp"
#include "common/one_shot.hpp"
#include "recording/catalogue_snapshot.hpp"

namespace mr::recording {

Status DeletedError(const std::string& recording_id) {
  return Status(StatusCode::kConflict, "Recording '" + recording_id + "' was deleted");
}

bool IsDeletedError(const Status& s, const std::string& recording_id) {
  return s.code() == StatusCode::kConflict && s.message() == DeletedError(recording_id).message();
}

IndexEntry IndexEntryFor(const RecordingInfo& r) {
  return IndexEntry{r.recording_id, r.room_id, r.start_date.value_or(0), r.status};
}

RecordingCatalogue::RecordingCatalogue(ObjectStore& store, StorageLayout layout,
                                       CatalogueIndexStore* index)
    : store_(store),
      layout_(std::move(layout)),
      owned_index_(index ? nullptr : std::make_unique<InMemoryCatalogueIndexStore>()),
      index_(index ? *index : *owned_index_) {}

Task<Result<size_t>> RecordingCatalogue::Size() { co_return co_await index_.Size(); }

Task<Result<bool>> RecordingCatalogue::IndexReady() { co_return co_await index_.Ready(); }

// Re-reads every record written (by any instance) during a rebuild scan: the swap may have
// dropped what those writes put into the old index. REQUIRES: journaling ended (EndRebuild).
Task<Status> RecordingCatalogue::ReplayJournal() {
  auto ids = co_await index_.TakeJournal();
  if (!ids.ok()) {
    co_return ids.status();
  }
  for (const auto& id : *ids) {
    auto rec = co_await Get(id);
    if (!rec.ok()) {
      co_return rec.status();
    }
    // (g++ 12 miscompiles co_await inside a conditional expression: plain if/else.)
    Status s;
    if (rec->has_value()) {
      s = co_await index_.Upsert(IndexEntryFor(**rec));
    } else {
      s = co_await index_.Remove(id);
    }
    if (!s.ok()) {
      co_return s;
    }
  }
  co_return Status::Ok();
}

Task<Result<RebuildStats>> RecordingCatalogue::Rebuild() {
  if (Status s = co_await index_.BeginRebuild(); !s.ok()) {
    co_return s;
  }
  auto scanned = co_await Scan();
  Status s = scanned.status();
  if (s.ok()) {
    s = co_await index_.Reset(std::move(scanned->second));
  }
  Status ended = co_await index_.EndRebuild();
  if (s.ok()) {
    s = ended;
  }
  if (s.ok()) {
    s = co_await ReplayJournal();
  }
  if (!s.ok()) {
    co_return s;
  }
  co_return scanned->first;
}

// Reads every metadata object, kScanParallelism at a time (each read is a round trip to S3).
Task<Result<std::pair<RebuildStats, std::vector<IndexEntry>>>> RecordingCatalogue::Scan() {
  RebuildStats stats;
  std::vector<IndexEntry> entries;
  std::optional<std::string> token;
  const std::string prefix = layout_.AllMetadataPrefix();
  do {
    auto page = co_await store_.List(prefix, 1000, token);
    if (!page.ok()) {
      co_return page.status();
    }
    std::vector<std::string> ids;
    std::vector<std::string> keys;
    for (const auto& obj : page->objects) {
      auto id = layout_.RecordingIdFromMetadataKey(obj.key);
      if (!id) {
        ++stats.skipped;
        continue;
      }
      ids.push_back(std::move(*id));
      keys.push_back(obj.key);
    }
    auto bodies = co_await GetMany(keys);
    for (size_t i = 0; i < keys.size(); ++i) {
      auto& body = bodies[i];
      if (!body.ok()) {
        if (body.status().code() == StatusCode::kNotFound) {
          continue;  // Deleted while we were listing.
        }
        co_return body.status();
      }
      auto rec = ParseRecordingJson(*body);
      // The key is authoritative for the id: a record whose body names another id is not ours.
      if (!rec.ok() || rec->recording_id != ids[i]) {
        log::Warn("skipping unreadable recording metadata", {{"key", keys[i]}});
        ++stats.skipped;
        continue;
      }
      entries.push_back(IndexEntryFor(*rec));
    }
    token = page->next_token;
  } while (token);
  stats.indexed = entries.size();
  co_return std::make_pair(stats, std::move(entries));
}

// One of the readers of GetMany: takes the next unread index until none is left. Each index is
// taken by exactly one reader (atomic counter), so readers on several threads never share a slot.
Task<void> RecordingCatalogue::GetWorker(const std::vector<std::string>* keys,
                                         std::atomic<size_t>* next,
                                         std::vector<Result<std::string>>* out,
                                         std::shared_ptr<OneShot> done) {
  for (size_t i = (*next)++; i < keys->size(); i = (*next)++) {
    (*out)[i] = co_await store_.Get((*keys)[i]);
  }
  done->Set();
}

Task<std::vector<Result<std::string>>> RecordingCatalogue::GetMany(const std::vector<std::string>& keys) {
  std::vector<Result<std::string>> out(keys.size(), Result<std::string>(InternalError("not read")));
  auto executor = co_await asio::this_coro::executor;
  std::atomic<size_t> next{0};
  std::vector<std::shared_ptr<OneShot>> done;
  for (size_t w = 0; w < std::min(kScanParallelism, keys.size()); ++w) {
    done.push_back(OneShot::Make());
    asio::co_spawn(executor, GetWorker(&keys, &next, &out, done.back()), asio::detached);
  }
  for (auto& d : done) {
    co_await d->Wait();
  }
  co_return out;
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
  if (Status s = co_await index_.Reset(std::move(*entries)); !s.ok()) {
    co_return s;
  }
  co_return n;
}

Task<Status> RecordingCatalogue::SaveSnapshot() {
  std::vector<IndexEntry> all;
  CatalogueQuery q;
  q.limit = CatalogueIndex::kMaxLimit;
  while (true) {
    auto page = co_await index_.Query(q);
    if (!page.ok()) {
      co_return page.status();
    }
    for (auto& e : page->entries) {
      all.push_back(std::move(e));
    }
    if (!page->next) {
      break;
    }
    q.after = page->next;
  }
  co_return co_await store_.Put(kSnapshotKey, EncodeCatalogueSnapshot(layout_.subbucket(), all));
}

namespace {

// A stored metadata object as Get answers it: absent is nullopt, never an error.
Result<std::optional<RecordingInfo>> ParseStoredRecord(const std::string& recording_id,
                                                       Result<std::string> body) {
  if (!body.ok()) {
    if (body.status().code() == StatusCode::kNotFound) {
      return std::optional<RecordingInfo>();
    }
    return body.status();
  }
  auto rec = ParseRecordingJson(*body);
  if (!rec.ok() || rec->recording_id != recording_id) {
    return InternalError("recording metadata of '" + recording_id + "' is unreadable");
  }
  return std::optional<RecordingInfo>(std::move(*rec));
}

}  // namespace

Task<Result<std::optional<RecordingInfo>>> RecordingCatalogue::Get(std::string recording_id) {
  auto parts = ParseRecordingId(recording_id);
  if (!parts) {
    co_return InvalidArgumentError("Invalid recordingId format: " + recording_id);
  }
  co_return ParseStoredRecord(recording_id, co_await store_.Get(layout_.MetadataKey(*parts)));
}

// The records of a page, read kScanParallelism at a time (each read is a round trip on S3).
// REQUIRES: every id comes from the index, hence passed ParseRecordingId when it was saved.
Task<std::vector<Result<std::optional<RecordingInfo>>>> RecordingCatalogue::GetRecords(
    const std::vector<IndexEntry>& entries) {
  std::vector<std::string> keys;
  for (const auto& e : entries) {
    auto parts = ParseRecordingId(e.recording_id);
    keys.push_back(parts ? layout_.MetadataKey(*parts) : std::string());
  }
  auto bodies = co_await GetMany(keys);
  std::vector<Result<std::optional<RecordingInfo>>> out;
  for (size_t i = 0; i < entries.size(); ++i) {
    out.push_back(keys[i].empty()
                      ? Result<std::optional<RecordingInfo>>(InvalidArgumentError(
                            "Invalid recordingId format: " + entries[i].recording_id))
                      : ParseStoredRecord(entries[i].recording_id, std::move(bodies[i])));
  }
  co_return out;
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

// Delete tombstones an id before removing its objects (on any instance); a Put that raced past
// the first check and landed after the removal is undone by the second, so a deleted record never
// comes back. When the tombstones cannot be read (Redis down), the write goes ahead: losing a
// recording's update is worse than the small chance of re-creating one deleted just before the
// outage (deletions themselves refuse to run without their tombstones).
Task<Status> RecordingCatalogue::PutUnlessDeleted(const std::string& recording_id,
                                                  const std::string& key, std::string body) {
  auto deleted = co_await index_.IsTombstoned(recording_id);
  if (deleted.ok() && *deleted) {
    co_return DeletedError(recording_id);
  }
  if (!deleted.ok()) {
    log::Warn("tombstones unreadable; writing anyway",
              {{"recordingId", recording_id}, {"error", deleted.status().ToString()}});
  }
  if (Status s = co_await store_.Put(key, std::move(body)); !s.ok()) {
    co_return s;
  }
  deleted = co_await index_.IsTombstoned(recording_id);
  if (deleted.ok() && *deleted) {
    std::vector<std::string> keys{key};
    co_await store_.DeleteMany(std::move(keys));
    co_return DeletedError(recording_id);
  }
  co_return Status::Ok();
}

Task<Status> RecordingCatalogue::Save(RecordingInfo record) {
  auto parts = ParseRecordingId(record.recording_id);
  if (!parts) {
    co_return InvalidArgumentError("Invalid recordingId format: " + record.recording_id);
  }
  const std::string key = layout_.MetadataKey(*parts);
  if (Status s = co_await PutUnlessDeleted(record.recording_id, key, RecordingToJson(record).dump());
      !s.ok()) {
    co_return s;
  }
  // The record is stored (storage is the source of truth); an index that cannot be reached is
  // fixed later by RetryIndexWrites rather than failing a write that landed.
  if (Status s = co_await index_.Upsert(IndexEntryFor(record)); !s.ok()) {
    DeferIndexWrite(record.recording_id, s);
  }
  co_return Status::Ok();
}

Task<Status> RecordingCatalogue::SaveSecrets(std::string recording_id, AccessSecrets secrets) {
  auto parts = ParseRecordingId(recording_id);
  if (!parts) {
    co_return InvalidArgumentError("Invalid recordingId format: " + recording_id);
  }
  co_return co_await PutUnlessDeleted(recording_id, layout_.SecretsKey(*parts),
                                      SecretsToJson(secrets).dump());
}

Task<Result<RecordingListPage>> RecordingCatalogue::List(RecordingListQuery query) {
  CatalogueQuery q = std::move(query);
  RecordingListPage out;
  // A page entry whose record vanished or changed is fixed in the index and the query re-run
  // from the same position, so the page still holds `limit` matching records when they exist.
  for (int round = 0; round < 4; ++round) {
    auto queried = co_await index_.Query(q);
    if (!queried.ok()) {
      co_return queried.status();
    }
    CataloguePage& page = *queried;
    bool stale = false;
    auto records = co_await GetRecords(page.entries);
    for (size_t i = 0; i < page.entries.size(); ++i) {
      const IndexEntry& entry = page.entries[i];
      auto& rec = records[i];
      if (!rec.ok()) {
        co_return rec.status();
      }
      if (!rec->has_value()) {
        if (Status s = co_await index_.Remove(entry.recording_id); !s.ok()) {
          co_return s;
        }
        stale = true;
        break;
      }
      IndexEntry fresh = IndexEntryFor(**rec);
      if (fresh.start_ms != entry.start_ms || fresh.status != entry.status ||
          fresh.room_id != entry.room_id) {
        if (Status s = co_await index_.Upsert(fresh); !s.ok()) {
          co_return s;
        }
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
  // Tombstones first: a concurrent Save of one of these ids (on any instance) either sees the
  // tombstone or has its object removed below or by its own re-check (see PutUnlessDeleted).
  if (Status s = co_await index_.AddTombstones(recording_ids); !s.ok()) {
    co_return s;
  }
  // A failed deletion leaves the records in place: they must stay writable.
  auto untombstone = [this, &recording_ids]() -> Task<void> {
    co_await index_.RemoveTombstones(recording_ids);
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
  if (s.ok()) {
    s = co_await delete_all(std::move(meta_keys));
  }
  if (!s.ok()) {
    co_await untombstone();
    co_return s;
  }
  for (const auto& id : recording_ids) {
    // Storage no longer has the record; an index left behind is fixed by the next List.
    if (Status removed = co_await index_.Remove(id); !removed.ok()) {
      DeferIndexWrite(id, removed);
    }
  }
  co_return Status::Ok();
}

void RecordingCatalogue::DeferIndexWrite(const std::string& recording_id, const Status& why) {
  log::Warn("catalogue index not updated; retried later",
            {{"recordingId", recording_id}, {"error", why.ToString()}});
  std::lock_guard lock(pending_mu_);
  if (pending_index_.size() < kMaxPendingIndexWrites) {
    pending_index_.insert(recording_id);
  } else {
    pending_overflow_ = true;  // Too many to track: only a rebuild can fix the index.
  }
}

Task<Status> RecordingCatalogue::RetryIndexWrites() {
  std::set<std::string> ids;
  bool overflow = false;
  {
    std::lock_guard lock(pending_mu_);
    ids.swap(pending_index_);
    std::swap(overflow, pending_overflow_);
  }
  if (overflow) {
    auto rebuilt = co_await Rebuild();
    if (!rebuilt.ok()) {
      std::lock_guard lock(pending_mu_);
      pending_overflow_ = true;
      co_return rebuilt.status();
    }
    co_return Status::Ok();
  }
  Status first;
  for (const auto& id : ids) {
    auto rec = co_await Get(id);
    Status s = rec.status();
    if (rec.ok() && rec->has_value()) {
      s = co_await index_.Upsert(IndexEntryFor(**rec));
    } else if (rec.ok()) {
      s = co_await index_.Remove(id);
    }
    if (!s.ok()) {
      std::lock_guard lock(pending_mu_);
      pending_index_.insert(id);
      if (first.ok()) {
        first = s;
      }
    }
  }
  co_return first;
}

Task<Result<bool>> RecordingCatalogue::IsDeleted(std::string recording_id) {
  co_return co_await index_.IsTombstoned(std::move(recording_id));
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
