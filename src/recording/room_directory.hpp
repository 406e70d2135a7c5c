#pragma once
// RoomDirectory: what the recording lifecycle needs to know about Meet rooms, implemented over
// the rooms module by app/ (the recording core does not depend on rooms).
// Thread safety: implementations must be callable concurrently from any thread.

#include <optional>
#include <string>

#include "common/async.hpp"
#include "common/status.hpp"

namespace mr::recording {

struct RoomFacts {
  std::string room_name;
  bool recording_enabled = true;
};

class RoomDirectory {
 public:
  virtual ~RoomDirectory() = default;
  // The Meet room, nullopt when it does not exist; a storage failure is an error.
  virtual Task<Result<std::optional<RoomFacts>>> Find(std::string room_id) = 0;
  // Reference §1.9: writes the archived room metadata from the Meet room (overwriting it). Ok and
  // nothing written when the room no longer exists (its last archive stays).
  virtual Task<Status> ArchiveRoomMetadata(std::string room_id) = 0;
};

}  // namespace mr::recording
