// The rooms API over HTTP against the real binary: create, read, update config, delete, and the
// malformed-input answers a client meets first.

#include <gtest/gtest.h>

#include "common/json.hpp"
#include "service_process.hpp"

namespace mr::test {
namespace {

TEST(RoomsApiTest, CreateReadUpdateDelete) {
  TempDir dir;
  ServiceProcess service({{"MEET_STORAGE_DIR", dir.path().string()}, {"MEET_INITIAL_API_KEY", "k"}});
  const HeaderList auth = {{"x-api-key", "k"}, {"content-type", "application/json"}};
  auto call = [&](const std::string& method, const std::string& target, const std::string& body,
                  const HeaderList& h) { return TestHttpRequest(service.port(), method, target, h, body); };

  EXPECT_EQ(call("POST", "/api/v1/rooms", R"({"roomName":"x"})", {}).status, 401);
  auto bad = call("POST", "/api/v1/rooms", R"({"roomName":)", auth);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(Json::parse(bad.body), (Json{{"error", "Bad Request"}, {"message", "Malformed body"}}));
  auto invalid = call("POST", "/api/v1/rooms", R"({"roomName":5})", auth);
  EXPECT_EQ(invalid.status, 422);
  EXPECT_EQ(Json::parse(invalid.body)["details"][0]["field"], "roomName");

  auto created = call("POST", "/api/v1/rooms", R"({"roomName":"Daily standup"})", auth);
  ASSERT_EQ(created.status, 201) << created.body;
  Json room = Json::parse(created.body);
  const std::string id = room["roomId"];
  EXPECT_EQ(id.rfind("Dailystandup-", 0), 0u);
  EXPECT_EQ(created.Header("location"), "http://127.0.0.1:" + std::to_string(service.port()) + "/api/v1/rooms/" + id);
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "openvidu-meet/rooms" / id / (id + ".json")));

  auto got = call("GET", "/api/v1/rooms/" + id + "?fields=roomName", "", auth);
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(Json::parse(got.body), (Json{{"roomName", "Daily standup"}}));

  auto put = call("PUT", "/api/v1/rooms/" + id + "/config",
                  R"({"config":{"recording":{"enabled":false},"chat":{"enabled":true},"virtualBackground":{"enabled":true}}})", auth);
  EXPECT_EQ(put.status, 200) << put.body;
  got = call("GET", "/api/v1/rooms/" + id, "", auth);
  EXPECT_EQ(Json::parse(got.body)["config"]["recording"]["enabled"], false);

  auto del = call("DELETE", "/api/v1/rooms/" + id, "", auth);
  EXPECT_EQ(del.status, 200) << del.body;
  EXPECT_EQ(Json::parse(del.body)["successCode"], "room_deleted");
  auto gone = call("GET", "/api/v1/rooms/" + id, "", auth);
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(Json::parse(gone.body)["message"], "Room '" + id + "' does not exist");
}

}  // namespace
}  // namespace mr::test
