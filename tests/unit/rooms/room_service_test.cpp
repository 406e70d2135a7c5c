// RoomRepo and RoomService against the in-memory store (with injected faults) and fake ports.

#include "rooms/room_service.hpp"

#include <gtest/gtest.h>

#include "common/async.hpp"
#include "fakes/faulty_object_store.hpp"
#include "fakes/memory_object_store.hpp"
#include "rooms/room_repo.hpp"
#include "rooms_test_support.hpp"

namespace mr::rooms {
namespace {

using fakes::FaultyObjectStore;
using Op = fakes::FaultyObjectStore::Op;

constexpr int64_t kNow = 1'700'000'000'000;

class RoomServiceTest : public ::testing::Test {
 protected:
  template <typename T>
  T Run(Task<T> task) {
    return RunTask(ioc_, std::move(task));
  }

  Room Create(std::string name = "Room") {
    CreateRoomRequest req;
    req.room_name = std::move(name);
    auto room = Run(service_.Create(req));
    EXPECT_TRUE(room.ok());
    return *room;
  }

  // Stores `room` with the given status directly, as the webhook handlers would.
  void SetStatus(Room room, RoomStatus status) {
    room.status = status;
    ASSERT_TRUE(Run(repo_.Save(room)).ok());
  }

  std::optional<Room> Stored(const std::string& id) {
    auto r = Run(repo_.Get(id));
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : std::nullopt;
  }

