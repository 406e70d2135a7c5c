#pragma once
// The lifecycle status of a recording (reference §1.2) and its wire names.

#include <cstdint>
#include <optional>
#include <string_view>

namespace mr::recording {

enum class RecordingStatus : uint8_t {
  kStarting,
  kActive,
  kEnding,
  kComplete,
  kFailed,
  kAborted,
  kLimitReached,
};

inline constexpr int kRecordingStatusCount = 7;

// "starting", "active", "ending", "complete", "failed", "aborted", "limit_reached".
std::string_view RecordingStatusName(RecordingStatus status);
std::optional<RecordingStatus> ParseRecordingStatus(std::string_view name);

// Deletable and terminal: complete, failed, aborted, limit_reached (reference §1.2).
inline bool IsFinished(RecordingStatus s) {
  return s == RecordingStatus::kComplete || s == RecordingStatus::kFailed ||
         s == RecordingStatus::kAborted || s == RecordingStatus::kLimitReached;
}

}  // namespace mr::recording
