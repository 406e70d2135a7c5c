#pragma once
// The recording egresses LiveKit still runs (STARTING, ACTIVE or ENDING, file output only), for
// the lock keeper, the stale-recordings job, lock release and stopping a room's recordings.
// A kNotFound from LiveKit (a room it does not know) is an empty list; other errors are returned.

#include <optional>
#include <string>
#include <vector>

#include "common/async.hpp"
#include "common/status.hpp"
#include "recording/livekit_port.hpp"

namespace mr::recording {

// Of the room `room_name`, or of every room when nullopt.
Task<Result<std::vector<EgressInfo>>> ListInProgressRecordingEgresses(
    LiveKit& livekit, std::optional<std::string> room_name);

}  // namespace mr::recording
