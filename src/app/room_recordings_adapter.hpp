#pragma once
// Adapters that join the rooms module and the recording core, which must not depend on each
// other (so they live in app/):
//   - CatalogueRoomRecordings: rooms' RoomRecordings port (room deletion, config refresh);
//   - RepoRoomDirectory: the recording lifecycle's RoomDirectory port over the room repo;
//   - LiveKitMeetingControl: rooms' MeetingControl port over the LiveKit client.
// Thread safety: stateless besides their references; safe from any coroutine.

#include "common/timers.hpp"
#include "recording/lifecycle.hpp"
#include "recording/livekit_port.hpp"
#include "recording/recording_catalogue.hpp"
#include "recording/room_directory.hpp"
#include "rooms/room_ports.hpp"
#include "rooms/room_repo.hpp"

namespace mr::app {

class CatalogueRoomRecordings final : public rooms::RoomRecordings {
 public:
  CatalogueRoomRecordings(recording::RecordingCatalogue& catalogue,
                          recording::RecordingLifecycle& lifecycle, Timers& timers)
      : catalogue_(catalogue), lifecycle_(lifecycle), timers_(timers) {}

  Task<Result<bool>> HasRecordings(std::string room_id) override;
  // Reference §3.7: stops the room's in-progress egresses (waiting for them to finish), marks
  // unfinished records aborted, then deletes records, secrets and media with up to three
  // attempts (1 s, then 2 s apart), and finally the archived room metadata (§3.8).
  Task<Status> DeleteAllRecordings(std::string room_id) override;
  Task<Status> RefreshArchivedMetadata(const rooms::Room& room) override;

 private:
  recording::RecordingCatalogue& catalogue_;
  recording::RecordingLifecycle& lifecycle_;
  Timers& timers_;
};

class RepoRoomDirectory final : public recording::RoomDirectory {
 public:
  RepoRoomDirectory(rooms::RoomRepo& repo, recording::RecordingCatalogue& catalogue)
      : repo_(repo), catalogue_(catalogue) {}

  Task<Result<std::optional<recording::RoomFacts>>> Find(std::string room_id) override;
  Task<Status> ArchiveRoomMetadata(std::string room_id) override;

 private:
  rooms::RoomRepo& repo_;
  recording::RecordingCatalogue& catalogue_;
};

class LiveKitMeetingControl final : public rooms::MeetingControl {
 public:
  explicit LiveKitMeetingControl(recording::LiveKit& livekit) : livekit_(livekit) {}
  // Deletes the LiveKit room; a room LiveKit does not know is Ok.
  Task<Status> EndMeeting(std::string room_id) override;

 private:
  recording::LiveKit& livekit_;
};

// The archived room metadata (reference §1.9) of a room.
Json ArchivedRoomMetadata(const rooms::Room& room);

}  // namespace mr::app
