// Model, JSON forms, validation and the deletion decision table of rooms/room.hpp.

#include "rooms/room.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace mr::rooms {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;
constexpr int64_t kHour = 3'600'000;

Room SampleRoom() {
  Room r;
  r.room_id = "Daily-0123456789abcde";
  r.room_name = "Daily";
  r.creation_date_ms = kNow;
  r.moderator_url = "/room/Daily-0123456789abcde?secret=aaaaaaaaaa";
  r.speaker_url = "/room/Daily-0123456789abcde?secret=bbbbbbbbbb";
  return r;
}

TEST(RoomWireNames, RoundTrip) {
  for (auto v : {RoomStatus::kOpen, RoomStatus::kActiveMeeting, RoomStatus::kClosed}) {
    EXPECT_EQ(ParseRoomStatus(WireName(v)), v);
  }
  for (auto v : {MeetingEndAction::kNone, MeetingEndAction::kClose, MeetingEndAction::kDelete}) {
    EXPECT_EQ(ParseMeetingEndAction(WireName(v)), v);
  }
  for (auto v : {WithMeeting::kForce, WithMeeting::kWhenMeetingEnds, WithMeeting::kFail}) {
    EXPECT_EQ(ParseWithMeeting(WireName(v)), v);
  }
  for (auto v : {WithRecordings::kForce, WithRecordings::kClose, WithRecordings::kFail}) {
    EXPECT_EQ(ParseWithRecordings(WireName(v)), v);
  }
  EXPECT_STREQ(WireName(RoomStatus::kActiveMeeting), "active_meeting");
  EXPECT_STREQ(WireName(WithMeeting::kWhenMeetingEnds), "when_meeting_ends");
  EXPECT_STREQ(WireName(RecordingAccess::kAdminModeratorSpeaker), "admin_moderator_speaker");
  EXPECT_EQ(ParseWithMeeting("FORCE"), std::nullopt);
  EXPECT_EQ(ParseRecordingAccess("everyone"), std::nullopt);
}

TEST(RoomNames, SanitizeRoomName) {
  struct Case {
    const char* in;
    const char* out;
  } cases[] = {
      {"Daily standup", "Daily standup"},
      {"  .<!?Room-abc  ", "Room-abc"},
      {"a   b\t\tc", "a b c"},
      {"--__x--y__--", "x-y"},
      {"!@#$%^&*()", ""},
      {"", ""},
      {"_-a", "-a"},  // Leading '-' is stripped before leading '_' (reference order).
  };
  for (const auto& c : cases) {
    EXPECT_EQ(SanitizeRoomName(c.in), c.out) << c.in;
  }
}

TEST(RoomNames, IdPrefixHasNoWhitespaceNorDoubleHyphen) {
  EXPECT_EQ(RoomIdPrefix("Daily standup"), "Dailystandup");
  EXPECT_EQ(RoomIdPrefix("a- -b"), "a-b");
  EXPECT_EQ(RoomIdPrefix(""), "room");
  EXPECT_EQ(RoomIdPrefix(SanitizeRoomName("a _ -")), "a");
}

TEST(RoomUrls, StripAndSecret) {
  EXPECT_EQ(StripToPathAndQuery("https://meet.example.com:8443/room/x?secret=abc"),
            "/room/x?secret=abc");
  EXPECT_EQ(StripToPathAndQuery("/room/x?secret=abc"), "/room/x?secret=abc");
  EXPECT_EQ(StripToPathAndQuery("http://host?secret=abc"), "/?secret=abc");
  EXPECT_EQ(RoomAccessPath("r-1", "0a1b2c3d4e"), "/room/r-1?secret=0a1b2c3d4e");
  EXPECT_EQ(SecretOfRoomUrl("/room/r-1?secret=0a1b2c3d4e"), "0a1b2c3d4e");
  EXPECT_EQ(SecretOfRoomUrl("/room/r-1?x=1&secret=ff"), "ff");
  EXPECT_EQ(SecretOfRoomUrl("/room/r-1"), "");
}

