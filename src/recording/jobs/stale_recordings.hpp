#pragma once
// Stale-recording cleanup and the ENDING watchdog (reference §6.7, scope.md Q17, STYLE rule 7).
// Pure: the caller lists the in-progress recording egresses (one global ListEgress), reads the
// LiveKit room only for the egresses StaleCandidates returns, calls DecideStale and applies it.
//
// Rules, per egress (`updated` = updated_at_ns in ms, rounded down; 0 = unknown):
//   - not a recording egress, or not in progress                         -> kKeep;
//   - STARTING/ACTIVE, `updated` strictly older than now - stale_after:
//       the room is gone, or nobody publishes in it                       -> kAbort
//       (stop the egress and settle the record `aborted`), otherwise kKeep;
//   - ENDING, `updated` strictly older than now - ending_timeout          -> kFailStuckEnding
//     (the egress cannot be stopped any more, so the record is settled `failed`);
//   - anything else (fresh, unknown or future `updated`)                  -> kKeep.
// "Exactly stale_after old" is not stale, as in the reference. An unknown `updated` is never
// stale: there is no evidence the egress stopped progressing.
//
// Deviations from the reference, and why:
//   - A stored `aborted` record does not exempt its egress (Q17): the planner does not look at
//     stored records at all. The egress is stopped anyway, so every egress ends and its lock goes.
//   - ENDING egresses are not aborted: LiveKit only stops STARTING/ACTIVE egresses, and an ENDING
//     one is already finishing. They are only subject to the watchdog, whose longer timeout gives
//     the upload time to complete.

#include <cstdint>
#include <optional>
#include <vector>

#include "recording/livekit_port.hpp"

namespace mr::recording::jobs {

struct StaleOptions {
  int64_t stale_after_ms = 5 * 60 * 1000;      // Reference RECORDING_STALE_AFTER.
  int64_t ending_timeout_ms = 10 * 60 * 1000;  // Watchdog for ENDING.
};

// The egress's LiveKit room, as read by the caller.
struct RoomPresence {
  bool exists = false;
  uint32_t num_publishers = 0;  // Meaningless when !exists.
};

enum class StaleAction { kKeep, kAbort, kFailStuckEnding };

// updated_at_ns in whole milliseconds, or nullopt when LiveKit did not send it (<= 0).
std::optional<int64_t> UpdatedAtMs(const EgressInfo& egress);

// True when DecideStale needs the egress's room: a STARTING/ACTIVE recording egress whose
// updated time is strictly older than now - stale_after.
bool NeedsRoomPresence(int64_t now_ms, const StaleOptions& opts, const EgressInfo& egress);

// The egresses for which NeedsRoomPresence holds, in input order.
std::vector<EgressInfo> StaleCandidates(int64_t now_ms, const StaleOptions& opts,
                                        const std::vector<EgressInfo>& egresses);

// The decision for one egress (see the rules above).
// REQUIRES: `presence` is set when NeedsRoomPresence(now_ms, opts, egress); otherwise it is
// ignored. A stale candidate without presence is kept (no evidence the room is empty).
StaleAction DecideStale(int64_t now_ms, const StaleOptions& opts, const EgressInfo& egress,
                        const std::optional<RoomPresence>& presence);

}  // namespace mr::recording::jobs
