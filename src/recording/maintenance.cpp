#include "recording/maintenance.hpp"

#include <map>

#include "common/logging.hpp"
#include "recording/egress_record.hpp"
#include "recording/ids.hpp"
#include "recording/in_progress_egresses.hpp"
#include "recording/jobs/lock_keeper.hpp"
#include "recording/jobs/reconciliation.hpp"
#include "recording/jobs/stale_recordings.hpp"

namespace mr::recording {

RecordingMaintenance::RecordingMaintenance(MaintenanceDeps deps, RecordingOptions options)
    : d_(deps), o_(options) {}

Task<Status> RecordingMaintenance::RunLockKeeper() {
  auto held = co_await d_.locks->List(kRoomLockPrefix);
  if (!held.ok()) {
    co_return held.status();
  }
  auto egresses = co_await ListInProgressRecordingEgresses(*d_.livekit, std::nullopt);
  if (!egresses.ok()) {
    co_return egresses.status();
  }
  std::vector<jobs::RoomLock> locks;
  std::map<std::string, std::string> owners;
  for (const auto& l : *held) {
    const std::string room = l.key.substr(std::string(kRoomLockPrefix).size());
    locks.push_back(jobs::RoomLock{room, l.created_at_ms, l.expires_at_ms});
    owners[room] = l.owner;
  }
  const auto in_progress = jobs::RoomsWithEgressInProgress(*egresses);
  auto plan = jobs::PlanRoomLocks(d_.clock->NowMs(), o_.orphaned_lock_grace.count(), locks,
                                  in_progress);
  Status first;
  for (const auto& room : jobs::RoomsToRelock(locks, in_progress)) {
    // Taken only if still free (a start may have taken it meanwhile); whoever ends the egress
    // releases it with the owner it reads (RecordingLifecycle::ReleaseIfNoEgress).
    auto taken = co_await d_.locks->Acquire(RoomLockKey(room), kRestoredLockOwner, o_.lifecycle.lock_ttl);
    if (taken.ok() && *taken) {
      log::Warn("room lock restored for a running recording", {{"roomId", room}});
    } else if (!taken.ok() && first.ok()) {
      first = taken.status();
    }
  }
  for (const auto& decision : plan) {
    const std::string key = RoomLockKey(decision.room_id);
    Result<bool> done = true;
    if (decision.action == jobs::LockAction::kRenew) {
      done = co_await d_.locks->Renew(key, owners[decision.room_id], o_.lifecycle.lock_ttl);
    } else if (decision.action == jobs::LockAction::kRelease) {
      done = co_await d_.locks->Release(key, owners[decision.room_id]);
      if (done.ok() && *done) {
        log::Info("orphaned room lock released", {{"roomId", decision.room_id}});
      }
    }
    if (!done.ok() && first.ok()) {
      first = done.status();
    }
  }
  co_return first;
}

Task<Status> RecordingMaintenance::RunStaleCleanup() {
  auto egresses = co_await ListInProgressRecordingEgresses(*d_.livekit, std::nullopt);
  if (!egresses.ok()) {
    co_return egresses.status();
  }
  jobs::StaleOptions opts;
  opts.stale_after_ms = o_.stale_after.count();
  opts.ending_timeout_ms = o_.ending_timeout.count();
  const int64_t now = d_.clock->NowMs();
  Status first;
  for (const auto& egress : *egresses) {
    std::optional<jobs::RoomPresence> presence;
    if (jobs::NeedsRoomPresence(now, opts, egress)) {
      std::vector<std::string> names;
      names.push_back(egress.room_name);
      auto rooms = co_await d_.livekit->ListRooms(std::move(names));
      if (!rooms.ok()) {
        if (first.ok()) {
          first = rooms.status();
        }
        continue;
      }
      jobs::RoomPresence p;
      p.exists = !rooms->empty();
      p.num_publishers = rooms->empty() ? 0 : rooms->front().num_publishers;
      presence = p;
    }
    const auto action = jobs::DecideStale(now, opts, egress, presence);
    auto id = RecordingIdOfEgress(egress);
    if (action == jobs::StaleAction::kKeep || !id) {
      continue;
    }
    Status s;
    if (action == jobs::StaleAction::kAbort) {
      log::Warn("stale recording aborted", {{"recordingId", *id}});
      s = co_await d_.lifecycle->MarkFinished(*id, RecordingStatus::kAborted,
                                              "Recording stopped making progress");
      if (s.code() == StatusCode::kNotFound) {
        s = Status::Ok();  // No record yet: stopping the egress is what matters.
      }
      auto stopped = co_await d_.livekit->StopEgress(egress.egress_id);
      if (!stopped.ok() && stopped.status().code() != StatusCode::kPreconditionFailed && s.ok()) {
        s = stopped.status();
      }
    } else {
      log::Warn("recording stuck in ending settled as failed", {{"recordingId", *id}});
      s = co_await d_.lifecycle->MarkFinished(*id, RecordingStatus::kFailed,
                                              "Egress did not finish in time");
    }
    if (!s.ok() && first.ok()) {
      first = s;
    }
  }
  co_return first;
}

Task<Status> RecordingMaintenance::RunReconciliation() {
  // Every stored record that is not finished, page by page from the index.
  std::vector<RecordingInfo> open;
  RecordingListQuery query;
  query.statuses = {RecordingStatus::kStarting, RecordingStatus::kActive, RecordingStatus::kEnding};
  query.limit = 1000;
  for (int pages = 0; pages < 1000; ++pages) {
    auto page = co_await d_.catalogue->List(query);
    if (!page.ok()) {
      co_return page.status();
    }
    for (auto& r : page->recordings) {
      open.push_back(std::move(r));
    }
    if (!page->next_page_token) {
      break;
    }
    auto cursor = CatalogueIndex::DecodeCursor(*page->next_page_token);
    if (!cursor) {
      break;
    }
    query.after = *cursor;
  }
  if (open.empty()) {
    co_return Status::Ok();
  }
  // LiveKit's view of each of their egresses (a list per room keeps it to one call per room).
  std::map<std::string, EgressInfo> by_id;
  std::map<std::string, bool> listed_rooms;
  Status first;
  for (const auto& r : open) {
    if (listed_rooms.count(r.room_id) > 0) {
      continue;
    }
    ListEgressFilter filter;
    filter.room_name = r.room_id;
    auto listed = co_await d_.livekit->ListEgress(filter);
    if (!listed.ok() && listed.status().code() != StatusCode::kNotFound) {
      co_return listed.status();  // Without LiveKit's view nothing can be decided.
    }
    listed_rooms[r.room_id] = true;
    if (listed.ok()) {
      for (auto& e : *listed) {
        by_id[e.egress_id] = e;
      }
    }
  }
  jobs::ReconcileOptions opts;
  opts.min_age_ms = o_.reconcile_min_age.count();
  for (const auto& d : jobs::PlanReconciliation(d_.clock->NowMs(), opts, open, by_id)) {
    Status s;
    if (d.action == jobs::ReconcileAction::kApplyEgress) {
      s = co_await d_.lifecycle->ApplyEgress(by_id[d.egress_id]);
    } else if (d.action == jobs::ReconcileAction::kKeep) {
      // The egress still records: its room must hold the lock, also after a restart that lost
      // in-process locks, so no second recording of the room can start meanwhile.
      auto it = by_id.find(d.egress_id);
      if (it != by_id.end()) {
        auto taken = co_await d_.locks->Acquire(RoomLockKey(it->second.room_name),
                                                "egress:" + d.egress_id, o_.lifecycle.lock_ttl);
        if (!taken.ok()) {
          s = taken.status();
        }
      }
    } else if (d.action == jobs::ReconcileAction::kMarkAborted) {
      log::Warn("recording without egress settled", {{"recordingId", d.recording_id}});
      s = co_await d_.lifecycle->MarkFinished(d.recording_id, RecordingStatus::kAborted,
                                              std::string(jobs::kEgressGoneError));
    }
    if (!s.ok() && first.ok()) {
      first = s;
    }
  }
  co_return first;
}

}  // namespace mr::recording
