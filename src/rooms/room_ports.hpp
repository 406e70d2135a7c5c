#pragma once
// Ports the rooms module needs from the rest of the service, implemented elsewhere (recording
// catalogue, LiveKit client) and injected into RoomService. Tests implement them with fakes.
// Thread safety: implementations must be callable from any thread, concurrently.

#include <string>

#include "common/async.hpp"
#include "common/status.hpp"
#include "rooms/room.hpp"

namespace mr::rooms {

// What room deletion and configuration need to know about, and do to, a room's recordings.
class RoomRecordings {
 public:
  virtual ~RoomRecordings() = default;

  // True when the room has at least one recording record, in any status (in-progress included).
  // A storage failure is an error, never "false": room deletion refuses to go on without the
  // answer (scope.md, Q6).
  virtual Task<Result<bool>> HasRecordings(std::string room_id) = 0;

  // Deletes every recording of the room (reference §3.7: in-progress egresses stopped, records,
  // secrets and media deleted, archived metadata cleaned up). Ok only when nothing is left.
  virtual Task<Status> DeleteAllRecordings(std::string room_id) = 0;

  // Overwrites the archived room metadata (reference §1.9) from `room`, but only if an archived
  // copy already exists; Ok (and nothing written) otherwise.
  virtual Task<Status> RefreshArchivedMetadata(const Room& room) = 0;
};

// Control of the live (LiveKit) meeting of a room.
class MeetingControl {
 public:
  virtual ~MeetingControl() = default;

  // Ends the meeting by deleting the LiveKit room; LiveKit then reports `room_finished`, which
  // applies the room's meetingEndAction. A room that does not exist in LiveKit is Ok.
  virtual Task<Status> EndMeeting(std::string room_id) = 0;
};

// MeetingControl for deployments without a LiveKit client yet: always Ok. Sound because only a
// `room_started` webhook sets a room's status to active_meeting, so without LiveKit no room ever
// has a meeting to end.
class NoMeetingControl final : public MeetingControl {
 public:
  Task<Status> EndMeeting(std::string /*room_id*/) override { co_return Status::Ok(); }
};

}  // namespace mr::rooms
