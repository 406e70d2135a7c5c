#pragma once
// Room auto-deletion: which rooms the hourly job deletes, and with which policy (reference
// §2.3.12, last paragraphs). Pure: the caller lists the rooms, calls RoomsDueForDeletion and
// runs each room's deletion with the returned policy.
//
// Rule: a room is due when it has an autoDeletionDate and that date is <= now (a room without a
// date is never deleted automatically). Its policy is its own autoDeletionPolicy, or the
// reference default when_meeting_ends / close when it has none. The auto-deletion policy can
// never be `fail`, so these enums have no such value.
//
// The enums are plain copies of the rooms module's values: recording may not depend on rooms
// (rooms depends on recording), so the rooms module maps its AutoDeletionPolicy to DeletionRule.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mr::recording::jobs {

enum class MeetingRule { kForce, kWhenMeetingEnds };  // withMeeting: force | when_meeting_ends
enum class RecordingsRule { kForce, kClose };         // withRecordings: force | close

struct DeletionRule {
  MeetingRule with_meeting = MeetingRule::kWhenMeetingEnds;
  RecordingsRule with_recordings = RecordingsRule::kClose;
};

struct RoomDeletionInput {
  std::string room_id;
  std::optional<int64_t> auto_deletion_date_ms;
  std::optional<DeletionRule> policy;
};

struct RoomDue {
  std::string room_id;
  DeletionRule policy;  // Effective: the room's own, or the default.
};

// The due rooms, in input order.
std::vector<RoomDue> RoomsDueForDeletion(int64_t now_ms,
                                         const std::vector<RoomDeletionInput>& rooms);

}  // namespace mr::recording::jobs
