#include "recording/recording.hpp"

#include <cmath>

namespace mr::recording {
namespace {

// Reads a number that may be fractional (OpenVidu Meet writes ns/1e6 as a double).
std::optional<int64_t> ReadMs(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) {
    return std::nullopt;
  }
  return static_cast<int64_t>(std::floor(it->get<double>()));
}

std::optional<std::string> ReadString(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) {
    return std::nullopt;
  }
  return it->get<std::string>();
}

}  // namespace

Json RecordingToJson(const RecordingInfo& r) {
  Json j = Json::object();
  j["recordingId"] = r.recording_id;
  j["roomId"] = r.room_id;
  j["roomName"] = r.room_name;
  j["status"] = RecordingStatusName(r.status);
  if (r.filename) {
    j["filename"] = *r.filename;
  }
  if (r.start_date) {
    j["startDate"] = *r.start_date;
  }
  if (r.end_date) {
    j["endDate"] = *r.end_date;
  }
  if (r.duration) {
    j["duration"] = *r.duration;
  }
  if (r.size) {
    j["size"] = *r.size;
  }
  if (r.error_code) {
    j["errorCode"] = *r.error_code;
  }
  if (r.error) {
    j["error"] = *r.error;
  }
  if (r.details) {
    j["details"] = *r.details;
  }
  return j;
}

Result<RecordingInfo> RecordingFromJson(const Json& j) {
  if (!j.is_object()) {
    return InvalidArgumentError("recording metadata is not a JSON object");
  }
  RecordingInfo r;
  auto id = ReadString(j, "recordingId");
  auto room = ReadString(j, "roomId");
  auto status = ReadString(j, "status");
  if (!id || !room || !status) {
    return InvalidArgumentError("recording metadata lacks recordingId, roomId or status");
  }
  r.recording_id = std::move(*id);
  r.room_id = std::move(*room);
  r.room_name = ReadString(j, "roomName").value_or("");
  r.status = ParseRecordingStatus(*status).value_or(RecordingStatus::kFailed);
  r.filename = ReadString(j, "filename");
  r.start_date = ReadMs(j, "startDate");
  r.end_date = ReadMs(j, "endDate");
  if (auto it = j.find("duration"); it != j.end() && it->is_number()) {
    r.duration = it->get<double>();
  }
  if (auto it = j.find("size"); it != j.end() && it->is_number() && it->get<double>() >= 0) {
    r.size = it->get<uint64_t>();
  }
  if (auto it = j.find("errorCode"); it != j.end() && it->is_number()) {
    r.error_code = it->get<int64_t>();
  }
  r.error = ReadString(j, "error");
  r.details = ReadString(j, "details");
  return r;
}

Result<RecordingInfo> ParseRecordingJson(std::string_view text) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return InvalidArgumentError("recording metadata is not valid JSON");
  }
  return RecordingFromJson(j);
}

Json SecretsToJson(const AccessSecrets& s) {
  return Json{{"publicAccessSecret", s.public_access_secret},
              {"privateAccessSecret", s.private_access_secret}};
}

Result<AccessSecrets> ParseSecretsJson(std::string_view text) {
  Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return InvalidArgumentError("access secrets are not a JSON object");
  }
  auto pub = ReadString(j, "publicAccessSecret");
  auto priv = ReadString(j, "privateAccessSecret");
  if (!pub || !priv) {
    return InvalidArgumentError("access secrets lack a field");
  }
  return AccessSecrets{*pub, *priv};
}

}  // namespace mr::recording