TEST(RoomJson, StoredFormHasReferenceFieldOrderAndOmitsAbsentOptionals) {
  Room r = SampleRoom();
  Json j = RoomToStoredJson(r);
  std::vector<std::string> keys;
  for (const auto& [k, v] : j.items()) {
    keys.push_back(k);
  }
  EXPECT_EQ(keys,
            (std::vector<std::string>{"roomId", "roomName", "creationDate", "config",
                                      "moderatorUrl", "speakerUrl", "status", "meetingEndAction"}));
  EXPECT_EQ(j["config"].dump(),
            R"({"recording":{"enabled":true,"allowAccessTo":"admin_moderator_speaker"},)"
            R"("chat":{"enabled":true},"virtualBackground":{"enabled":true}})");
  EXPECT_EQ(j["status"], "open");
  EXPECT_EQ(j["meetingEndAction"], "none");
}

TEST(RoomJson, RoundTripWithOptionalsAndUnknownKeys) {
  Room r = SampleRoom();
  r.auto_deletion_date_ms = kNow + 2 * kHour;
  r.auto_deletion_policy = AutoDeletionPolicy{WithMeeting::kForce, WithRecordings::kForce};
  r.config.recording = {false, std::nullopt, Json{{"layout", "grid"}}};
  r.config.chat.enabled = false;
  r.config.extra = Json{{"e2ee", {{"enabled", false}}}};
  r.status = RoomStatus::kActiveMeeting;
  r.meeting_end_action = MeetingEndAction::kClose;
  r.extra = Json{{"owner", "admin"}};
  Json stored = RoomToStoredJson(r);
  auto back = RoomFromStoredJson(Json::parse(stored.dump()));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(RoomToStoredJson(*back).dump(), stored.dump());
  EXPECT_EQ(stored["autoDeletionPolicy"].dump(),
            R"({"withMeeting":"force","withRecordings":"force"})");
  EXPECT_FALSE(stored["config"]["recording"].contains("allowAccessTo"));
  EXPECT_EQ(stored["config"]["recording"]["layout"], "grid");
  EXPECT_EQ(stored["config"]["e2ee"]["enabled"], false);
  EXPECT_EQ(stored["owner"], "admin");
}

TEST(RoomJson, ApiFormPrependsBaseUrl) {
  Json j = RoomToApiJson(SampleRoom(), "https://meet.example.com");
  EXPECT_EQ(j["moderatorUrl"],
            "https://meet.example.com/room/Daily-0123456789abcde?secret=aaaaaaaaaa");
  EXPECT_EQ(j["speakerUrl"],
            "https://meet.example.com/room/Daily-0123456789abcde?secret=bbbbbbbbbb");
}

TEST(RoomJson, ReadsAbsoluteUrlsAndDefaultsMissingStatus) {
  Json j = RoomToStoredJson(SampleRoom());
  j["moderatorUrl"] = "http://old-host:6080/room/Daily-0123456789abcde?secret=aaaaaaaaaa";
  j.erase("status");
  j.erase("meetingEndAction");
  j["creationDate"] = 1700000000000.4;  // Q19: fractional milliseconds are rounded.
  auto r = RoomFromStoredJson(j);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->moderator_url, "/room/Daily-0123456789abcde?secret=aaaaaaaaaa");
  EXPECT_EQ(r->status, RoomStatus::kOpen);
  EXPECT_EQ(r->meeting_end_action, MeetingEndAction::kNone);
  EXPECT_EQ(r->creation_date_ms, kNow);
}

TEST(RoomJson, RejectsCorruptRooms) {
  const Json good = RoomToStoredJson(SampleRoom());
  std::vector<Json> bad;
  bad.push_back(Json::array());
  for (const char* key : {"roomId", "roomName", "creationDate", "moderatorUrl", "speakerUrl"}) {
    Json j = good;
    j.erase(key);
    bad.push_back(j);
  }
  Json j = good;
  j["status"] = "paused";
  bad.push_back(j);
  j = good;
  j["meetingEndAction"] = 3;
  bad.push_back(j);
  j = good;
  j["autoDeletionPolicy"] = Json{{"withMeeting", "never"}, {"withRecordings", "close"}};
  bad.push_back(j);
  for (const auto& b : bad) {
    auto r = RoomFromStoredJson(b);
    EXPECT_FALSE(r.ok()) << b.dump();
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kInternal);
    }
  }
}

