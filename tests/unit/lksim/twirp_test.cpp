// The Twirp surface: LiveKit auth rules, JSON forms and error bodies (spec §1-§3, §7).

#include "lksim_test_support.hpp"

namespace mr::lksim::test {
namespace {

class TwirpTest : public SimFixture {};

TEST_F(TwirpTest, HealthCheck) {
  auto r = TestHttpRequest(sim_->port(), "GET", "/");
  EXPECT_EQ(r.status, 200);
}

TEST_F(TwirpTest, EachGrantIsRequired) {
  struct Case {
    std::string service, method;
    Json body;
    Json good;
    Json bad;
  };
  ASSERT_EQ(Join("r1", "alice").status, 201);
  const std::vector<Case> cases = {
      {"RoomService", "CreateRoom", {{"name", "r2"}}, {{"roomCreate", true}}, {{"roomList", true}}},
      {"RoomService", "ListRooms", Json::object(), {{"roomList", true}}, {{"roomCreate", true}}},
      {"RoomService",
       "ListParticipants",
       {{"room", "r1"}},
       {{"roomAdmin", true}, {"room", "r1"}},
       {{"roomAdmin", true}, {"room", "other"}}},
      {"RoomService",
       "GetParticipant",
       {{"room", "r1"}, {"identity", "alice"}},
       {{"roomAdmin", true}, {"room", "r1"}},
       {{"roomAdmin", true}}},
      {"RoomService",
       "UpdateRoomMetadata",
       {{"room", "r1"}, {"metadata", "m"}},
       {{"roomAdmin", true}, {"room", "r1"}},
       {{"room", "r1"}}},
      {"RoomService",
       "SendData",
       {{"room", "r1"}, {"data", "aGVsbG8="}},
       {{"roomAdmin", true}, {"room", "r1"}},
       {{"roomRecord", true}}},
      {"Egress", "ListEgress", Json::object(), {{"roomRecord", true}}, {{"roomAdmin", true}}},
      {"RoomService",
       "DeleteRoom",
       {{"room", "r2"}},
       {{"roomCreate", true}},
       {{"roomAdmin", true}, {"room", "r2"}}},
  };
  for (const auto& c : cases) {
    auto bad = Call(c.service, c.method, c.body, c.bad);
    EXPECT_EQ(bad.status, 401) << c.method;
    EXPECT_EQ(bad.body, R"({"code":"unauthenticated","msg":"permissions denied"})") << c.method;
    EXPECT_EQ(bad.Header("content-type").value_or(""), "application/json");
    auto good = Call(c.service, c.method, c.body, c.good);
    EXPECT_EQ(good.status, 200) << c.method << " " << good.body;
  }
}

TEST_F(TwirpTest, MissingHeaderIsPermissionsDenied) {
  auto r = Raw("RoomService", "ListRooms", "{}", {{"Content-Type", "application/json"}});
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body, R"({"code":"unauthenticated","msg":"permissions denied"})");
}

TEST_F(TwirpTest, BadTokensArePlainText401) {
  const int64_t now = SystemClock().NowMs() / 1000;
  auto sign = [&](Json c, const char* secret = kSecret) { return jwt::SignHs256(c, secret); };
  Json video{{"roomList", true}};
  struct Case {
    std::string header;
    std::string body;
  };
  const std::vector<Case> cases = {
      {"Token abc", "invalid authorization header. Must start with Bearer "},
      {"Bearer not-a-jwt", "invalid authorization token"},
      {"Bearer " + sign(Json{{"video", video}, {"iss", "other"}, {"exp", now + 60}}),
       "invalid API key"},
      {"Bearer " + sign(Json{{"video", video}, {"iss", kKey}, {"exp", now - 120}}),
       "invalid authorization token: token has invalid claims: token is expired"},
      {"Bearer " + sign(Json{{"video", video}, {"iss", kKey}}),
       "invalid authorization token: token has invalid claims: token is missing required claim: "
       "exp claim is required"},
      {"Bearer " + sign(Json{{"video", video}, {"iss", kKey}, {"exp", now + 60}}, "wrong"),
       "invalid authorization token: token signature is invalid: signature is invalid"},
  };
  for (const auto& c : cases) {
    auto r = Raw("RoomService", "ListRooms", "{}",
                 {{"Authorization", c.header}, {"Content-Type", "application/json"}});
    EXPECT_EQ(r.status, 401) << c.body;
    EXPECT_EQ(r.body, c.body);
    EXPECT_EQ(r.Header("content-type").value_or(""), "text/plain; charset=utf-8");
  }
  // Within the 60 s leeway an expired token still passes.
  auto ok = Raw("RoomService", "ListRooms", "{}",
                {{"Authorization",
                  "Bearer " + sign(Json{{"video", video}, {"iss", kKey}, {"exp", now - 30}})},
                 {"Content-Type", "application/json"}});
  EXPECT_EQ(ok.status, 200);
}

TEST_F(TwirpTest, RoutingAndDecodingErrors) {
  auto get = TestHttpRequest(sim_->port(), "GET", "/twirp/livekit.RoomService/ListRooms");
  EXPECT_EQ(get.status, 404);
  EXPECT_EQ(Json::parse(get.body)["code"], "bad_route");
  EXPECT_EQ(Json::parse(get.body)["msg"], "unsupported method \"GET\" (only POST is allowed)");

  auto nope = Call("RoomService", "Nope", Json::object(), Json{{"roomList", true}});
  EXPECT_EQ(nope.status, 404);
  EXPECT_EQ(
      nope.body,
      R"({"code":"bad_route","msg":"no handler for path \"/twirp/livekit.RoomService/Nope\"",)"
      R"("meta":{"twirp_invalid_route":"POST /twirp/livekit.RoomService/Nope"}})");

