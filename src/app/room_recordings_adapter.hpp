#pragma once
// CatalogueRoomRecordings: the rooms module's RoomRecordings port over the recordings catalogue.
// It lives in app/ because it joins two modules that must not depend on each other.
// Until the LiveKit issue lands there is no egress to stop: deleting all recordings of a room
// marks records that are not finished `aborted` (as the reference does after stopping their
// egress, §3.7) and deletes everything, with the reference's three attempts.
// Thread safety: stateless besides its references; safe from any coroutine.

#include "recording/recording_catalogue.hpp"
#include "rooms/room_ports.hpp"

namespace mr::app {

class CatalogueRoomRecordings final : public rooms::RoomRecordings {
 public:
  explicit CatalogueRoomRecordings(recording::RecordingCatalogue& catalogue) : catalogue_(catalogue) {}

  Task<Result<bool>> HasRecordings(std::string room_id) override;
  Task<Status> DeleteAllRecordings(std::string room_id) override;
  Task<Status> RefreshArchivedMetadata(const rooms::Room& room) override;

 private:
  recording::RecordingCatalogue& catalogue_;
};

// The archived room metadata (reference §1.9) of a room.
Json ArchivedRoomMetadata(const rooms::Room& room);

}  // namespace mr::app
