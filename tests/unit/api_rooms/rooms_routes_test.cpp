// The rooms HTTP routes, called directly with constructed requests (no sockets).

#include "api/rooms_routes.hpp"

#include <gtest/gtest.h>

#include "common/async.hpp"
#include "fakes/faulty_object_store.hpp"
#include "fakes/memory_object_store.hpp"
#include "unit/rooms/rooms_test_support.hpp"

namespace mr::api {
namespace {

using fakes::FaultyObjectStore;
using Op = fakes::FaultyObjectStore::Op;
using rooms::RoomStatus;

constexpr int64_t kNow = 1'700'000'000'000;
constexpr const char* kBase = "https://meet.example.com";

class RoomsRoutesTest : public ::testing::Test {
 protected:
  RoomsRoutesTest() {
    for (auto& r : RoomRoutes(RoomRoutesDeps{
             service_, auth_, [](const http::Request&) { return std::string(kBase); }, clock_})) {
      routes_.push_back(std::move(r));
    }
  }

  // Finds the handler for `method` and `path` (patterns here have at most one capture) and runs it.
  http::Response Call(std::string method, std::string path, std::string query = "",
                      std::string body = "", bool with_key = true) {
    http::Request req;
    req.method = method;
    req.path = path;
    req.target = path + (query.empty() ? "" : "?" + query);
    for (auto& kv : SplitQuery(query)) {
      req.query.push_back(kv);
    }
    req.body = std::move(body);
    if (with_key) {
      req.headers.emplace_back("x-api-key", "secret-key");
    }
    for (auto& route : routes_) {
      if (route.method != method) {
        continue;
      }
      auto params = Match(route.pattern, path);
      if (!params) {
        continue;
      }
      req.params = *params;
      return RunTask(ioc_, route.handler(req));
    }
    ADD_FAILURE() << "no route for " << method << " " << path;
    return {};
  }

  static std::vector<std::pair<std::string, std::string>> SplitQuery(const std::string& q) {
    std::vector<std::pair<std::string, std::string>> out;
    size_t start = 0;
    while (start < q.size()) {
      size_t amp = q.find('&', start);
      std::string pair =
          q.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
      size_t eq = pair.find('=');
      out.emplace_back(pair.substr(0, eq), eq == std::string::npos ? "" : pair.substr(eq + 1));
      if (amp == std::string::npos) {
        break;
      }
      start = amp + 1;
    }
    return out;
  }

  static std::optional<std::vector<std::pair<std::string, std::string>>> Match(
      const std::string& pattern, const std::string& path) {
    auto split = [](const std::string& s) {
      std::vector<std::string> parts;
      size_t start = 1;
      while (start <= s.size()) {
        size_t slash = s.find('/', start);
        parts.push_back(
            s.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
        if (slash == std::string::npos) {
          break;
        }
        start = slash + 1;
      }
      return parts;
    };
    auto p = split(pattern);
    auto s = split(path);
    if (p.size() != s.size()) {
      return std::nullopt;
    }
    std::vector<std::pair<std::string, std::string>> params;
    for (size_t i = 0; i < p.size(); ++i) {
      if (!p[i].empty() && p[i][0] == ':') {
        params.emplace_back(p[i].substr(1), s[i]);
      } else if (p[i] != s[i]) {
        return std::nullopt;
      }
    }
    return params;
  }

  static Json Body(const http::Response& r) { return Json::parse(r.body); }

  static std::string HeaderOf(const http::Response& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) {
        return v;
      }
    }
    return "";
  }

