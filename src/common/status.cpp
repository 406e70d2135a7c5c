#include "common/status.hpp"

namespace mr {

const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kInvalidArgument: return "INVALID_ARGUMENT";
    case StatusCode::kUnprocessable: return "UNPROCESSABLE";
    case StatusCode::kUnauthorized: return "UNAUTHORIZED";
    case StatusCode::kForbidden: return "FORBIDDEN";
    case StatusCode::kNotFound: return "NOT_FOUND";
    case StatusCode::kConflict: return "CONFLICT";
    case StatusCode::kPreconditionFailed: return "PRECONDITION_FAILED";
    case StatusCode::kRangeNotSatisfiable: return "RANGE_NOT_SATISFIABLE";
    case StatusCode::kUnavailable: return "UNAVAILABLE";
    case StatusCode::kTimeout: return "TIMEOUT";
    case StatusCode::kDestination: return "DESTINATION";
    case StatusCode::kInternal: return "INTERNAL";
  }
  return "UNKNOWN";
}

std::string Status::ToString() const {
  if (ok()) {
    return "OK";
  }
  return std::string(StatusCodeName(code_)) + ": " + message_;
}

}  // namespace mr
