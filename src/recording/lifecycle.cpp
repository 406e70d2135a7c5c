#include "recording/lifecycle.hpp"

#include <mutex>
#include <vector>

#include <boost/asio/detached.hpp>

#include "common/logging.hpp"
#include "common/one_shot.hpp"
#include "recording/egress_record.hpp"
#include "recording/ids.hpp"
#include "recording/in_progress_egresses.hpp"
#include "recording/signals.hpp"
#include "recording/state_machine.hpp"

namespace mr::recording {

std::string RoomLockKey(const std::string& room_id) { return kRoomLockPrefix + room_id; }

std::string RecordLockKey(const std::string& recording_id) {
  return "mr_lock:recording_" + recording_id;
}

namespace {

Status RoomNotFound(const std::string& room_id) {
  return NotFoundError("Room '" + room_id + "' does not exist");
}

Status Unexpected(const std::string& what) {
  return InternalError("Unexpected error while " + what);
}

constexpr const char* kStartTimeoutError = "Recording timed out while starting";

}  // namespace

// The shared state of one start request: the request coroutine, LiveKit's reply (which may come
// after the timeout), the ACTIVE event (which may come before the reply) and the timer all
// report here; the first decisive report sets the outcome (guarded by mu).
struct RecordingLifecycle::StartAttempt {
  enum class Outcome { kPending, kActive, kFailed, kEnded, kTimedOut };

  std::string room_id;
  std::string owner;  // Room lock owner token.
  std::shared_ptr<OneShot> done = OneShot::Make();

  std::mutex mu;
  Outcome outcome = Outcome::kPending;    // Guarded by mu.
  bool replied = false;                   // Guarded by mu.
  std::optional<EgressInfo> reply;        // Guarded by mu.
  Status reply_error;                     // Guarded by mu.
  std::optional<RecordingInfo> active;    // Guarded by mu.
  std::vector<RecordingInfo> early;       // ACTIVE records seen before the reply; guarded by mu.
  std::vector<RecordingInfo> early_ended;  // Ended records seen before the reply; guarded by mu.
  std::optional<RecordingInfo> ended;       // Guarded by mu.

  static std::string EgressOf(const RecordingInfo& r) {
    auto parts = ParseRecordingId(r.recording_id);
    return parts ? parts->egress_id : std::string();
  }

  void OnActive(const RecordingInfo& record) {
    std::lock_guard lock(mu);
    if (outcome != Outcome::kPending) {
      return;
    }
    if (!reply) {
      early.push_back(record);
      return;
    }
    if (EgressOf(record) == reply->egress_id) {
      active = record;
      outcome = Outcome::kActive;
      done->Set();
    }
  }

  void OnEnded(const RecordingInfo& record) {
    std::lock_guard lock(mu);
    if (outcome != Outcome::kPending) {
      return;
    }
    if (!reply) {
      early_ended.push_back(record);
      return;
    }
    if (EgressOf(record) == reply->egress_id) {
      ended = record;
      outcome = Outcome::kEnded;
      done->Set();
    }
  }

  // Returns true when the reply came after the timeout: the caller must settle the late egress.
  bool OnReply(Result<EgressInfo> result, const std::string& room_name) {
    std::lock_guard lock(mu);
    replied = true;
    if (!result.ok()) {
      reply_error = result.status();
      if (outcome == Outcome::kPending) {
        outcome = Outcome::kFailed;
        done->Set();
        return false;
      }
      return outcome == Outcome::kTimedOut;
    }
    reply = *result;
    if (outcome == Outcome::kTimedOut) {
      return true;
    }
    if (outcome != Outcome::kPending) {
      return false;
    }
    if (reply->status == EgressStatus::kActive) {
      auto record = RecordingFromEgress(*reply, room_name);
      if (record.ok()) {
        active = *record;
        outcome = Outcome::kActive;
        done->Set();
        return false;
      }
    }
    for (const auto& r : early) {
      if (EgressOf(r) == reply->egress_id) {
        active = r;
        outcome = Outcome::kActive;
        done->Set();
        return false;
      }
    }
    for (const auto& r : early_ended) {
      if (EgressOf(r) == reply->egress_id) {
        ended = r;
        outcome = Outcome::kEnded;
        done->Set();
        return false;
      }
    }
    return false;
  }

