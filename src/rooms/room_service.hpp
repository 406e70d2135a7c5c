#pragma once
// RoomService: create, read, list, reconfigure and delete Meet rooms (reference §1.7, §2.3.12).
// A thin orchestration over RoomRepo and the ports of room_ports.hpp; the deletion policy itself
// is the pure DecideRoomDeletion of room.hpp.
//
// Errors: a missing room is kNotFound with the reference's message "Room '{roomId}' does not
// exist"; storage and port failures are passed through (kUnavailable, ...). A failure to learn
// whether a room has recordings refuses the deletion with kUnavailable — the reference treats it
// as "no recordings" and may delete a room whose recordings it could not see (docs/rooms.md).
// Policy refusals (409 in the API) are not errors but outcomes with an error code, so the caller
// can report the code.
//
// REQUIRES for every room id argument: already validated by recording::SanitizeRoomId.
// Thread safety: safe from any thread; no state of its own. Two concurrent changes of one room
// are last-writer-wins, as in the reference.

#include <optional>
#include <string>
#include <vector>

#include "common/async.hpp"
#include "common/clock.hpp"
#include "common/random.hpp"
#include "common/status.hpp"
#include "rooms/room.hpp"
#include "rooms/room_ports.hpp"
#include "rooms/room_repo.hpp"

namespace mr::rooms {

// What one room deletion did (or refused to do).
struct DeletionOutcome {
  DeletionCode code;         // A success code, or a refusal code (IsDeletionError).
  std::string message;       // DeletionMessage(code, roomId).
  std::optional<Room> room;  // The room as saved, when DeletionReturnsRoom(code).
};

struct BulkDeletionEntry {
  std::string room_id;
  Result<DeletionOutcome> outcome;
};

class RoomService {
 public:
  // All references must outlive the service.
  RoomService(RoomRepo& repo, RoomRecordings& recordings, MeetingControl& meetings,
              const Clock& clock, Random& random);

  // Creates and stores a room: roomId = RoomIdPrefix(roomName) + "-" + 15 chars of [0-9a-z];
  // moderator and speaker secrets of 10 hex chars; creationDate now; status open, meetingEndAction
  // none; autoDeletionPolicy stored only together with an autoDeletionDate.
  Task<Result<Room>> Create(CreateRoomRequest request);

  Task<Result<Room>> Get(std::string room_id);

  // A page of rooms; see RoomRepo::List.
  Task<Result<RoomPage>> List(int max_items, std::optional<std::string> page_token);

  // Replaces the room's config, saves it, then refreshes the archived room metadata so recording
  // access follows the new allowAccessTo (reference §2.3.12). If the refresh fails the new config
  // is already saved and the refresh error is returned; repeating the call is safe.
  Task<Result<Room>> UpdateConfig(std::string room_id, RoomConfig config);

  // Applies the deletion policies to one room (reference §2.3.12 decision table).
  // kDeleteRoomAndRecordings deletes the recordings first and the room record only once they
  // are all gone, so a failure leaves the room in place to retry.
  Task<Result<DeletionOutcome>> Delete(std::string room_id, WithMeeting with_meeting,
                                       WithRecordings with_recordings);

  // LiveKit `room_started` (reference §5.6): the room's status becomes active_meeting. The saved
  // room, or nullopt when no Meet room has that id (a LiveKit room of someone else).
  Task<Result<std::optional<Room>>> OnMeetingStarted(std::string room_id);

  // LiveKit `room_finished` (reference §5.6), applying meetingEndAction: `delete` deletes every
  // recording of the room (which must succeed, else the room is kept and the error returned) and
  // then the room; `close` sets status closed and the action back to none; otherwise status
  // open. The room as it was left (for the meetingEnded webhook), or nullopt when no Meet room
  // has that id.
  Task<Result<std::optional<Room>>> OnMeetingFinished(std::string room_id);

  // The hourly room garbage collector (reference §2.3.12): deletes every room whose
  // autoDeletionDate has passed, with the room's own autoDeletionPolicy (default
  // when_meeting_ends / close). Pages through all rooms; returns the first error after trying
  // every due room.
  Task<Status> DeleteExpiredRooms();

  // Delete for each id, one after the other, in the given order; each entry has its own outcome.
  Task<std::vector<BulkDeletionEntry>> BulkDelete(std::vector<std::string> room_ids,
                                                  WithMeeting with_meeting,
                                                  WithRecordings with_recordings);

 private:
  Task<Result<Room>> Load(const std::string& room_id);

  RoomRepo& repo_;
  RoomRecordings& recordings_;
  MeetingControl& meetings_;
  const Clock& clock_;
  Random& random_;
};

// "Room '{roomId}' does not exist".
Status RoomNotFoundError(std::string_view room_id);

}  // namespace mr::rooms
