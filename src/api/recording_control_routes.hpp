#pragma once
// Start and stop (reference §2.3.1, §2.3.2; scope.md): both under the internal path of the
// reference and the public form later upstream versions use:
//   POST /internal-api/v1/recordings            and POST /api/v1/recordings            body {roomId}
//   POST /internal-api/v1/recordings/:id/stop   and POST /api/v1/recordings/:id/stop
// Authorised by the API key. The room of every check comes from the body of a start or the
// recording id of a stop, never from another body field (Q1).

#include <functional>
#include <string>

#include "api/auth.hpp"
#include "common/http/router.hpp"
#include "recording/lifecycle.hpp"

namespace mr::api {

struct RecordingControlDeps {
  recording::RecordingLifecycle* lifecycle = nullptr;
  const ApiKeyAuth* auth = nullptr;
  std::function<std::string(const http::Request&)> base_url;
};

void AddRecordingControlRoutes(http::Router& router, RecordingControlDeps deps);

// The response of a lifecycle error: its code as HTTP status, with the reference's error name
// ("Room Error" for a missing room, "Recording Error" otherwise, "Internal Server Error" for 500).
http::Response LifecycleErrorResponse(const Status& status);

}  // namespace mr::api