TEST(ShortDurationTest, MsLibraryForms) {
  EXPECT_EQ(ShortDuration(kHour), "1h");
  EXPECT_EQ(ShortDuration(30 * 60'000), "30m");
  EXPECT_EQ(ShortDuration(20'000), "20s");
  EXPECT_EQ(ShortDuration(0), "0s");
  EXPECT_EQ(ShortDuration(150), "150ms");
  EXPECT_EQ(ShortDuration(86'400'000), "1d");
}

// --- Validation -------------------------------------------------------------------------------

TEST(ValidateCreate, EmptyBodyGivesReferenceDefaults) {
  auto v = ValidateCreateRoomBody(Json::object(), kNow);
  ASSERT_TRUE(v.value);
  EXPECT_EQ(v.value->room_name, "Room");
  EXPECT_FALSE(v.value->auto_deletion_date_ms);
  EXPECT_EQ(v.value->auto_deletion_policy.with_meeting, WithMeeting::kWhenMeetingEnds);
  EXPECT_EQ(v.value->auto_deletion_policy.with_recordings, WithRecordings::kClose);
  EXPECT_TRUE(v.value->config.recording.enabled);
  EXPECT_EQ(v.value->config.recording.allow_access_to, RecordingAccess::kAdminModeratorSpeaker);
  EXPECT_TRUE(v.value->config.chat.enabled);
  EXPECT_TRUE(v.value->config.virtual_background.enabled);
}

TEST(ValidateCreate, AcceptsAFullBody) {
  Json body = Json::parse(R"({
    "roomName": "  Weekly   sync!! ",
    "autoDeletionDate": )" +
                          std::to_string(kNow + kHour) + R"(,
    "autoDeletionPolicy": {"withMeeting": "force", "withRecordings": "force"},
    "config": {"recording": {"enabled": true, "allowAccessTo": "admin"},
               "chat": {"enabled": false}, "virtualBackground": {"enabled": false},
               "e2ee": {"enabled": true}},
    "unknown": 1})");
  auto v = ValidateCreateRoomBody(body, kNow);
  ASSERT_TRUE(v.value) << (v.errors.empty() ? "" : v.errors[0].message);
  EXPECT_EQ(v.value->room_name, "Weekly sync");
  EXPECT_EQ(v.value->auto_deletion_date_ms, kNow + kHour);
  EXPECT_EQ(v.value->auto_deletion_policy.with_meeting, WithMeeting::kForce);
  EXPECT_EQ(v.value->config.recording.allow_access_to, RecordingAccess::kAdmin);
  EXPECT_FALSE(v.value->config.chat.enabled);
  EXPECT_TRUE(v.value->config.extra.empty());  // Unknown keys are stripped.
}

TEST(ValidateCreate, NameThatSanitisesToNothingIsTheDefault) {
  auto v = ValidateCreateRoomBody(Json{{"roomName", "!!!"}}, kNow);
  ASSERT_TRUE(v.value);
  EXPECT_EQ(v.value->room_name, "Room");
}

TEST(ValidateCreate, RecordingDisabledNeedsNoAccess) {
  Json body = Json::parse(R"({"config": {"recording": {"enabled": false},
      "chat": {"enabled": true}, "virtualBackground": {"enabled": true}}})");
  auto v = ValidateCreateRoomBody(body, kNow);
  ASSERT_TRUE(v.value);
  EXPECT_FALSE(v.value->config.recording.enabled);
  EXPECT_FALSE(v.value->config.recording.allow_access_to);
}

struct InvalidCase {
  const char* name;
  std::string body;
  std::vector<FieldError> errors;
};

