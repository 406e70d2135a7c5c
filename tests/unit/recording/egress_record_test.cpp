// Records from EgressInfo (reference §1.6) and live signals (§7).

#include <gtest/gtest.h>

#include "recording/egress_record.hpp"
#include "recording/signals.hpp"

namespace mr::recording {
namespace {

EgressInfo Egress() {
  EgressInfo e;
  e.egress_id = "EG_abc123";
  e.room_name = "room-1";
  e.status = EgressStatus::kComplete;
  e.started_at_ns = 1'727'000'000'123'456'789;
  e.ended_at_ns = 1'727'000'010'123'999'999;
  e.details = "End reason: StopEgress API";
  FileInfo f;
  f.filename = "openvidu-meet/recordings/room-1/room-1--0123456789.mp4";
  f.duration_ns = 9'500'000'000;
  f.size_bytes = 12345;
  e.file_results.push_back(f);
  return e;
}

TEST(EgressRecordTest, BuildsTheReferenceRecordWithIntegerMilliseconds) {
  auto r = RecordingFromEgress(Egress(), "Room One");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->recording_id, "room-1--EG_abc123--0123456789");
  EXPECT_EQ(r->room_id, "room-1");
  EXPECT_EQ(r->room_name, "Room One");
  EXPECT_EQ(r->status, RecordingStatus::kComplete);
  EXPECT_EQ(r->filename, "room-1--0123456789.mp4");
  EXPECT_EQ(r->start_date, 1'727'000'000'123);
  EXPECT_EQ(r->end_date, 1'727'000'010'123);
  EXPECT_DOUBLE_EQ(*r->duration, 9.5);
  EXPECT_EQ(r->size, 12345u);
  EXPECT_EQ(r->details, "End reason: StopEgress API");
  EXPECT_FALSE(r->error.has_value());
}

TEST(EgressRecordTest, FallbacksAndRefusals) {
  EgressInfo e = Egress();
  e.started_at_ns = 0;
  e.updated_at_ns = 2'000'000;
  e.ended_at_ns = 0;
  e.file_results[0].size_bytes = 0;
  auto r = RecordingFromEgress(e, "");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->start_date, 2);
  EXPECT_FALSE(r->end_date.has_value());
  EXPECT_FALSE(r->size.has_value());
  EXPECT_EQ(r->room_name, "room-1") << "without a Meet room the id stands in";

  e.file_results.clear();
  EXPECT_FALSE(RecordingFromEgress(e, "x").ok());
  EXPECT_FALSE(IsRecordingEgress(e));
  EgressInfo stream = Egress();
  stream.stream_result_count = 1;
  EXPECT_FALSE(IsRecordingEgress(stream));
}

TEST(EgressRecordTest, StatusMapping) {
  EXPECT_EQ(StatusFromEgress(EgressStatus::kStarting), RecordingStatus::kStarting);
  EXPECT_EQ(StatusFromEgress(EgressStatus::kLimitReached), RecordingStatus::kLimitReached);
  EXPECT_EQ(StatusFromEgress(static_cast<EgressStatus>(42)), RecordingStatus::kFailed);
}

TEST(EgressRecordTest, CompositeRequestFollowsTheLayout) {
  auto req = CompositeRequestFor(StorageLayout("openvidu-meet"), "room-1", "0123456789");
  EXPECT_EQ(req.room_name, "room-1");
  EXPECT_EQ(req.layout, "grid");
  EXPECT_EQ(req.file.filepath, "openvidu-meet/recordings/room-1/room-1--0123456789");
  EXPECT_TRUE(req.file.disable_manifest);
}

TEST(SignalsTest, TopicsAndPayloads) {
  struct Case {
    RecordingStatus status;
    const char* topic;
    const char* wire;
  } cases[] = {
      {RecordingStatus::kStarting, "recordingStarting", "STARTING"},
      {RecordingStatus::kActive, "recordingStarted", "STARTED"},
      {RecordingStatus::kEnding, "recordingStopping", "STOPPING"},
      {RecordingStatus::kComplete, "recordingStopped", "READY"},
      {RecordingStatus::kLimitReached, "recordingStopped", "READY"},
      {RecordingStatus::kFailed, "recordingFailed", "FAILED"},
      {RecordingStatus::kAborted, "recordingFailed", "FAILED"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(SignalTopic(c.status), c.topic);
    EXPECT_EQ(SignalStatus(c.status), c.wire);
  }
  auto r = RecordingFromEgress(Egress(), "Room One");
  Json p = SignalPayload(*r);
  EXPECT_EQ(p["id"], r->recording_id);
  EXPECT_EQ(p["roomName"], "room-1") << "the room id, as the reference sends";
  EXPECT_EQ(p["startedAt"], 1'727'000'000'123);
  EXPECT_FALSE(p.contains("location"));
  EXPECT_EQ(StartingSignal("r").payload.dump(),
            R"({"id":"","roomName":"r","roomId":"r","status":"STARTING"})");
  EXPECT_EQ(NoEgressFailedSignal("r").topic, "recordingFailed");
}

}  // namespace
}  // namespace mr::recording
