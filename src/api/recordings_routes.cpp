#include "api/recordings_routes.hpp"

#include <cmath>
#include <set>

#include "api/api_error.hpp"
#include "api/request_parsing.hpp"
#include "api/zip_stream.hpp"
#include "common/logging.hpp"
#include "recording/ids.hpp"

namespace mr::api {
namespace {

using http::Request;
using http::Response;
using recording::RecordingInfo;
using recording::RecordingStatus;

constexpr size_t kDefaultMaxItems = 10;
constexpr size_t kMaxMaxItems = 100;
constexpr size_t kStreamChunk = 256 * 1024;

Response RecordingError(int status, const std::string& message) {
  return Response::MakeError(status, "Recording Error", message);
}

Response NotFound(const std::string& id) {
  return RecordingError(404, "Recording '" + id + "' not found");
}

// Validates the path recordingId; on failure, appends a detail with `field`.
std::optional<std::string> ValidatePathId(const Request& req, const std::string& field,
                                          std::vector<ValidationDetail>& details) {
  auto v = recording::ValidateRecordingId(req.Param("recordingId"));
  if (!v.id) {
    details.push_back({field, v.message});
  }
  return v.id;
}

// `recordingIds` of bulk delete and download (reference §2.3.4).
std::optional<std::vector<std::string>> ValidateIdList(const Request& req,
                                                       std::vector<ValidationDetail>& details) {
  std::vector<std::string> raw;
  if (req.QueryCount("recordingIds") == 1) {
    raw = SplitCommaList(*req.Query("recordingIds"));
  }
  if (raw.empty()) {
    details.push_back({"recordingIds", "recordingIds must contain at least one item"});
    return std::nullopt;
  }
  std::vector<std::string> ids;
  for (size_t i = 0; i < raw.size(); ++i) {
    auto v = recording::ValidateRecordingId(raw[i]);
    if (!v.id) {
      details.push_back({"recordingIds." + std::to_string(i), v.message});
    } else {
      ids.push_back(*v.id);
    }
  }
  if (!details.empty()) {
    return std::nullopt;
  }
  return ids;
}

enum class SecretAccess { kNone, kGranted };

class RecordingRoutes : public std::enable_shared_from_this<RecordingRoutes> {
 public:
  explicit RecordingRoutes(RecordingRoutesDeps deps) : d_(std::move(deps)) {}

  // Secret-based access (reference §2.2.4) or the API key. The private secret needs an
  // authenticated user in the reference; users are out of scope, so here it needs the API key.
  Task<std::optional<Response>> Authorize(const Request& req, const std::string& id) {
    auto secret = req.Query("secret");
    if (!secret || secret->empty()) {
      co_return d_.auth->Check(req);
    }
    auto secrets = co_await d_.catalogue->GetSecrets(id);
    if (!secrets.ok()) {
      co_return DependencyFailureResponse(secrets.status(), "retrieving recording secrets");
    }
    if (!secrets->has_value()) {
      co_return NotFound(id);
    }
    if (*secret == (*secrets)->public_access_secret) {
      co_return std::nullopt;
    }
    if (*secret == (*secrets)->private_access_secret) {
      co_return d_.auth->Check(req);
    }
    co_return RecordingError(400, "Secret '" + std::string(*secret) +
                                      "' is not recognized for recording '" + id + "'");
  }