  std::string CreateRoom(const std::string& name = "Room") {
    auto r = Call("POST", "/api/v1/rooms", "", Json{{"roomName", name}}.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    return Body(r)["roomId"];
  }

  void SetActive(const std::string& id) {
    auto room = RunTask(ioc_, repo_.Get(id));
    ASSERT_TRUE(room.ok() && room->has_value());
    (*room)->status = RoomStatus::kActiveMeeting;
    ASSERT_TRUE(RunTask(ioc_, repo_.Save(**room)).ok());
  }

  asio::io_context ioc_;
  rooms::testing::SetClock clock_{kNow};
  rooms::testing::CountingRandom random_;
  fakes::MemoryObjectStore memory_{clock_};
  FaultyObjectStore store_{memory_};
  rooms::RoomRepo repo_{store_, rooms::RoomRepoOptions{}};
  rooms::testing::FakeRecordings recordings_;
  rooms::testing::FakeMeetings meetings_;
  rooms::RoomService service_{repo_, recordings_, meetings_, clock_, random_};
  ApiKeyAuth auth_{{"secret-key"}};
  std::vector<RouteSpec> routes_;
};

TEST_F(RoomsRoutesTest, RegistersTheSixRoutes) {
  std::vector<std::string> got;
  for (const auto& r : routes_) {
    got.push_back(r.method + " " + r.pattern);
  }
  EXPECT_EQ(got, (std::vector<std::string>{"POST /api/v1/rooms", "GET /api/v1/rooms",
                                           "DELETE /api/v1/rooms", "GET /api/v1/rooms/:roomId",
                                           "PUT /api/v1/rooms/:roomId/config",
                                           "DELETE /api/v1/rooms/:roomId"}));
}

TEST_F(RoomsRoutesTest, EveryRouteRequiresTheApiKey) {
  EXPECT_EQ(Call("POST", "/api/v1/rooms", "", "{}", false).status, 401);
  EXPECT_EQ(Call("GET", "/api/v1/rooms", "", "", false).status, 401);
  EXPECT_EQ(Call("DELETE", "/api/v1/rooms", "roomIds=a", "", false).status, 401);
  EXPECT_EQ(Call("GET", "/api/v1/rooms/a", "", "", false).status, 401);
  EXPECT_EQ(Call("PUT", "/api/v1/rooms/a/config", "", "{}", false).status, 401);
  EXPECT_EQ(Call("DELETE", "/api/v1/rooms/a", "", "", false).status, 401);
  EXPECT_EQ(memory_.SizeForTest(), 0u);
}

TEST_F(RoomsRoutesTest, CreateAnswers201WithLocationAndAbsoluteUrls) {
  auto r = Call("POST", "/api/v1/rooms", "", R"({"roomName":"Team A"})");
  ASSERT_EQ(r.status, 201) << r.body;
  Json j = Body(r);
  EXPECT_EQ(j["roomId"], "TeamA-000000000000001");
  EXPECT_EQ(j["roomName"], "Team A");
  EXPECT_EQ(j["creationDate"], kNow);
  EXPECT_EQ(j["moderatorUrl"],
            std::string(kBase) + "/room/TeamA-000000000000001?secret=a000000002");
  EXPECT_EQ(j["status"], "open");
  EXPECT_FALSE(j.contains("autoDeletionDate"));
  EXPECT_EQ(HeaderOf(r, "Location"), std::string(kBase) + "/api/v1/rooms/TeamA-000000000000001");

  EXPECT_EQ(Call("POST", "/api/v1/rooms", "", "").status, 201);  // Empty body: all defaults.
}

TEST_F(RoomsRoutesTest, CreateValidationAndMalformedBody) {
  auto bad = Call("POST", "/api/v1/rooms", "", R"({"roomName": 1, "autoDeletionDate": 5})");
  ASSERT_EQ(bad.status, 422);
  Json j = Body(bad);
  EXPECT_EQ(j["error"], "Unprocessable Entity");
  EXPECT_EQ(j["message"], "Invalid request");
  EXPECT_EQ(j["details"][0]["field"], "roomName");
  EXPECT_EQ(j["details"][1]["message"], "autoDeletionDate must be at least 1h in the future");

  auto malformed = Call("POST", "/api/v1/rooms", "", "{\"roomName\":");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(Body(malformed)["message"], "Malformed body");
}

TEST_F(RoomsRoutesTest, CreateStorageOutageIs503) {
  store_.FailAll(Op::kPut, UnavailableError("connection refused"));
  auto r = Call("POST", "/api/v1/rooms", "", "{}");
  EXPECT_EQ(r.status, 503);
}

TEST_F(RoomsRoutesTest, GetOneWithFieldsAndErrors) {
  std::string id = CreateRoom();
  auto r = Call("GET", "/api/v1/rooms/" + id, "fields=status,roomId,nope");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"status":"open","roomId":")" + id + R"("})");

  auto missing = Call("GET", "/api/v1/rooms/ghost");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, R"({"error":"Room Error","message":"Room 'ghost' does not exist"})");

  store_.FailAll(Op::kGet, UnavailableError("down"));
  auto down = Call("GET", "/api/v1/rooms/" + id);
  EXPECT_EQ(down.status, 503);
  EXPECT_EQ(Body(down)["error"], "Storage Error");
}

TEST_F(RoomsRoutesTest, InvalidRoomIdIs422) {
  auto r = Call("GET", "/api/v1/rooms/" + std::string(101, 'a'));
  ASSERT_EQ(r.status, 422);
  EXPECT_EQ(Body(r)["details"][0]["field"], "roomId");
  EXPECT_EQ(Body(r)["details"][0]["message"], "roomId cannot exceed 100 characters");
}

