#include "livekit/livekit_json.hpp"

#include <gtest/gtest.h>

#include "unit/livekit/livekit_test_support.hpp"

namespace mr::livekit {
namespace {

using recording::EgressStatus;
using recording::ParticipantKind;
using recording::ParticipantState;
using testing::ToCamel;
using testing::ToSnake;

// Each spec example is decoded as the server sends it (snake_case) and renamed to camelCase.
std::vector<std::pair<std::string, Json>> BothNamings(const char* text) {
  Json j = Json::parse(text);
  return {{"snake_case", ToSnake(j)}, {"camelCase", ToCamel(j)}};
}

TEST(LiveKitJsonTest, StartEgressReplyInBothNamings) {
  for (const auto& [naming, j] : BothNamings(testing::kStartEgressReply)) {
    SCOPED_TRACE(naming);
    auto e = EgressInfoFromJson(j);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    EXPECT_EQ(e->egress_id, "EG_8HbCmQJ2Rz7x");
    EXPECT_EQ(e->room_id, "RM_tV4bZ6kPq9Ld");
    EXPECT_EQ(e->room_name, "room1");
    EXPECT_EQ(e->status, EgressStatus::kStarting);
    EXPECT_EQ(e->source_type, 0);
    EXPECT_EQ(e->started_at_ns, 1767225600123456789);
    EXPECT_EQ(e->ended_at_ns, 0);
    EXPECT_EQ(e->updated_at_ns, 1767225600123456789);
    ASSERT_EQ(e->file_results.size(), 1u);
    EXPECT_EQ(e->file_results[0].filename, "rec/room1-2026-01-01T000000.mp4");
    EXPECT_EQ(e->file_results[0].started_at_ns, 0);
    EXPECT_EQ(e->file_results[0].size_bytes, 0);
    EXPECT_EQ(e->file_results[0].location, "");
    EXPECT_EQ(e->stream_result_count, 0u);
    EXPECT_EQ(e->error, "");
    EXPECT_EQ(e->error_code, 0);
    EXPECT_EQ(e->details, "");
    EXPECT_FALSE(e->backup_storage_used);
    EXPECT_EQ(e->retry_count, 0);
    ASSERT_TRUE(e->room_composite.has_value());
    EXPECT_EQ(e->room_composite->room_name, "room1");
    EXPECT_EQ(e->room_composite->layout, "grid");
    EXPECT_FALSE(e->room_composite->audio_only);
    EXPECT_FALSE(e->room_composite->video_only);
  }
}

TEST(LiveKitJsonTest, AbortedStopReplyKeyFields) {
  // §7.2: StopEgress while STARTING.
  Json j = Json::parse(testing::kStartEgressReply);
  j["status"] = "EGRESS_ABORTED";
  j["ended_at"] = "1767225601000000000";
  j["updated_at"] = "1767225601000000000";
  j["error"] = "Stop called before pipeline could start";
  j["error_code"] = 412;
  j["details"] = "End reason: StopEgress API";
  auto e = EgressInfoFromJson(j);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->status, EgressStatus::kAborted);
  EXPECT_TRUE(recording::IsEgressFinished(e->status));
  EXPECT_EQ(e->ended_at_ns, 1767225601000000000);
  EXPECT_EQ(e->error, "Stop called before pipeline could start");
  EXPECT_EQ(e->error_code, 412);
  EXPECT_EQ(e->details, "End reason: StopEgress API");
}

TEST(LiveKitJsonTest, ListEgressReplyInBothNamings) {
  for (const auto& [naming, j] : BothNamings(testing::kListEgressReply)) {
    SCOPED_TRACE(naming);
    auto items = ListEgressResponseFromJson(j);
    ASSERT_TRUE(items.ok()) << items.status().ToString();
    ASSERT_EQ(items->size(), 1u);
    const auto& e = (*items)[0];
    EXPECT_EQ(e.egress_id, "EG_8HbCmQJ2Rz7x");
    EXPECT_EQ(e.status, EgressStatus::kActive);
    EXPECT_FALSE(recording::IsEgressFinished(e.status));
    EXPECT_EQ(e.updated_at_ns, 1767225603051234567);
    ASSERT_EQ(e.file_results.size(), 1u);
    EXPECT_EQ(e.file_results[0].started_at_ns, 1767225603000000000);
  }
  auto empty = ListEgressResponseFromJson(Json::parse(R"({"items":[],"next_page_token":null})"));
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  auto bare = ListEgressResponseFromJson(Json::parse("{}"));
  ASSERT_TRUE(bare.ok());
  EXPECT_TRUE(bare->empty());
}

TEST(LiveKitJsonTest, ListParticipantsReplyInBothNamings) {
  for (const auto& [naming, j] : BothNamings(testing::kListParticipantsReply)) {
    SCOPED_TRACE(naming);
    auto ps = ListParticipantsResponseFromJson(j);
    ASSERT_TRUE(ps.ok()) << ps.status().ToString();
    ASSERT_EQ(ps->size(), 1u);
    const auto& p = (*ps)[0];
    EXPECT_EQ(p.sid, "PA_hY6tGm3QxW2e");
    EXPECT_EQ(p.identity, "alice");
    EXPECT_EQ(p.name, "Alice");
    EXPECT_EQ(p.state, ParticipantState::kActive);
    EXPECT_EQ(p.kind, ParticipantKind::kStandard);
    EXPECT_TRUE(p.is_publisher);
    EXPECT_FALSE(p.hidden);
    EXPECT_EQ(p.joined_at_s, 1767225590);
    EXPECT_EQ(p.joined_at_ms, 1767225590123);
    EXPECT_EQ(p.disconnect_reason, 0);
    ASSERT_EQ(p.tracks.size(), 1u);
    EXPECT_EQ(p.tracks[0].sid, "TR_AMkb8Hq3Zt5v");
    EXPECT_EQ(p.tracks[0].type, 0);
    EXPECT_EQ(p.tracks[0].source, 2);
    EXPECT_EQ(p.tracks[0].mime_type, "audio/opus");
  }
  for (const auto& [naming, j] : BothNamings(testing::kRecorderParticipant)) {
    SCOPED_TRACE(naming);
    auto p = ParticipantInfoFromJson(j);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    EXPECT_EQ(p->identity, "EG_8HbCmQJ2Rz7x");
    EXPECT_EQ(p->kind, ParticipantKind::kEgress);
    EXPECT_TRUE(p->hidden);
    EXPECT_TRUE(p->recorder);
    EXPECT_FALSE(p->is_publisher);
    EXPECT_EQ(p->joined_at_ms, 1767225601480);
  }
}

TEST(LiveKitJsonTest, RoomInBothNamings) {
  for (const auto& [naming, j] : BothNamings(testing::kRoomReply)) {
    SCOPED_TRACE(naming);
    auto r = RoomFromJson(j);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->sid, "RM_tV4bZ6kPq9Ld");
    EXPECT_EQ(r->name, "room1");
    EXPECT_EQ(r->empty_timeout_s, 300u);
    EXPECT_EQ(r->departure_timeout_s, 20u);
    EXPECT_EQ(r->max_participants, 10u);
    EXPECT_EQ(r->creation_time_s, 1767225500);
    EXPECT_EQ(r->creation_time_ms, 1767225500456);
    EXPECT_EQ(r->metadata, "m");
    EXPECT_EQ(r->num_participants, 2u);
    EXPECT_EQ(r->num_publishers, 1u);
    EXPECT_TRUE(r->active_recording);
  }
  Json list = Json::object();
  list["rooms"] = Json::array();
  list["rooms"].push_back(Json::parse(testing::kRoomReply));
  auto rooms = ListRoomsResponseFromJson(list);
  ASSERT_TRUE(rooms.ok());
  ASSERT_EQ(rooms->size(), 1u);
  EXPECT_EQ((*rooms)[0].name, "room1");
}

