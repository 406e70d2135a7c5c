#pragma once
// The recording lifecycle's and its jobs' options (reference §8.1, with the renewal the room
// lock needs, Q15), parsed from the configuration map. Durations take "20s", "30m", "6h" or a
// number of milliseconds.
//
//   MEET_RECORDING_STARTED_TIMEOUT            20s  wait for ACTIVE after a start
//   MEET_RECORDING_LOCK_TTL                   5m   room lock TTL (renewed while recording)
//   MEET_RECORDING_LOCK_GC_INTERVAL           1m   lock keeper: renew or free room locks
//   MEET_RECORDING_ORPHANED_LOCK_GRACE_PERIOD 1m   lock age before the keeper may free it
//   MEET_RECORDING_STALE_CLEANUP_INTERVAL     15m  stale recordings + reconciliation
//   MEET_RECORDING_STALE_AFTER                5m   egress silence before it counts as stale
//   MEET_RECORDING_ENDING_TIMEOUT             10m  ENDING longer than this: settled as failed
//   MEET_RECORDING_RECONCILE_MIN_AGE          1m   records younger than this are not reconciled
//                                                  (a start elsewhere may not be listed yet)
//   MEET_ROOM_GC_INTERVAL                     1h   expired-room deletion

#include <map>
#include <string>
#include <vector>

#include "common/status.hpp"
#include "recording/lifecycle.hpp"

namespace mr::recording {

struct RecordingOptions {
  LifecycleOptions lifecycle;
  Millis lock_gc_interval{60'000};
  Millis orphaned_lock_grace{60'000};
  Millis stale_cleanup_interval{15 * 60'000};
  Millis stale_after{5 * 60'000};
  Millis ending_timeout{10 * 60'000};
  Millis reconcile_min_age{60'000};
  Millis room_gc_interval{60 * 60'000};
};

// kInvalidArgument naming the key for a bad value, or when the lock TTL is not at least twice
// the keeper interval (the lock would expire between renewals).
Result<RecordingOptions> RecordingOptionsFromEnv(const std::map<std::string, std::string>& env);

// The keys above, for the config file's allow-list.
const std::vector<std::string>& RecordingOptionKeys();

}  // namespace mr::recording