  asio::io_context ioc_;
  testing::SetClock clock_{kNow};
  testing::CountingRandom random_;
  fakes::MemoryObjectStore memory_{clock_};
  FaultyObjectStore store_{memory_};
  RoomRepo repo_{store_, RoomRepoOptions{}};
  testing::FakeRecordings recordings_;
  testing::FakeMeetings meetings_;
  RoomService service_{repo_, recordings_, meetings_, clock_, random_};
};

TEST_F(RoomServiceTest, CreateBuildsIdSecretsAndDatesAndStoresAtReferenceKey) {
  CreateRoomRequest req;
  req.room_name = "Weekly sync";
  auto room = Run(service_.Create(req));
  ASSERT_TRUE(room.ok());
  EXPECT_EQ(room->room_id, "Weeklysync-000000000000001");
  EXPECT_EQ(random_.last_alphabet, "0123456789abcdefghijklmnopqrstuvwxyz");
  EXPECT_EQ(room->room_name, "Weekly sync");
  EXPECT_EQ(room->creation_date_ms, kNow);
  EXPECT_EQ(room->moderator_url, "/room/Weeklysync-000000000000001?secret=a000000002");
  EXPECT_EQ(room->speaker_url, "/room/Weeklysync-000000000000001?secret=a000000003");
  EXPECT_EQ(room->status, RoomStatus::kOpen);
  EXPECT_EQ(room->meeting_end_action, MeetingEndAction::kNone);
  EXPECT_FALSE(room->auto_deletion_policy);  // No date, no policy.

  auto body =
      Run(memory_.Get("openvidu-meet/rooms/Weeklysync-000000000000001/"
                      "Weeklysync-000000000000001.json"));
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(*body, RoomToStoredJson(*room).dump());
}

TEST_F(RoomServiceTest, CreateStoresPolicyOnlyWithADate) {
  CreateRoomRequest req;
  req.auto_deletion_date_ms = kNow + 7'200'000;
  req.auto_deletion_policy = {WithMeeting::kForce, WithRecordings::kClose};
  auto room = Run(service_.Create(req));
  ASSERT_TRUE(room.ok());
  ASSERT_TRUE(room->auto_deletion_policy);
  EXPECT_EQ(room->auto_deletion_policy->with_meeting, WithMeeting::kForce);
  EXPECT_EQ(Stored(room->room_id)->auto_deletion_date_ms, kNow + 7'200'000);
}

TEST_F(RoomServiceTest, CreateFailsWhenStorageIsDown) {
  store_.FailAll(Op::kPut, UnavailableError("connection refused"));
  CreateRoomRequest req;
  auto room = Run(service_.Create(req));
  ASSERT_FALSE(room.ok());
  EXPECT_EQ(room.status().code(), StatusCode::kUnavailable);
}

TEST_F(RoomServiceTest, SubbucketOptionPrefixesKeys) {
  RoomRepo repo(store_, RoomRepoOptions{"tenant-a"});
  EXPECT_EQ(repo.KeyOf("r-1"), "tenant-a/rooms/r-1/r-1.json");
}

TEST_F(RoomServiceTest, GetMissingIsNotFoundButOutageIsNot) {
  auto missing = Run(service_.Get("nope"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "Room 'nope' does not exist");

  Room room = Create();
  store_.FailAll(Op::kGet, UnavailableError("S3 down"));
  auto down = Run(service_.Get(room.room_id));
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.status().code(), StatusCode::kUnavailable);
}

TEST_F(RoomServiceTest, RepoRefusesUnsafeIds) {
  auto r = Run(repo_.Get("../x"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(RoomServiceTest, CorruptStoredRoomIsInternalNotAbsent) {
  ASSERT_TRUE(Run(memory_.Put("openvidu-meet/rooms/bad/bad.json", "{not json")).ok());
  auto r = Run(service_.Get("bad"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
}

TEST_F(RoomServiceTest, ListPagesThroughAllRoomsInKeyOrder) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(Create("R" + std::to_string(i)).room_id);
  }
  // Objects that are not rooms are ignored; a corrupt room is skipped, not fatal.
  ASSERT_TRUE(Run(memory_.Put("openvidu-meet/rooms/R9-x/other.json", "{}")).ok());
  ASSERT_TRUE(Run(memory_.Put("openvidu-meet/rooms/Z-bad/Z-bad.json", "[]")).ok());

  std::vector<std::string> seen;
  std::optional<std::string> token;
  int pages = 0;
  do {
    auto page = Run(service_.List(2, token));
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    for (const auto& r : page->rooms) {
      seen.push_back(r.room_id);
    }
    EXPECT_EQ(page->is_truncated, page->next_page_token.has_value());
    token = page->next_page_token;
    ++pages;
  } while (token && pages < 10);
  EXPECT_EQ(seen, ids);
  EXPECT_EQ(pages, 4);  // 7 objects, 2 per page.

  auto undefined_token = Run(service_.List(100, std::string("undefined")));
  ASSERT_TRUE(undefined_token.ok());
  EXPECT_EQ(undefined_token->rooms.size(), 5u);
  EXPECT_FALSE(undefined_token->is_truncated);

  auto bad = Run(service_.List(2, std::string("garbage")));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(RoomServiceTest, ListFailsWholeOnReadOutage) {
  Create("A");
  Create("B");
  store_.FailNext(Op::kGet, UnavailableError("timeout"), 1);
  auto page = Run(service_.List(10, std::nullopt));
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.status().code(), StatusCode::kUnavailable);
}

TEST_F(RoomServiceTest, UpdateConfigReplacesSavesAndRefreshesArchive) {
  Room room = Create();
  room.config.extra = Json{{"e2ee", {{"enabled", false}}}};
  ASSERT_TRUE(Run(repo_.Save(room)).ok());
  RoomConfig cfg;
  cfg.recording = {true, RecordingAccess::kAdmin, Json::object()};
  cfg.chat.enabled = false;
  auto updated = Run(service_.UpdateConfig(room.room_id, cfg));
  ASSERT_TRUE(updated.ok());
  auto stored = Stored(room.room_id);
  EXPECT_EQ(stored->config.recording.allow_access_to, RecordingAccess::kAdmin);
  EXPECT_FALSE(stored->config.chat.enabled);
  EXPECT_EQ(stored->config.extra["e2ee"]["enabled"], false);  // Unknown keys survive.
  ASSERT_EQ(recordings_.refreshed.size(), 1u);
  EXPECT_EQ(recordings_.refreshed[0].config.recording.allow_access_to, RecordingAccess::kAdmin);

  auto missing = Run(service_.UpdateConfig("nope", cfg));
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);

  recordings_.refresh_error = UnavailableError("archive write failed");
  auto failed = Run(service_.UpdateConfig(room.room_id, cfg));
  EXPECT_EQ(failed.status().code(), StatusCode::kUnavailable);
}

TEST_F(RoomServiceTest, DeleteWithoutMeetingOrRecordingsDeletes) {
  Room room = Create();
  auto out = Run(service_.Delete(room.room_id, WithMeeting::kFail, WithRecordings::kFail));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->code, DeletionCode::kRoomDeleted);
  EXPECT_EQ(out->message, "Room '" + room.room_id + "' deleted successfully");
  EXPECT_FALSE(out->room);
  EXPECT_FALSE(Stored(room.room_id));
}

TEST_F(RoomServiceTest, DeleteMissingIsNotFound) {
  auto out = Run(service_.Delete("nope", WithMeeting::kForce, WithRecordings::kForce));
  EXPECT_EQ(out.status().code(), StatusCode::kNotFound);
}

TEST_F(RoomServiceTest, RefusalChangesNothing) {
  Room room = Create();
  recordings_.rooms_with_recordings.insert(room.room_id);
  auto out = Run(service_.Delete(room.room_id, WithMeeting::kFail, WithRecordings::kFail));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->code, DeletionCode::kRoomHasRecordings);
  EXPECT_TRUE(IsDeletionError(out->code));
  EXPECT_EQ(RoomToStoredJson(*Stored(room.room_id)).dump(), RoomToStoredJson(room).dump());
  EXPECT_TRUE(recordings_.deleted_all.empty());
}

TEST_F(RoomServiceTest, ForceRecordingsDeletesRecordingsThenRoom) {
  Room room = Create();
  recordings_.rooms_with_recordings.insert(room.room_id);
  auto out = Run(service_.Delete(room.room_id, WithMeeting::kFail, WithRecordings::kForce));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->code, DeletionCode::kRoomAndRecordingsDeleted);
  EXPECT_EQ(recordings_.deleted_all, std::vector<std::string>{room.room_id});
  EXPECT_FALSE(Stored(room.room_id));
}

TEST_F(RoomServiceTest, ForceRecordingsFailureKeepsTheRoom) {
  Room room = Create();
  recordings_.rooms_with_recordings.insert(room.room_id);
  recordings_.delete_all_error = InternalError("2 recordings could not be deleted");
  auto out = Run(service_.Delete(room.room_id, WithMeeting::kFail, WithRecordings::kForce));
  ASSERT_FALSE(out.ok());
  EXPECT_TRUE(Stored(room.room_id));
}

TEST_F(RoomServiceTest, CloseRecordingsClosesAndReturnsTheRoom) {
  Room room = Create();
  recordings_.rooms_with_recordings.insert(room.room_id);
  auto out = Run(service_.Delete(room.room_id, WithMeeting::kFail, WithRecordings::kClose));
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->code, DeletionCode::kRoomClosed);
  ASSERT_TRUE(out->room);
  EXPECT_EQ(out->room->status, RoomStatus::kClosed);
  EXPECT_EQ(Stored(room.room_id)->status, RoomStatus::kClosed);
}

