#pragma once
// The Meet room (reference §1.7): the model, its two JSON forms, the request validation of the
// room endpoints and the pure deletion-policy decision (reference §2.3.12). Everything here is a
// pure function of its arguments; storage lives in room_repo.hpp and the orchestration in
// room_service.hpp. Decisions where the reference was silent are in docs/rooms.md.
// Thread safety: plain values and pure functions, safe from any thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.hpp"
#include "common/status.hpp"

namespace mr::rooms {

// ---------------------------------------------------------------------------------------------
// Enumerations and their wire names.

enum class RoomStatus { kOpen, kActiveMeeting, kClosed };    // open|active_meeting|closed
enum class MeetingEndAction { kNone, kClose, kDelete };      // none|close|delete
enum class WithMeeting { kForce, kWhenMeetingEnds, kFail };  // force|when_meeting_ends|fail
enum class WithRecordings { kForce, kClose, kFail };         // force|close|fail
enum class RecordingAccess { kAdmin, kAdminModerator, kAdminModeratorSpeaker };

const char* WireName(RoomStatus v);
const char* WireName(MeetingEndAction v);
const char* WireName(WithMeeting v);
const char* WireName(WithRecordings v);
const char* WireName(RecordingAccess v);

// Exact, case-sensitive parsing of the wire names above; nullopt for anything else.
std::optional<RoomStatus> ParseRoomStatus(std::string_view s);
std::optional<MeetingEndAction> ParseMeetingEndAction(std::string_view s);
std::optional<WithMeeting> ParseWithMeeting(std::string_view s);
std::optional<WithRecordings> ParseWithRecordings(std::string_view s);
std::optional<RecordingAccess> ParseRecordingAccess(std::string_view s);

// ---------------------------------------------------------------------------------------------
// Model.

struct RecordingConfig {
  bool enabled = true;
  // Required when `enabled` (validation enforces it for API input); may be absent otherwise.
  std::optional<RecordingAccess> allow_access_to = RecordingAccess::kAdminModeratorSpeaker;
  // Keys of a stored `config.recording` object this version does not know (e.g. written by a
  // newer OpenVidu Meet); kept so that a read-modify-write never loses them.
  Json extra = Json::object();
};

struct FeatureToggle {
  bool enabled = true;
};

// `config` of a room. Defaults are the reference's creation defaults.
struct RoomConfig {
  RecordingConfig recording;
  FeatureToggle chat;
  FeatureToggle virtual_background;
  Json extra = Json::object();  // Unknown stored `config` keys (e.g. `e2ee`), kept verbatim.
};

// Policy the hourly room garbage collector applies; never `fail` (validation refuses it).
struct AutoDeletionPolicy {
  WithMeeting with_meeting = WithMeeting::kWhenMeetingEnds;
  WithRecordings with_recordings = WithRecordings::kClose;
};

struct Room {
  std::string room_id;
  std::string room_name;
  int64_t creation_date_ms = 0;
  std::optional<int64_t> auto_deletion_date_ms;
  std::optional<AutoDeletionPolicy> auto_deletion_policy;
  RoomConfig config;
  // Path plus query, `/room/{roomId}?secret={10 hex}`; never a scheme or host (reference §1.9).
  std::string moderator_url;
  std::string speaker_url;
  RoomStatus status = RoomStatus::kOpen;
  MeetingEndAction meeting_end_action = MeetingEndAction::kNone;
  Json extra = Json::object();  // Unknown stored top-level keys, kept verbatim.
};

// ---------------------------------------------------------------------------------------------
// JSON forms.

Json RoomConfigToJson(const RoomConfig& config);

// Stored form (`{subbucket}/rooms/{roomId}/{roomId}.json`): the reference's field order, path-only
// URLs, absent optionals omitted, unknown keys written back after the known ones.
Json RoomToStoredJson(const Room& room);

// API form: the stored form with `base_url` (no trailing slash) prepended to both URLs.
Json RoomToApiJson(const Room& room, std::string_view base_url);

// Parses a stored room. Lenient where the reference's data may vary (a missing `status` is
// `open`, a missing `meetingEndAction` is `none`, absolute URLs are reduced to path+query, unknown
// keys are kept in `extra`); kInternal when a required field (roomId, roomName, creationDate,
// moderatorUrl, speakerUrl) is missing or has the wrong type, or an enum value is unknown.
Result<Room> RoomFromStoredJson(const Json& json);

// ---------------------------------------------------------------------------------------------
// Names, ids and URLs.

// The reference's room-name sanitiser: trim; drop characters other than ASCII letters, digits,
// '_', '-' and whitespace; collapse whitespace runs to one space and '-'/'_' runs to one; strip
// trailing '-', then '_', then leading '-', then '_'. Spaces inside the name are kept.
std::string SanitizeRoomName(std::string_view raw);

// The room-id prefix for a (sanitised) room name: recording::SanitizeRoomIdChars of the name,
// i.e. without whitespace and never with a double hyphen; "room" when that is empty.
std::string RoomIdPrefix(std::string_view room_name);

// The id suffix alphabet and length (reference §1.7): 15 characters of [0-9a-z].
inline constexpr std::string_view kRoomIdSuffixAlphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
inline constexpr size_t kRoomIdSuffixLength = 15;
inline constexpr size_t kRoomSecretLength = 10;

// `/room/{roomId}?secret={secret}`.
std::string RoomAccessPath(std::string_view room_id, std::string_view secret);

// Reduces an absolute URL to its path and query ("https://h/room/x?secret=y" → "/room/x?secret=y");
// a string that is already a path is returned unchanged.
std::string StripToPathAndQuery(std::string_view url);

// The value of the `secret` query parameter of a room URL; empty when there is none.
std::string SecretOfRoomUrl(std::string_view url);

// ---------------------------------------------------------------------------------------------
// Validation of API input (reference-style messages; see docs/rooms.md for each).

struct FieldError {
  std::string field;    // Dotted path, e.g. "config.recording.allowAccessTo".
  std::string message;  // E.g. "allowAccessTo is required when recording is enabled".
};

template <typename T>
struct Validated {
  std::optional<T> value;          // Set when valid.
  std::vector<FieldError> errors;  // Set when not.
};

// Minimum distance of `autoDeletionDate` from now (MIN_FUTURE_TIME_FOR_ROOM_AUTODELETION_DATE).
inline constexpr int64_t kMinAutoDeletionFutureMs = 60 * 60 * 1000;

// A validated `POST /api/v1/rooms` body.
struct CreateRoomRequest {
  std::string room_name = "Room";  // Sanitised; "Room" when absent or empty after sanitising.
  std::optional<int64_t> auto_deletion_date_ms;
  AutoDeletionPolicy auto_deletion_policy;  // Only stored when a date is given.
  RoomConfig config;
};

// Validates a create body (`body` is the parsed JSON; an empty request body is `{}`). `now_ms`
// and `min_future_ms` decide the autoDeletionDate bound; the message names the bound in the `ms`
// library's short form ("1h").
Validated<CreateRoomRequest> ValidateCreateRoomBody(
    const Json& body, int64_t now_ms, int64_t min_future_ms = kMinAutoDeletionFutureMs);

// Validates a `PUT /api/v1/rooms/{roomId}/config` body `{ "config": {...} }` (the whole config is
// required: recording, chat and virtualBackground).
Validated<RoomConfig> ValidateUpdateConfigBody(const Json& body);

// Formats a duration the way the `ms` library prints its inputs: "1h", "30m", "20s", "150ms".
std::string ShortDuration(int64_t ms);

// ---------------------------------------------------------------------------------------------
// Deletion policy (reference §2.3.12), a pure decision.

enum class DeletionAction {
  kRefuse,                   // Nothing changes; answer 409 with the code.
  kDeleteRoom,               // Delete the room record.
  kDeleteRoomAndRecordings,  // Delete every recording of the room, then the room record.
  kCloseRoom,                // status = closed.
  kScheduleDelete,           // meetingEndAction = delete (done on room_finished).
  kScheduleClose,            // meetingEndAction = close (done on room_finished).
  kEndMeetingThenDelete,     // meetingEndAction = delete, then end the LiveKit meeting now.
  kEndMeetingThenClose,      // meetingEndAction = close, then end the LiveKit meeting now.
};

enum class DeletionCode {
  // Success codes.
  kRoomDeleted,
  kRoomWithActiveMeetingDeleted,
  kRoomWithActiveMeetingScheduledToBeDeleted,
  kRoomAndRecordingsDeleted,
  kRoomClosed,
  kRoomWithActiveMeetingAndRecordingsDeleted,
  kRoomWithActiveMeetingClosed,
  kRoomWithActiveMeetingAndRecordingsScheduledToBeDeleted,
  kRoomWithActiveMeetingScheduledToBeClosed,
  // Error codes (409).
  kRoomHasActiveMeeting,
  kRoomHasRecordings,
  kRoomWithActiveMeetingHasRecordings,
  kRoomWithActiveMeetingHasRecordingsCannotScheduleDeletion,
  kRoomWithRecordingsHasActiveMeeting,
};

struct DeletionDecision {
  DeletionAction action;
  DeletionCode code;
  bool operator==(const DeletionDecision&) const = default;
};

// The reference's decision table, total over all 2×2×3×3 inputs.
DeletionDecision DecideRoomDeletion(bool has_active_meeting, bool has_recordings,
                                    WithMeeting with_meeting, WithRecordings with_recordings);

const char* WireName(DeletionCode code);      // E.g. "room_with_active_meeting_closed".
bool IsDeletionError(DeletionCode code);      // The five 409 codes.
bool IsDeletionScheduled(DeletionCode code);  // The three codes answered with 202.
bool DeletionReturnsRoom(DeletionCode code);  // Success bodies that carry `room`.
// The reference's message for `code`, e.g. "Room 'r' deleted successfully".
std::string DeletionMessage(DeletionCode code, std::string_view room_id);

}  // namespace mr::rooms
