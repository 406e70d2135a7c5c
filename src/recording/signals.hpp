#pragma once
// Live signals to the participants of a room (reference §7): LiveKit data messages the
// OpenVidu Components UI reads to show the recording state. Pure builders; the lifecycle sends
// them with LiveKit::SendData (reliable, to everyone unless a destination is given).

#include <string>
#include <vector>

#include "common/json.hpp"
#include "recording/recording.hpp"

namespace mr::recording {

struct Signal {
  std::string topic;
  Json payload;
};

// §7.1: recordingStarting, recordingStarted, recordingStopping, recordingStopped (complete,
// limit_reached), recordingFailed (failed, aborted).
std::string SignalTopic(RecordingStatus status);
// §7.1 payload status: STARTING, STARTED, STOPPING, READY, FAILED.
std::string SignalStatus(RecordingStatus status);

// §7.2: {id, roomName (the room id), roomId, status, filename, startedAt, endedAt, duration,
// size, error}; absent values omitted.
Json SignalPayload(const RecordingInfo& record);

// The signal of a record's current status.
Signal RecordingSignal(const RecordingInfo& record);

// §7.3: sent when a start passed room validation.
Signal StartingSignal(const std::string& room_id);

// §7.3: sent when a start timed out before LiveKit returned an egress.
Signal NoEgressFailedSignal(const std::string& room_id);

// §7.4: `roomStatus` to a participant who joined: the room's first recordings (≤ 50).
Signal RoomStatusSignal(const std::vector<RecordingInfo>& recordings);

}  // namespace mr::recording
