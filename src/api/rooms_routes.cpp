#include "api/rooms_routes.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <variant>

#include "api/api_error.hpp"
#include "api/request_parsing.hpp"
#include "recording/ids.hpp"

namespace mr::api {
namespace {

using rooms::DeletionOutcome;
using rooms::Room;

constexpr int kDefaultMaxItems = 10;
constexpr int kMaxMaxItems = 100;

std::vector<ValidationDetail> ToDetails(const std::vector<rooms::FieldError>& errors) {
  std::vector<ValidationDetail> out;
  out.reserve(errors.size());
  for (const auto& e : errors) {
    out.push_back({e.field, e.message});
  }
  return out;
}

// Validates the `:roomId` path parameter (reference §1.8).
std::variant<std::string, http::Response> PathRoomId(const http::Request& req) {
  auto outcome = recording::SanitizeRoomId(req.Param("roomId"), "roomId");
  if (outcome.value) {
    return *outcome.value;
  }
  std::vector<ValidationDetail> details;
  for (auto& m : outcome.messages) {
    details.push_back({"roomId", m});
  }
  return UnprocessableResponse(details);
}

http::Response RoomFailure(const Status& status, std::string_view operation) {
  if (status.code() == StatusCode::kNotFound) {
    return http::Response::MakeError(404, "Room Error", status.message());
  }
  return DependencyFailureResponse(status, operation);
}

// withMeeting / withRecordings query parameters, defaulting to `fail`.
template <typename E>
std::optional<E> PolicyParam(const http::Request& req, std::string_view name, E fallback,
                             std::optional<E> (*parse)(std::string_view), const char* expected,
                             std::vector<ValidationDetail>& details) {
  size_t count = req.QueryCount(name);
  if (count == 0) {
    return fallback;
  }
  if (count > 1) {
    details.push_back(
        {std::string(name), std::string("Expected ") + expected + ", received array"});
    return std::nullopt;
  }
  std::string_view value = *req.Query(name);
  if (auto v = parse(value)) {
    return v;
  }
  details.push_back({std::string(name), std::string("Invalid enum value. Expected ") + expected +
                                            ", received '" + std::string(value) + "'"});
  return std::nullopt;
}

struct Policies {
  rooms::WithMeeting with_meeting;
  rooms::WithRecordings with_recordings;
};

std::optional<Policies> ParsePolicies(const http::Request& req,
                                      std::vector<ValidationDetail>& details) {
  auto wm = PolicyParam<rooms::WithMeeting>(req, "withMeeting", rooms::WithMeeting::kFail,
                                            &rooms::ParseWithMeeting,
                                            "'force' | 'when_meeting_ends' | 'fail'", details);
  auto wr = PolicyParam<rooms::WithRecordings>(req, "withRecordings", rooms::WithRecordings::kFail,
                                               &rooms::ParseWithRecordings,
                                               "'force' | 'close' | 'fail'", details);
  if (!wm || !wr) {
    return std::nullopt;
  }
  return Policies{*wm, *wr};
}

Json SuccessBody(const DeletionOutcome& outcome, const std::string& base_url) {
  Json body{{"successCode", rooms::WireName(outcome.code)}, {"message", outcome.message}};
  if (outcome.room) {
    body["room"] = rooms::RoomToApiJson(*outcome.room, base_url);
  }
  return body;
}

// The route handlers. Held by shared_ptr in each std::function so the deps live as long as any
// handler does.
class RoomHandlers {
 public:
  explicit RoomHandlers(RoomRoutesDeps deps) : deps_(std::move(deps)) {}

  Task<http::Response> Create(http::Request& req) {
    if (auto denied = deps_.auth.Check(req)) {
      co_return *denied;
    }
    auto body = ParseJsonBody(req.body);
    if (!body) {
      co_return MalformedBodyResponse();
    }
    auto valid = rooms::ValidateCreateRoomBody(*body, deps_.clock.NowMs());
    if (!valid.value) {
      co_return UnprocessableResponse(ToDetails(valid.errors));
    }
    auto room = co_await deps_.rooms.Create(std::move(*valid.value));
    if (!room.ok()) {
      co_return DependencyFailureResponse(room.status(), "creating room");
    }
    const std::string base = deps_.base_url(req);
    auto resp = http::Response::MakeJson(201, rooms::RoomToApiJson(*room, base));
    resp.SetHeader("Location", base + "/api/v1/rooms/" + room->room_id);
    co_return resp;
  }