TEST(LiveKitJsonTest, WebhookEventInBothNamings) {
  for (const auto& [naming, j] : BothNamings(testing::kWebhookBody)) {
    SCOPED_TRACE(naming);
    auto ev = WebhookEventFromJson(j);
    ASSERT_TRUE(ev.ok()) << ev.status().ToString();
    EXPECT_EQ(ev->event, "egress_ended");
    EXPECT_EQ(ev->id, "EV_3xKq7Tn9WbYz");
    EXPECT_EQ(ev->created_at_s, 1767225665);
    ASSERT_TRUE(ev->room.has_value());
    EXPECT_EQ(ev->room->sid, "RM_tV4bZ6kPq9Ld");
    ASSERT_TRUE(ev->egress_info.has_value());
    EXPECT_EQ(ev->egress_info->status, EgressStatus::kComplete);
    ASSERT_EQ(ev->egress_info->file_results.size(), 1u);
    EXPECT_EQ(ev->egress_info->file_results[0].duration_ns, 61000000000);
    EXPECT_EQ(ev->egress_info->file_results[0].size_bytes, 7340032);
    EXPECT_EQ(ev->egress_info->manifest_location,
              "https://my-bucket.s3.amazonaws.com/rec/EG_8HbCmQJ2Rz7x.json");
  }
}