TEST_F(RoomsRoutesTest, ListPaginationShapeAndValidation) {
  std::string a = CreateRoom("A");
  std::string b = CreateRoom("B");
  std::string c = CreateRoom("C");
  auto r = Call("GET", "/api/v1/rooms", "maxItems=2&fields=roomId");
  ASSERT_EQ(r.status, 200) << r.body;
  Json j = Body(r);
  EXPECT_EQ(j["rooms"], Json::parse(R"([{"roomId":")" + a + R"("},{"roomId":")" + b + R"("}])"));
  EXPECT_EQ(j["pagination"]["isTruncated"], true);
  EXPECT_EQ(j["pagination"]["maxItems"], 2);
  std::string token = j["pagination"]["nextPageToken"];

  auto next = Call("GET", "/api/v1/rooms", "maxItems=2&nextPageToken=" + token);
  Json n = Body(next);
  ASSERT_EQ(n["rooms"].size(), 1u);
  EXPECT_EQ(n["rooms"][0]["roomId"], c);
  EXPECT_EQ(n["rooms"][0]["speakerUrl"].get<std::string>().rfind(kBase, 0), 0u);
  EXPECT_EQ(n["pagination"].dump(), R"({"isTruncated":false,"maxItems":2})");

  EXPECT_EQ(Body(Call("GET", "/api/v1/rooms"))["pagination"]["maxItems"], 10);
  EXPECT_EQ(Body(Call("GET", "/api/v1/rooms", "maxItems=500"))["pagination"]["maxItems"], 100);
  EXPECT_EQ(Body(Call("GET", "/api/v1/rooms", "maxItems=2.9"))["pagination"]["maxItems"], 2);

  auto nan = Call("GET", "/api/v1/rooms", "maxItems=abc");
  ASSERT_EQ(nan.status, 422);
  EXPECT_EQ(Body(nan)["details"][0]["message"], "Expected number, received nan");
  auto zero = Call("GET", "/api/v1/rooms", "maxItems=0");
  EXPECT_EQ(Body(zero)["details"][0]["message"], "maxItems must be a positive number");
  auto bad_token = Call("GET", "/api/v1/rooms", "nextPageToken=garbage");
  ASSERT_EQ(bad_token.status, 422);
  EXPECT_EQ(Body(bad_token)["details"][0]["field"], "nextPageToken");

  store_.FailAll(Op::kList, UnavailableError("down"));
  EXPECT_EQ(Call("GET", "/api/v1/rooms").status, 503);
}

TEST_F(RoomsRoutesTest, UpdateConfig) {
  std::string id = CreateRoom();
  const std::string cfg =
      R"({"config":{"recording":{"enabled":true,"allowAccessTo":"admin"},"chat":{"enabled":false},)"
      R"("virtualBackground":{"enabled":true}}})";
  auto r = Call("PUT", "/api/v1/rooms/" + id + "/config", "", cfg);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["message"], "Room config for room '" + id + "' updated successfully");
  EXPECT_EQ(Body(Call("GET", "/api/v1/rooms/" + id,
                      "fields=config"))["config"]["recording"]["allowAccessTo"],
            "admin");
  EXPECT_EQ(recordings_.refreshed.size(), 1u);

  EXPECT_EQ(Call("PUT", "/api/v1/rooms/ghost/config", "", cfg).status, 404);
  EXPECT_EQ(Call("PUT", "/api/v1/rooms/" + id + "/config", "", "nope").status, 400);
  auto invalid = Call("PUT", "/api/v1/rooms/" + id + "/config", "",
                      R"({"config":{"recording":{"enabled":true},"chat":{"enabled":true},)"
                      R"("virtualBackground":{"enabled":true}}})");
  ASSERT_EQ(invalid.status, 422);
  EXPECT_EQ(Body(invalid)["details"][0]["field"], "config.recording.allowAccessTo");
}