TEST_F(RoomServiceTest, ActiveMeetingPolicies) {
  struct Case {
    bool recordings;
    WithMeeting wm;
    WithRecordings wr;
    DeletionCode code;
    MeetingEndAction end_action;
    bool ends_meeting;
  } cases[] = {
      {false, WithMeeting::kForce, WithRecordings::kFail,
       DeletionCode::kRoomWithActiveMeetingDeleted, MeetingEndAction::kDelete, true},
      {false, WithMeeting::kWhenMeetingEnds, WithRecordings::kFail,
       DeletionCode::kRoomWithActiveMeetingScheduledToBeDeleted, MeetingEndAction::kDelete, false},
      {true, WithMeeting::kForce, WithRecordings::kForce,
       DeletionCode::kRoomWithActiveMeetingAndRecordingsDeleted, MeetingEndAction::kDelete, true},
      {true, WithMeeting::kForce, WithRecordings::kClose,
       DeletionCode::kRoomWithActiveMeetingClosed, MeetingEndAction::kClose, true},
      {true, WithMeeting::kWhenMeetingEnds, WithRecordings::kForce,
       DeletionCode::kRoomWithActiveMeetingAndRecordingsScheduledToBeDeleted,
       MeetingEndAction::kDelete, false},
      {true, WithMeeting::kWhenMeetingEnds, WithRecordings::kClose,
       DeletionCode::kRoomWithActiveMeetingScheduledToBeClosed, MeetingEndAction::kClose, false},
  };
  for (const auto& c : cases) {
    meetings_.ended.clear();
    Room room = Create();
    SetStatus(room, RoomStatus::kActiveMeeting);
    if (c.recordings) {
      recordings_.rooms_with_recordings.insert(room.room_id);
    }
    auto out = Run(service_.Delete(room.room_id, c.wm, c.wr));
    ASSERT_TRUE(out.ok());
    EXPECT_EQ(out->code, c.code) << WireName(c.code);
    auto stored = Stored(room.room_id);
    ASSERT_TRUE(stored) << "the room stays until room_finished: " << WireName(c.code);
    EXPECT_EQ(stored->meeting_end_action, c.end_action) << WireName(c.code);
    EXPECT_EQ(stored->status, RoomStatus::kActiveMeeting);
    EXPECT_EQ(meetings_.ended.size(), c.ends_meeting ? 1u : 0u) << WireName(c.code);
    EXPECT_EQ(out->room.has_value(), DeletionReturnsRoom(c.code));
    EXPECT_TRUE(recordings_.deleted_all.empty());
  }
}

