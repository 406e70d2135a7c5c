#include "recording/jobs/room_auto_deletion.hpp"

namespace mr::recording::jobs {

std::vector<RoomDue> RoomsDueForDeletion(int64_t now_ms,
                                         const std::vector<RoomDeletionInput>& rooms) {
  std::vector<RoomDue> out;
  for (const RoomDeletionInput& r : rooms) {
    if (r.auto_deletion_date_ms.has_value() && *r.auto_deletion_date_ms <= now_ms) {
      out.push_back({r.room_id, r.policy.value_or(DeletionRule{})});
    }
  }
  return out;
}

}  // namespace mr::recording::jobs
