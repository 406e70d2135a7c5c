// Start/stop over the router: body validation (reference §2.3.1), status codes, error names,
// Location headers, both path forms (scope.md).

#include <gtest/gtest.h>

#include "api/recording_control_routes.hpp"
#include "fakes/lifecycle_harness.hpp"

namespace mr::api {
namespace {

using recording::testing::Harness;

struct Fixture {
  Fixture() : auth({"key"}) {
    AddRecordingControlRoutes(router, {&h.lifecycle, &auth, [](const http::Request&) {
                                         return std::string("http://meet.example");
                                       }});
  }
  std::shared_ptr<std::optional<http::Response>> Send(std::string method, std::string path,
                                                      std::string body = "") {
    auto req = std::make_shared<http::Request>();
    req->method = std::move(method);
    req->path = path;
    req->target = path;
    req->headers = {{"x-api-key", "key"}, {"content-type", "application/json"}};
    req->body = std::move(body);
    requests.push_back(req);
    return h.Spawn(router.Dispatch(*req));
  }
  http::Response Now(std::string method, std::string path, std::string body = "") {
    auto r = Send(std::move(method), std::move(path), std::move(body));
    EXPECT_TRUE(r->has_value());
    return r->value_or(http::Response{});
  }
  Harness h;
  ApiKeyAuth auth;
  http::Router router;
  std::vector<std::shared_ptr<http::Request>> requests;
};

Json BodyOf(const http::Response& r) { return Json::parse(r.body); }

TEST(RecordingControlRoutesTest, StartBodyValidation) {
  Fixture f;
  struct Case {
    const char* body;
    const char* message;
  } cases[] = {
      {"{}", "Required"},
      {R"({"roomId": 5})", "Expected string, received number"},
      {R"({"roomId": null})", "Expected string, received null"},
      {R"j({"roomId": "!@#$%^&*()"})j", "roomId cannot be empty after sanitization"},
      {R"({"roomId": ""})", "roomId is required and cannot be empty"},
  };
  for (const auto& c : cases) {
    auto r = f.Now("POST", "/internal-api/v1/recordings", c.body);
    ASSERT_EQ(r.status, 422) << c.body;
    EXPECT_EQ(BodyOf(r)["details"][0]["field"], "roomId");
    EXPECT_EQ(BodyOf(r)["details"][0]["message"], c.message) << c.body;
  }
  EXPECT_EQ(f.Now("POST", "/api/v1/recordings", "{not json").status, 400);
}

TEST(RecordingControlRoutesTest, StartAndStopOverBothPaths) {
  Fixture f;
  auto pending = f.Send("POST", "/api/v1/recordings", R"({"roomId": "  room1 "})");
  ASSERT_FALSE(pending->has_value());
  const std::string egress = f.h.livekit.LastEgressId();
  f.h.Webhook("egress_updated", f.h.Set(egress, recording::EgressStatus::kActive));
  ASSERT_TRUE(pending->has_value());
  const http::Response& created = **pending;
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = BodyOf(created)["recordingId"];
  EXPECT_EQ(BodyOf(created)["status"], "active");
  bool location = false;
  for (const auto& [k, v] : created.headers) {
    location = location || (k == "Location" && v == "http://meet.example/api/v1/recordings/" + id);
  }
  EXPECT_TRUE(location);

  auto busy = f.Now("POST", "/internal-api/v1/recordings", R"({"roomId": "room1"})");
  EXPECT_EQ(busy.status, 409);
  EXPECT_EQ(BodyOf(busy)["error"], "Recording Error");
  EXPECT_EQ(BodyOf(busy)["message"], "Room 'room1' is already being recorded");

  auto stopped = f.Now("POST", "/internal-api/v1/recordings/" + id + "/stop");
  EXPECT_EQ(stopped.status, 202);
  EXPECT_EQ(BodyOf(stopped)["status"], "ending");
  auto again = f.Now("POST", "/api/v1/recordings/" + id + "/stop");
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(BodyOf(again)["message"], "Recording '" + id + "' is already stopped");
}

TEST(RecordingControlRoutesTest, ErrorsAndAuth) {
  Fixture f;
  auto missing = f.Now("POST", "/api/v1/recordings", R"({"roomId": "ghost"})");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(BodyOf(missing)["error"], "Room Error");
  auto bad_id = f.Now("POST", "/api/v1/recordings/not-an-id/stop");
  EXPECT_EQ(bad_id.status, 422);
  EXPECT_EQ(BodyOf(bad_id)["details"][0]["field"], "recordingId");
  auto unknown = f.Now("POST", "/api/v1/recordings/room1--EG_nope--abc/stop");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(BodyOf(unknown)["message"], "Recording 'EG_nope' not found");

  f.h.livekit.FailNext("StartRoomCompositeEgress", UnavailableError("down"));
  auto failed = f.Now("POST", "/api/v1/recordings", R"({"roomId": "room1"})");
  EXPECT_EQ(failed.status, 500);
  EXPECT_EQ(BodyOf(failed)["message"],
            "Unexpected error while starting Room Composite Egress for room 'room1'");

  auto req = std::make_shared<http::Request>();
  req->method = "POST";
  req->path = req->target = "/api/v1/recordings";
  req->body = R"({"roomId": "room1"})";
  auto denied = f.h.Spawn(f.router.Dispatch(*req));
  EXPECT_EQ((*denied)->status, 401);
}

TEST(RecordingControlRoutesTest, TimeoutIs503) {
  Fixture f;
  auto pending = f.Send("POST", "/api/v1/recordings", R"({"roomId": "room1"})");
  f.h.Advance(Millis(20000));
  ASSERT_TRUE(pending->has_value());
  EXPECT_EQ((*pending)->status, 503);
  EXPECT_EQ(BodyOf(**pending)["message"], "Recording in room 'room1' timed out while starting");
}

}  // namespace
}  // namespace mr::api
