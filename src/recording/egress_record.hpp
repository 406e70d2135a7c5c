#pragma once
// Building a recording record from a LiveKit EgressInfo (reference §1.5–1.6), and the egress
// requests the lifecycle sends (§5.3). Pure functions.
//
// Differences from the reference (scope.md): dates are integer milliseconds (Q19), and the
// record does not need the Meet room (Q5): the caller passes the room name it knows (the live
// room's, else the stored record's, else the room id).

#include <optional>
#include <string>

#include "common/status.hpp"
#include "recording/livekit_port.hpp"
#include "recording/recording.hpp"
#include "recording/storage_layout.hpp"

namespace mr::recording {

// EGRESS_* → recording status (§1.3); unknown values → failed.
RecordingStatus StatusFromEgress(EgressStatus status);

// At least one file result and no stream results (§1.6): only these are recordings.
bool IsRecordingEgress(const EgressInfo& egress);

// STARTING, ACTIVE or ENDING: the egress may still write its file.
bool IsInProgress(EgressStatus status);

// The uid of a media file name `{roomId}--{uid}.mp4`: after the first "--", up to the first '.'.
std::optional<std::string> UidFromFilename(std::string_view filename);

// The record of §1.6 with `room_name`. kInvalidArgument when the egress has no file result or
// its file name carries no uid (not one of ours).
Result<RecordingInfo> RecordingFromEgress(const EgressInfo& egress, std::string room_name);

// `{roomId}--{egressId}--{uid}` of an egress, or nullopt (see RecordingFromEgress).
std::optional<std::string> RecordingIdOfEgress(const EgressInfo& egress);

// The room-composite request of §3.2 step 5: layout grid, MP4 file at
// `{subbucket}/recordings/{roomId}/{roomId}--{uid}` (the egress appends ".mp4"), no manifest.
RoomCompositeRequest CompositeRequestFor(const StorageLayout& layout, const std::string& room_id,
                                         const std::string& uid);

}  // namespace mr::recording
