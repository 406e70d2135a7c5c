#pragma once
// LiveKit wire forms for lksim (spec: /work/shared/spec/livekit-protocol.md §1-§7).
//
// lksim keeps its state in the plain structs below and renders them in LiveKit's two JSON forms:
//   - the Twirp response ("server") form: proto names (snake_case), every field present, int64 as
//     strings, enums as names, unset sub-messages null (§1.2);
//   - the webhook form: lowerCamelCase JSON names with defaults omitted (§6.1), derived from the
//     server form by ToWebhookForm.
// Requests are accepted in both namings: NormalizeRequest rewrites camelCase keys to proto names.
// Thread safety: pure functions and plain values.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/http/http.hpp"
#include "common/json.hpp"
#include "common/status.hpp"

namespace mr::lksim {

// ---- Twirp errors (§1.3) ----

// A Twirp error. `msg` is sent verbatim; LiveKit's psrpc-originated messages already carry the
// "twirp error unknown: " prefix (see PsrpcMsg).
struct TwirpError {
  std::string code;  // Twirp code name, e.g. "not_found".
  std::string msg;
  Json meta = Json::object();  // Omitted from the body when empty.
};

// The HTTP status of a Twirp code (T: errors.go); 500 for an unknown code.
int TwirpHttpStatus(std::string_view code);
// True if `code` is one of the 18 Twirp codes.
bool IsTwirpCode(std::string_view code);
// "twirp error unknown: " + m: the message form of errors LiveKit routes through psrpc.
std::string PsrpcMsg(std::string_view m);
// The error body {"code","msg"[,"meta"]} with Content-Type exactly application/json.
http::Response TwirpErrorResponse(const TwirpError& e);
// 200 with a JSON body and Content-Type exactly application/json.
http::Response TwirpOkResponse(const Json& body);

// ---- Request decoding (§1.2 "Go server, request parsing") ----

// Rewrites every lowerCamelCase object key to its proto name ("roomName" -> "room_name"),
// recursively, except inside map-valued fields ("metadata" objects, "tags", "attributes") and
// the literal proto name "aliOSS".
Json NormalizeRequest(const Json& in);

// Typed field readers over a normalized request object. A missing or null field gives the
// default; a value of the wrong JSON type gives nullopt (the caller answers `malformed`).
// Integers accept a number or a decimal string; enums are handled by the callers.
std::optional<std::string> GetString(const Json& obj, const char* key);
std::optional<int64_t> GetInt(const Json& obj, const char* key);
std::optional<bool> GetBool(const Json& obj, const char* key);
std::optional<std::vector<std::string>> GetStringList(const Json& obj, const char* key);

// ---- State rendered on the wire ----

struct ParticipantState {
  std::string sid;  // "PA_" + 12 chars.
  std::string identity;
  std::string name;
  std::string metadata;
  int64_t joined_at_ms = 0;
  uint32_t version = 1;
  bool recorder = false;  // The hidden egress participant (kind EGRESS).
};

struct RoomState {
  std::string sid;  // "RM_" + 12 chars.
  std::string name;
  uint32_t empty_timeout = 300;
  uint32_t departure_timeout = 20;
  uint32_t max_participants = 0;
  int64_t creation_time_ms = 0;
  std::string turn_password;
  std::string metadata;
  std::vector<ParticipantState> participants;

  uint32_t NumParticipants() const;  // Excludes recorders (dependent participants).
  bool ActiveRecording() const;      // A recorder is present.
};

enum class EgressStatus {
  kStarting = 0,
  kActive = 1,
  kEnding = 2,
  kComplete = 3,
  kFailed = 4,
  kAborted = 5,
  kLimitReached = 6,
};
const char* EgressStatusName(EgressStatus s);
bool IsFinished(EgressStatus s);  // COMPLETE, FAILED, ABORTED or LIMIT_REACHED.

struct FileInfoState {
  std::string filename;
  int64_t started_at_ns = 0;
  int64_t ended_at_ns = 0;
  int64_t duration_ns = 0;
  int64_t size = 0;
  std::string location;
};

struct EgressState {
  std::string egress_id;
  std::string room_id;
  std::string room_name;
  EgressStatus status = EgressStatus::kStarting;
  int64_t started_at_ns = 0;
  int64_t ended_at_ns = 0;
  int64_t updated_at_ns = 0;
  Json room_composite;  // Server-form echo of the (redacted) request.
  FileInfoState file;
  std::string error;
  int32_t error_code = 0;
  std::string details;
  std::string manifest_location;
};

// Server (Twirp response) forms.
Json RoomJson(const RoomState& r);
Json ParticipantJson(const ParticipantState& p);
Json EgressJson(const EgressState& e);

// The webhook form of a server-form message: keys to lowerCamelCase; null, "", 0, false, empty
// arrays and objects, "0" in int64 fields and zero enum names dropped (§6.1, §7.4.1).
Json ToWebhookForm(const Json& server_form);

// ---- Room composite request (§4.1, §4.5) ----

// What lksim needs from a validated RoomCompositeEgressRequest.
struct RoomCompositeRequest {
  std::string room_name;
  std::string layout;
  bool audio_only = false;
  bool video_only = false;
  std::string file_type;  // "MP4", "OGG" or "MP3" after resolving DEFAULT_FILETYPE.
  std::string filepath;   // As requested, before templating.
  bool disable_manifest = false;
  Json s3;    // Normalized s3 upload object, or null.
  Json echo;  // Server-form room_composite with secrets redacted.
};

// Validates and echoes a normalized request. Errors are Twirp errors: `malformed` for type
// errors and two oneof members, `invalid_argument` (psrpc form) for semantic ones.
std::variant<RoomCompositeRequest, TwirpError> ParseRoomComposite(const Json& req);

// The final file name (§4.5): templating of {room_name}, {room_id}, {time} (local time,
// YYYY-MM-DDTHHMMSS), {utc} (YYYYMMDDHHMMSS + ms), path cleaning, then the extension rules.
std::string FinalFilename(std::string_view filepath, std::string_view file_type,
                          std::string_view room_name, std::string_view room_id, int64_t now_ms);

// The upload location string for an S3 upload of `key` (ST: s3.go), given normalized s3 JSON.
std::string S3Location(const Json& s3, std::string_view key);

}  // namespace mr::lksim
