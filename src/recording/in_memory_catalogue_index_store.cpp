#include "recording/in_memory_catalogue_index_store.hpp"

namespace mr::recording {

Task<Result<bool>> InMemoryCatalogueIndexStore::Ready() { co_return ready_.load(); }

void InMemoryCatalogueIndexStore::Journal(const std::string& recording_id) {
  std::lock_guard lock(journal_mu_);
  if (journaling_) {
    journal_.insert(recording_id);
  }
}

Task<Status> InMemoryCatalogueIndexStore::Upsert(IndexEntry e) {
  // Journal first: a rebuild that ends between the two steps finds the write in the new index.
  Journal(e.recording_id);
  index_.Upsert(std::move(e));
  co_return Status::Ok();
}

Task<Status> InMemoryCatalogueIndexStore::Remove(std::string recording_id) {
  Journal(recording_id);
  index_.Remove(recording_id);
  co_return Status::Ok();
}

Task<Status> InMemoryCatalogueIndexStore::BeginRebuild() {
  std::lock_guard lock(journal_mu_);
  journaling_ = true;
  journal_.clear();
  co_return Status::Ok();
}

Task<Result<std::vector<std::string>>> InMemoryCatalogueIndexStore::TakeJournal() {
  std::lock_guard lock(journal_mu_);
  std::vector<std::string> ids(journal_.begin(), journal_.end());
  journal_.clear();
  co_return ids;
}

Task<Status> InMemoryCatalogueIndexStore::EndRebuild() {
  std::lock_guard lock(journal_mu_);
  journaling_ = false;
  co_return Status::Ok();
}

Task<Result<CataloguePage>> InMemoryCatalogueIndexStore::Query(CatalogueQuery q) {
  co_return index_.Query(q);
}

Task<Status> InMemoryCatalogueIndexStore::Reset(std::vector<IndexEntry> entries) {
  index_.Reset(std::move(entries));
  ready_ = true;
  co_return Status::Ok();
}

Task<Result<size_t>> InMemoryCatalogueIndexStore::Size() { co_return index_.size(); }

Task<Status> InMemoryCatalogueIndexStore::AddTombstones(std::vector<std::string> recording_ids) {
  std::lock_guard lock(tomb_mu_);
  for (auto& id : recording_ids) {
    if (tombstones_.insert(id).second) {
      tombstone_order_.push_back(std::move(id));
    }
  }
  while (tombstone_order_.size() > kTombstoneMinCount) {
    tombstones_.erase(tombstone_order_.front());
    tombstone_order_.pop_front();
  }
  co_return Status::Ok();
}

Task<Status> InMemoryCatalogueIndexStore::RemoveTombstones(std::vector<std::string> recording_ids) {
  std::lock_guard lock(tomb_mu_);
  for (const auto& id : recording_ids) {
    if (tombstones_.erase(id) > 0) {
      std::erase(tombstone_order_, id);
    }
  }
  co_return Status::Ok();
}

Task<Result<bool>> InMemoryCatalogueIndexStore::IsTombstoned(std::string recording_id) {
  std::lock_guard lock(tomb_mu_);
  co_return tombstones_.count(recording_id) > 0;
}

}  // namespace mr::recording
