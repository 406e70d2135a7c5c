#pragma once
// HTTP routes of the rooms API (reference §2.3.12, scope.md "Rooms"), every one behind the API key:
//
//   POST   /api/v1/rooms                   create; 201 + Location: {baseUrl}/api/v1/rooms/{roomId}
//   GET    /api/v1/rooms                   list (maxItems, nextPageToken, fields)
//   DELETE /api/v1/rooms?roomIds=a,b       bulk delete (withMeeting, withRecordings)
//   GET    /api/v1/rooms/:roomId           get one (fields)
//   PUT    /api/v1/rooms/:roomId/config    replace the config
//   DELETE /api/v1/rooms/:roomId           delete one (withMeeting, withRecordings)
//
// Answers: validation failures 422 with `details`; a malformed JSON body 400 "Malformed body"; a
// missing room 404 {"error":"Room Error","message":"Room '{roomId}' does not exist"}; a deletion
// refused by policy 409 {"error": code, "message": ...}; storage failures 503 (never 404) through
// DependencyFailureResponse. Shapes and messages are listed in docs/rooms.md.
// Thread safety: the handlers keep no state of their own; see RoomService.

#include <functional>
#include <string>
#include <vector>

#include "api/auth.hpp"
#include "common/http/http.hpp"
#include "common/http/router.hpp"
#include "common/clock.hpp"
#include "rooms/room_service.hpp"

namespace mr::api {

struct RoomRoutesDeps {
  rooms::RoomService& rooms;
  const ApiKeyAuth& auth;
  // The base URL (scheme://host[:port], no trailing slash) for absolute URLs in responses:
  // MEET_BASE_URL, else the request's own Host (scope.md, Q14).
  std::function<std::string(const http::Request&)> base_url;
  // "Now" for the autoDeletionDate bound.
  const Clock& clock;
};

struct RouteSpec {
  std::string method;
  std::string pattern;
  http::Handler handler;
};

// The routes above, in registration order. The referenced deps must outlive the handlers.
std::vector<RouteSpec> RoomRoutes(RoomRoutesDeps deps);

// Registers RoomRoutes(deps) on `router`.
void AddRoomRoutes(http::Router& router, RoomRoutesDeps deps);

}  // namespace mr::api