TEST_F(RoomServiceTest, EndMeetingFailureIsReported) {
  Room room = Create();
  SetStatus(room, RoomStatus::kActiveMeeting);
  meetings_.error = UnavailableError("LiveKit down");
  auto out = Run(service_.Delete(room.room_id, WithMeeting::kForce, WithRecordings::kFail));
  EXPECT_EQ(out.status().code(), StatusCode::kUnavailable);
}

// Scope.md: an outage is never "no recordings". The reference would delete here.
TEST_F(RoomServiceTest, HasRecordingsFailureRefusesDeletionWithUnavailable) {
  Room room = Create();
  recordings_.has_recordings_error = InternalError("listing failed");
  auto out = Run(service_.Delete(room.room_id, WithMeeting::kForce, WithRecordings::kForce));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(out.status().message().find("was not deleted"), std::string::npos);
  EXPECT_TRUE(Stored(room.room_id));
  EXPECT_TRUE(recordings_.deleted_all.empty());
}

TEST_F(RoomServiceTest, StorageOutageRefusesDeletionAndDeletesNothing) {
  Room room = Create();
  store_.FailAll(Op::kGet, UnavailableError("connection refused"));
  store_.FailAll(Op::kList, UnavailableError("connection refused"));
  auto out = Run(service_.Delete(room.room_id, WithMeeting::kForce, WithRecordings::kForce));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(store_.Calls(Op::kDeleteMany), 0);
  EXPECT_TRUE(recordings_.deleted_all.empty());
  store_.Heal();
  EXPECT_TRUE(Stored(room.room_id));
}

TEST_F(RoomServiceTest, BulkDeleteReportsEachRoom) {
  Room plain = Create("A");
  Room with_recs = Create("B");
  recordings_.rooms_with_recordings.insert(with_recs.room_id);
  auto entries = Run(service_.BulkDelete({plain.room_id, with_recs.room_id, "missing"},
                                         WithMeeting::kFail, WithRecordings::kFail));
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].room_id, plain.room_id);
  ASSERT_TRUE(entries[0].outcome.ok());
  EXPECT_EQ(entries[0].outcome->code, DeletionCode::kRoomDeleted);
  ASSERT_TRUE(entries[1].outcome.ok());
  EXPECT_EQ(entries[1].outcome->code, DeletionCode::kRoomHasRecordings);
  EXPECT_EQ(entries[2].outcome.status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(Stored(plain.room_id));
  EXPECT_TRUE(Stored(with_recs.room_id));
}

TEST(NoMeetingControlTest, IsAlwaysOk) {
  asio::io_context ioc;
  NoMeetingControl control;
  EXPECT_TRUE(RunTask(ioc, control.EndMeeting("any")).ok());
}

}  // namespace
}  // namespace mr::rooms