  auto bad_json = Raw("RoomService", "ListRooms", "{nope",
                      {{"Authorization", "Bearer " + Token(Json{{"roomList", true}})},
                       {"Content-Type", "application/json"}});
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_EQ(bad_json.body, R"({"code":"malformed","msg":"the json request could not be decoded"})");

  auto ctype = Raw("RoomService", "ListRooms", "{}",
                   {{"Authorization", "Bearer " + Token(Json{{"roomList", true}})},
                    {"Content-Type", "text/plain"}});
  EXPECT_EQ(ctype.status, 404);
  EXPECT_EQ(Json::parse(ctype.body)["code"], "bad_route");

  auto elsewhere = TestHttpRequest(sim_->port(), "POST", "/twirp/livekit.Other/X");
  EXPECT_EQ(elsewhere.status, 404);
  EXPECT_EQ(elsewhere.body, "404 page not found\n");
}

TEST_F(TwirpTest, RoomServerFormAndBothNamings) {
  Json snake = CallJson("RoomService", "CreateRoom",
                        Json{{"name", "room1"}, {"empty_timeout", 300}, {"max_participants", 10}},
                        Json{{"roomCreate", true}});
  EXPECT_EQ(snake["sid"].get<std::string>().substr(0, 3), "RM_");
  EXPECT_EQ(snake["sid"].get<std::string>().size(), 15u);
  EXPECT_EQ(snake["max_participants"], 10);
  EXPECT_TRUE(snake["creation_time"].is_string());
  EXPECT_TRUE(snake["creation_time_ms"].is_string());
  EXPECT_TRUE(snake["version"].is_null());
  for (const char* k :
       {"sid", "name", "empty_timeout", "departure_timeout", "max_participants", "creation_time",
        "creation_time_ms", "turn_password", "enabled_codecs", "metadata", "num_participants",
        "num_publishers", "active_recording", "version"}) {
    EXPECT_TRUE(snake.contains(k)) << k;
  }
  // Idempotent, camelCase accepted, int64 as string accepted.
  Json camel = CallJson("RoomService", "CreateRoom",
                        Json{{"name", "room1"}, {"departureTimeout", "7"}, {"metadata", "m"}},
                        Json{{"roomCreate", true}});
  EXPECT_EQ(camel["sid"], snake["sid"]);
  EXPECT_EQ(camel["departure_timeout"], 7);
  EXPECT_EQ(camel["max_participants"], 10);
  EXPECT_EQ(camel["metadata"], "m");

  Json list = CallJson("RoomService", "ListRooms", Json{{"names", {"room1", "ghost"}}},
                       Json{{"roomList", true}});
  ASSERT_EQ(list["rooms"].size(), 1u);

  auto del = Call("RoomService", "DeleteRoom", Json{{"room", "ghost"}}, Json{{"roomCreate", true}});
  EXPECT_EQ(del.status, 404);
  EXPECT_EQ(del.body,
            R"({"code":"not_found","msg":"twirp error unknown: requested room does not exist"})");
  EXPECT_EQ(
      CallJson("RoomService", "DeleteRoom", Json{{"room", "room1"}}, Json{{"roomCreate", true}}),
      Json::object());
}

