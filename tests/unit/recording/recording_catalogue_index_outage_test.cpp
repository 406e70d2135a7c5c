// The catalogue when its index store (Redis, in a fleet) is unreachable: storage stays the source
// of truth, so a record write that lands in storage succeeds, and the index catches up once the
// store is back (RetryIndexWrites); deletions refuse to run without their tombstones.

#include <gtest/gtest.h>

#include "fakes/memory_object_store.hpp"
#include "recording/in_memory_catalogue_index_store.hpp"
#include "recording/recording_catalogue.hpp"

namespace mr::recording {
namespace {

// An index store whose back-end can be switched off.
class SwitchableIndex final : public CatalogueIndexStore {
 public:
  bool down = false;

  bool shared() const override { return true; }
  Task<Result<bool>> Ready() override { return Or(inner_.Ready()); }
  Task<Status> Upsert(IndexEntry e) override { return OrStatus(inner_.Upsert(std::move(e))); }
  Task<Status> Remove(std::string id) override { return OrStatus(inner_.Remove(std::move(id))); }
  Task<Result<CataloguePage>> Query(CatalogueQuery q) override { return Or(inner_.Query(std::move(q))); }
  Task<Status> Reset(std::vector<IndexEntry> e) override { return OrStatus(inner_.Reset(std::move(e))); }
  Task<Result<size_t>> Size() override { return Or(inner_.Size()); }
  Task<Status> BeginRebuild() override { return OrStatus(inner_.BeginRebuild()); }
  Task<Result<std::vector<std::string>>> TakeJournal() override { return Or(inner_.TakeJournal()); }
  Task<Status> EndRebuild() override { return OrStatus(inner_.EndRebuild()); }
  Task<Status> AddTombstones(std::vector<std::string> ids) override {
    return OrStatus(inner_.AddTombstones(std::move(ids)));
  }
  Task<Status> RemoveTombstones(std::vector<std::string> ids) override {
    return OrStatus(inner_.RemoveTombstones(std::move(ids)));
  }
  Task<Result<bool>> IsTombstoned(std::string id) override { return Or(inner_.IsTombstoned(std::move(id))); }

 private:
  template <typename T>
  Task<Result<T>> Or(Task<Result<T>> t) {
    if (down) {
      co_return UnavailableError("redis down");
    }
    co_return co_await std::move(t);
  }
  Task<Status> OrStatus(Task<Status> t) {
    if (down) {
      co_return UnavailableError("redis down");
    }
    co_return co_await std::move(t);
  }
  InMemoryCatalogueIndexStore inner_;
};

RecordingInfo Rec(const std::string& uid, RecordingStatus status) {
  RecordingInfo r;
  r.recording_id = "room--EG_1--" + uid;
  r.room_id = "room";
  r.room_name = "room";
  r.status = status;
  r.start_date = 100;
  r.filename = "room--" + uid + ".mp4";
  return r;
}

class CatalogueIndexOutageTest : public ::testing::Test {
 protected:
  template <typename T>
  T Run(Task<T> t) {
    return RunTask(ioc_, std::move(t));
  }
  size_t Listed() {
    RecordingListQuery q;
    q.limit = 100;
    auto page = Run(catalogue_.List(q));
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    return page.ok() ? page->recordings.size() : 0;
  }

  asio::io_context ioc_;
  fakes::MemoryObjectStore memory_;
  SwitchableIndex index_;
  RecordingCatalogue catalogue_{memory_, StorageLayout("openvidu-meet"), &index_};
};

TEST_F(CatalogueIndexOutageTest, AWriteThatLandsInStorageSucceedsAndTheIndexCatchesUp) {
  ASSERT_TRUE(Run(catalogue_.Rebuild()).ok());
  index_.down = true;
  ASSERT_TRUE(Run(catalogue_.Save(Rec("a", RecordingStatus::kActive))).ok());
  // Readable at once (from storage); not listable while the index is down (503, not empty).
  auto got = Run(catalogue_.Get("room--EG_1--a"));
  ASSERT_TRUE(got.ok() && got->has_value());
  RecordingListQuery q;
  EXPECT_EQ(Run(catalogue_.List(q)).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(Run(catalogue_.RetryIndexWrites()).code(), StatusCode::kUnavailable);
  index_.down = false;
  EXPECT_EQ(Listed(), 0u);  // The index missed it...
  ASSERT_TRUE(Run(catalogue_.RetryIndexWrites()).ok());
  EXPECT_EQ(Listed(), 1u);  // ... until the retry re-applied it from storage.
  EXPECT_TRUE(Run(catalogue_.RetryIndexWrites()).ok());  // Nothing left to do.
}

TEST_F(CatalogueIndexOutageTest, DeletionsRefuseWithoutTombstonesAndKeepTheRecord) {
  ASSERT_TRUE(Run(catalogue_.Rebuild()).ok());
  ASSERT_TRUE(Run(catalogue_.Save(Rec("a", RecordingStatus::kComplete))).ok());
  index_.down = true;
  std::vector<std::string> ids{"room--EG_1--a"};
  EXPECT_EQ(Run(catalogue_.Delete(ids)).code(), StatusCode::kUnavailable);
  index_.down = false;
  auto got = Run(catalogue_.Get("room--EG_1--a"));
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ(Listed(), 1u);
  // Once deleted (with its tombstone), a late write of it is refused.
  ASSERT_TRUE(Run(catalogue_.Delete(ids)).ok());
  EXPECT_TRUE(IsDeletedError(Run(catalogue_.Save(Rec("a", RecordingStatus::kComplete))), "room--EG_1--a"));
  EXPECT_EQ(Listed(), 0u);
}

}  // namespace
}  // namespace mr::recording