  Task<Response> List(Request& req) {
    if (auto r = d_.auth->Check(req)) {
      co_return *r;
    }
    std::vector<ValidationDetail> details;
    recording::RecordingListQuery q;
    q.limit = kDefaultMaxItems;
    if (req.QueryCount("maxItems") > 1) {
      details.push_back({"maxItems", "Expected number, received nan"});
    } else if (auto m = req.Query("maxItems")) {
      auto n = JsNumber(*m);
      if (!n || std::isnan(*n)) {
        details.push_back({"maxItems", "Expected number, received nan"});
      } else if (*n <= 0) {
        details.push_back({"maxItems", "maxItems must be a positive number"});
      } else {
        double f = std::floor(*n);
        q.limit = f >= static_cast<double>(kMaxMaxItems) ? kMaxMaxItems
                                                         : std::max<size_t>(1, static_cast<size_t>(f));
      }
    }
    if (req.QueryCount("roomId") > 1) {
      details.push_back({"roomId", "Expected string, received array"});
    } else if (auto room = req.Query("roomId")) {
      auto s = recording::SanitizeRoomId(*room, "roomId");
      for (auto& m : s.messages) {
        details.push_back({"roomId", m});
      }
      q.room_id = s.value;
    }
    if (req.QueryCount("nextPageToken") > 1) {
      details.push_back({"nextPageToken", "Expected string, received array"});
    } else if (auto t = req.Query("nextPageToken"); t && !t->empty() && *t != "undefined") {
      auto cursor = recording::CatalogueIndex::DecodeCursor(*t);
      if (!cursor) {
        details.push_back({"nextPageToken", "Invalid page token"});
      }
      q.after = cursor;
    }
    std::vector<std::string> fields;
    if (req.QueryCount("fields") > 1) {
      details.push_back({"fields", "Expected string, received array"});
    } else if (auto f = req.Query("fields")) {
      fields = SplitFieldList(*f);
    }
    if (req.QueryCount("status") > 1) {
      details.push_back({"status", "Expected string, received array"});
    } else if (auto st = req.Query("status")) {
      for (const auto& name : SplitCommaList(*st)) {
        auto s = recording::ParseRecordingStatus(name);
        if (!s) {
          details.push_back({"status", "Invalid status '" + name +
                                           "'. Expected one of: starting, active, ending, "
                                           "complete, failed, aborted, limit_reached"});
        } else {
          q.statuses.push_back(*s);
        }
      }
    }
    for (const char* name : {"startDateFrom", "startDateTo"}) {
      if (req.QueryCount(name) > 1) {
        details.push_back({name, "Expected number, received array"});
        continue;
      }
      auto v = req.Query(name);
      if (!v) {
        continue;
      }
      auto n = JsNumber(*v);
      if (!n || std::isnan(*n) || std::isinf(*n) || *n < 0 || v->empty()) {
        details.push_back({name, std::string(name) + " must be a date in milliseconds since the epoch"});
        continue;
      }
      auto ms = static_cast<int64_t>(std::floor(*n));
      (std::string_view(name) == "startDateFrom" ? q.start_from_ms : q.start_to_ms) = ms;
    }
    if (!details.empty()) {
      co_return UnprocessableResponse(details);
    }
    const size_t max_items = q.limit;
    auto page = co_await d_.catalogue->List(std::move(q));
    if (!page.ok()) {
      co_return DependencyFailureResponse(page.status(), "getting recordings");
    }
    Json items = Json::array();
    for (const auto& r : page->recordings) {
      items.push_back(ProjectFields(recording::RecordingToJson(r), fields));
    }
    Json pagination = Json::object();
    pagination["isTruncated"] = page->next_page_token.has_value();
    if (page->next_page_token) {
      pagination["nextPageToken"] = *page->next_page_token;
    }
    pagination["maxItems"] = max_items;
    co_return Response::MakeJson(200, Json{{"recordings", items}, {"pagination", pagination}});
  }

  Task<Response> GetOne(Request& req) {
    std::vector<ValidationDetail> details;
    auto id = ValidatePathId(req, "params.recordingId", details);
    if (!id) {
      co_return UnprocessableResponse(details);
    }
    if (auto r = co_await Authorize(req, *id)) {
      co_return *r;
    }
    auto rec = co_await d_.catalogue->Get(*id);
    if (!rec.ok()) {
      co_return DependencyFailureResponse(rec.status(), "getting recording '" + *id + "'");
    }
    if (!rec->has_value()) {
      co_return NotFound(*id);
    }
    std::vector<std::string> fields;
    for (const auto& [k, v] : req.query) {
      if (k == "fields") {
        for (auto& f : SplitFieldList(v)) {
          fields.push_back(std::move(f));
        }
      }
    }
    co_return Response::MakeJson(200, ProjectFields(recording::RecordingToJson(**rec), fields));
  }