TEST(ValidateCreate, EveryValidationError) {
  const std::string soon = std::to_string(kNow + 30 * 60'000);
  const std::string full_cfg_but =
      R"("chat": {"enabled": true}, "virtualBackground": {"enabled": true})";
  std::vector<InvalidCase> cases = {
      {"body array", "[]", {{"", "Expected object, received array"}}},
      {"name type", R"({"roomName": 5})", {{"roomName", "Expected string, received number"}}},
      {"name null", R"({"roomName": null})", {{"roomName", "Expected string, received null"}}},
      {"name long",
       R"({"roomName": ")" + std::string(51, 'a') + R"("})",
       {{"roomName", "roomName cannot exceed 50 characters"}}},
      {"date type",
       R"({"autoDeletionDate": "tomorrow"})",
       {{"autoDeletionDate", "Expected number, received string"}}},
      {"date bool",
       R"({"autoDeletionDate": true})",
       {{"autoDeletionDate", "Expected number, received boolean"}}},
      {"date float",
       R"({"autoDeletionDate": 1.5})",
       {{"autoDeletionDate", "Expected integer, received float"}}},
      {"date negative",
       R"({"autoDeletionDate": -1})",
       {{"autoDeletionDate", "autoDeletionDate must be a positive integer"},
        {"autoDeletionDate", "autoDeletionDate must be at least 1h in the future"}}},
      {"date soon",
       R"({"autoDeletionDate": )" + soon + "}",
       {{"autoDeletionDate", "autoDeletionDate must be at least 1h in the future"}}},
      {"policy type",
       R"({"autoDeletionPolicy": "force"})",
       {{"autoDeletionPolicy", "Expected object, received string"}}},
      {"policy missing members",
       R"({"autoDeletionPolicy": {}})",
       {{"autoDeletionPolicy.withMeeting", "Required"},
        {"autoDeletionPolicy.withRecordings", "Required"}}},
      {"policy bad enum",
       R"({"autoDeletionPolicy": {"withMeeting": "x", "withRecordings": 1}})",
       {{"autoDeletionPolicy.withMeeting",
         "Invalid enum value. Expected 'force' | 'when_meeting_ends' | 'fail', received 'x'"},
        {"autoDeletionPolicy.withRecordings",
         "Expected 'force' | 'close' | 'fail', received number"}}},
      {"policy fail",
       R"({"autoDeletionPolicy": {"withMeeting": "fail", "withRecordings": "fail"}})",
       {{"autoDeletionPolicy.withMeeting",
         "FAIL policy is not allowed for withMeeting auto-deletion policy"},
        {"autoDeletionPolicy.withRecordings",
         "FAIL policy is not allowed for withRecordings auto-deletion policy"}}},
      {"config type", R"({"config": true})", {{"config", "Expected object, received boolean"}}},
      {"config empty",
       R"({"config": {}})",
       {{"config.recording", "Required"},
        {"config.chat", "Required"},
        {"config.virtualBackground", "Required"}}},
      {"recording enabled missing",
       R"({"config": {"recording": {}, )" + full_cfg_but + "}}",
       {{"config.recording.enabled", "Required"}}},
      {"recording enabled type",
       R"({"config": {"recording": {"enabled": "yes"}, )" + full_cfg_but + "}}",
       {{"config.recording.enabled", "Expected boolean, received string"}}},
      {"access missing",
       R"({"config": {"recording": {"enabled": true}, )" + full_cfg_but + "}}",
       {{"config.recording.allowAccessTo", "allowAccessTo is required when recording is enabled"}}},
      {"access bad",
       R"({"config": {"recording": {"enabled": true, "allowAccessTo": "all"}, )" + full_cfg_but +
           "}}",
       {{"config.recording.allowAccessTo",
         "Invalid enum value. Expected 'admin' | 'admin_moderator' | 'admin_moderator_speaker', "
         "received 'all'"}}},
      {"chat type",
       R"({"config": {"recording": {"enabled": false}, "chat": [], )"
       R"("virtualBackground": {"enabled": true}}})",
       {{"config.chat", "Expected object, received array"}}},
      {"vb enabled",
       R"({"config": {"recording": {"enabled": false}, "chat": {"enabled": true}, )"
       R"("virtualBackground": {"enabled": 1}}})",
       {{"config.virtualBackground.enabled", "Expected boolean, received number"}}},
  };
  for (const auto& c : cases) {
    auto v = ValidateCreateRoomBody(Json::parse(c.body), kNow);
    EXPECT_FALSE(v.value) << c.name;
    ASSERT_EQ(v.errors.size(), c.errors.size()) << c.name;
    for (size_t i = 0; i < c.errors.size(); ++i) {
      EXPECT_EQ(v.errors[i].field, c.errors[i].field) << c.name;
      EXPECT_EQ(v.errors[i].message, c.errors[i].message) << c.name;
    }
  }
}

TEST(ValidateCreate, DateBoundIsInclusiveAndConfigurable) {
  EXPECT_TRUE(ValidateCreateRoomBody(Json{{"autoDeletionDate", kNow + kHour}}, kNow).value);
  EXPECT_FALSE(ValidateCreateRoomBody(Json{{"autoDeletionDate", kNow + kHour - 1}}, kNow).value);
  auto v = ValidateCreateRoomBody(Json{{"autoDeletionDate", kNow}}, kNow + 1, 0);
  ASSERT_EQ(v.errors.size(), 1u);
  EXPECT_EQ(v.errors[0].message, "autoDeletionDate must be at least 0s in the future");
}

TEST(ValidateUpdateConfig, RequiresTheWholeConfig) {
  auto ok = ValidateUpdateConfigBody(Json::parse(
      R"({"config": {"recording": {"enabled": true, "allowAccessTo": "admin_moderator"},
          "chat": {"enabled": true}, "virtualBackground": {"enabled": false}}})"));
  ASSERT_TRUE(ok.value);
  EXPECT_EQ(ok.value->recording.allow_access_to, RecordingAccess::kAdminModerator);
  EXPECT_FALSE(ok.value->virtual_background.enabled);

  auto missing = ValidateUpdateConfigBody(Json::object());
  ASSERT_EQ(missing.errors.size(), 1u);
  EXPECT_EQ(missing.errors[0].field, "config");
  EXPECT_EQ(missing.errors[0].message, "Required");

  auto partial =
      ValidateUpdateConfigBody(Json::parse(R"({"config": {"chat": {"enabled": true}}})"));
  ASSERT_EQ(partial.errors.size(), 2u);
  EXPECT_EQ(partial.errors[0].field, "config.recording");
  EXPECT_EQ(partial.errors[1].field, "config.virtualBackground");

  auto not_object = ValidateUpdateConfigBody(Json("x"));
  ASSERT_EQ(not_object.errors.size(), 1u);
  EXPECT_EQ(not_object.errors[0].message, "Expected object, received string");
}

