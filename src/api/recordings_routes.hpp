#pragma once
// The recordings catalogue API (reference §2.3.3–2.3.9, with scope.md's fixes):
//   GET    /api/v1/recordings                 list (maxItems, nextPageToken, roomId, fields,
//                                             status, startDateFrom, startDateTo)
//   DELETE /api/v1/recordings?recordingIds=   bulk delete
//   GET    /api/v1/recordings/download        ZIP of several recordings (streamed, stored)
//   GET    /api/v1/recordings/:recordingId    one record (fields, secret)
//   DELETE /api/v1/recordings/:recordingId    delete one
//   GET    /api/v1/recordings/:recordingId/media   the MP4, with Range (zero-copy from disk)
//   GET    /api/v1/recordings/:recordingId/url     shareable URL (privateAccess)
// Every route needs the API key, except get-one and media with a valid `secret`.

#include <functional>
#include <string>

#include "api/auth.hpp"
#include "common/http/http.hpp"
#include "common/http/router.hpp"
#include "recording/recording_catalogue.hpp"

namespace mr::api {

struct RecordingRoutesDeps {
  recording::RecordingCatalogue* catalogue = nullptr;
  const ApiKeyAuth* auth = nullptr;
  // The base URL for absolute links: MEET_BASE_URL, else the request's own scheme and Host.
  std::function<std::string(const http::Request&)> base_url;
};

void AddRecordingRoutes(http::Router& router, RecordingRoutesDeps deps);

}  // namespace mr::api