TEST(LiveKitJsonTest, MissingStatusIsStartingAndDefaultsAreZero) {
  // §7.4: egress_started has no `status` key (STARTING = 0 is omitted) and no endedAt.
  auto ev = WebhookEventFromJson(Json::parse(
      R"({"event":"egress_started","egressInfo":{"egressId":"EG_1","roomName":"room1",)"
      R"("startedAt":"5","fileResults":[{"filename":"rec/room1-2026-01-01T000000.mp4"}]},)"
      R"("id":"EV_1","createdAt":"1767225600"})"));
  ASSERT_TRUE(ev.ok()) << ev.status().ToString();
  ASSERT_TRUE(ev->egress_info.has_value());
  EXPECT_EQ(ev->egress_info->status, EgressStatus::kStarting);
  EXPECT_EQ(ev->egress_info->ended_at_ns, 0);
  EXPECT_EQ(ev->egress_info->file_results.at(0).filename, "rec/room1-2026-01-01T000000.mp4");
  EXPECT_EQ(ev->egress_info->file_results.at(0).size_bytes, 0);
  EXPECT_FALSE(ev->room.has_value());
  EXPECT_FALSE(ev->participant.has_value());
  EXPECT_FALSE(ev->egress_info->room_composite.has_value());
}

TEST(LiveKitJsonTest, Int64AndEnumVariants) {
  struct Case {
    const char* json;
    int64_t started_at;
    EgressStatus status;
  };
  const Case cases[] = {
      {R"({"started_at":"1767225600123456789","status":"EGRESS_ACTIVE"})", 1767225600123456789,
       EgressStatus::kActive},
      {R"({"startedAt":1767225600123456789,"status":1})", 1767225600123456789,
       EgressStatus::kActive},
      {R"({"started_at":"-5","status":6})", -5, EgressStatus::kLimitReached},
      {R"({"startedAt":12.0,"status":"EGRESS_LIMIT_REACHED"})", 12, EgressStatus::kLimitReached},
      {R"({"started_at":null,"status":null})", 0, EgressStatus::kStarting},
      // An unknown enum name reads as 0, as in protobuf-es.
      {R"({"status":"EGRESS_SOMETHING_NEW"})", 0, EgressStatus::kStarting},
      // snake_case wins when both are present and non-null; null falls back to the other name.
      {R"({"started_at":null,"startedAt":"7"})", 7, EgressStatus::kStarting},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.json);
    auto e = EgressInfoFromJson(Json::parse(c.json));
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    EXPECT_EQ(e->started_at_ns, c.started_at);
    EXPECT_EQ(e->status, c.status);
  }
  auto kind = ParticipantInfoFromJson(Json::parse(R"({"kind":7,"state":"DISCONNECTED",)"
                                                  R"("disconnect_reason":"ROOM_DELETED"})"));
  ASSERT_TRUE(kind.ok());
  EXPECT_EQ(kind->kind, ParticipantKind::kConnector);
  EXPECT_EQ(kind->state, ParticipantState::kDisconnected);
  EXPECT_EQ(kind->disconnect_reason, 5);
}

TEST(LiveKitJsonTest, WrongTypesAreInvalidArgument) {
  const char* cases[] = {
      R"([])",
      R"({"started_at":"12x"})",
      R"({"started_at":""})",
      R"({"started_at":1.5})",
      R"({"started_at":true})",
      R"({"started_at":"99999999999999999999"})",
      R"({"error_code":4294967296})",
      R"({"status":{}})",
      R"({"egress_id":5})",
      R"({"file_results":{}})",
      R"({"file_results":[5]})",
      R"({"room_composite":"x"})",
      R"({"backup_storage_used":"true"})",
  };
  for (const char* c : cases) {
    SCOPED_TRACE(c);
    auto e = EgressInfoFromJson(Json::parse(c));
    ASSERT_FALSE(e.ok());
    EXPECT_EQ(e.status().code(), StatusCode::kInvalidArgument);
  }
  auto neg = RoomFromJson(Json::parse(R"({"num_participants":-1})"));
  EXPECT_FALSE(neg.ok());
  auto attrs = ParticipantInfoFromJson(Json::parse(R"({"attributes":{"a":1}})"));
  EXPECT_FALSE(attrs.ok());
}

TEST(LiveKitJsonTest, DeprecatedFileResultIsUsedWhenFileResultsIsEmpty) {
  auto e = EgressInfoFromJson(
      Json::parse(R"({"file_results":[],"file":{"filename":"a.mp4","size":"10"}})"));
  ASSERT_TRUE(e.ok());
  ASSERT_EQ(e->file_results.size(), 1u);
  EXPECT_EQ(e->file_results[0].filename, "a.mp4");
  EXPECT_EQ(e->file_results[0].size_bytes, 10);
}

