#pragma once
// RecordingLifecycle: start, stop and the LiveKit egress events of recordings (reference §3.2,
// §3.4, §5.5, §7), with scope.md's fixes. See docs/lifecycle.md for who stops, releases and
// deletes what, and when.
//
// The room lock (`ov_meet_lock:recording_active_{roomId}`) means "a recording of this room is
// starting, active or ending" (Q15, Q16). Start takes it; it is released only when LiveKit lists
// no in-progress recording egress of the room any more (ReleaseIfNoEgress: after a failed start,
// on `egress_ended`, `room_finished`, and by the lock keeper job, which also renews it).
//
// Start (Q3, Q4): the ACTIVE confirmation is matched by egress id and buffered if it comes before
// LiveKit's reply, so it is never lost; a start that times out marks its recording `failed` and
// stops its egress — also when LiveKit's reply only arrives after the timeout — and keeps the
// lock until that egress has ended, so no egress ever runs without its room lock.
//
// Egress events go through the one state machine (state_machine.hpp) under a per-recording
// mutex; the record does not need the Meet room (Q5); access secrets are created once (Q13).
//
// Errors are Status values whose messages are the reference's texts (§2.3.1, §2.3.2):
//   kNotFound "Room '{roomId}' does not exist" / "Recording '{egressId}' not found",
//   kForbidden "Recording is disabled for room '{roomId}'",
//   kConflict "Room '{roomId}' is already being recorded" / "... has no participants" /
//             "Recording '{id}' cannot be stopped while starting" / "... is already stopped",
//   kTimeout "Recording in room '{roomId}' timed out while starting",
//   kUnavailable when the lock service or storage cannot be reached,
//   kInternal "Unexpected error while ..." for LiveKit failures.
// Thread safety: every method may be called concurrently from any thread.

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "common/async.hpp"
#include "common/clock.hpp"
#include "common/keyed_mutex.hpp"
#include "common/random.hpp"
#include "common/status.hpp"
#include "common/timers.hpp"
#include "coordination/event_bus.hpp"
#include "coordination/lock_service.hpp"
#include "recording/app_webhooks.hpp"
#include "recording/livekit_port.hpp"
#include "recording/recording.hpp"
#include "recording/recording_catalogue.hpp"
#include "recording/room_directory.hpp"

namespace mr::recording {

struct LifecycleOptions {
  Millis started_timeout{20000};  // RECORDING_STARTED_TIMEOUT.
  // TTL of the room lock; the lock keeper renews it while an egress is in progress, so it only
  // matters when every instance is gone.
  Millis lock_ttl{5 * 60 * 1000};
  // Room deletion: how long to wait for stopped egresses to finish before deleting records.
  Millis stop_wait{10000};
  Millis stop_poll{250};
};

// The distributed event published when a recording becomes active (reference §6.4).
inline constexpr const char* kRecordingActiveEvent = "recording_active";
// Published when a recording's egress has ended; a start still waiting for that egress to become
// active fails at once instead of waiting for its timeout.
inline constexpr const char* kRecordingEndedEvent = "recording_ended";

// `ov_meet_lock:recording_active_{roomId}`.
std::string RoomLockKey(const std::string& room_id);
inline constexpr const char* kRoomLockPrefix = "ov_meet_lock:recording_active_";

// `mr_lock:recording_{recordingId}`: held while one instance reads, changes and writes a record.
// Short-lived; its TTL only matters when the holder dies mid-update.
std::string RecordLockKey(const std::string& recording_id);
inline constexpr Millis kRecordLockTtl{30000};
inline constexpr Millis kRecordLockWait{10000};

struct LifecycleDeps {
  LiveKit* livekit = nullptr;
  RecordingCatalogue* catalogue = nullptr;
  coordination::LockService* locks = nullptr;
  coordination::EventBus* bus = nullptr;
  AppWebhooks* webhooks = nullptr;
  RoomDirectory* rooms = nullptr;
  Timers* timers = nullptr;
  const Clock* clock = nullptr;
  Random* random = nullptr;
  asio::any_io_executor executor;  // Runs background work (timeout handling, signals).
};

class RecordingLifecycle {
 public:
  RecordingLifecycle(LifecycleDeps deps, LifecycleOptions options);
  ~RecordingLifecycle();

