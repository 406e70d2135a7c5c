#pragma once
// Reconciliation of stored in-progress records against LiveKit, at start-up and periodically.
// A record stays `starting`/`active`/`ending` only while its egress runs; when a webhook was
// lost (service down, delivery failed) this job settles it, so every recording ends in a
// terminal state (STYLE rule 7). Pure: the caller lists the stored non-terminal records and the
// egresses (one global ListEgress), calls PlanReconciliation and applies the decisions.
//
// Rules, per record (its egress id is the middle part of `{room}--{egress}--{uid}`, §1.4):
//   - the record is already terminal                                -> kKeep (nothing to do);
//   - LiveKit lists the egress and it is STARTING/ACTIVE/ENDING      -> kKeep;
//   - LiveKit lists the egress and it has finished                   -> kApplyEgress (the caller
//     rebuilds the record from the EgressInfo, as the egress_ended webhook would have);
//   - LiveKit does not list the egress, and the record is younger
//     than `min_age_ms` (now - start_date < min_age_ms)             -> kSkipTooYoung (the egress
//     may not be listed yet: a start in flight, or a lagging list);
//   - LiveKit does not list the egress otherwise                     -> kMarkAborted (the egress
//     is gone; settle the record `aborted` with error kEgressGoneError).
// The age only guards the "absent" case: a listed egress is evidence enough at any age. A record
// without start_date counts as old; a future start_date as young. An id that does not parse names
// no egress LiveKit could know, so it is marked aborted (it would otherwise never end).

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "recording/livekit_port.hpp"
#include "recording/recording.hpp"

namespace mr::recording::jobs {

inline constexpr std::string_view kEgressGoneError = "Egress no longer exists in LiveKit";

struct ReconcileOptions {
  int64_t min_age_ms = 60 * 1000;
};

enum class ReconcileAction { kKeep, kApplyEgress, kMarkAborted, kSkipTooYoung };

struct ReconcileDecision {
  std::string recording_id;
  std::string egress_id;  // Empty when the recording id does not parse.
  ReconcileAction action = ReconcileAction::kKeep;
};

// The decision for one record; `egress` is what LiveKit lists for its egress id (nullptr when
// LiveKit does not know it).
ReconcileAction DecideReconcile(int64_t now_ms, const ReconcileOptions& opts,
                                const RecordingInfo& record, const EgressInfo* egress);

// One decision per record, in input order.
// REQUIRES: `egresses_by_id` comes from a ListEgress taken after the records were read (a record
// stored in between may look orphaned; min_age_ms covers this), keyed by egress_id.
std::vector<ReconcileDecision> PlanReconciliation(
    int64_t now_ms, const ReconcileOptions& opts, const std::vector<RecordingInfo>& records,
    const std::map<std::string, EgressInfo>& egresses_by_id);

}  // namespace mr::recording::jobs
