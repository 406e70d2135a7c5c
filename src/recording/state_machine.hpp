#pragma once
// The one recording state machine (STYLE rule 7; reference §1.2–1.3). Every change of a stored
// record — from a LiveKit egress webhook, the start-timeout handler, the stale-recording job,
// room deletion or start-up reconciliation — goes through ApplyUpdate, so the rules live here:
//
//   starting → active → ending → {complete, failed, aborted, limit_reached}
//
//   - A record never moves backwards: an update whose status ranks below the stored one is
//     ignored (e.g. `egress_updated ACTIVE` arriving after `egress_ended`). Steps may be skipped
//     (starting → complete, starting → aborted).
//   - A terminal status is final. A later terminal report of another status (the egress's own
//     `egress_ended` after the service marked the record `failed` on a start timeout) keeps the
//     stored status and error, and only fills in what the record lacks (endDate, duration, size,
//     details), so the facts about the file are not lost.
//   - An update of the same status refreshes the record's fields (LiveKit repeats
//     `egress_updated` with new details).
// Pure functions; thread safety: none needed.

#include <optional>
#include <string>

#include "recording/recording.hpp"

namespace mr::recording {

// 0 starting, 1 active, 2 ending, 3 any terminal status.
int StatusRank(RecordingStatus s);

// Whether a record in `current` (nullopt: nothing stored yet) may take status `next`.
bool MayTransition(std::optional<RecordingStatus> current, RecordingStatus next);

// The record to store after `incoming` arrives for a recording whose stored record is `stored`,
// or nullopt when nothing changes (ignored update, or identical record).
std::optional<RecordingInfo> ApplyUpdate(const std::optional<RecordingInfo>& stored,
                                         const RecordingInfo& incoming);

// A service-side terminal mark (start timeout → failed, stale job / room deletion → aborted,
// reconciliation): `stored` with `status` and `error`, through the same rules as ApplyUpdate.
// REQUIRES: IsFinished(status).
std::optional<RecordingInfo> MarkFinished(const RecordingInfo& stored, RecordingStatus status,
                                          std::string error);

bool SameRecord(const RecordingInfo& a, const RecordingInfo& b);

}  // namespace mr::recording
