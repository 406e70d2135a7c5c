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
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto ids = co_await catalogue_.RoomRecordingIds(room_id);
    if (!ids.ok()) {
      co_return ids.status();
    }
    if (ids->empty()) {
      break;
    }
    for (const auto& id : *ids) {
      auto rec = co_await catalogue_.Get(id);
      if (!rec.ok()) {
        co_return rec.status();
      }
      if (rec->has_value() && !recording::IsFinished((*rec)->status)) {
        (*rec)->status = recording::RecordingStatus::kAborted;
        Status s = co_await catalogue_.Save(std::move(**rec));
        if (!s.ok()) {
          co_return s;
        }
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

}  // namespace mr::app