// --- Deletion decision table ------------------------------------------------------------------

// The reference table (§2.3.12) transcribed row by row; nullopt is "any".
struct Row {
  std::optional<bool> active;
  std::optional<bool> recordings;
  std::optional<WithMeeting> wm;
  std::optional<WithRecordings> wr;
  DeletionAction action;
  DeletionCode code;  // For the "fail" row with two codes, the recordings case is a second row.
};

const std::vector<Row>& ReferenceTable() {
  using A = DeletionAction;
  using C = DeletionCode;
  using M = WithMeeting;
  using R = WithRecordings;
  static const std::vector<Row> rows = {
      {false, false, {}, {}, A::kDeleteRoom, C::kRoomDeleted},
      {true, true, M::kFail, {}, A::kRefuse, C::kRoomWithRecordingsHasActiveMeeting},
      {true, false, M::kFail, {}, A::kRefuse, C::kRoomHasActiveMeeting},
      {true, true, M::kWhenMeetingEnds, R::kFail, A::kRefuse,
       C::kRoomWithActiveMeetingHasRecordingsCannotScheduleDeletion},
      {true, true, M::kForce, R::kFail, A::kRefuse, C::kRoomWithActiveMeetingHasRecordings},
      {false, true, {}, R::kFail, A::kRefuse, C::kRoomHasRecordings},
      {true, false, M::kForce, {}, A::kEndMeetingThenDelete, C::kRoomWithActiveMeetingDeleted},
      {true,
       false,
       M::kWhenMeetingEnds,
       {},
       A::kScheduleDelete,
       C::kRoomWithActiveMeetingScheduledToBeDeleted},
      {false, true, {}, R::kForce, A::kDeleteRoomAndRecordings, C::kRoomAndRecordingsDeleted},
      {false, true, {}, R::kClose, A::kCloseRoom, C::kRoomClosed},
      {true, true, M::kForce, R::kForce, A::kEndMeetingThenDelete,
       C::kRoomWithActiveMeetingAndRecordingsDeleted},
      {true, true, M::kForce, R::kClose, A::kEndMeetingThenClose, C::kRoomWithActiveMeetingClosed},
      {true, true, M::kWhenMeetingEnds, R::kForce, A::kScheduleDelete,
       C::kRoomWithActiveMeetingAndRecordingsScheduledToBeDeleted},
      {true, true, M::kWhenMeetingEnds, R::kClose, A::kScheduleClose,
       C::kRoomWithActiveMeetingScheduledToBeClosed},
  };
  return rows;
}