  Task<Response> DeleteOne(Request& req) {
    if (auto r = d_.auth->Check(req)) {
      co_return *r;
    }
    std::vector<ValidationDetail> details;
    auto id = ValidatePathId(req, "recordingId", details);
    if (!id) {
      co_return UnprocessableResponse(details);
    }
    const std::string op = "deleting recording '" + *id + "'";
    auto rec = co_await d_.catalogue->Get(*id);
    if (!rec.ok()) {
      co_return DependencyFailureResponse(rec.status(), op);
    }
    if (!rec->has_value()) {
      co_return NotFound(*id);
    }
    if (!recording::IsFinished((*rec)->status)) {
      co_return RecordingError(409, "Recording '" + *id + "' is not stopped yet");
    }
    std::vector<std::string> ids{*id};
    Status s = co_await d_.catalogue->Delete(std::move(ids));
    if (!s.ok()) {
      co_return DependencyFailureResponse(s, op);
    }
    std::set<std::string> rooms{(*rec)->room_id};
    co_await CleanUpRooms(rooms);
    log::Info("recording deleted", {{"recordingId", *id}});
    co_return Response::MakeJson(200, Json{{"message", "Recording '" + *id + "' deleted successfully"}});
  }

  Task<void> CleanUpRooms(const std::set<std::string>& rooms) {
    for (const auto& room : rooms) {
      Status s = co_await d_.catalogue->CleanUpRoomMetadata(room);
      if (!s.ok()) {
        // The archived metadata outlives its last recording; harmless, and retried on the
        // next deletion in the room.
        log::Warn("room metadata clean-up failed", {{"roomId", room}, {"error", s.ToString()}});
      }
    }
  }

  Task<Response> BulkDelete(Request& req) {
    if (auto r = d_.auth->Check(req)) {
      co_return *r;
    }
    std::vector<ValidationDetail> details;
    auto ids = ValidateIdList(req, details);
    if (!ids) {
      co_return UnprocessableResponse(details);
    }
    std::vector<std::string> eligible;
    std::set<std::string> eligible_set;
    std::set<std::string> rooms;
    Json failed = Json::array();
    for (const auto& id : *ids) {
      auto rec = co_await d_.catalogue->Get(id);
      if (!rec.ok()) {
        // An outage aborts the whole request before anything is deleted (scope.md, Q12).
        co_return DependencyFailureResponse(rec.status(), "deleting recordings");
      }
      if (!rec->has_value()) {
        failed.push_back(Json{{"recordingId", id}, {"error", "Recording '" + id + "' not found"}});
      } else if (!recording::IsFinished((*rec)->status)) {
        failed.push_back(
            Json{{"recordingId", id}, {"error", "Recording '" + id + "' is not stopped yet"}});
      } else if (eligible_set.insert(id).second) {
        eligible.push_back(id);
        rooms.insert((*rec)->room_id);
      }
    }
    if (!eligible.empty()) {
      Status s = co_await d_.catalogue->Delete(eligible);
      if (!s.ok()) {
        co_return DependencyFailureResponse(s, "deleting recordings");
      }
      co_await CleanUpRooms(rooms);
    }
    if (failed.empty() && !eligible.empty()) {
      co_return Response::MakeJson(
          200, Json{{"message", "All recordings deleted successfully"}, {"deleted", eligible}});
    }
    co_return Response::MakeJson(
        400, Json{{"message", std::to_string(failed.size()) + " recording(s) could not be deleted"},
                  {"deleted", eligible},
                  {"failed", failed}});
  }

  Task<Response> Url(Request& req) {
    if (auto r = d_.auth->Check(req)) {
      co_return *r;
    }
    std::vector<ValidationDetail> details;
    auto id = ValidatePathId(req, "params.recordingId", details);
    bool private_access = false;
    if (req.QueryCount("privateAccess") > 1) {
      details.push_back({"query.privateAccess", "Expected boolean, received array"});
    } else if (auto p = req.Query("privateAccess")) {
      std::string lower(*p);
      for (auto& c : lower) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      private_access = lower == "true";
    }
    if (!details.empty()) {
      co_return UnprocessableResponse(details);
    }
    auto secrets = co_await d_.catalogue->GetSecrets(*id);
    if (!secrets.ok()) {
      co_return DependencyFailureResponse(secrets.status(), "getting URL for recording '" + *id + "'");
    }
    if (!secrets->has_value()) {
      co_return NotFound(*id);
    }
    const std::string& secret =
        private_access ? (*secrets)->private_access_secret : (*secrets)->public_access_secret;
    co_return Response::MakeJson(
        200, Json{{"url", d_.base_url(req) + "/recording/" + *id + "?secret=" + secret}});
  }

