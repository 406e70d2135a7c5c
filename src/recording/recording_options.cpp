#include "recording/recording_options.hpp"

#include "common/duration.hpp"

namespace mr::recording {

const std::vector<std::string>& RecordingOptionKeys() {
  static const std::vector<std::string> keys = {
      "MEET_RECORDING_STARTED_TIMEOUT",        "MEET_RECORDING_LOCK_TTL",
      "MEET_RECORDING_LOCK_GC_INTERVAL",       "MEET_RECORDING_ORPHANED_LOCK_GRACE_PERIOD",
      "MEET_RECORDING_STALE_CLEANUP_INTERVAL", "MEET_RECORDING_STALE_AFTER",
      "MEET_RECORDING_ENDING_TIMEOUT",         "MEET_RECORDING_RECONCILE_MIN_AGE",
      "MEET_ROOM_GC_INTERVAL",
  };
  return keys;
}

Result<RecordingOptions> RecordingOptionsFromEnv(const std::map<std::string, std::string>& env) {
  RecordingOptions o;
  struct Field {
    const char* key;
    Millis* target;
  };
  const Field fields[] = {
      {"MEET_RECORDING_STARTED_TIMEOUT", &o.lifecycle.started_timeout},
      {"MEET_RECORDING_LOCK_TTL", &o.lifecycle.lock_ttl},
      {"MEET_RECORDING_LOCK_GC_INTERVAL", &o.lock_gc_interval},
      {"MEET_RECORDING_ORPHANED_LOCK_GRACE_PERIOD", &o.orphaned_lock_grace},
      {"MEET_RECORDING_STALE_CLEANUP_INTERVAL", &o.stale_cleanup_interval},
      {"MEET_RECORDING_STALE_AFTER", &o.stale_after},
      {"MEET_RECORDING_ENDING_TIMEOUT", &o.ending_timeout},
      {"MEET_RECORDING_RECONCILE_MIN_AGE", &o.reconcile_min_age},
      {"MEET_ROOM_GC_INTERVAL", &o.room_gc_interval},
  };
  for (const auto& f : fields) {
    auto it = env.find(f.key);
    if (it == env.end() || it->second.empty()) {
      continue;
    }
    auto d = ParseDuration(it->second);
    if (!d || d->count() <= 0) {
      return InvalidArgumentError(std::string("invalid configuration: ") + f.key +
                                  " must be a positive duration such as 20s, 30m, 6h or 1500 "
                                  "(milliseconds), got '" + it->second + "'");
    }
    *f.target = *d;
  }
  if (o.lifecycle.lock_ttl < 2 * o.lock_gc_interval) {
    return InvalidArgumentError(
        "invalid configuration: MEET_RECORDING_LOCK_TTL must be at least twice "
        "MEET_RECORDING_LOCK_GC_INTERVAL, or room locks expire between renewals");
  }
  return o;
}

}  // namespace mr::recording
