#include "rooms/room_service.hpp"

#include "common/logging.hpp"

namespace mr::rooms {

Status RoomNotFoundError(std::string_view room_id) {
  return NotFoundError("Room '" + std::string(room_id) + "' does not exist");
}

RoomService::RoomService(RoomRepo& repo, RoomRecordings& recordings, MeetingControl& meetings,
                         const Clock& clock, Random& random)
    : repo_(repo), recordings_(recordings), meetings_(meetings), clock_(clock), random_(random) {}

Task<Result<Room>> RoomService::Create(CreateRoomRequest request) {
  Room room;
  room.room_id = RoomIdPrefix(request.room_name) + "-" +
                 random_.SecureString(kRoomIdSuffixLength, std::string(kRoomIdSuffixAlphabet));
  room.room_name = std::move(request.room_name);
  room.creation_date_ms = clock_.NowMs();
  room.auto_deletion_date_ms = request.auto_deletion_date_ms;
  if (room.auto_deletion_date_ms) {
    room.auto_deletion_policy = request.auto_deletion_policy;
  }
  room.config = std::move(request.config);
  room.moderator_url = RoomAccessPath(room.room_id, random_.SecureHex(kRoomSecretLength));
  room.speaker_url = RoomAccessPath(room.room_id, random_.SecureHex(kRoomSecretLength));
  Status saved = co_await repo_.Save(room);
  if (!saved.ok()) {
    co_return saved;
  }
  log::Info("room created", {{"roomId", room.room_id}});
  co_return room;
}

Task<Result<Room>> RoomService::Load(const std::string& room_id) {
  auto found = co_await repo_.Get(room_id);
  if (!found.ok()) {
    co_return found.status();
  }
  if (!found->has_value()) {
    co_return RoomNotFoundError(room_id);
  }
  co_return std::move(**found);
}

Task<Result<Room>> RoomService::Get(std::string room_id) { co_return co_await Load(room_id); }

Task<Result<RoomPage>> RoomService::List(int max_items, std::optional<std::string> page_token) {
  co_return co_await repo_.List(max_items, std::move(page_token));
}

Task<Result<Room>> RoomService::UpdateConfig(std::string room_id, RoomConfig config) {
  auto room = co_await Load(room_id);
  if (!room.ok()) {
    co_return room.status();
  }
  // Unknown stored config keys (e.g. a newer Meet's `e2ee`) survive a config replacement.
  config.extra = room->config.extra;
  config.recording.extra = room->config.recording.extra;
  room->config = std::move(config);
  Status saved = co_await repo_.Save(*room);
  if (!saved.ok()) {
    co_return saved;
  }
  Status refreshed = co_await recordings_.RefreshArchivedMetadata(*room);
  if (!refreshed.ok()) {
    co_return refreshed;
  }
  co_return std::move(*room);
}

Task<Result<DeletionOutcome>> RoomService::Delete(std::string room_id, WithMeeting with_meeting,
                                                  WithRecordings with_recordings) {
  auto loaded = co_await Load(room_id);
  if (!loaded.ok()) {
    co_return loaded.status();
  }
  Room room = std::move(*loaded);
  const bool active = room.status == RoomStatus::kActiveMeeting;
  auto has_recordings = co_await recordings_.HasRecordings(room_id);
  if (!has_recordings.ok()) {
    // Deliberate deviation: the reference counts a failed check as "no recordings" and deletes.
    const Status& s = has_recordings.status();
    StatusCode code = (s.code() == StatusCode::kDestination || s.code() == StatusCode::kTimeout)
                          ? s.code()
                          : StatusCode::kUnavailable;
    co_return Status(code, "could not check the recordings of room '" + room_id +
                               "', so it was not deleted: " + s.message());
  }
  const DeletionDecision decision =
      DecideRoomDeletion(active, *has_recordings, with_meeting, with_recordings);
  log::Info("room deletion", {{"roomId", room_id},
                              {"activeMeeting", active},
                              {"hasRecordings", *has_recordings},
                              {"withMeeting", WireName(with_meeting)},
                              {"withRecordings", WireName(with_recordings)},
                              {"code", WireName(decision.code)}});

  Status status;
  switch (decision.action) {
    case DeletionAction::kRefuse:
      break;
    case DeletionAction::kDeleteRoom:
      status = co_await repo_.Delete(room_id);
      break;
    case DeletionAction::kDeleteRoomAndRecordings:
      status = co_await recordings_.DeleteAllRecordings(room_id);
      if (status.ok()) {
        status = co_await repo_.Delete(room_id);
      }
      break;
    case DeletionAction::kCloseRoom:
      room.status = RoomStatus::kClosed;
      status = co_await repo_.Save(room);
      break;
    case DeletionAction::kScheduleDelete:
    case DeletionAction::kEndMeetingThenDelete:
      room.meeting_end_action = MeetingEndAction::kDelete;
      status = co_await repo_.Save(room);
      break;
    case DeletionAction::kScheduleClose:
    case DeletionAction::kEndMeetingThenClose:
      room.meeting_end_action = MeetingEndAction::kClose;
      status = co_await repo_.Save(room);
      break;
  }
  // The meeting is ended only after the end action is saved, so room_finished finds it.
  if (status.ok() && (decision.action == DeletionAction::kEndMeetingThenDelete ||
                      decision.action == DeletionAction::kEndMeetingThenClose)) {
    status = co_await meetings_.EndMeeting(room_id);
  }
  if (!status.ok()) {
    co_return status;
  }
  DeletionOutcome outcome{decision.code, DeletionMessage(decision.code, room_id), std::nullopt};
  if (DeletionReturnsRoom(decision.code)) {
    outcome.room = std::move(room);
  }
  co_return outcome;
}

Task<std::vector<BulkDeletionEntry>> RoomService::BulkDelete(std::vector<std::string> room_ids,
                                                             WithMeeting with_meeting,
                                                             WithRecordings with_recordings) {
  std::vector<BulkDeletionEntry> entries;
  entries.reserve(room_ids.size());
  for (auto& id : room_ids) {
    auto outcome = co_await Delete(id, with_meeting, with_recordings);
    entries.push_back(BulkDeletionEntry{std::move(id), std::move(outcome)});
  }
  co_return entries;
}

}  // namespace mr::rooms
