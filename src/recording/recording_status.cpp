#include "recording/recording_status.hpp"

#include <array>

namespace mr::recording {
namespace {
constexpr std::array<std::string_view, kRecordingStatusCount> kNames = {
    "starting", "active", "ending", "complete", "failed", "aborted", "limit_reached"};
}  // namespace

std::string_view RecordingStatusName(RecordingStatus status) {
  return kNames[static_cast<size_t>(status)];
}

std::optional<RecordingStatus> ParseRecordingStatus(std::string_view name) {
  for (size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) {
      return static_cast<RecordingStatus>(i);
    }
  }
  return std::nullopt;
}

}  // namespace mr::recording