  // Opens the media of a complete recording: the record must exist and be complete, and the
  // media object must exist. On failure returns the response to send.
  struct OpenMedia {
    RecordingInfo record;
    uint64_t size = 0;
  };
  Task<std::variant<OpenMedia, Response>> CheckMedia(const std::string& id) {
    const std::string op = "streaming recording '" + id + "'";
    auto rec = co_await d_.catalogue->Get(id);
    if (!rec.ok()) {
      co_return DependencyFailureResponse(rec.status(), op);
    }
    if (!rec->has_value()) {
      co_return NotFound(id);
    }
    if ((*rec)->status != RecordingStatus::kComplete) {
      co_return RecordingError(409, "Recording '" + id + "' is not stopped yet");
    }
    auto parts = recording::ParseRecordingId(id);
    auto head = co_await d_.catalogue->store().Head(d_.catalogue->layout().MediaKey(*parts));
    if (!head.ok()) {
      if (head.status().code() == StatusCode::kNotFound) {
        co_return NotFound(id);  // Scope.md, Q7: a missing media file is a 404.
      }
      co_return DependencyFailureResponse(head.status(), "getting object headers");
    }
    if (head->size == 0) {
      co_return NotFound(id);
    }
    co_return OpenMedia{std::move(**rec), head->size};
  }

  Task<Response> Media(Request& req) {
    std::vector<ValidationDetail> details;
    auto id = ValidatePathId(req, "params.recordingId", details);
    std::optional<RangeSpec> range;
    if (auto h = req.Header("range")) {
      range = ParseRangeHeader(*h);
      if (!range) {
        details.push_back({"headers.range", "Invalid range header format. Expected: bytes=start-end"});
      }
    }
    if (!details.empty()) {
      co_return UnprocessableResponse(details);
    }
    if (auto r = co_await Authorize(req, *id)) {
      co_return *r;
    }
    auto checked = co_await CheckMedia(*id);
    if (auto* resp = std::get_if<Response>(&checked)) {
      co_return std::move(*resp);
    }
    const uint64_t size = std::get<OpenMedia>(checked).size;
    std::optional<recording::ByteRange> byte_range;
    if (range) {
      auto resolved = ResolveRange(*range, size);
      if (!resolved) {
        Response r = RecordingError(416, "Recording '" + *id +
                                             "' range not satisfiable. File size: " +
                                             std::to_string(size));
        r.SetHeader("Content-Range", "bytes */" + std::to_string(size));
        co_return r;
      }
      byte_range = recording::ByteRange{resolved->first, resolved->last};
    }
    auto parts = recording::ParseRecordingId(*id);
    auto reader = co_await d_.catalogue->store().Open(d_.catalogue->layout().MediaKey(*parts),
                                                      byte_range);
    if (!reader.ok()) {
      if (reader.status().code() == StatusCode::kNotFound) {
        co_return NotFound(*id);
      }
      co_return DependencyFailureResponse(reader.status(), "streaming recording '" + *id + "'");
    }
    Response resp;
    resp.status = byte_range ? 206 : 200;
    resp.SetHeader("Accept-Ranges", "bytes");
    resp.SetHeader("Content-Type", "video/mp4");
    resp.SetHeader("Cache-Control", "public, max-age=3600");
    if (byte_range) {
      resp.SetHeader("Content-Range", "bytes " + std::to_string(byte_range->first) + "-" +
                                          std::to_string(byte_range->last) + "/" +
                                          std::to_string(size));
    }
    resp.stream_length = byte_range ? byte_range->length() : size;
    std::shared_ptr<recording::ObjectReader> shared(std::move(*reader));
    resp.stream = [shared](http::BodyWriter& out) -> Task<Status> {
      if (auto file = shared->LocalFile()) {
        co_return co_await out.SendFile(file->fd, file->offset, file->length);
      }
      std::string buf(kStreamChunk, '\0');
      while (true) {
        auto n = co_await shared->Read(std::span<char>(buf.data(), buf.size()));
        if (!n.ok()) {
          co_return n.status();
        }
        if (*n == 0) {
          co_return Status::Ok();
        }
        Status s = co_await out.Write(std::string_view(buf.data(), *n));
        if (!s.ok()) {
          co_return s;
        }
      }
    };
    co_return resp;
  }

