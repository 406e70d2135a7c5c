#pragma once
// Lock keeper: decides, for every room recording lock ("one recording per room", reference §3.1),
// whether to keep, renew or release it. Pure: the caller lists the locks and the egresses (one
// global ListEgress), calls PlanRoomLocks and applies the decisions.
//
// Rule (scope.md Q15/Q16, replacing reference §6.6): a room's lock is held exactly as long as
// any recording egress of that room is STARTING, ACTIVE or ENDING.
//   - an in-progress recording egress of the room exists      -> kRenew (extend the lease; the
//     lease TTL only matters if the keeper stops running, so a long recording never loses it);
//   - none, and the lock is younger than `grace_ms`           -> kKeep (a start may still be
//     waiting for LiveKit to list its egress; nothing to renew, the lease is fresh);
//   - none, and the lock is `grace_ms` old or older           -> kRelease (orphaned).
// Age is `now_ms - created_at_ms`; a lock created in the future (clock skew) is young; a lock
// without a creation time (0) is as old as the epoch, hence released (as in the reference).
//
// Room existence and publishers deliberately do not matter (unlike reference §6.6 and Q17): an
// egress can outlive its room (it keeps uploading after room_finished) and can run in a room
// nobody publishes to. Releasing then would let a second recording start while the first still
// runs. The lock follows the egress; the stale-recording job is what stops abandoned egresses.
//
// `expires_at_ms` is carried for the caller (logs, metrics); the decision does not depend on it.

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "recording/egress_record.hpp"
#include "recording/livekit_port.hpp"

namespace mr::recording::jobs {

// Default grace period (reference RECORDING_ORPHANED_LOCK_GRACE_PERIOD).
inline constexpr int64_t kDefaultLockGraceMs = 60 * 1000;

struct RoomLock {
  std::string room_id;
  int64_t created_at_ms = 0;  // 0 = unknown.
  int64_t expires_at_ms = 0;
};

enum class LockAction { kKeep, kRenew, kRelease };

struct LockDecision {
  std::string room_id;
  LockAction action = LockAction::kKeep;
};

// IsRecordingEgress and IsInProgress come from recording/egress_record.hpp.

// The room names (= Meet room ids) with at least one in-progress recording egress.
// Non-recording egresses are ignored.
std::set<std::string> RoomsWithEgressInProgress(const std::vector<EgressInfo>& egresses);

// One decision per lock, in input order (see the rule above).
// REQUIRES: grace_ms >= 0; `rooms_in_progress` comes from a ListEgress taken after the locks
// were listed (otherwise a lock taken in between may look orphaned; the grace covers this).
std::vector<LockDecision> PlanRoomLocks(int64_t now_ms, int64_t grace_ms,
                                        const std::vector<RoomLock>& locks,
                                        const std::set<std::string>& rooms_in_progress);

// Rooms with an in-progress recording egress but no lock, in room order: the lock was lost (a
// Redis restarted without persistence) and must be taken again, or a second recording of the
// room could start while the first still runs.
std::vector<std::string> RoomsToRelock(const std::vector<RoomLock>& locks,
                                       const std::set<std::string>& rooms_in_progress);

// The decision for one lock.
LockAction DecideRoomLock(int64_t now_ms, int64_t grace_ms, const RoomLock& lock,
                          bool egress_in_progress);

}  // namespace mr::recording::jobs
