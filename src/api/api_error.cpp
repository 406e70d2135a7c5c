#include "api/api_error.hpp"

#include "common/logging.hpp"

namespace mr::api {

http::Response UnprocessableResponse(const std::vector<ValidationDetail>& details) {
  Json arr = Json::array();
  for (const auto& d : details) {
    arr.push_back(Json{{"field", d.field}, {"message", d.message}});
  }
  return http::Response::MakeJson(
      422, Json{{"error", "Unprocessable Entity"}, {"message", "Invalid request"}, {"details", arr}});
}

http::Response UnexpectedResponse(std::string_view operation) {
  return http::Response::MakeError(500, "Internal Server Error",
                                   "Unexpected error while " + std::string(operation));
}

http::Response DependencyFailureResponse(const Status& status, std::string_view operation) {
  // The S3 store's messages start with "S3": its failures are answered as the reference names
  // them ("S3 Error"), the local disk's as "Storage Error".
  const char* label = status.message().rfind("S3", 0) == 0 ? "S3 Error" : "Storage Error";
  switch (status.code()) {
    case StatusCode::kUnavailable:
    case StatusCode::kTimeout:
      log::Warn("dependency unavailable", {{"operation", operation}, {"error", status.message()}});
      return http::Response::MakeError(503, label,
                                       "Storage is not available: " + status.message());
    case StatusCode::kDestination:
      log::Error("storage destination refused", {{"operation", operation}, {"error", status.message()}});
      return http::Response::MakeError(
          503, label,
          "Storage refused the request (check the bucket and credentials): " + status.message());
    default:
      log::Error("unexpected failure", {{"operation", operation}, {"error", status.ToString()}});
      return UnexpectedResponse(operation);
  }
}

http::Response PathNotFoundResponse() {
  return http::Response::MakeError(404, "Path Not Found", "API path not implemented");
}

http::Response MalformedBodyResponse() {
  return http::Response::MakeError(400, "Bad Request", "Malformed body");
}

}  // namespace mr::api