  Task<http::Response> List(http::Request& req) {
    if (auto denied = deps_.auth.Check(req)) {
      co_return *denied;
    }
    std::vector<ValidationDetail> details;
    int max_items = kDefaultMaxItems;
    if (req.QueryCount("maxItems") > 0) {
      // Query coercion as the reference's validator does it: Number(value), positive, floored,
      // capped at 100. A repeated parameter is an array, which is NaN.
      std::optional<double> n;
      if (req.QueryCount("maxItems") == 1) {
        n = JsNumber(*req.Query("maxItems"));
      }
      if (!n || std::isnan(*n)) {
        details.push_back({"maxItems", "Expected number, received nan"});
      } else if (*n <= 0) {
        details.push_back({"maxItems", "maxItems must be a positive number"});
      } else {
        double floored = std::floor(*n);
        max_items = floored >= kMaxMaxItems ? kMaxMaxItems : std::max(1, static_cast<int>(floored));
      }
    }
    std::optional<std::string> token;
    if (auto t = req.Query("nextPageToken")) {
      token = std::string(*t);
    }
    std::vector<std::string> fields;
    if (auto f = req.Query("fields")) {
      fields = SplitFieldList(*f);
    }
    if (!details.empty()) {
      co_return UnprocessableResponse(details);
    }
    auto page = co_await deps_.rooms.List(max_items, std::move(token));
    if (!page.ok()) {
      if (page.status().code() == StatusCode::kInvalidArgument) {
        co_return UnprocessableResponse({{"nextPageToken", "nextPageToken is not valid"}});
      }
      co_return DependencyFailureResponse(page.status(), "getting rooms");
    }
    const std::string base = deps_.base_url(req);
    Json rooms_json = Json::array();
    for (const auto& room : page->rooms) {
      rooms_json.push_back(ProjectFields(rooms::RoomToApiJson(room, base), fields));
    }
    Json pagination = Json::object();
    pagination["isTruncated"] = page->is_truncated;
    if (page->next_page_token) {
      pagination["nextPageToken"] = *page->next_page_token;
    }
    pagination["maxItems"] = max_items;
    co_return http::Response::MakeJson(
        200, Json{{"rooms", std::move(rooms_json)}, {"pagination", std::move(pagination)}});
  }

  Task<http::Response> GetOne(http::Request& req) {
    if (auto denied = deps_.auth.Check(req)) {
      co_return *denied;
    }
    auto id = PathRoomId(req);
    if (auto* bad = std::get_if<http::Response>(&id)) {
      co_return std::move(*bad);
    }
    const std::string& room_id = std::get<std::string>(id);
    auto room = co_await deps_.rooms.Get(room_id);
    if (!room.ok()) {
      co_return RoomFailure(room.status(), "getting room '" + room_id + "'");
    }
    std::vector<std::string> fields;
    if (auto f = req.Query("fields")) {
      fields = SplitFieldList(*f);
    }
    co_return http::Response::MakeJson(
        200, ProjectFields(rooms::RoomToApiJson(*room, deps_.base_url(req)), fields));
  }

  Task<http::Response> UpdateConfig(http::Request& req) {
    if (auto denied = deps_.auth.Check(req)) {
      co_return *denied;
    }
    auto id = PathRoomId(req);
    if (auto* bad = std::get_if<http::Response>(&id)) {
      co_return std::move(*bad);
    }
    const std::string& room_id = std::get<std::string>(id);
    auto body = ParseJsonBody(req.body);
    if (!body) {
      co_return MalformedBodyResponse();
    }
    auto valid = rooms::ValidateUpdateConfigBody(*body);
    if (!valid.value) {
      co_return UnprocessableResponse(ToDetails(valid.errors));
    }
    auto room = co_await deps_.rooms.UpdateConfig(room_id, std::move(*valid.value));
    if (!room.ok()) {
      co_return RoomFailure(room.status(), "updating room config for room '" + room_id + "'");
    }
    co_return http::Response::MakeJson(
        200, Json{{"message", "Room config for room '" + room_id + "' updated successfully"}});
  }

  Task<http::Response> DeleteOne(http::Request& req) {
    if (auto denied = deps_.auth.Check(req)) {
      co_return *denied;
    }
    auto id = PathRoomId(req);
    if (auto* bad = std::get_if<http::Response>(&id)) {
      co_return std::move(*bad);
    }
    const std::string& room_id = std::get<std::string>(id);
    std::vector<ValidationDetail> details;
    auto policies = ParsePolicies(req, details);
    if (!policies) {
      co_return UnprocessableResponse(details);
    }
    auto outcome =
        co_await deps_.rooms.Delete(room_id, policies->with_meeting, policies->with_recordings);
    if (!outcome.ok()) {
      co_return RoomFailure(outcome.status(), "deleting room '" + room_id + "'");
    }
    if (rooms::IsDeletionError(outcome->code)) {
      co_return http::Response::MakeError(409, rooms::WireName(outcome->code), outcome->message);
    }
    co_return http::Response::MakeJson(rooms::IsDeletionScheduled(outcome->code) ? 202 : 200,
                                       SuccessBody(*outcome, deps_.base_url(req)));
  }