TEST(DecideRoomDeletionTest, MatchesTheReferenceTableForAll36Inputs) {
  int checked = 0;
  for (bool active : {false, true}) {
    for (bool recs : {false, true}) {
      for (auto wm : {WithMeeting::kForce, WithMeeting::kWhenMeetingEnds, WithMeeting::kFail}) {
        for (auto wr : {WithRecordings::kForce, WithRecordings::kClose, WithRecordings::kFail}) {
          std::vector<const Row*> matches;
          for (const auto& row : ReferenceTable()) {
            if ((!row.active || *row.active == active) &&
                (!row.recordings || *row.recordings == recs) && (!row.wm || *row.wm == wm) &&
                (!row.wr || *row.wr == wr)) {
              matches.push_back(&row);
            }
          }
          std::string where = std::string("active=") + (active ? "yes" : "no") +
                              " recordings=" + (recs ? "yes" : "no") +
                              " withMeeting=" + WireName(wm) + " withRecordings=" + WireName(wr);
          ASSERT_EQ(matches.size(), 1u)
              << "the transcribed table must be total and unambiguous: " << where;
          DeletionDecision got = DecideRoomDeletion(active, recs, wm, wr);
          EXPECT_EQ(got.action, matches[0]->action) << where;
          EXPECT_EQ(got.code, matches[0]->code) << where;
          EXPECT_EQ(got.action == DeletionAction::kRefuse, IsDeletionError(got.code)) << where;
          ++checked;
        }
      }
    }
  }
  EXPECT_EQ(checked, 36);
}

TEST(DecideRoomDeletionTest, CodesMessagesAndFlags) {
  EXPECT_STREQ(WireName(DeletionCode::kRoomWithActiveMeetingHasRecordingsCannotScheduleDeletion),
               "room_with_active_meeting_has_recordings_cannot_schedule_deletion");
  EXPECT_EQ(DeletionMessage(DeletionCode::kRoomHasRecordings, "r1"),
            "Room 'r1' cannot be deleted because it has recordings.");
  EXPECT_EQ(DeletionMessage(DeletionCode::kRoomWithRecordingsHasActiveMeeting, "r1"),
            "Room 'r1' with recordings cannot be deleted because it has an active meeting.");
  EXPECT_EQ(DeletionMessage(DeletionCode::kRoomDeleted, "r1"), "Room 'r1' deleted successfully");
  EXPECT_TRUE(IsDeletionScheduled(DeletionCode::kRoomWithActiveMeetingScheduledToBeClosed));
  EXPECT_FALSE(IsDeletionScheduled(DeletionCode::kRoomWithActiveMeetingClosed));
  EXPECT_TRUE(DeletionReturnsRoom(DeletionCode::kRoomClosed));
  EXPECT_TRUE(DeletionReturnsRoom(DeletionCode::kRoomWithActiveMeetingClosed));
  EXPECT_FALSE(DeletionReturnsRoom(DeletionCode::kRoomWithActiveMeetingDeleted));
  EXPECT_FALSE(DeletionReturnsRoom(DeletionCode::kRoomAndRecordingsDeleted));
}

}  // namespace
}  // namespace mr::rooms
