#include "recording/egress_record.hpp"

namespace mr::recording {

RecordingStatus StatusFromEgress(EgressStatus status) {
  switch (status) {
    case EgressStatus::kStarting: return RecordingStatus::kStarting;
    case EgressStatus::kActive: return RecordingStatus::kActive;
    case EgressStatus::kEnding: return RecordingStatus::kEnding;
    case EgressStatus::kComplete: return RecordingStatus::kComplete;
    case EgressStatus::kFailed: return RecordingStatus::kFailed;
    case EgressStatus::kAborted: return RecordingStatus::kAborted;
    case EgressStatus::kLimitReached: return RecordingStatus::kLimitReached;
  }
  return RecordingStatus::kFailed;
}

bool IsRecordingEgress(const EgressInfo& egress) {
  return !egress.file_results.empty() && egress.stream_result_count == 0;
}

bool IsInProgress(EgressStatus status) {
  return status == EgressStatus::kStarting || status == EgressStatus::kActive ||
         status == EgressStatus::kEnding;
}

std::optional<std::string> UidFromFilename(std::string_view filename) {
  const size_t sep = filename.find("--");
  if (sep == std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view rest = filename.substr(sep + 2);
  rest = rest.substr(0, rest.find('.'));
  if (rest.empty()) {
    return std::nullopt;
  }
  return std::string(rest);
}

namespace {

std::string LastSegment(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

std::optional<std::string> RecordingIdOfEgress(const EgressInfo& egress) {
  if (egress.file_results.empty()) {
    return std::nullopt;
  }
  auto uid = UidFromFilename(LastSegment(egress.file_results[0].filename));
  if (!uid || egress.room_name.empty() || egress.egress_id.empty()) {
    return std::nullopt;
  }
  return egress.room_name + "--" + egress.egress_id + "--" + *uid;
}

Result<RecordingInfo> RecordingFromEgress(const EgressInfo& egress, std::string room_name) {
  auto id = RecordingIdOfEgress(egress);
  if (!id) {
    return InvalidArgumentError("egress " + egress.egress_id + " has no recording file name");
  }
  const FileInfo& file = egress.file_results[0];
  RecordingInfo r;
  r.recording_id = *id;
  r.room_id = egress.room_name;
  r.room_name = room_name.empty() ? egress.room_name : std::move(room_name);
  r.status = StatusFromEgress(egress.status);
  r.filename = LastSegment(file.filename);
  const int64_t start_ns = egress.started_at_ns != 0 ? egress.started_at_ns : egress.updated_at_ns;
  r.start_date = start_ns / 1'000'000;
  if (egress.ended_at_ns != 0) {
    r.end_date = egress.ended_at_ns / 1'000'000;
  }
  if (file.duration_ns != 0) {
    r.duration = static_cast<double>(file.duration_ns) / 1e9;
  }
  if (file.size_bytes > 0) {
    r.size = static_cast<uint64_t>(file.size_bytes);
  }
  if (egress.error_code != 0) {
    r.error_code = egress.error_code;
  }
  if (!egress.error.empty()) {
    r.error = egress.error;
  }
  if (!egress.details.empty()) {
    r.details = egress.details;
  }
  return r;
}

RoomCompositeRequest CompositeRequestFor(const StorageLayout& layout, const std::string& room_id,
                                         const std::string& uid) {
  RoomCompositeRequest req;
  req.room_name = room_id;
  req.layout = "grid";
  req.file.filepath = layout.EgressFilepath(room_id, uid);
  req.file.file_type = EncodedFileType::kDefault;
  req.file.disable_manifest = true;
  return req;
}

}  // namespace mr::recording