TEST_F(RoomsRoutesTest, DeleteOneStatusCodesAndBodies) {
  std::string plain = CreateRoom("A");
  auto ok = Call("DELETE", "/api/v1/rooms/" + plain);
  ASSERT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, R"({"successCode":"room_deleted","message":"Room ')" + plain +
                         R"(' deleted successfully"})");

  std::string active = CreateRoom("B");
  SetActive(active);
  auto refused = Call("DELETE", "/api/v1/rooms/" + active);
  ASSERT_EQ(refused.status, 409);
  EXPECT_EQ(Body(refused)["error"], "room_has_active_meeting");
  EXPECT_EQ(Body(refused)["message"],
            "Room '" + active + "' cannot be deleted because it has an active meeting.");

  auto scheduled = Call("DELETE", "/api/v1/rooms/" + active, "withMeeting=when_meeting_ends");
  ASSERT_EQ(scheduled.status, 202);
  Json s = Body(scheduled);
  EXPECT_EQ(s["successCode"], "room_with_active_meeting_scheduled_to_be_deleted");
  EXPECT_EQ(s["room"]["meetingEndAction"], "delete");
  EXPECT_EQ(s["room"]["moderatorUrl"].get<std::string>().rfind(kBase, 0), 0u);

  auto invalid = Call("DELETE", "/api/v1/rooms/" + active, "withMeeting=now&withRecordings=x");
  ASSERT_EQ(invalid.status, 422);
  Json d = Body(invalid)["details"];
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0]["field"], "withMeeting");
  EXPECT_NE(d[0]["message"].get<std::string>().find("Invalid enum value"), std::string::npos);
  EXPECT_EQ(d[1]["field"], "withRecordings");

  EXPECT_EQ(Call("DELETE", "/api/v1/rooms/ghost").status, 404);
}

TEST_F(RoomsRoutesTest, DeleteWhenRecordingsCannotBeCheckedIs503AndKeepsTheRoom) {
  std::string id = CreateRoom();
  recordings_.has_recordings_error = UnavailableError("S3 list failed");
  auto r = Call("DELETE", "/api/v1/rooms/" + id, "withRecordings=force");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(Call("GET", "/api/v1/rooms/" + id).status, 200);
}

TEST_F(RoomsRoutesTest, BulkDelete) {
  std::string a = CreateRoom("A");
  std::string b = CreateRoom("B");
  auto all_ok = Call("DELETE", "/api/v1/rooms", "roomIds=" + a + ",%20," + a + "," + b);
  // (The test router does not decode; "%20" sanitises to "20", an absent room.)
  ASSERT_EQ(all_ok.status, 400) << all_ok.body;
  Json j = Body(all_ok);
  EXPECT_EQ(j["message"], "1 room(s) failed to process while deleting");
  ASSERT_EQ(j["successful"].size(), 2u);  // Duplicate `a` processed once.
  EXPECT_EQ(j["successful"][0]["roomId"], a);
  EXPECT_EQ(j["successful"][0]["successCode"], "room_deleted");
  EXPECT_EQ(j["failed"][0].dump(),
            R"({"roomId":"20","error":"Room Error","message":"Room '20' does not exist"})");

  std::string c = CreateRoom("C");
  std::string d = CreateRoom("D");
  recordings_.rooms_with_recordings.insert(d);
  auto mixed = Call("DELETE", "/api/v1/rooms", "roomIds=" + c + "," + d);
  ASSERT_EQ(mixed.status, 400);
  Json m = Body(mixed);
  EXPECT_EQ(m["failed"][0]["error"], "room_has_recordings");

  auto closed = Call("DELETE", "/api/v1/rooms", "roomIds=" + d + "&withRecordings=close");
  ASSERT_EQ(closed.status, 200);
  Json cl = Body(closed);
  EXPECT_EQ(cl["message"], "All rooms successfully processed for deletion");
  EXPECT_EQ(cl["successful"][0]["successCode"], "room_closed");
  EXPECT_EQ(cl["successful"][0]["room"]["status"], "closed");
  EXPECT_FALSE(cl.contains("failed"));

  auto none = Call("DELETE", "/api/v1/rooms", "roomIds=!!,,");
  ASSERT_EQ(none.status, 422);
  EXPECT_EQ(Body(none)["details"][0].dump(),
            R"({"field":"roomIds","message":)"
            R"("At least one valid roomId is required after sanitization"})");
  EXPECT_EQ(Call("DELETE", "/api/v1/rooms").status, 422);

  auto repeated = Call("DELETE", "/api/v1/rooms", "roomIds=" + c + "&roomIds=" + d);
  EXPECT_EQ(Body(repeated)["successful"].size() + Body(repeated)["failed"].size(), 2u);
}

TEST_F(RoomsRoutesTest, BulkDeleteReportsStorageErrorsPerRoom) {
  std::string a = CreateRoom("A");
  store_.FailAll(Op::kGet, UnavailableError("down"));
  auto r = Call("DELETE", "/api/v1/rooms", "roomIds=" + a);
  ASSERT_EQ(r.status, 400);
  EXPECT_EQ(Body(r)["failed"][0]["error"], "Storage Error");
  store_.Heal();
  EXPECT_EQ(Call("GET", "/api/v1/rooms/" + a).status, 200);
}

}  // namespace
}  // namespace mr::api
