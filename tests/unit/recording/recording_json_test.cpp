#include <gtest/gtest.h>

#include "recording/recording.hpp"
#include "recording/storage_layout.hpp"

namespace mr::recording {
namespace {

TEST(RecordingJsonTest, RoundTripKeepsReferenceOrderAndOmitsAbsent) {
  RecordingInfo r;
  r.recording_id = "R--EG_1--abc";
  r.room_id = "R";
  r.room_name = "Room";
  r.status = RecordingStatus::kComplete;
  r.filename = "R--abc.mp4";
  r.start_date = 1727000000123;
  r.end_date = 1727000010123;
  r.duration = 10.5;
  r.size = 12345;
  r.details = "End reason: StopEgress API";
  EXPECT_EQ(RecordingToJson(r).dump(),
            R"({"recordingId":"R--EG_1--abc","roomId":"R","roomName":"Room","status":"complete",)"
            R"("filename":"R--abc.mp4","startDate":1727000000123,"endDate":1727000010123,)"
            R"("duration":10.5,"size":12345,"details":"End reason: StopEgress API"})");
  auto back = ParseRecordingJson(RecordingToJson(r).dump());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(RecordingToJson(*back), RecordingToJson(r));
}

TEST(RecordingJsonTest, ReadsReferenceFractionalDates) {
  auto r = ParseRecordingJson(
      R"({"recordingId":"R--EG_1--abc","roomId":"R","roomName":"Room","status":"active",)"
      R"("startDate":1727000000123.4568})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->start_date, 1727000000123);
  EXPECT_FALSE(r->end_date);
}

TEST(RecordingJsonTest, RejectsGarbage) {
  EXPECT_FALSE(ParseRecordingJson("not json").ok());
  EXPECT_FALSE(ParseRecordingJson("[]").ok());
  EXPECT_FALSE(ParseRecordingJson(R"({"roomId":"R"})").ok());
  auto unknown = ParseRecordingJson(R"({"recordingId":"a--EG_1--b","roomId":"a","status":"weird"})");
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(unknown->status, RecordingStatus::kFailed);
}

TEST(StorageLayoutTest, ReferenceKeys) {
  StorageLayout l("openvidu-meet");
  RecordingIdParts p{"R-abc", "EG_x", "0123456789"};
  EXPECT_EQ(l.MetadataKey(p), "openvidu-meet/recordings/.metadata/R-abc/EG_x/0123456789.json");
  EXPECT_EQ(l.SecretsKey(p), "openvidu-meet/recordings/.secrets/R-abc/EG_x/0123456789.json");
  EXPECT_EQ(l.MediaKey(p), "openvidu-meet/recordings/R-abc/R-abc--0123456789.mp4");
  EXPECT_EQ(l.RoomMetadataKey("R-abc"),
            "openvidu-meet/recordings/.room_metadata/R-abc/room_metadata.json");
  EXPECT_EQ(l.RoomMetadataPrefix("R"), "openvidu-meet/recordings/.metadata/R/");
  EXPECT_EQ(l.EgressFilepath("R", "0123456789"), "openvidu-meet/recordings/R/R--0123456789");
  // Q11: a sub-bucket that is a prefix of "recordings" is still prepended with its separator.
  EXPECT_EQ(StorageLayout("rec").AllMetadataPrefix(), "rec/recordings/.metadata/");
  EXPECT_EQ(StorageLayout("").AllMetadataPrefix(), "recordings/.metadata/");
}

TEST(StorageLayoutTest, RecordingIdFromMetadataKey) {
  StorageLayout l("openvidu-meet");
  EXPECT_EQ(l.RecordingIdFromMetadataKey("openvidu-meet/recordings/.metadata/R/EG_1/abc.json"),
            "R--EG_1--abc");
  EXPECT_FALSE(l.RecordingIdFromMetadataKey("openvidu-meet/recordings/.metadata/R/EG_1/abc.txt"));
  EXPECT_FALSE(l.RecordingIdFromMetadataKey("openvidu-meet/recordings/.metadata/R/abc.json"));
  EXPECT_FALSE(l.RecordingIdFromMetadataKey("openvidu-meet/recordings/.metadata/R/EG_1/x/a.json"));
  EXPECT_FALSE(l.RecordingIdFromMetadataKey("openvidu-meet/recordings/.metadata/R/XX_1/a.json"));
  EXPECT_FALSE(l.RecordingIdFromMetadataKey("other/recordings/.metadata/R/EG_1/abc.json"));
}

}  // namespace
}  // namespace mr::recording