TEST_F(TwirpTest, ParticipantsForms) {
  ASSERT_EQ(Join("room1", "alice", "Alice").status, 201);
  Json video{{"roomAdmin", true}, {"room", "room1"}};
  Json ps = CallJson("RoomService", "ListParticipants", Json{{"room", "room1"}}, video);
  ASSERT_EQ(ps["participants"].size(), 1u);
  const Json& p = ps["participants"][0];
  EXPECT_EQ(p["identity"], "alice");
  EXPECT_EQ(p["name"], "Alice");
  EXPECT_EQ(p["state"], "ACTIVE");
  EXPECT_EQ(p["kind"], "STANDARD");
  EXPECT_EQ(p["sid"].get<std::string>().substr(0, 3), "PA_");
  EXPECT_TRUE(p["joined_at"].is_string());
  EXPECT_EQ(p["permission"]["can_publish"], true);

  EXPECT_EQ(CallJson("RoomService", "ListParticipants", Json{{"room", "ghost"}},
                     Json{{"roomAdmin", true}, {"room", "ghost"}}),
            Json({{"participants", Json::array()}}));
  auto missing =
      Call("RoomService", "GetParticipant", Json{{"room", "room1"}, {"identity", "bob"}}, video);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body,
            R"({"code":"not_found","msg":"twirp error unknown: participant does not exist"})");
  EXPECT_EQ(CallJson("RoomService", "GetParticipant",
                     Json{{"room", "room1"}, {"identity", "alice"}}, video)["identity"],
            "alice");
  EXPECT_EQ(CallJson("RoomService", "RemoveParticipant",
                     Json{{"room", "room1"}, {"identity", "alice"}}, video),
            Json::object());
  Json after = CallJson("RoomService", "UpdateRoomMetadata",
                        Json{{"room", "room1"}, {"metadata", "{\"k\":1}"}}, video);
  EXPECT_EQ(after["metadata"], "{\"k\":1}");
  EXPECT_EQ(after["num_participants"], 0);
}

TEST_F(TwirpTest, SendDataIsRecorded) {
  ASSERT_EQ(Join("room1", "alice").status, 201);
  Json video{{"roomAdmin", true}, {"room", "room1"}};
  const std::string nonce = jwt::Base64Encode(std::string(16, 'n'));
  EXPECT_EQ(CallJson("RoomService", "SendData",
                     Json{{"room", "room1"},
                          {"data", "aGVsbG8="},
                          {"topic", "chat"},
                          {"destinationIdentities", {"bob"}},
                          {"nonce", nonce}},
                     video),
            Json::object());
  auto bad = Call("RoomService", "SendData",
                  Json{{"room", "room1"}, {"data", "aGVsbG8="}, {"nonce", "AAAA"}}, video);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(
      bad.body,
      R"({"code":"invalid_argument","msg":"nonce should be 16-bytes or not present, got: 3 bytes"})");
  auto data = TestHttpRequest(sim_->port(), "GET", "/sim/rooms/room1/data");
  ASSERT_EQ(data.status, 200);
  Json packets = Json::parse(data.body)["packets"];
  ASSERT_EQ(packets.size(), 1u);
  EXPECT_EQ(packets[0]["topic"], "chat");
  EXPECT_EQ(packets[0]["payload"], "hello");
  EXPECT_EQ(packets[0]["payload_base64"], "aGVsbG8=");
  EXPECT_EQ(packets[0]["destination_identities"], Json::array({"bob"}));
  EXPECT_EQ(packets[0]["kind"], "RELIABLE");
}

