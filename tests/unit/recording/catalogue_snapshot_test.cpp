#include "recording/catalogue_snapshot.hpp"

#include <gtest/gtest.h>

#include <functional>

#include "fakes/memory_object_store.hpp"
#include "recording/recording_catalogue.hpp"

namespace mr::recording {
namespace {

TEST(CatalogueSnapshotTest, RoundTrip) {
  std::vector<IndexEntry> entries = {{"r1--EG_1--a", "r1", 10, RecordingStatus::kComplete},
                                     {"r-2--EG_x--b", "r-2", -5, RecordingStatus::kLimitReached}};
  const std::string text = EncodeCatalogueSnapshot("openvidu-meet", entries);
  auto back = DecodeCatalogueSnapshot("openvidu-meet", text);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, entries);
}

TEST(CatalogueSnapshotTest, DamagedOrForeignSnapshotsAreRefusedWhole) {
  std::vector<IndexEntry> entries = {{"r1--EG_1--a", "r1", 10, RecordingStatus::kComplete}};
  const std::string text = EncodeCatalogueSnapshot("openvidu-meet", entries);
  EXPECT_FALSE(DecodeCatalogueSnapshot("other", text).ok());
  EXPECT_FALSE(DecodeCatalogueSnapshot("openvidu-meet", text.substr(0, text.size() - 1)).ok());
  EXPECT_FALSE(DecodeCatalogueSnapshot("openvidu-meet", "mr-catalogue-snapshot 2 openvidu-meet\n").ok());
  for (const char* line : {"x\tcomplete\tr1\tr1--EG_1--a\n", "1\tdone\tr1\tr1--EG_1--a\n",
                           "1\tcomplete\tr2\tr1--EG_1--a\n", "1\tcomplete\tr1\tr1--EG_1--a/b\n",
                           "1\tcomplete\tr1\n"}) {
    EXPECT_FALSE(DecodeCatalogueSnapshot("openvidu-meet",
                                         "mr-catalogue-snapshot 1 openvidu-meet\n" + std::string(line))
                     .ok())
        << line;
  }
}

// A store that runs a hook before the Nth Get, to put a write in the middle of a rebuild scan.
class HookStore final : public ObjectStore {
 public:
  explicit HookStore(ObjectStore& inner) : inner_(inner) {}
  std::function<Task<void>()> hook;
  int hook_at_get = -1;

  Task<Status> Put(std::string k, std::string b) override { co_return co_await inner_.Put(k, b); }
  Task<Result<std::string>> Get(std::string k) override {
    if (gets_++ == hook_at_get && hook) {
      co_await hook();
    }
    co_return co_await inner_.Get(k);
  }
  Task<Result<ObjectInfo>> Head(std::string k) override { co_return co_await inner_.Head(k); }
  Task<Result<ListPage>> List(std::string p, int m, std::optional<std::string> t) override {
    co_return co_await inner_.List(p, m, t);
  }
  Task<Status> DeleteMany(std::vector<std::string> k) override { co_return co_await inner_.DeleteMany(k); }
  Task<Result<std::unique_ptr<ObjectReader>>> Open(std::string k, std::optional<ByteRange> r) override {
    co_return co_await inner_.Open(k, r);
  }

 private:
  ObjectStore& inner_;
  int gets_ = 0;
};

RecordingInfo Rec(const std::string& egress, int64_t start) {
  RecordingInfo r;
  r.recording_id = "room--" + egress + "--u";
  r.room_id = "room";
  r.room_name = "room";
  r.status = RecordingStatus::kComplete;
  r.start_date = start;
  return r;
}

TEST(CatalogueRebuildTest, WritesDuringTheScanAreNotLost) {
  asio::io_context ioc;
  fakes::MemoryObjectStore memory;
  HookStore store(memory);
  RecordingCatalogue catalogue(store, StorageLayout("openvidu-meet"));
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(RunTask(ioc, catalogue.Save(Rec("EG_" + std::to_string(i), i))).ok());
  }
  // While the scan reads record 2, a request saves a new record (already past the listing) and
  // deletes record 4 (already listed).
  store.hook_at_get = 2;
  store.hook = [&]() -> Task<void> {
    EXPECT_TRUE((co_await catalogue.Save(Rec("EG_9", 9))).ok());
    std::vector<std::string> gone{"room--EG_4--u"};
    EXPECT_TRUE((co_await catalogue.Delete(std::move(gone))).ok());
  };
  auto stats = RunTask(ioc, catalogue.Rebuild());
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(*RunTask(ioc, catalogue.Size()), 5u);
  RecordingListQuery q;
  q.limit = 10;
  auto page = RunTask(ioc, catalogue.List(q));
  ASSERT_TRUE(page.ok());
  std::vector<std::string> ids;
  for (const auto& r : page->recordings) {
    ids.push_back(r.recording_id);
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"room--EG_9--u", "room--EG_3--u", "room--EG_2--u",
                                            "room--EG_1--u", "room--EG_0--u"}));
}

TEST(CatalogueRebuildTest, SnapshotSaveAndLoad) {
  asio::io_context ioc;
  fakes::MemoryObjectStore memory;
  RecordingCatalogue a(memory, StorageLayout("openvidu-meet"));
  for (int i = 0; i < 1500; ++i) {
    ASSERT_TRUE(RunTask(ioc, a.Save(Rec("EG_" + std::to_string(i), i % 7))).ok());
  }
  ASSERT_TRUE(RunTask(ioc, a.SaveSnapshot()).ok());
  RecordingCatalogue b(memory, StorageLayout("openvidu-meet"));
  auto n = RunTask(ioc, b.LoadSnapshot());
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1500u);
  RecordingCatalogue other(memory, StorageLayout("elsewhere"));
  EXPECT_FALSE(RunTask(ioc, other.LoadSnapshot()).ok());
}

}  // namespace
}  // namespace mr::recording