  Task<http::Response> BulkDelete(http::Request& req) {
    if (auto denied = deps_.auth.Check(req)) {
      co_return *denied;
    }
    // roomIds: one comma list, or the parameter repeated (each value one id); each id sanitised,
    // empty results dropped, duplicates after sanitising removed (first occurrence kept).
    std::vector<std::string> raw;
    if (req.QueryCount("roomIds") == 1) {
      raw = SplitCommaList(*req.Query("roomIds"));
    } else {
      for (const auto& [k, v] : req.query) {
        if (k == "roomIds" && !v.empty()) {
          raw.push_back(v);
        }
      }
    }
    std::vector<std::string> ids;
    for (const auto& r : raw) {
      std::string id = recording::SanitizeRoomIdChars(r);
      if (!id.empty() && std::find(ids.begin(), ids.end(), id) == ids.end()) {
        ids.push_back(std::move(id));
      }
    }
    std::vector<ValidationDetail> details;
    if (ids.empty()) {
      details.push_back({"roomIds", "At least one valid roomId is required after sanitization"});
    }
    auto policies = ParsePolicies(req, details);
    if (!details.empty()) {
      co_return UnprocessableResponse(details);
    }
    auto entries = co_await deps_.rooms.BulkDelete(std::move(ids), policies->with_meeting,
                                                   policies->with_recordings);
    const std::string base = deps_.base_url(req);
    Json successful = Json::array();
    Json failed = Json::array();
    for (const auto& e : entries) {
      if (e.outcome.ok() && !rooms::IsDeletionError(e.outcome->code)) {
        Json item{{"roomId", e.room_id}};
        item.update(SuccessBody(*e.outcome, base));
        successful.push_back(std::move(item));
        continue;
      }
      Json item{{"roomId", e.room_id}};
      if (e.outcome.ok()) {
        item["error"] = rooms::WireName(e.outcome->code);
        item["message"] = e.outcome->message;
      } else {
        const Status& s = e.outcome.status();
        switch (s.code()) {
          case StatusCode::kNotFound:
            item["error"] = "Room Error";
            item["message"] = s.message();
            break;
          case StatusCode::kUnavailable:
          case StatusCode::kTimeout:
          case StatusCode::kDestination:
            item["error"] = "Storage Error";
            item["message"] = s.message();
            break;
          default:
            item["error"] = "Internal Server Error";
            item["message"] = "Unexpected error while deleting room '" + e.room_id + "'";
            break;
        }
      }
      failed.push_back(std::move(item));
    }
    if (failed.empty()) {
      co_return http::Response::MakeJson(
          200, Json{{"message", "All rooms successfully processed for deletion"},
                    {"successful", std::move(successful)}});
    }
    const std::string message =
        std::to_string(failed.size()) + " room(s) failed to process while deleting";
    co_return http::Response::MakeJson(400, Json{{"message", message},
                                                 {"successful", std::move(successful)},
                                                 {"failed", std::move(failed)}});
  }

 private:
  RoomRoutesDeps deps_;
};

}  // namespace

std::vector<RouteSpec> RoomRoutes(RoomRoutesDeps deps) {
  auto h = std::make_shared<RoomHandlers>(std::move(deps));
  auto bind = [h](Task<http::Response> (RoomHandlers::*fn)(http::Request&)) -> http::Handler {
    return [h, fn](http::Request& req) { return ((*h).*fn)(req); };
  };
  return {
      {"POST", "/api/v1/rooms", bind(&RoomHandlers::Create)},
      {"GET", "/api/v1/rooms", bind(&RoomHandlers::List)},
      {"DELETE", "/api/v1/rooms", bind(&RoomHandlers::BulkDelete)},
      {"GET", "/api/v1/rooms/:roomId", bind(&RoomHandlers::GetOne)},
      {"PUT", "/api/v1/rooms/:roomId/config", bind(&RoomHandlers::UpdateConfig)},
      {"DELETE", "/api/v1/rooms/:roomId", bind(&RoomHandlers::DeleteOne)},
  };
}

void AddRoomRoutes(http::Router& router, RoomRoutesDeps deps) {
  for (auto& route : RoomRoutes(std::move(deps))) {
    router.Add(std::move(route.method), std::move(route.pattern), std::move(route.handler));
  }
}

}  // namespace mr::api
