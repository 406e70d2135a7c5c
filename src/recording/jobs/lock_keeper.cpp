#include "recording/jobs/lock_keeper.hpp"

namespace mr::recording::jobs {

std::set<std::string> RoomsWithEgressInProgress(const std::vector<EgressInfo>& egresses) {
  std::set<std::string> rooms;
  for (const EgressInfo& e : egresses) {
    if (IsRecordingEgress(e) && IsInProgress(e.status)) {
      rooms.insert(e.room_name);
    }
  }
  return rooms;
}

LockAction DecideRoomLock(int64_t now_ms, int64_t grace_ms, const RoomLock& lock,
                          bool egress_in_progress) {
  if (egress_in_progress) {
    return LockAction::kRenew;
  }
  if (now_ms - lock.created_at_ms < grace_ms) {
    return LockAction::kKeep;
  }
  return LockAction::kRelease;
}

std::vector<LockDecision> PlanRoomLocks(int64_t now_ms, int64_t grace_ms,
                                        const std::vector<RoomLock>& locks,
                                        const std::set<std::string>& rooms_in_progress) {
  std::vector<LockDecision> out;
  out.reserve(locks.size());
  for (const RoomLock& lock : locks) {
    out.push_back({lock.room_id, DecideRoomLock(now_ms, grace_ms, lock,
                                                rooms_in_progress.contains(lock.room_id))});
  }
  return out;
}

std::vector<std::string> RoomsToRelock(const std::vector<RoomLock>& locks,
                                       const std::set<std::string>& rooms_in_progress) {
  std::set<std::string> locked;
  for (const RoomLock& lock : locks) {
    locked.insert(lock.room_id);
  }
  std::vector<std::string> out;
  for (const std::string& room : rooms_in_progress) {
    if (!locked.contains(room)) {
      out.push_back(room);
    }
  }
  return out;
}

}  // namespace mr::recording::jobs
