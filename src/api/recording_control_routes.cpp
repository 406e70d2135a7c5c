#include "api/recording_control_routes.hpp"

#include "api/api_error.hpp"
#include "api/request_parsing.hpp"
#include "common/logging.hpp"
#include "recording/ids.hpp"

namespace mr::api {
namespace {

using http::Request;
using http::Response;

// zod's name for a JSON type, as in "Expected string, received number".
std::string JsonTypeName(const Json& j) {
  if (j.is_null()) {
    return "null";
  }
  if (j.is_boolean()) {
    return "boolean";
  }
  if (j.is_number()) {
    return "number";
  }
  if (j.is_array()) {
    return "array";
  }
  if (j.is_object()) {
    return "object";
  }
  return "string";
}

}  // namespace

Response LifecycleErrorResponse(const Status& status) {
  const std::string& m = status.message();
  switch (status.code()) {
    case StatusCode::kNotFound:
      return Response::MakeError(404, m.rfind("Room '", 0) == 0 ? "Room Error" : "Recording Error", m);
    case StatusCode::kForbidden:
      return Response::MakeError(403, "Recording Error", m);
    case StatusCode::kConflict:
      return Response::MakeError(409, "Recording Error", m);
    case StatusCode::kTimeout:
      return Response::MakeError(503, "Recording Error", m);
    case StatusCode::kUnavailable:
      return Response::MakeError(503, "Service Unavailable", m);
    default:
      if (m.rfind("Unexpected error while ", 0) == 0) {
        return Response::MakeError(500, "Internal Server Error", m);
      }
      log::Error("recording control failed", {{"error", status.ToString()}});
      return UnexpectedResponse("processing the recording request");
  }
}

void AddRecordingControlRoutes(http::Router& router, RecordingControlDeps deps) {
  auto start = [deps](Request& req) -> Task<Response> {
    if (auto denied = deps.auth->Check(req)) {
      co_return *denied;
    }
    auto body = ParseJsonBody(req.body);
    if (!body || !body->is_object()) {
      co_return MalformedBodyResponse();
    }
    std::vector<ValidationDetail> details;
    std::optional<std::string> room_id;
    if (!body->contains("roomId")) {
      details.push_back({"roomId", "Required"});
    } else if (!(*body)["roomId"].is_string()) {
      details.push_back({"roomId", "Expected string, received " + JsonTypeName((*body)["roomId"])});
    } else {
      auto outcome = recording::SanitizeRoomId((*body)["roomId"].get<std::string>(), "roomId");
      if (outcome.value) {
        room_id = outcome.value;
      } else {
        for (auto& m : outcome.messages) {
          details.push_back({"roomId", m});
        }
      }
    }
    if (!room_id) {
      co_return UnprocessableResponse(details);
    }
    auto record = co_await deps.lifecycle->Start(*room_id);
    if (!record.ok()) {
      co_return LifecycleErrorResponse(record.status());
    }
    auto resp = Response::MakeJson(201, recording::RecordingToJson(*record));
    resp.SetHeader("Location", deps.base_url(req) + "/api/v1/recordings/" + record->recording_id);
    co_return resp;
  };
  auto stop = [deps](Request& req) -> Task<Response> {
    if (auto denied = deps.auth->Check(req)) {
      co_return *denied;
    }
    auto v = recording::ValidateRecordingId(req.Param("recordingId"));
    if (!v.id) {
      std::vector<ValidationDetail> details;
      details.push_back({"recordingId", v.message});
      co_return UnprocessableResponse(details);
    }
    auto record = co_await deps.lifecycle->Stop(*v.id);
    if (!record.ok()) {
      co_return LifecycleErrorResponse(record.status());
    }
    auto resp = Response::MakeJson(202, recording::RecordingToJson(*record));
    resp.SetHeader("Location", deps.base_url(req) + "/api/v1/recordings/" + *v.id);
    co_return resp;
  };
  router.Add("POST", "/internal-api/v1/recordings", start);
  router.Add("POST", "/api/v1/recordings", start);
  router.Add("POST", "/internal-api/v1/recordings/:recordingId/stop", stop);
  router.Add("POST", "/api/v1/recordings/:recordingId/stop", stop);
}

}  // namespace mr::api
