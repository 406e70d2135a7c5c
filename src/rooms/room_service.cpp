#include "rooms/room_service.hpp"

#include "common/logging.hpp"
#include "recording/jobs/room_auto_deletion.hpp"

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

Task<Result<std::optional<Room>>> RoomService::OnMeetingStarted(std::string room_id) {
  auto found = co_await repo_.Get(room_id);
  if (!found.ok() || !found->has_value()) {
    co_return found;
  }
  Room room = std::move(**found);
  room.status = RoomStatus::kActiveMeeting;
  Status saved = co_await repo_.Save(room);
  if (!saved.ok()) {
    co_return saved;
  }
  log::Info("meeting started", {{"roomId", room_id}});
  co_return std::optional<Room>(std::move(room));
}

Task<Result<std::optional<Room>>> RoomService::OnMeetingFinished(std::string room_id) {
  auto found = co_await repo_.Get(room_id);
  if (!found.ok() || !found->has_value()) {
    co_return found;
  }
  Room room = std::move(**found);
  Status s;
  switch (room.meeting_end_action) {
    case MeetingEndAction::kDelete:
      s = co_await recordings_.DeleteAllRecordings(room_id);
      if (!s.ok()) {
        co_return s;
      }
      s = co_await repo_.Delete(room_id);
      if (s.ok()) {
        log::Info("room deleted when its meeting ended", {{"roomId", room_id}});
      }
      break;
    case MeetingEndAction::kClose:
      room.status = RoomStatus::kClosed;
      room.meeting_end_action = MeetingEndAction::kNone;
      s = co_await repo_.Save(room);
      break;
    case MeetingEndAction::kNone:
      room.status = RoomStatus::kOpen;
      s = co_await repo_.Save(room);
      break;
  }
  if (!s.ok()) {
    co_return s;
  }
  co_return std::optional<Room>(std::move(room));
}

Task<Status> RoomService::DeleteExpiredRooms() {
  namespace jobs = recording::jobs;
  std::vector<jobs::RoomDeletionInput> inputs;
  std::optional<std::string> token;
  for (int pages = 0; pages < 100000; ++pages) {
    auto page = co_await repo_.List(1000, token);
    if (!page.ok()) {
      co_return page.status();
    }
    for (const auto& room : page->rooms) {
      jobs::RoomDeletionInput in;
      in.room_id = room.room_id;
      in.auto_deletion_date_ms = room.auto_deletion_date_ms;
      if (room.auto_deletion_policy) {
        jobs::DeletionRule rule;
        rule.with_meeting = room.auto_deletion_policy->with_meeting == WithMeeting::kForce
                                ? jobs::MeetingRule::kForce
                                : jobs::MeetingRule::kWhenMeetingEnds;
        rule.with_recordings = room.auto_deletion_policy->with_recordings == WithRecordings::kForce
                                   ? jobs::RecordingsRule::kForce
                                   : jobs::RecordingsRule::kClose;
        in.policy = rule;
      }
      inputs.push_back(std::move(in));
    }
    if (!page->is_truncated || !page->next_page_token) {
      break;
    }
    token = page->next_page_token;
  }
  Status first;
  for (const auto& due : jobs::RoomsDueForDeletion(clock_.NowMs(), inputs)) {
    const WithMeeting with_meeting = due.policy.with_meeting == jobs::MeetingRule::kForce
                                         ? WithMeeting::kForce
                                         : WithMeeting::kWhenMeetingEnds;
    const WithRecordings with_recordings =
        due.policy.with_recordings == jobs::RecordingsRule::kForce ? WithRecordings::kForce
                                                                   : WithRecordings::kClose;
    auto outcome = co_await Delete(due.room_id, with_meeting, with_recordings);
    if (!outcome.ok()) {
      log::Warn("expired room not deleted", {{"roomId", due.room_id}, {"error", outcome.status().ToString()}});
      if (first.ok()) {
        first = outcome.status();
      }
      continue;
    }
    log::Info("expired room processed", {{"roomId", due.room_id}, {"result", outcome->message}});
  }
  co_return first;
}

}  // namespace mr::rooms