  Task<Response> Download(Request& req) {
    if (auto r = d_.auth->Check(req)) {
      co_return *r;
    }
    std::vector<ValidationDetail> details;
    auto ids = ValidateIdList(req, details);
    if (!ids) {
      co_return UnprocessableResponse(details);
    }
    Response resp;
    resp.status = 200;
    resp.SetHeader("Content-Type", "application/zip");
    resp.SetHeader("Content-Disposition", "attachment; filename=\"recordings.zip\"");
    auto self = shared_from_this();
    auto id_list = std::make_shared<std::vector<std::string>>(std::move(*ids));
    resp.stream = [self, id_list](http::BodyWriter& out) -> Task<Status> {
      ZipStreamWriter zip(out);
      for (const auto& id : *id_list) {
        Status s = co_await self->AddZipEntry(zip, id);
        if (!s.ok()) {
          co_return s;  // The client went away or storage failed mid-entry: end the response.
        }
      }
      co_return co_await zip.Finish();
    };
    co_return resp;
  }

 private:
  // Appends one recording to the archive. A recording that cannot be added (missing, not
  // complete, no media) is logged and skipped, as the reference does; an error once the entry has
  // begun is returned, because the archive can no longer be completed correctly.
  Task<Status> AddZipEntry(ZipStreamWriter& zip, const std::string& id) {
    auto checked = co_await CheckMedia(id);
    if (std::holds_alternative<Response>(checked)) {
      log::Warn("recording skipped in ZIP download",
                {{"recordingId", id}, {"status", std::get<Response>(checked).status}});
      co_return Status::Ok();
    }
    auto& media = std::get<OpenMedia>(checked);
    auto parts = recording::ParseRecordingId(id);
    auto reader = co_await d_.catalogue->store().Open(d_.catalogue->layout().MediaKey(*parts),
                                                      std::nullopt);
    if (!reader.ok()) {
      log::Warn("recording skipped in ZIP download",
                {{"recordingId", id}, {"error", reader.status().ToString()}});
      co_return Status::Ok();
    }
    const uint64_t size = (*reader)->object_size();
    std::string name = media.record.filename.value_or(id + ".mp4");
    Status s = co_await zip.BeginEntry(name, size);
    std::string buf(kStreamChunk, '\0');
    while (s.ok()) {
      auto n = co_await (*reader)->Read(std::span<char>(buf.data(), buf.size()));
      if (!n.ok()) {
        co_return n.status();
      }
      if (*n == 0) {
        break;
      }
      s = co_await zip.WriteData(std::string_view(buf.data(), *n));
    }
    if (!s.ok()) {
      co_return s;
    }
    co_return co_await zip.EndEntry();
  }

  RecordingRoutesDeps d_;
};

}  // namespace

void AddRecordingRoutes(http::Router& router, RecordingRoutesDeps deps) {
  auto routes = std::make_shared<RecordingRoutes>(std::move(deps));
  auto bind = [routes](Task<http::Response> (RecordingRoutes::*fn)(http::Request&)) {
    return [routes, fn](http::Request& req) { return ((*routes).*fn)(req); };
  };
  router.Add("GET", "/api/v1/recordings", bind(&RecordingRoutes::List));
  router.Add("DELETE", "/api/v1/recordings", bind(&RecordingRoutes::BulkDelete));
  router.Add("GET", "/api/v1/recordings/download", bind(&RecordingRoutes::Download));
  router.Add("GET", "/api/v1/recordings/:recordingId", bind(&RecordingRoutes::GetOne));
  router.Add("DELETE", "/api/v1/recordings/:recordingId", bind(&RecordingRoutes::DeleteOne));
  router.Add("GET", "/api/v1/recordings/:recordingId/media", bind(&RecordingRoutes::Media));
  router.Add("GET", "/api/v1/recordings/:recordingId/url", bind(&RecordingRoutes::Url));
}

}  // namespace mr::api
