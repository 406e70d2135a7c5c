#pragma once
// The reference's error responses (reference §2.1): the {"error","message"} envelope, 422 with
// `details`, and the mapping of a Status from a lower layer to HTTP.

#include <string>
#include <string_view>
#include <vector>

#include "common/http/http.hpp"
#include "common/status.hpp"

namespace mr::api {

struct ValidationDetail {
  std::string field;    // Dotted path of the input, e.g. "params.recordingId", "recordingIds.1".
  std::string message;  // E.g. "recordingId does not follow the expected format".
};

// 422 {"error":"Unprocessable Entity","message":"Invalid request","details":[...]}.
http::Response UnprocessableResponse(const std::vector<ValidationDetail>& details);

// 500 {"error":"Internal Server Error","message":"Unexpected error while {operation}"}.
http::Response UnexpectedResponse(std::string_view operation);

// A failure from storage, LiveKit or another dependency:
//   kUnavailable / kTimeout -> 503 {"error":"Storage Error" (or `dependency`),"message":...}
//   kDestination            -> 503 with a configuration hint,
//   anything else           -> 500 UnexpectedResponse(operation).
// Never turns an outage into a 404 (scope.md Q6/Q12).
http::Response DependencyFailureResponse(const Status& status, std::string_view operation);

// 404 {"error":"Path Not Found","message":"API path not implemented"}.
http::Response PathNotFoundResponse();

// 400 {"error":"Bad Request","message":"Malformed body"}.
http::Response MalformedBodyResponse();

}  // namespace mr::api
