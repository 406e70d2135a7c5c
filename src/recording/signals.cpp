#include "recording/signals.hpp"

namespace mr::recording {

std::string SignalTopic(RecordingStatus status) {
  switch (status) {
    case RecordingStatus::kStarting: return "recordingStarting";
    case RecordingStatus::kActive: return "recordingStarted";
    case RecordingStatus::kEnding: return "recordingStopping";
    case RecordingStatus::kComplete:
    case RecordingStatus::kLimitReached: return "recordingStopped";
    case RecordingStatus::kFailed:
    case RecordingStatus::kAborted: return "recordingFailed";
  }
  return "recordingFailed";
}

std::string SignalStatus(RecordingStatus status) {
  switch (status) {
    case RecordingStatus::kStarting: return "STARTING";
    case RecordingStatus::kActive: return "STARTED";
    case RecordingStatus::kEnding: return "STOPPING";
    case RecordingStatus::kComplete:
    case RecordingStatus::kLimitReached: return "READY";
    case RecordingStatus::kFailed:
    case RecordingStatus::kAborted: return "FAILED";
  }
  return "FAILED";
}

Json SignalPayload(const RecordingInfo& r) {
  Json j = Json::object();
  j["id"] = r.recording_id;
  j["roomName"] = r.room_id;
  j["roomId"] = r.room_id;
  j["status"] = SignalStatus(r.status);
  if (r.filename) {
    j["filename"] = *r.filename;
  }
  if (r.start_date) {
    j["startedAt"] = *r.start_date;
  }
  if (r.end_date) {
    j["endedAt"] = *r.end_date;
  }
  if (r.duration) {
    j["duration"] = *r.duration;
  }
  if (r.size) {
    j["size"] = *r.size;
  }
  if (r.error) {
    j["error"] = *r.error;
  }
  return j;
}

Signal RecordingSignal(const RecordingInfo& record) {
  return {SignalTopic(record.status), SignalPayload(record)};
}

Signal StartingSignal(const std::string& room_id) {
  return {"recordingStarting",
          Json{{"id", ""}, {"roomName", room_id}, {"roomId", room_id}, {"status", "STARTING"}}};
}

Signal NoEgressFailedSignal(const std::string& room_id) {
  return {"recordingFailed",
          Json{{"id", ""},
               {"roomName", room_id},
               {"roomId", room_id},
               {"status", "FAILED"},
               {"error",
                "No egress service was able to register a request. Check your CPU usage or if "
                "there's any Media Node with enough CPU. Remember that by default, composite "
                "recording uses 4 CPUs for each room."}}};
}

Signal RoomStatusSignal(const std::vector<RecordingInfo>& recordings) {
  Json list = Json::array();
  bool started = false;
  for (const auto& r : recordings) {
    list.push_back(SignalPayload(r));
    started = started || r.status == RecordingStatus::kActive;
  }
  return {"roomStatus", Json{{"isRecordingStarted", started}, {"recordingList", list}}};
}

}  // namespace mr::recording