  // Reference §3.2 for a sanitised room id. The record of the now-active recording.
  Task<Result<RecordingInfo>> Start(std::string room_id);

  // Reference §3.4 for a validated recording id: the record built from LiveKit's reply (usually
  // `ending`); the stored record is changed by the webhooks that follow.
  Task<Result<RecordingInfo>> Stop(std::string recording_id);

  // One verified LiveKit egress webhook (`egress_started`, `egress_updated`, `egress_ended`).
  // Errors are logged; the state machine makes duplicates and reordering harmless.
  Task<Status> OnEgressEvent(std::string event, EgressInfo egress);

  // Frees the room lock when LiveKit lists no in-progress recording egress of the room; keeps
  // (and renews) it otherwise. A LiveKit failure keeps the lock (the lock keeper retries).
  // A lock may belong to a start still waiting for LiveKit's reply (no egress listed yet), so
  // only a lock created at or before `created_before_ms` is freed (e.g. the end time of the
  // egress whose end triggers the call); without it, only a lock older than the start timeout.
  // With `owner`, only a lock held by that owner is considered.
  Task<Status> ReleaseIfNoEgress(std::string room_id,
                                 std::optional<int64_t> created_before_ms = std::nullopt,
                                 std::optional<std::string> owner = std::nullopt);

  // Room deletion (reference §3.7 steps 1–2): stops the room's in-progress recording egresses
  // and waits (up to options.stop_wait) until LiveKit reports them finished.
  Task<Status> StopRoomEgresses(std::string room_id);

  // Shutdown of the embedded LiveKit: stops every in-progress recording egress and waits up to
  // `wait` until they have finished (their webhooks settle the records `complete`).
  Task<Status> StopAllEgresses(Millis wait);

  // Settles a stored record with a terminal status written by the service (stale job,
  // reconciliation); no-op when the state machine refuses it.
  Task<Status> MarkFinished(std::string recording_id, RecordingStatus status, std::string error);

  // Stores the record LiveKit's final view of an egress gives (reconciliation).
  Task<Status> ApplyEgress(EgressInfo egress);

  // §7.4: the room's recording state, to one participant who just joined.
  Task<void> SendRoomStatus(std::string room_id, std::string participant_identity);

  // Sends a signal to everyone in the room; failures are logged at debug level (§7).
  Task<void> SendSignal(std::string room_id, std::string topic, Json payload,
                        std::vector<std::string> destinations = {});

  struct StartAttempt;

 private:
  Task<Status> StopEgresses(std::optional<std::string> room_id, Millis wait);
  Task<void> HandleLateOrTimedOut(std::shared_ptr<StartAttempt> attempt);
  Task<Status> FailAndStop(std::string room_id, std::string owner, EgressInfo egress,
                           std::string reason);
  Task<Result<std::optional<RecordingInfo>>> Store(RecordingInfo incoming, bool* created);
  // The fleet-wide half of the per-recording lock (records_mu_ is the local half): instances of
  // a fleet may process events of one recording at the same time (webhooks reach any instance),
  // and a read-change-write must not interleave with another one. Returns the owner token to
  // release with, or "" when the lock could not be had (the back-end is down or it stayed held
  // past kRecordLockWait): the event is then processed anyway, since the state machine keeps a
  // record from going backwards and losing an event is worse.
  Task<std::string> LockRecordInFleet(const std::string& recording_id);
  Task<void> UnlockRecordInFleet(const std::string& recording_id, std::string owner);
  Task<std::string> RoomNameFor(const std::string& room_id, const std::string& recording_id);
  void Spawn(Task<void> task);

  LifecycleDeps d_;
  LifecycleOptions o_;
  KeyedMutex records_mu_;
};

}  // namespace mr::recording