  void OnTimeout() {
    std::lock_guard lock(mu);
    if (outcome == Outcome::kPending) {
      outcome = Outcome::kTimedOut;
      done->Set();
    }
  }
};

RecordingLifecycle::RecordingLifecycle(LifecycleDeps deps, LifecycleOptions options)
    : d_(std::move(deps)), o_(options) {}

RecordingLifecycle::~RecordingLifecycle() = default;

void RecordingLifecycle::Spawn(Task<void> task) {
  asio::co_spawn(
      d_.executor,
      [](Task<void> t) -> Task<void> {
        try {
          co_await std::move(t);
        } catch (const std::exception& e) {
          log::Error("background recording task failed", {{"error", e.what()}});
        }
      }(std::move(task)),
      asio::detached);
}

Task<Result<RecordingInfo>> RecordingLifecycle::Start(std::string room_id) {
  auto room = co_await d_.rooms->Find(room_id);
  if (!room.ok()) {
    co_return room.status();
  }
  if (!room->has_value()) {
    co_return RoomNotFound(room_id);
  }
  if (!(*room)->recording_enabled) {
    co_return Status(StatusCode::kForbidden, "Recording is disabled for room '" + room_id + "'");
  }
  const std::string room_name = (*room)->room_name;

  // 1. The room lock: one recording per room, across the fleet.
  auto attempt = std::make_shared<StartAttempt>();
  attempt->room_id = room_id;
  attempt->owner = d_.random->SecureHex(32);
  const std::string key = RoomLockKey(room_id);
  auto acquired = co_await d_.locks->Acquire(key, attempt->owner, o_.lock_ttl);
  if (!acquired.ok()) {
    co_return Status(StatusCode::kUnavailable,
                     "Cannot take the recording lock of room '" + room_id +
                         "': " + acquired.status().message());
  }
  if (!*acquired) {
    co_return ConflictError("Room '" + room_id + "' is already being recorded");
  }
  auto release_own = [this, key, owner = attempt->owner]() -> Task<void> {
    auto released = co_await d_.locks->Release(key, owner);
    if (!released.ok()) {
      log::Warn("room lock not released", {{"key", key}, {"error", released.status().message()}});
    }
  };

  // 2. The LiveKit room must exist and have someone in it.
  std::vector<std::string> names;
  names.push_back(room_id);
  auto lk_rooms = co_await d_.livekit->ListRooms(std::move(names));
  if (!lk_rooms.ok()) {
    co_await release_own();
    log::Error("LiveKit room lookup failed", {{"roomId", room_id}, {"error", lk_rooms.status().ToString()}});
    co_return Unexpected("getting LiveKit room '" + room_id + "'");
  }
  if (lk_rooms->empty()) {
    co_await release_own();
    co_return RoomNotFound(room_id);
  }
  auto participants = co_await d_.livekit->ListParticipants(room_id);
  if (!participants.ok()) {
    co_await release_own();
    log::Error("LiveKit participant listing failed",
               {{"roomId", room_id}, {"error", participants.status().ToString()}});
    co_return Unexpected("getting participants of LiveKit room '" + room_id + "'");
  }
  size_t people = 0;
  for (const auto& p : *participants) {
    if (p.kind != ParticipantKind::kEgress && !p.recorder) {
      ++people;
    }
  }
  if (people == 0) {
    co_await release_own();
    co_return ConflictError("Room '" + room_id + "' has no participants");
  }

  // 3. Tell the room a recording is starting.
  Signal starting = StartingSignal(room_id);
  co_await SendSignal(room_id, starting.topic, starting.payload);

  // 4. Listen for the confirmation and arm the timeout before asking LiveKit, so neither an
  // early ACTIVE nor a slow reply can be missed.
  auto subscription = d_.bus->Subscribe(kRecordingActiveEvent, [attempt](const Json& payload) {
    auto record = RecordingFromJson(payload);
    if (record.ok() && record->room_id == attempt->room_id) {
      attempt->OnActive(*record);
    }
  });
  auto ended_subscription = d_.bus->Subscribe(kRecordingEndedEvent, [attempt](const Json& payload) {
    auto record = RecordingFromJson(payload);
    if (record.ok() && record->room_id == attempt->room_id) {
      attempt->OnEnded(*record);
    }
  });
  auto timer = d_.timers->After(o_.started_timeout, [attempt] { attempt->OnTimeout(); });

  // 5. Ask LiveKit; the reply is handled by the attempt even if it comes after the timeout.
  const std::string uid = d_.random->SecureHex(10);
  RoomCompositeRequest request = CompositeRequestFor(d_.catalogue->layout(), room_id, uid);
  Spawn([](RecordingLifecycle* self, std::shared_ptr<StartAttempt> a, RoomCompositeRequest req,
           std::string name) -> Task<void> {
    auto result = co_await self->d_.livekit->StartRoomCompositeEgress(std::move(req));
    if (a->OnReply(std::move(result), name)) {
      co_await self->HandleLateOrTimedOut(a);
    }
  }(this, attempt, std::move(request), room_name));

  // 6. Wait for the first decisive report.
  co_await attempt->done->Wait();
  timer->Cancel();
  subscription.reset();
  ended_subscription.reset();

  StartAttempt::Outcome outcome;
  std::optional<RecordingInfo> active;
  Status reply_error;
  bool replied = false;
  {
    std::lock_guard lock(attempt->mu);
    outcome = attempt->outcome;
    active = attempt->active;
    reply_error = attempt->reply_error;
    replied = attempt->replied;
  }
  switch (outcome) {
    case StartAttempt::Outcome::kActive:
      if (active->room_name.empty() || active->room_name == active->room_id) {
        active->room_name = room_name;
      }
      log::Info("recording started", {{"roomId", room_id}, {"recordingId", active->recording_id}});
      co_return *active;
    case StartAttempt::Outcome::kFailed:
      // LiveKit created no egress: the lock is ours to free.
      co_await release_own();
      log::Error("egress start failed", {{"roomId", room_id}, {"error", reply_error.ToString()}});
      if (reply_error.code() == StatusCode::kNotFound) {
        co_return RoomNotFound(room_id);
      }
      co_return Unexpected("starting Room Composite Egress for room '" + room_id + "'");
    case StartAttempt::Outcome::kEnded: {
      // The egress ended before it was ever active (stopped while starting, failed): no
      // recording was made. Its lock is freed once LiveKit no longer lists it.
      Status s = co_await ReleaseIfNoEgress(room_id, d_.clock->NowMs(), attempt->owner);
      if (!s.ok()) {
        log::Warn("room lock kept after a failed start", {{"roomId", room_id}, {"error", s.ToString()}});
      }
      log::Warn("egress ended while starting", {{"roomId", room_id}});
      co_return Unexpected("starting recording in room '" + room_id + "'");
    }
    case StartAttempt::Outcome::kTimedOut:
    case StartAttempt::Outcome::kPending:
      break;
  }
  log::Warn("recording start timed out", {{"roomId", room_id}, {"replied", replied}});
  if (replied) {
    Spawn(HandleLateOrTimedOut(attempt));
  } else {
    // No egress yet. If LiveKit still creates one, the reply handler stops it (Q3).
    Signal failed = NoEgressFailedSignal(room_id);
    Spawn(SendSignal(room_id, failed.topic, failed.payload));
  }
  co_return Status(StatusCode::kTimeout, "Recording in room '" + room_id + "' timed out while starting");
}

// A start that timed out (reply known) or whose reply came after the timeout.
Task<void> RecordingLifecycle::HandleLateOrTimedOut(std::shared_ptr<StartAttempt> attempt) {
  std::optional<EgressInfo> egress;
  {
    std::lock_guard lock(attempt->mu);
    egress = attempt->reply;
  }
  if (!egress) {
    // LiveKit refused the start after all: no egress, so the lock is ours to free.
    auto released = co_await d_.locks->Release(RoomLockKey(attempt->room_id), attempt->owner);
    if (!released.ok()) {
      log::Warn("room lock not released", {{"roomId", attempt->room_id}});
    }
    co_return;
  }
  Status s = co_await FailAndStop(attempt->room_id, attempt->owner, *egress, kStartTimeoutError);
  if (!s.ok()) {
    log::Error("timed-out recording not settled", {{"roomId", attempt->room_id},
                                                   {"egressId", egress->egress_id},
                                                   {"error", s.ToString()}});
  }
}

// Marks the recording failed and stops its egress. The room lock stays until the egress has
// ended (egress_ended or the lock keeper releases it).
Task<Status> RecordingLifecycle::FailAndStop(std::string room_id, std::string owner,
                                             EgressInfo egress, std::string reason) {
  auto record = RecordingFromEgress(egress, "");
  if (record.ok()) {
    record->status = RecordingStatus::kFailed;
    record->error = reason;
    bool created = false;
    auto stored = co_await Store(*record, &created);
    if (!stored.ok()) {
      log::Error("failed mark not stored", {{"recordingId", record->recording_id},
                                            {"error", stored.status().ToString()}});
    }
  }
  auto stopped = co_await d_.livekit->StopEgress(egress.egress_id);
  if (!stopped.ok() && stopped.status().code() != StatusCode::kPreconditionFailed &&
      stopped.status().code() != StatusCode::kNotFound) {
    co_return stopped.status();
  }
  if (!stopped.ok() || IsEgressFinished(stopped->status)) {
    // Only the timed-out start's own lock: the egress's end may already have freed it, and a
    // newer start may hold the room's lock now.
    co_return co_await ReleaseIfNoEgress(room_id, d_.clock->NowMs(), owner);
  }
  co_return Status::Ok();
}

Task<Result<RecordingInfo>> RecordingLifecycle::Stop(std::string recording_id) {
  auto parts = ParseRecordingId(recording_id);
  if (!parts) {
    co_return InvalidArgumentError("Invalid recordingId format: " + recording_id);
  }
  // The room comes from the recording id, never from a body (Q1).
  auto room = co_await d_.rooms->Find(parts->room_id);
  if (!room.ok()) {
    co_return room.status();
  }
  if (!room->has_value()) {
    co_return RoomNotFound(parts->room_id);
  }
  if (!(*room)->recording_enabled) {
    co_return Status(StatusCode::kForbidden,
                     "Recording is disabled for room '" + parts->room_id + "'");
  }
  ListEgressFilter filter;
  filter.room_name = parts->room_id;
  filter.egress_id = parts->egress_id;
  auto listed = co_await d_.livekit->ListEgress(std::move(filter));
  std::vector<EgressInfo> egresses;
  if (listed.ok()) {
    egresses = std::move(*listed);
  } else if (listed.status().code() != StatusCode::kNotFound) {
    log::Error("egress lookup failed", {{"egressId", parts->egress_id}, {"error", listed.status().ToString()}});
    co_return Unexpected("getting egress '" + parts->egress_id + "'");
  }
  const EgressInfo* egress = nullptr;
  for (const auto& e : egresses) {
    if (e.egress_id == parts->egress_id && e.room_name == parts->room_id) {
      egress = &e;
    }
  }
  if (egress == nullptr) {
    co_return NotFoundError("Recording '" + parts->egress_id + "' not found");
  }
  if (egress->status != EgressStatus::kActive && egress->status != EgressStatus::kStarting) {
    co_return ConflictError("Recording '" + recording_id + "' is already stopped");
  }
  const bool starting = egress->status == EgressStatus::kStarting;
  auto stopped = co_await d_.livekit->StopEgress(parts->egress_id);
  if (!stopped.ok()) {
    if (stopped.status().code() == StatusCode::kPreconditionFailed) {
      co_return ConflictError("Recording '" + recording_id + "' is already stopped");
    }
    log::Error("egress stop failed", {{"egressId", parts->egress_id}, {"error", stopped.status().ToString()}});
    co_return Unexpected("stopping egress '" + parts->egress_id + "'");
  }
  if (starting) {
    // Stopped anyway, so no orphan egress is left (reference §3.4).
    co_return ConflictError("Recording '" + recording_id + "' cannot be stopped while starting");
  }
  auto record = RecordingFromEgress(*stopped, (*room)->room_name);
  if (!record.ok()) {
    co_return Unexpected("stopping egress '" + parts->egress_id + "'");
  }
  log::Info("recording stopping", {{"recordingId", recording_id}});
  co_return *record;
}

Task<Result<std::optional<RecordingInfo>>> RecordingLifecycle::Store(RecordingInfo incoming,
                                                                     bool* created) {
  *created = false;
  // Unreadable tombstones (Redis down) do not stop the update: see RecordingCatalogue::Save.
  auto deleted = co_await d_.catalogue->IsDeleted(incoming.recording_id);
  if (deleted.ok() && *deleted) {
    co_return std::optional<RecordingInfo>();
  }
  auto stored = co_await d_.catalogue->Get(incoming.recording_id);
  if (!stored.ok()) {
    co_return stored.status();
  }
  auto next = ApplyUpdate(*stored, incoming);
  if (!next) {
    co_return std::optional<RecordingInfo>();
  }
  Status s = co_await d_.catalogue->Save(*next);
  if (!s.ok()) {
    if (IsDeletedError(s, incoming.recording_id)) {
      co_return std::optional<RecordingInfo>();  // Deleted meanwhile: stays deleted.
    }
    co_return s;
  }
  *created = !stored->has_value();
  co_return next;
}

Task<Status> RecordingLifecycle::OnEgressEvent(std::string event, EgressInfo egress) {
  if (!IsRecordingEgress(egress)) {
    co_return Status::Ok();
  }
  const std::string room_id = egress.room_name;
  // Only egresses that write to our layout are ours (another application may use the same
  // LiveKit); this also holds for rooms that no longer exist (Q5).
  const std::string our_prefix = d_.catalogue->layout().EgressFilepath(room_id, "");
  if (egress.file_results[0].filename.find(our_prefix) == std::string::npos) {
    log::Debug("egress of another application ignored", {{"egressId", egress.egress_id}});
    co_return Status::Ok();
  }
  auto facts = co_await d_.rooms->Find(room_id);
  std::string room_name;
  if (facts.ok() && facts->has_value()) {
    room_name = (*facts)->room_name;
  }
  auto incoming = RecordingFromEgress(egress, room_name);
  if (!incoming.ok()) {
    log::Warn("egress event without a recording file", {{"egressId", egress.egress_id}});
    co_return Status::Ok();
  }
  const std::string id = incoming->recording_id;
  std::optional<Signal> signal;
  Status stored;  // Whether the record was stored: a failure is answered 503 so LiveKit resends.
  {
    // One event of a recording at a time: the record is read, changed and written as a unit,
    // and webhooks and signals leave in processing order.
    auto guard = co_await records_mu_.Lock(id);
    const std::string fleet_owner = co_await LockRecordInFleet(id);
    bool created = false;
    auto changed = co_await Store(*incoming, &created);
    if (!changed.ok()) {
      log::Error("recording record not stored", {{"recordingId", id}, {"event", event},
                                                 {"error", changed.status().ToString()}});
      stored = changed.status();
    }
    if (event == "egress_started" || created) {
      // Secrets are created once per recording (Q13): a repeated egress_started keeps them.
      auto secrets = co_await d_.catalogue->GetSecrets(id);
      if (secrets.ok() && !secrets->has_value()) {  // SaveSecrets refuses a deleted id.
        AccessSecrets fresh{d_.random->SecureHex(10), d_.random->SecureHex(10)};
        Status s = co_await d_.catalogue->SaveSecrets(id, fresh);
        if (!s.ok() && !IsDeletedError(s, id)) {
          log::Error("access secrets not stored", {{"recordingId", id}, {"error", s.ToString()}});
        }
      }
    }
    if (event == "egress_started") {
      Status s = co_await d_.rooms->ArchiveRoomMetadata(room_id);
      if (!s.ok()) {
        log::Warn("room metadata not archived", {{"roomId", room_id}, {"error", s.ToString()}});
      }
    }
    if (changed.ok() && changed->has_value()) {
      const RecordingInfo& record = **changed;
      const Json json = RecordingToJson(record);
      if (event == "egress_started") {
        d_.webhooks->Enqueue(AppEvent::kRecordingStarted, id, json);
      } else if (event == "egress_updated") {
        d_.webhooks->Enqueue(AppEvent::kRecordingUpdated, id, json);
        if (record.status == RecordingStatus::kActive) {
          Status s = co_await d_.bus->Publish(kRecordingActiveEvent, json);
          if (!s.ok()) {
            log::Error("recording_active not published", {{"recordingId", id}, {"error", s.ToString()}});
          }
        }
        signal = RecordingSignal(record);
      } else if (event == "egress_ended") {
        signal = RecordingSignal(record);
        d_.webhooks->Enqueue(AppEvent::kRecordingEnded, id, json);
        Status s = co_await d_.bus->Publish(kRecordingEndedEvent, json);
        if (!s.ok()) {
          log::Error("recording_ended not published", {{"recordingId", id}, {"error", s.ToString()}});
        }
      }
    }
    co_await UnlockRecordInFleet(id, fleet_owner);
    if (signal) {
      co_await SendSignal(room_id, signal->topic, signal->payload);
    }
  }
  if (event == "egress_ended") {
    const int64_t ended_ns = egress.ended_at_ns != 0 ? egress.ended_at_ns : egress.updated_at_ns;
    const int64_t ended_ms = ended_ns != 0 ? ended_ns / 1'000'000 : d_.clock->NowMs();
    Status s = co_await ReleaseIfNoEgress(room_id, ended_ms);
    if (!s.ok()) {
      log::Warn("room lock kept after egress_ended", {{"roomId", room_id}, {"error", s.ToString()}});
    }
  }
  co_return stored;
}

Task<Status> RecordingLifecycle::ReleaseIfNoEgress(std::string room_id,
                                                   std::optional<int64_t> created_before_ms,
                                                   std::optional<std::string> owner) {
  const std::string key = RoomLockKey(room_id);
  auto lock = co_await d_.locks->Get(key);
  if (!lock.ok()) {
    co_return lock.status();
  }
  if (!lock->has_value() || (owner && (*lock)->owner != *owner)) {
    co_return Status::Ok();
  }
  auto egresses = co_await ListInProgressRecordingEgresses(*d_.livekit, room_id);
  if (!egresses.ok()) {
    co_return egresses.status();
  }
  if (!egresses->empty()) {
    auto renewed = co_await d_.locks->Renew(key, (*lock)->owner, o_.lock_ttl);
    co_return renewed.ok() ? Status::Ok() : renewed.status();
  }
  // See the header: a newer lock may belong to a start whose egress is not listed yet; the lock
  // keeper frees it later if it is orphaned.
  const int64_t now = d_.clock->NowMs();
  const int64_t limit = created_before_ms ? *created_before_ms
                                          : now - o_.started_timeout.count() - 5000;
  if ((*lock)->created_at_ms > limit) {
    co_return Status::Ok();
  }
  auto released = co_await d_.locks->Release(key, (*lock)->owner);
  if (!released.ok()) {
    co_return released.status();
  }
  if (*released) {
    log::Info("room lock released", {{"roomId", room_id}});
  }
  co_return Status::Ok();
}

Task<Status> RecordingLifecycle::StopRoomEgresses(std::string room_id) {
  co_return co_await StopEgresses(std::move(room_id), o_.stop_wait);
}

Task<Status> RecordingLifecycle::StopAllEgresses(Millis wait) {
  co_return co_await StopEgresses(std::nullopt, wait);
}

Task<Status> RecordingLifecycle::StopEgresses(std::optional<std::string> room_id, Millis wait) {
  auto egresses = co_await ListInProgressRecordingEgresses(*d_.livekit, room_id);
  if (!egresses.ok()) {
    co_return Unexpected("getting in-progress egress for room '" + room_id.value_or("*") + "'");
  }
  size_t in_progress = egresses->size();
  for (const auto& e : *egresses) {
    auto stopped = co_await d_.livekit->StopEgress(e.egress_id);
    if (!stopped.ok()) {
      log::Warn("egress not stopped", {{"egressId", e.egress_id}, {"error", stopped.status().ToString()}});
    }
  }
  // Wait for the egresses to finish, so records are not deleted under a file still being written.
  const MonoTime deadline = d_.clock->Monotonic() + wait;
  while (in_progress > 0 && d_.clock->Monotonic() < deadline) {
    co_await SleepFor(*d_.timers, o_.stop_poll);
    auto again = co_await ListInProgressRecordingEgresses(*d_.livekit, room_id);
    if (!again.ok()) {
      break;
    }
    in_progress = again->size();
  }
  if (in_progress > 0) {
    log::Warn("egresses still finishing", {{"roomId", room_id.value_or("*")}, {"egresses", in_progress}});
  }
  co_return Status::Ok();
}

Task<Status> RecordingLifecycle::MarkFinished(std::string recording_id, RecordingStatus status,
                                              std::string error) {
  auto guard = co_await records_mu_.Lock(recording_id);
  const std::string fleet_owner = co_await LockRecordInFleet(recording_id);
  auto stored = co_await d_.catalogue->Get(recording_id);
  std::optional<RecordingInfo> next;
  Status s;
  if (!stored.ok()) {
    s = stored.status();
  } else if (!stored->has_value()) {
    s = NotFoundError("Recording '" + recording_id + "' not found");
  } else {
    next = recording::MarkFinished(**stored, status, std::move(error));
    if (next) {
      s = co_await d_.catalogue->Save(*next);
    }
  }
  co_await UnlockRecordInFleet(recording_id, fleet_owner);
  if (s.ok() && next) {
    d_.webhooks->Enqueue(AppEvent::kRecordingEnded, recording_id, RecordingToJson(*next));
    Signal signal = RecordingSignal(*next);
    co_await SendSignal(next->room_id, signal.topic, signal.payload);
  }
  co_return s;
}

Task<Status> RecordingLifecycle::ApplyEgress(EgressInfo egress) {
  auto record = RecordingFromEgress(egress, "");
  if (!record.ok()) {
    co_return record.status();
  }
  auto guard = co_await records_mu_.Lock(record->recording_id);
  const std::string fleet_owner = co_await LockRecordInFleet(record->recording_id);
  bool created = false;
  auto changed = co_await Store(*record, &created);
  co_await UnlockRecordInFleet(record->recording_id, fleet_owner);
  if (!changed.ok()) {
    co_return changed.status();
  }
  if (changed->has_value() && IsFinished((*changed)->status)) {
    d_.webhooks->Enqueue(AppEvent::kRecordingEnded, record->recording_id,
                         RecordingToJson(**changed));
  }
  co_return Status::Ok();
}

Task<std::string> RecordingLifecycle::LockRecordInFleet(const std::string& recording_id) {
  const std::string key = RecordLockKey(recording_id);
  const std::string owner = d_.random->SecureHex(16);
  const int64_t deadline = d_.clock->NowMs() + kRecordLockWait.count();
  Millis pause(5);
  while (true) {
    auto got = co_await d_.locks->Acquire(key, owner, kRecordLockTtl);
    if (got.ok() && *got) {
      co_return owner;
    }
    if (!got.ok() || d_.clock->NowMs() >= deadline) {
      log::Warn("recording processed without its fleet lock",
                {{"recordingId", recording_id},
                 {"reason", got.ok() ? std::string("held too long") : got.status().ToString()}});
      co_return std::string();
    }
    co_await SleepFor(*d_.timers, pause);
    pause = std::min(pause * 2, Millis(100));
  }
}

Task<void> RecordingLifecycle::UnlockRecordInFleet(const std::string& recording_id,
                                                   std::string owner) {
  if (owner.empty()) {
    co_return;
  }
  auto released = co_await d_.locks->Release(RecordLockKey(recording_id), owner);
  if (!released.ok()) {  // It expires by itself (kRecordLockTtl).
    log::Warn("recording fleet lock not released",
              {{"recordingId", recording_id}, {"error", released.status().ToString()}});
  }
}

Task<void> RecordingLifecycle::SendRoomStatus(std::string room_id, std::string identity) {
  RecordingListQuery query;
  query.room_id = room_id;
  query.limit = 50;
  auto page = co_await d_.catalogue->List(query);
  if (!page.ok()) {
    log::Warn("room status not sent", {{"roomId", room_id}, {"error", page.status().ToString()}});
    co_return;
  }
  Signal signal = RoomStatusSignal(page->recordings);
  std::vector<std::string> to;
  to.push_back(std::move(identity));
  co_await SendSignal(room_id, signal.topic, signal.payload, std::move(to));
}

Task<void> RecordingLifecycle::SendSignal(std::string room_id, std::string topic, Json payload,
                                          std::vector<std::string> destinations) {
  DataMessage message;
  message.payload = payload.dump();
  message.topic = topic;
  message.destination_identities = std::move(destinations);
  message.reliable = true;
  Status s = co_await d_.livekit->SendData(room_id, std::move(message));
  if (!s.ok()) {
    // A room that is gone simply gets no signal (reference §7).
    log::Debug("signal not sent", {{"roomId", room_id}, {"topic", topic}, {"error", s.message()}});
  }
}

}  // namespace mr::recording
