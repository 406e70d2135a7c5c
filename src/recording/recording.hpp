#pragma once
// The recording record (`MeetRecordingInfo`, reference §1.1) and its access secrets (§1.10).
// The same JSON is the stored metadata object, the API body and the `data` of app webhooks.
// Dates are integer milliseconds (scope.md, Q19); records written by OpenVidu Meet with
// fractional milliseconds are read and rounded down.

#include <cstdint>
#include <optional>
#include <string>

#include "common/json.hpp"
#include "common/status.hpp"
#include "recording/recording_status.hpp"

namespace mr::recording {

struct RecordingInfo {
  std::string recording_id;
  std::string room_id;
  std::string room_name;
  RecordingStatus status = RecordingStatus::kStarting;
  std::optional<std::string> filename;
  std::optional<int64_t> start_date;  // ms; always present when built from an egress.
  std::optional<int64_t> end_date;    // ms; omitted while unknown.
  std::optional<double> duration;     // seconds; omitted while unknown.
  std::optional<uint64_t> size;       // bytes; omitted while unknown.
  std::optional<int64_t> error_code;
  std::optional<std::string> error;
  std::optional<std::string> details;
};

// Serialises in the reference's field order, omitting absent fields.
Json RecordingToJson(const RecordingInfo& r);

// Parses a stored or received record. Unknown fields are ignored; a missing or ill-typed
// required field (recordingId, roomId, status) is kInvalidArgument. An unknown status is `failed`
// (reference §1.3's fallback).
Result<RecordingInfo> RecordingFromJson(const Json& j);
Result<RecordingInfo> ParseRecordingJson(std::string_view text);

struct AccessSecrets {
  std::string public_access_secret;
  std::string private_access_secret;
};

Json SecretsToJson(const AccessSecrets& s);
Result<AccessSecrets> ParseSecretsJson(std::string_view text);

}  // namespace mr::recording
