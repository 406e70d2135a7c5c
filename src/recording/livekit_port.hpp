#pragma once
// LiveKit: the port through which the recording core talks to a LiveKit server (rooms,
// participants, data messages and room-composite egress), plus the plain C++ types of the LiveKit
// objects it reads (EgressInfo, FileInfo, Room, ParticipantInfo, WebhookEvent).
//
// The types mirror the LiveKit protocol messages (livekit_models.proto, livekit_egress.proto,
// livekit_webhook.proto), keeping only the fields a recording service needs. Times keep LiveKit's
// units, which differ per field and are named in the field: egress and file times are unix
// nanoseconds, room creation and webhook times unix seconds. Enum values keep LiveKit's numbers.
// A field LiveKit did not send holds its proto default (0, "", false, empty).
//
// Implementations: livekit/TwirpLiveKitClient (the real server's Twirp API) and test fakes.
// Errors (every method): a LiveKit error reply becomes a Status via LiveKitErrorStatus below;
// a server that cannot be reached is kUnavailable; a call that exceeds its deadline is kTimeout;
// a reply that cannot be decoded is kInternal.
// Thread safety: plain value types; implementations of LiveKit allow concurrent calls.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/async.hpp"
#include "common/status.hpp"

namespace mr::recording {

// LiveKit's EgressStatus (EGRESS_STARTING = 0 ... EGRESS_LIMIT_REACHED = 6).
enum class EgressStatus : int32_t {
  kStarting = 0,
  kActive = 1,
  kEnding = 2,
  kComplete = 3,
  kFailed = 4,
  kAborted = 5,
  kLimitReached = 6,
};

// "EGRESS_STARTING", ...; "EGRESS_UNKNOWN" for a value outside the enum.
const char* EgressStatusName(EgressStatus status);
// True for COMPLETE, FAILED, ABORTED and LIMIT_REACHED: the egress will not change any more.
bool IsEgressFinished(EgressStatus status);

// LiveKit's EncodedFileType.
enum class EncodedFileType : int32_t { kDefault = 0, kMp4 = 1, kOgg = 2, kMp3 = 3 };

// One recorded file of an egress (FileInfo).
struct FileInfo {
  std::string filename;       // Final storage path, known from the start.
  int64_t started_at_ns = 0;  // When media began; 0 until ACTIVE.
  int64_t ended_at_ns = 0;
  int64_t duration_ns = 0;  // ended - started.
  int64_t size_bytes = 0;
  std::string location;  // Upload URL or local path; empty until uploaded.
};

// The parts of the echoed RoomCompositeEgressRequest a recording service looks at.
struct RoomCompositeEcho {
  std::string room_name;
  std::string layout;
  bool audio_only = false;
  bool video_only = false;
};

// LiveKit's EgressInfo.
struct EgressInfo {
  std::string egress_id;  // "EG_" + 12 characters.
  std::string room_id;    // The room's sid.
  std::string room_name;
  EgressStatus status = EgressStatus::kStarting;
  int32_t source_type = 0;    // EgressSourceType: 0 = WEB, 1 = SDK.
  int64_t started_at_ns = 0;  // When the worker accepted the request.
  int64_t ended_at_ns = 0;    // Set on the final status.
  int64_t updated_at_ns = 0;  // Every status change.
  std::string details;        // "End reason: ...".
  std::string error;
  int32_t error_code = 0;  // HTTP-like: 412 aborted, 413 limit reached, 500 ...
  // file_results; when a server sends only the deprecated `file` result, it is put here.
  std::vector<FileInfo> file_results;
  size_t stream_result_count = 0;
  size_t segment_result_count = 0;
  size_t image_result_count = 0;
  std::string manifest_location;
  bool backup_storage_used = false;
  int32_t retry_count = 0;
  // Set when the egress is a room composite.
  std::optional<RoomCompositeEcho> room_composite;
};

// LiveKit's Room.
struct LiveKitRoom {
  std::string sid;  // "RM_" + 12 characters.
  std::string name;
  uint32_t empty_timeout_s = 0;
  uint32_t departure_timeout_s = 0;
  uint32_t max_participants = 0;  // 0 = unlimited.
  int64_t creation_time_s = 0;
  int64_t creation_time_ms = 0;
  std::string metadata;
  uint32_t num_participants = 0;  // Excludes egress and agent participants.
  uint32_t num_publishers = 0;
  bool active_recording = false;  // A recorder (egress) participant is in the room.
};

// ParticipantInfo.State.
enum class ParticipantState : int32_t { kJoining = 0, kJoined = 1, kActive = 2, kDisconnected = 3 };

// ParticipantInfo.Kind. Values outside the named ones are kept as numbers.
enum class ParticipantKind : int32_t {
  kStandard = 0,
  kIngress = 1,
  kEgress = 2,
  kSip = 3,
  kAgent = 4,
  kConnector = 7,
  kBridge = 8,
};

// TrackInfo (the fields a recording service looks at). `type`: 0 AUDIO, 1 VIDEO, 2 DATA.
// `source`: 0 UNKNOWN, 1 CAMERA, 2 MICROPHONE, 3 SCREEN_SHARE, 4 SCREEN_SHARE_AUDIO.
struct TrackInfo {
  std::string sid;
  std::string name;
  int32_t type = 0;
  int32_t source = 0;
  bool muted = false;
  std::string mime_type;
};

// LiveKit's ParticipantInfo.
struct ParticipantInfo {
  std::string sid;  // "PA_...".
  std::string identity;
  std::string name;
  std::string metadata;
  ParticipantState state = ParticipantState::kJoining;
  ParticipantKind kind = ParticipantKind::kStandard;
  bool is_publisher = false;
  bool hidden = false;    // permission.hidden (the egress recorder is hidden).
  bool recorder = false;  // permission.recorder.
  int64_t joined_at_s = 0;
  int64_t joined_at_ms = 0;
  int32_t disconnect_reason = 0;  // DisconnectReason number.
  std::map<std::string, std::string> attributes;
  std::vector<TrackInfo> tracks;
};

// LiveKit's WebhookEvent. `event` is e.g. "egress_ended", "room_finished".
struct WebhookEvent {
  std::string id;  // "EV_" + 12 characters, unique per event (deliveries may repeat).
  std::string event;
  int64_t created_at_s = 0;
  std::optional<LiveKitRoom> room;  // For egress_* only {sid, name}.
  std::optional<ParticipantInfo> participant;
  std::optional<EgressInfo> egress_info;
};

// Maps a Twirp error (code, msg) to a Status: not_found -> kNotFound, already_exists ->
// kConflict, failed_precondition -> kPreconditionFailed, unauthenticated -> kUnauthorized,
// permission_denied -> kForbidden, invalid_argument -> kInvalidArgument, unavailable and
// resource_exhausted -> kUnavailable, deadline_exceeded -> kTimeout, anything else -> kInternal.
// The message is `msg` with LiveKit's "twirp error unknown: " prefix removed, otherwise verbatim.
Status LiveKitErrorStatus(std::string_view twirp_code, std::string_view msg);

// CreateRoom options. Zero / empty values are not sent (the server's defaults apply: empty
// timeout 300 s, departure timeout 20 s, unlimited participants). On an existing room the
// server applies the non-zero values and returns that room.
struct CreateRoomOptions {
  uint32_t empty_timeout_s = 0;
  uint32_t departure_timeout_s = 0;
  uint32_t max_participants = 0;
  std::string metadata;
};

struct FileOutput {
  // May contain {room_name}, {room_id}, {time}, {utc}; the server resolves the final name.
  std::string filepath;
  EncodedFileType file_type = EncodedFileType::kMp4;
  bool disable_manifest = false;
};

struct RoomCompositeRequest {
  std::string room_name;
  std::string layout;  // e.g. "grid", "speaker"; empty = the server's default.
  bool audio_only = false;
  bool video_only = false;  // REQUIRES: not both audio_only and video_only.
  FileOutput file;
};

// ListEgress filter: `egress_id` selects exactly one (kNotFound if unknown; then room_name and
// active are ignored by the server), else `room_name` the egresses of one room, else all.
// `active` keeps STARTING, ACTIVE and ENDING only.
struct ListEgressFilter {
  std::optional<std::string> room_name;
  std::optional<std::string> egress_id;
  bool active = false;
};

// Data message for SendData.
struct DataMessage {
  std::string payload;  // Raw bytes.
  std::optional<std::string> topic;
  std::vector<std::string> destination_identities;  // Empty = everyone in the room.
  bool reliable = true;
};

class LiveKit {
 public:
  virtual ~LiveKit() = default;

