#include "app/room_recordings_adapter.hpp"

#include "common/logging.hpp"

namespace mr::app {

Json ArchivedRoomMetadata(const rooms::Room& room) {
  Json recording = Json::object();
  recording["enabled"] = room.config.recording.enabled;
  if (room.config.recording.allow_access_to) {
    recording["allowAccessTo"] = rooms::WireName(*room.config.recording.allow_access_to);
  }
  return Json{{"moderatorUrl", room.moderator_url},
              {"speakerUrl", room.speaker_url},
              {"config", Json{{"recording", recording}}}};
}

Task<Result<bool>> CatalogueRoomRecordings::HasRecordings(std::string room_id) {
  co_return co_await catalogue_.RoomHasRecordings(std::move(room_id));
}

Task<Status> CatalogueRoomRecordings::DeleteAllRecordings(std::string room_id) {
  Status stopped = co_await lifecycle_.StopRoomEgresses(room_id);
  if (!stopped.ok()) {
    co_return stopped;
  }
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (attempt > 0) {
      co_await SleepFor(timers_, Millis(1000 * attempt));
    }
    auto ids = co_await catalogue_.RoomRecordingIds(room_id);
    if (!ids.ok()) {
      co_return ids.status();
    }
    if (ids->empty()) {
      break;
    }
    for (const auto& id : *ids) {
      // Through the state machine: only records that are not finished become aborted.
      Status s = co_await lifecycle_.MarkFinished(id, recording::RecordingStatus::kAborted,
                                                  "Room deleted");
      if (!s.ok() && s.code() != StatusCode::kNotFound) {
        log::Warn("recording not marked aborted", {{"recordingId", id}, {"error", s.ToString()}});
      }
    }
    Status s = co_await catalogue_.Delete(*ids);
    if (s.ok()) {
      break;
    }
    log::Warn("deleting room recordings failed; retrying",
              {{"roomId", room_id}, {"attempt", attempt + 1}, {"error", s.ToString()}});
    if (attempt == 2) {
      co_return Status(s.code(), "Failed to delete all recordings for room '" + room_id +
                                     "': " + s.message());
    }
  }
  co_return co_await catalogue_.CleanUpRoomMetadata(room_id);
}

Task<Status> CatalogueRoomRecordings::RefreshArchivedMetadata(const rooms::Room& room) {
  const std::string key = catalogue_.layout().RoomMetadataKey(room.room_id);
  auto head = co_await catalogue_.store().Head(key);
  if (!head.ok()) {
    if (head.status().code() == StatusCode::kNotFound) {
      co_return Status::Ok();  // Only refreshed when an archived copy exists (reference §1.9).
    }
    co_return head.status();
  }
  co_return co_await catalogue_.store().Put(key, ArchivedRoomMetadata(room).dump());
}

Task<Result<std::optional<recording::RoomFacts>>> RepoRoomDirectory::Find(std::string room_id) {
  auto room = co_await repo_.Get(std::move(room_id));
  if (!room.ok()) {
    co_return room.status();
  }
  if (!room->has_value()) {
    co_return std::optional<recording::RoomFacts>();
  }
  recording::RoomFacts facts;
  facts.room_name = (*room)->room_name;
  facts.recording_enabled = (*room)->config.recording.enabled;
  co_return std::optional<recording::RoomFacts>(std::move(facts));
}

Task<Status> RepoRoomDirectory::ArchiveRoomMetadata(std::string room_id) {
  auto room = co_await repo_.Get(room_id);
  if (!room.ok()) {
    co_return room.status();
  }
  if (!room->has_value()) {
    co_return Status::Ok();  // The last archive stays (scope.md, Q5).
  }
  co_return co_await catalogue_.store().Put(catalogue_.layout().RoomMetadataKey(room_id),
                                            ArchivedRoomMetadata(**room).dump());
}

Task<Status> LiveKitMeetingControl::EndMeeting(std::string room_id) {
  Status s = co_await livekit_.DeleteRoom(std::move(room_id));
  if (s.code() == StatusCode::kNotFound) {
    co_return Status::Ok();
  }
  co_return s;
}

}  // namespace mr::app
