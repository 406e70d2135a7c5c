#pragma once
// Room ids and recording ids: sanitising, validating and parsing (reference §1.4, §1.8), with the
// stricter checks of scope.md (Q22): every part of a recording id is validated, so no id can name
// a storage key outside its own folders.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mr::recording {

// Result of running the reference's room-id sanitiser over a field.
struct SanitizeOutcome {
  std::optional<std::string> value;   // The sanitised id when valid.
  std::vector<std::string> messages;  // Validation messages (reference wording) when not.
};

// Reference §1.8 for the field named `field`: 1..100 characters before sanitising; trim; drop
// characters other than ASCII letters, digits, '_', '-' and whitespace; collapse whitespace, '-'
// and '_' runs; strip trailing '-', then '_', then leading '-', then '_'; remove whitespace;
// non-empty afterwards.
SanitizeOutcome SanitizeRoomId(std::string_view raw, std::string_view field);

// The plain sanitiser (step 2 only); may return an empty string.
std::string SanitizeRoomIdChars(std::string_view raw);

// Step 2 without the final whitespace removal (single spaces kept): the room-name form the
// rooms module derives room ids from.
std::string SanitizeRoomNameChars(std::string_view raw);

struct RecordingIdParts {
  std::string room_id;
  std::string egress_id;
  std::string uid;
};

// Parses `{roomId}--{egressId}--{uid}` as the reference does (first three pieces).
std::optional<RecordingIdParts> ParseRecordingId(std::string_view id);

// Validates and normalises an API recording id (reference §1.4 steps 1–5) and additionally
// requires the egress part to be `EG_` + [A-Za-z0-9_-] and the uid part [A-Za-z0-9_-] (Q22), so
// '/', '.', '%' and other path characters are refused. Returns the normalised id, or the
// validation message.
struct RecordingIdOutcome {
  std::optional<std::string> id;
  std::string message;
};
RecordingIdOutcome ValidateRecordingId(std::string_view raw);

// True when `s` is a safe id part: non-empty, only [A-Za-z0-9_-].
bool IsSafeIdPart(std::string_view s);

}  // namespace mr::recording