  // Creates the room, or returns the existing one of that name (see CreateRoomOptions).
  virtual Task<Result<LiveKitRoom>> CreateRoom(std::string name, CreateRoomOptions options) = 0;
  // The rooms with these names (unknown names are skipped); all rooms when `names` is empty.
  virtual Task<Result<std::vector<LiveKitRoom>>> ListRooms(std::vector<std::string> names) = 0;
  // Deletes the room and disconnects everyone. kNotFound if it does not exist.
  virtual Task<Status> DeleteRoom(std::string name) = 0;
  // Every participant, hidden ones (the egress recorder) included. Unknown room: empty list.
  virtual Task<Result<std::vector<ParticipantInfo>>> ListParticipants(std::string room) = 0;
  // kNotFound if the participant is not in the room.
  virtual Task<Result<ParticipantInfo>> GetParticipant(std::string room, std::string identity) = 0;
  // Disconnects the participant. kNotFound if absent.
  virtual Task<Status> RemoveParticipant(std::string room, std::string identity) = 0;
  // Sends a data packet to the room's participants.
  virtual Task<Status> SendData(std::string room, DataMessage message) = 0;
  // Replaces the room metadata and returns the updated room. kNotFound if the room is unknown.
  virtual Task<Result<LiveKitRoom>> UpdateRoomMetadata(std::string room, std::string metadata) = 0;
  // Starts a room-composite recording to a file. On success the egress is STARTING and
  // file_results[0].filename holds the final file name. kNotFound if the room does not exist.
  virtual Task<Result<EgressInfo>> StartRoomCompositeEgress(RoomCompositeRequest request) = 0;
  // Stops an egress: ACTIVE -> ENDING (COMPLETE follows by webhook), STARTING -> ABORTED.
  // kPreconditionFailed if it has already finished, kNotFound if unknown.
  virtual Task<Result<EgressInfo>> StopEgress(std::string egress_id) = 0;
  // The egresses matching `filter`, in no particular order.
  virtual Task<Result<std::vector<EgressInfo>>> ListEgress(ListEgressFilter filter) = 0;
};

}  // namespace mr::recording