TEST_F(TwirpTest, EgressStartFormAndValidation) {
  ASSERT_EQ(Join("room1", "alice").status, 201);
  Json req = Json::parse(R"({"roomName":"room1","layout":"grid",
      "file":{"fileType":"MP4","filepath":"rec/{room_name}-{time}"},
      "fileOutputs":[{"fileType":"MP4","filepath":"rec/{room_name}-{time}",
        "s3":{"accessKey":"AK","secret":"SK","region":"us-east-1","bucket":"my-bucket"}}]})");
  Json e = CallJson("Egress", "StartRoomCompositeEgress", req, Json{{"roomRecord", true}});
  const std::string id = e["egress_id"];
  EXPECT_EQ(id.substr(0, 3), "EG_");
  EXPECT_EQ(id.size(), 15u);
  EXPECT_EQ(e["status"], "EGRESS_STARTING");
  EXPECT_EQ(e["source_type"], "EGRESS_SOURCE_TYPE_WEB");
  EXPECT_EQ(e["ended_at"], "0");
  EXPECT_TRUE(e["started_at"].is_string());
  const std::string fname = e["file_results"][0]["filename"];
  EXPECT_EQ(fname.substr(0, 10), "rec/room1-");
  EXPECT_EQ(fname.substr(fname.size() - 4), ".mp4");
  EXPECT_EQ(e["file"]["filename"], fname);
  const Json& s3 = e["room_composite"]["file_outputs"][0]["s3"];
  EXPECT_EQ(s3["access_key"], "{access_key}");
  EXPECT_EQ(s3["secret"], "{secret}");
  EXPECT_EQ(s3["bucket"], "my-bucket");
  EXPECT_TRUE(s3["proxy"].is_null());
  EXPECT_EQ(e["room_composite"]["audio_mixing"], "DEFAULT_MIXING");
  EXPECT_EQ(e["room_composite"]["file"]["file_type"], "MP4");
  EXPECT_EQ(e["error_code"], 0);
  EXPECT_EQ(e["retry_count"], 0);

  auto no_room = Call("Egress", "StartRoomCompositeEgress",
                      Json{{"roomName", "ghost"}, {"fileOutputs", {{{"filepath", "x"}}}}},
                      Json{{"roomRecord", true}});
  EXPECT_EQ(no_room.status, 404);
  EXPECT_EQ(no_room.body,
            R"({"code":"not_found","msg":"twirp error unknown: requested room does not exist"})");
  auto both = Call("Egress", "StartRoomCompositeEgress",
                   Json{{"roomName", "room1"},
                        {"audioOnly", true},
                        {"videoOnly", true},
                        {"fileOutputs", {{{"filepath", "x"}}}}},
                   Json{{"roomRecord", true}});
  EXPECT_EQ(both.status, 400);
  EXPECT_EQ(Json::parse(both.body)["msg"],
            "twirp error unknown: request has missing or invalid field: audio_only and video_only");
  auto oneof = Call("Egress", "StartRoomCompositeEgress",
                    Json{{"roomName", "room1"},
                         {"preset", "H264_720P_30"},
                         {"advanced", {{"width", 640}}},
                         {"fileOutputs", {{{"filepath", "x"}}}}},
                    Json{{"roomRecord", true}});
  EXPECT_EQ(oneof.status, 400);
  EXPECT_EQ(Json::parse(oneof.body)["code"], "malformed");

  auto unknown =
      Call("Egress", "StopEgress", Json{{"egressId", "EG_nope"}}, Json{{"roomRecord", true}});
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.body,
            R"({"code":"not_found","msg":"twirp error unknown: egress does not exist"})");
  Json list = CallJson("Egress", "ListEgress", Json::object(), Json{{"roomRecord", true}});
  EXPECT_EQ(list["items"].size(), 1u);
  EXPECT_TRUE(list["next_page_token"].is_null());
}

}  // namespace
}  // namespace mr::lksim::test
