#include "recording/jobs/stale_recordings.hpp"

#include "recording/jobs/lock_keeper.hpp"

namespace mr::recording::jobs {
namespace {

// Strictly older than `age_ms`; unknown and future times are never old.
bool OlderThan(int64_t now_ms, const std::optional<int64_t>& t_ms, int64_t age_ms) {
  return t_ms.has_value() && *t_ms < now_ms - age_ms;
}

}  // namespace

std::optional<int64_t> UpdatedAtMs(const EgressInfo& egress) {
  if (egress.updated_at_ns <= 0) {
    return std::nullopt;
  }
  return egress.updated_at_ns / 1'000'000;
}

bool NeedsRoomPresence(int64_t now_ms, const StaleOptions& opts, const EgressInfo& egress) {
  const bool running =
      egress.status == EgressStatus::kStarting || egress.status == EgressStatus::kActive;
  return running && IsRecordingEgress(egress) &&
         OlderThan(now_ms, UpdatedAtMs(egress), opts.stale_after_ms);
}

std::vector<EgressInfo> StaleCandidates(int64_t now_ms, const StaleOptions& opts,
                                        const std::vector<EgressInfo>& egresses) {
  std::vector<EgressInfo> out;
  for (const EgressInfo& e : egresses) {
    if (NeedsRoomPresence(now_ms, opts, e)) {
      out.push_back(e);
    }
  }
  return out;
}

StaleAction DecideStale(int64_t now_ms, const StaleOptions& opts, const EgressInfo& egress,
                        const std::optional<RoomPresence>& presence) {
  if (!IsRecordingEgress(egress)) {
    return StaleAction::kKeep;
  }
  if (egress.status == EgressStatus::kEnding) {
    return OlderThan(now_ms, UpdatedAtMs(egress), opts.ending_timeout_ms)
               ? StaleAction::kFailStuckEnding
               : StaleAction::kKeep;
  }
  if (!NeedsRoomPresence(now_ms, opts, egress) || !presence.has_value()) {
    return StaleAction::kKeep;
  }
  if (!presence->exists || presence->num_publishers == 0) {
    return StaleAction::kAbort;
  }
  return StaleAction::kKeep;
}

}  // namespace mr::recording::jobs
