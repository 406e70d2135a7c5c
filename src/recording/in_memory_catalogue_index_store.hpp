#pragma once
// InMemoryCatalogueIndexStore: the catalogue index of one process (embedded mode, tests): a
// CatalogueIndex in memory plus the ids of the last kTombstoneMinCount deletions. Never shared;
// ready once Reset() ran (the caller builds it from storage or a snapshot at start-up).

#include <atomic>
#include <deque>
#include <mutex>
#include <set>

#include "recording/catalogue_index_store.hpp"

namespace mr::recording {

class InMemoryCatalogueIndexStore final : public CatalogueIndexStore {
 public:
  bool shared() const override { return false; }
  Task<Result<bool>> Ready() override;
  Task<Status> Upsert(IndexEntry e) override;
  Task<Status> Remove(std::string recording_id) override;
  Task<Result<CataloguePage>> Query(CatalogueQuery q) override;
  Task<Status> Reset(std::vector<IndexEntry> entries) override;
  Task<Result<size_t>> Size() override;
  Task<Status> BeginRebuild() override;
  Task<Result<std::vector<std::string>>> TakeJournal() override;
  Task<Status> EndRebuild() override;
  Task<Status> AddTombstones(std::vector<std::string> recording_ids) override;
  Task<Status> RemoveTombstones(std::vector<std::string> recording_ids) override;
  Task<Result<bool>> IsTombstoned(std::string recording_id) override;

  // Synchronous access for start-up logging and the memory benchmark.
  size_t size() const { return index_.size(); }
  const CatalogueIndex& index() const { return index_; }

 private:
  CatalogueIndex index_;
  std::atomic<bool> ready_{false};
  void Journal(const std::string& recording_id);

  std::mutex journal_mu_;
  bool journaling_ = false;               // Guarded by journal_mu_.
  std::set<std::string> journal_;         // Guarded by journal_mu_.
  std::mutex tomb_mu_;
  std::set<std::string, std::less<>> tombstones_;  // Guarded by tomb_mu_.
  std::deque<std::string> tombstone_order_;         // Guarded by tomb_mu_; oldest first.
};

}  // namespace mr::recording
