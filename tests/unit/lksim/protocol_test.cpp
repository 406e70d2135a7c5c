// Pure protocol pieces: file name rules (§4.5), the webhook form (§6.1, §7.4.1), request
// normalization, options from the environment.

#include "lksim/protocol.hpp"

#include <gtest/gtest.h>

#include "lksim/lksim.hpp"

namespace mr::lksim {
namespace {

TEST(FinalFilename, ExtensionRules) {
  // 2026-01-01T00:00:00.123Z; TZ is pinned so {time} is predictable.
  setenv("TZ", "UTC", 1);
  tzset();
  const int64_t now = 1767225600123;
  struct Case {
    std::string path, type, want;
  };
  const std::vector<Case> cases = {
      {"", "MP4", "room1-2026-01-01T000000.mp4"},
      {"rec/", "MP4", "rec/room1-2026-01-01T000000.mp4"},
      {"rec/{room_name}.mp4", "MP4", "rec/room1.mp4"},
      {"rec/out.ogg", "MP4", "rec/out.mp4"},
      {"rec/{room_name}-{time}", "MP4", "rec/room1-2026-01-01T000000.mp4"},
      {"rec/out.mkv", "MP4", "rec/out.mkv.mp4"},
      {"out.MP4", "MP4", "out.MP4.mp4"},
      {"a/{utc}", "OGG", "a/20260101000000123.ogg"},
      {"../../x/./y/../{room_id}", "MP3", "x/RM_1.mp3"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(FinalFilename(c.path, c.type, "room1", "RM_1", now), c.want) << c.path;
  }
}

TEST(WebhookForm, ReproducesTheSpecVector) {
  Json req = NormalizeRequest(Json::parse(R"({"roomName":"room1","layout":"grid",
      "fileOutputs":[{"fileType":"MP4","filepath":"rec/{room_name}-{time}",
      "s3":{"accessKey":"AK","secret":"SK","region":"us-east-1","bucket":"my-bucket"}}]})"));
  auto parsed = ParseRoomComposite(req);
  ASSERT_TRUE(std::holds_alternative<RoomCompositeRequest>(parsed));
  EgressState e;
  e.egress_id = "EG_8HbCmQJ2Rz7x";
  e.room_id = "RM_tV4bZ6kPq9Ld";
  e.room_name = "room1";
  e.status = EgressStatus::kComplete;
  e.started_at_ns = 1767225600123456789;
  e.ended_at_ns = 1767225665432109876;
  e.updated_at_ns = 1767225665432109876;
  e.room_composite = std::get<RoomCompositeRequest>(parsed).echo;
  e.file = {"rec/room1-2026-01-01T000000.mp4",
            1767225603000000000,
            1767225664000000000,
            61000000000,
            7340032,
            "https://my-bucket.s3.amazonaws.com/rec/room1-2026-01-01T000000.mp4"};
  e.details = "End reason: StopEgress API";
  e.manifest_location = "https://my-bucket.s3.amazonaws.com/rec/EG_8HbCmQJ2Rz7x.json";
  Json ev = Json::object();
  ev["event"] = "egress_ended";
  ev["room"] = Json{{"sid", e.room_id}, {"name", "room1"}};
  ev["egress_info"] = EgressJson(e);
  ev["id"] = "EV_3xKq7Tn9WbYz";
  ev["created_at"] = "1767225665";
  EXPECT_EQ(
      ToWebhookForm(ev).dump(),
      R"({"event":"egress_ended","room":{"sid":"RM_tV4bZ6kPq9Ld","name":"room1"},"egressInfo":{"egressId":"EG_8HbCmQJ2Rz7x","roomId":"RM_tV4bZ6kPq9Ld","roomName":"room1","status":"EGRESS_COMPLETE","startedAt":"1767225600123456789","endedAt":"1767225665432109876","updatedAt":"1767225665432109876","roomComposite":{"roomName":"room1","layout":"grid","fileOutputs":[{"fileType":"MP4","filepath":"rec/{room_name}-{time}","s3":{"accessKey":"{access_key}","secret":"{secret}","region":"us-east-1","bucket":"my-bucket"}}]},"fileResults":[{"filename":"rec/room1-2026-01-01T000000.mp4","startedAt":"1767225603000000000","endedAt":"1767225664000000000","duration":"61000000000","size":"7340032","location":"https://my-bucket.s3.amazonaws.com/rec/room1-2026-01-01T000000.mp4"}],"details":"End reason: StopEgress API","manifestLocation":"https://my-bucket.s3.amazonaws.com/rec/EG_8HbCmQJ2Rz7x.json","file":{"filename":"rec/room1-2026-01-01T000000.mp4","startedAt":"1767225603000000000","endedAt":"1767225664000000000","duration":"61000000000","size":"7340032","location":"https://my-bucket.s3.amazonaws.com/rec/room1-2026-01-01T000000.mp4"}},"id":"EV_3xKq7Tn9WbYz","createdAt":"1767225665"})");
}

TEST(NormalizeRequest, CamelToProtoNamesButNotMaps) {
  Json in = Json::parse(
      R"({"roomName":"r","fileOutputs":[{"s3":{"accessKey":"a","metadata":{"myKey":"v"}}}],"aliOSS":{}})");
  Json out = NormalizeRequest(in);
  EXPECT_EQ(out["room_name"], "r");
  EXPECT_EQ(out["file_outputs"][0]["s3"]["access_key"], "a");
  EXPECT_EQ(out["file_outputs"][0]["s3"]["metadata"]["myKey"], "v");
  EXPECT_TRUE(out.contains("aliOSS"));
}

TEST(S3Location, Forms) {
  EXPECT_EQ(S3Location(Json{{"bucket", "b"}}, "k/x.mp4"), "https://b.s3.amazonaws.com/k/x.mp4");
  EXPECT_EQ(
      S3Location(Json{{"bucket", "b"}, {"endpoint", "http://h:9000"}, {"force_path_style", true}},
                 "x"),
      "http://h:9000/b/x");
}

TEST(LkSimOptionsFromEnv, ReadsAndValidates) {
  auto o = LkSimOptionsFromEnv({{"MEET_EMBEDDED_LIVEKIT_PORT", "7999"},
                                {"LIVEKIT_API_KEY", "k"},
                                {"LIVEKIT_API_SECRET", "s"},
                                {"MEET_STORAGE_DIR", "/data"},
                                {"LIVEKIT_WEBHOOK_URLS", " http://a/x , ,http://b/y"},
                                {"MEET_LKSIM_ENCODER", "none"}});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->port, 7999);
  EXPECT_EQ(o->api_key, "k");
  EXPECT_EQ(o->api_secret, "s");
  EXPECT_EQ(o->storage_dir, "/data");
  EXPECT_EQ(o->webhook_urls, (std::vector<std::string>{"http://a/x", "http://b/y"}));
  EXPECT_EQ(o->encoder, EncoderKind::kNone);
  auto d = LkSimOptionsFromEnv({});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->port, 7880);
  EXPECT_EQ(d->api_key, "devkey");
  EXPECT_EQ(d->empty_timeout_s, 300u);
  EXPECT_FALSE(LkSimOptionsFromEnv({{"MEET_EMBEDDED_LIVEKIT_PORT", "70000"}}).ok());
  EXPECT_FALSE(LkSimOptionsFromEnv({{"MEET_LKSIM_ENCODER", "gst"}}).ok());
}

}  // namespace
}  // namespace mr::lksim
