#include "recording/recording_catalogue.hpp"

#include <gtest/gtest.h>

#include "fakes/faulty_object_store.hpp"
#include "fakes/memory_object_store.hpp"

namespace mr::recording {
namespace {

using fakes::FaultyObjectStore;
using fakes::MemoryObjectStore;

RecordingInfo Rec(const std::string& room, const std::string& egress, const std::string& uid,
                  RecordingStatus status, int64_t start) {
  RecordingInfo r;
  r.recording_id = room + "--" + egress + "--" + uid;
  r.room_id = room;
  r.room_name = room;
  r.status = status;
  r.start_date = start;
  r.filename = room + "--" + uid + ".mp4";
  return r;
}

class RecordingCatalogueTest : public ::testing::Test {
 protected:
  template <typename T>
  T Run(Task<T> t) {
    return RunTask(ioc_, std::move(t));
  }
  std::vector<std::string> Ids(const RecordingListPage& p) {
    std::vector<std::string> out;
    for (const auto& r : p.recordings) {
      out.push_back(r.recording_id);
    }
    return out;
  }

  asio::io_context ioc_;
  MemoryObjectStore memory_;
  FaultyObjectStore store_{memory_};
  StorageLayout layout_{"openvidu-meet"};
  RecordingCatalogue catalogue_{store_, layout_};
};

TEST_F(RecordingCatalogueTest, SaveGetListDelete) {
  ASSERT_TRUE(Run(catalogue_.Save(Rec("r1", "EG_1", "a", RecordingStatus::kComplete, 10))).ok());
  ASSERT_TRUE(Run(catalogue_.Save(Rec("r1", "EG_2", "b", RecordingStatus::kActive, 20))).ok());
  ASSERT_TRUE(Run(catalogue_.Save(Rec("r2", "EG_3", "c", RecordingStatus::kComplete, 30))).ok());
  auto got = Run(catalogue_.Get("r1--EG_1--a"));
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->start_date, 10);
  EXPECT_TRUE(Run(memory_.Head("openvidu-meet/recordings/.metadata/r1/EG_1/a.json")).ok());

  RecordingListQuery q;
  q.limit = 10;
  auto page = Run(catalogue_.List(q));
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(Ids(*page), (std::vector<std::string>{"r2--EG_3--c", "r1--EG_2--b", "r1--EG_1--a"}));
  EXPECT_FALSE(page->next_page_token);

  ASSERT_TRUE(Run(catalogue_.Delete({"r1--EG_1--a"})).ok());
  got = Run(catalogue_.Get("r1--EG_1--a"));
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
  EXPECT_EQ(*Run(catalogue_.Size()), 2u);
}

TEST_F(RecordingCatalogueTest, RebuildReadsStorageAndSkipsGarbage) {
  RecordingCatalogue writer(memory_, layout_);
  for (int i = 0; i < 25; ++i) {
    ASSERT_TRUE(Run(writer.Save(Rec("room", "EG_" + std::to_string(i), "u", RecordingStatus::kComplete, i))).ok());
  }
  ASSERT_TRUE(Run(memory_.Put("openvidu-meet/recordings/.metadata/room/EG_x/bad.json", "{")).ok());
  ASSERT_TRUE(Run(memory_.Put("openvidu-meet/recordings/.metadata/room/notes.txt", "x")).ok());
  auto stats = Run(catalogue_.Rebuild());
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->indexed, 25u);
  EXPECT_EQ(stats->skipped, 2u);
  EXPECT_EQ(*Run(catalogue_.Size()), 25u);
}

TEST_F(RecordingCatalogueTest, OutageIsAnErrorNeverAbsent) {
  ASSERT_TRUE(Run(catalogue_.Save(Rec("r1", "EG_1", "a", RecordingStatus::kComplete, 10))).ok());
  store_.FailAll(FaultyObjectStore::Op::kGet, UnavailableError("disk gone"));
  auto got = Run(catalogue_.Get("r1--EG_1--a"));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kUnavailable);
  RecordingListQuery q;
  auto page = Run(catalogue_.List(q));
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.status().code(), StatusCode::kUnavailable);
  store_.FailAll(FaultyObjectStore::Op::kList, UnavailableError("disk gone"));
  auto rebuilt = Run(catalogue_.Rebuild());
  EXPECT_FALSE(rebuilt.ok());
  EXPECT_EQ(*Run(catalogue_.Size()), 1u);  // The old index stays.
  store_.Heal();
}

TEST_F(RecordingCatalogueTest, FailedSaveDoesNotIndex) {
  store_.FailNext(FaultyObjectStore::Op::kPut, UnavailableError("full"));
  EXPECT_FALSE(Run(catalogue_.Save(Rec("r1", "EG_1", "a", RecordingStatus::kComplete, 10))).ok());
  EXPECT_EQ(*Run(catalogue_.Size()), 0u);
}

TEST_F(RecordingCatalogueTest, PageRepairsRecordsChangedBehindItsBack) {
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(Run(catalogue_.Save(Rec("r", "EG_" + std::to_string(i), "u", RecordingStatus::kComplete, i))).ok());
  }
  // Another writer deletes EG_4 and fails EG_3 directly in storage.
  ASSERT_TRUE(Run(memory_.DeleteMany({"openvidu-meet/recordings/.metadata/r/EG_4/u.json"})).ok());
  RecordingCatalogue other(memory_, layout_);
  ASSERT_TRUE(Run(other.Save(Rec("r", "EG_3", "u", RecordingStatus::kFailed, 3))).ok());

  RecordingListQuery q;
  q.limit = 3;
  q.statuses = {RecordingStatus::kComplete};
  auto page = Run(catalogue_.List(q));
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(Ids(*page), (std::vector<std::string>{"r--EG_5--u", "r--EG_2--u", "r--EG_1--u"}));
  ASSERT_TRUE(page->next_page_token);
  q.after = CatalogueIndex::DecodeCursor(*page->next_page_token);
  page = Run(catalogue_.List(q));
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(Ids(*page), (std::vector<std::string>{"r--EG_0--u"}));
  EXPECT_FALSE(page->next_page_token);
}

TEST_F(RecordingCatalogueTest, RoomPrefixesEndWithASlash) {
  ASSERT_TRUE(Run(catalogue_.Save(Rec("R2", "EG_1", "a", RecordingStatus::kComplete, 10))).ok());
  auto has = Run(catalogue_.RoomHasRecordings("R"));
  ASSERT_TRUE(has.ok());
  EXPECT_FALSE(*has);
  ASSERT_TRUE(Run(memory_.Put(layout_.RoomMetadataKey("R"), "{}")).ok());
  ASSERT_TRUE(Run(catalogue_.CleanUpRoomMetadata("R")).ok());
  EXPECT_FALSE(Run(memory_.Head(layout_.RoomMetadataKey("R"))).ok());
  auto ids = Run(catalogue_.RoomRecordingIds("R2"));
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, (std::vector<std::string>{"R2--EG_1--a"}));
}

}  // namespace
}  // namespace mr::recording