TEST(LiveKitJsonTest, RequestsAreEncodedLikeTheJsSdk) {
  // §3.1 captures.
  recording::CreateRoomOptions create{
      .empty_timeout_s = 300, .departure_timeout_s = 20, .max_participants = 10, .metadata = "m"};
  EXPECT_EQ(CreateRoomRequestJson("room1", create).dump(),
            R"({"name":"room1","emptyTimeout":300,"maxParticipants":10,"metadata":"m",)"
            R"("departureTimeout":20})");
  EXPECT_EQ(CreateRoomRequestJson("room1", {}).dump(), R"({"name":"room1"})");
  EXPECT_EQ(ListRoomsRequestJson({}).dump(), "{}");
  EXPECT_EQ(ListRoomsRequestJson({"room1"}).dump(), R"({"names":["room1"]})");
  EXPECT_EQ(RoomRequestJson("room1").dump(), R"({"room":"room1"})");
  EXPECT_EQ(RoomParticipantIdentityJson("room1", "alice").dump(),
            R"({"room":"room1","identity":"alice"})");
  recording::DataMessage msg{
      .payload = "hello", .topic = "chat", .destination_identities = {"bob"}, .reliable = true};
  EXPECT_EQ(SendDataRequestJson("room1", msg).dump(),
            R"({"room":"room1","data":"aGVsbG8=","topic":"chat","destinationIdentities":["bob"]})");
  msg.reliable = false;
  msg.topic.reset();
  msg.destination_identities.clear();
  EXPECT_EQ(SendDataRequestJson("room1", msg).dump(),
            R"({"room":"room1","data":"aGVsbG8=","kind":"LOSSY"})");
  EXPECT_EQ(UpdateRoomMetadataRequestJson("room1", R"({"k":1})").dump(),
            R"({"room":"room1","metadata":"{\"k\":1}"})");

  // §7.1: the EncodedOutputs form sends only fileOutputs.
  recording::RoomCompositeRequest start{.room_name = "room1",
                                        .layout = "grid",
                                        .file = {.filepath = "rec/{room_name}-{time}",
                                                 .file_type = recording::EncodedFileType::kMp4}};
  EXPECT_EQ(RoomCompositeEgressRequestJson(start).dump(),
            R"({"roomName":"room1","layout":"grid","fileOutputs":[{"fileType":"MP4",)"
            R"("filepath":"rec/{room_name}-{time}"}]})");
  start.layout.clear();
  start.audio_only = true;
  start.file.file_type = recording::EncodedFileType::kDefault;
  start.file.disable_manifest = true;
  EXPECT_EQ(RoomCompositeEgressRequestJson(start).dump(),
            R"({"roomName":"room1","audioOnly":true,"fileOutputs":[{)"
            R"("filepath":"rec/{room_name}-{time}","disableManifest":true}]})");

  EXPECT_EQ(StopEgressRequestJson("EG_abc").dump(), R"({"egressId":"EG_abc"})");
  EXPECT_EQ(ListEgressRequestJson({}).dump(), "{}");
  EXPECT_EQ(ListEgressRequestJson({.room_name = "room1", .active = true}).dump(),
            R"({"roomName":"room1","active":true})");
  EXPECT_EQ(ListEgressRequestJson({.egress_id = "EG_abc"}).dump(), R"({"egressId":"EG_abc"})");
}

TEST(LiveKitJsonTest, TwirpErrorMapping) {
  struct Case {
    const char* code;
    StatusCode want;
  };
  const Case cases[] = {
      {"not_found", StatusCode::kNotFound},
      {"already_exists", StatusCode::kConflict},
      {"failed_precondition", StatusCode::kPreconditionFailed},
      {"unauthenticated", StatusCode::kUnauthorized},
      {"permission_denied", StatusCode::kForbidden},
      {"invalid_argument", StatusCode::kInvalidArgument},
      {"unavailable", StatusCode::kUnavailable},
      {"resource_exhausted", StatusCode::kUnavailable},
      {"deadline_exceeded", StatusCode::kTimeout},
      {"malformed", StatusCode::kInternal},
      {"bad_route", StatusCode::kInternal},
      {"unknown", StatusCode::kInternal},
      {"internal", StatusCode::kInternal},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(recording::LiveKitErrorStatus(c.code, "x").code(), c.want) << c.code;
  }
  auto s = recording::LiveKitErrorStatus("not_found", "twirp error unknown: egress does not exist");
  EXPECT_EQ(s.message(), "egress does not exist");
  s = recording::LiveKitErrorStatus("failed_precondition",
                                    "egress with status EGRESS_COMPLETE cannot be stopped");
  EXPECT_EQ(s.message(), "egress with status EGRESS_COMPLETE cannot be stopped");
  EXPECT_EQ(recording::EgressStatusName(EgressStatus::kLimitReached),
            std::string("EGRESS_LIMIT_REACHED"));
}

}  // namespace
}  // namespace mr::livekit
