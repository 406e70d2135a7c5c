#include "recording/state_machine.hpp"

namespace mr::recording {

int StatusRank(RecordingStatus s) {
  switch (s) {
    case RecordingStatus::kStarting: return 0;
    case RecordingStatus::kActive: return 1;
    case RecordingStatus::kEnding: return 2;
    default: return 3;
  }
}

bool MayTransition(std::optional<RecordingStatus> current, RecordingStatus next) {
  if (!current) {
    return true;
  }
  if (IsFinished(*current)) {
    return next == *current;
  }
  return StatusRank(next) >= StatusRank(*current);
}

bool SameRecord(const RecordingInfo& a, const RecordingInfo& b) {
  return RecordingToJson(a) == RecordingToJson(b);
}

namespace {

template <typename T>
bool FillIfAbsent(std::optional<T>& dst, const std::optional<T>& src) {
  if (!dst && src) {
    dst = src;
    return true;
  }
  return false;
}

}  // namespace

std::optional<RecordingInfo> ApplyUpdate(const std::optional<RecordingInfo>& stored,
                                         const RecordingInfo& incoming) {
  if (!stored) {
    return incoming;
  }
  if (MayTransition(stored->status, incoming.status)) {
    RecordingInfo next = incoming;
    // Facts the update does not carry are kept (e.g. an error written by the service).
    FillIfAbsent(next.filename, stored->filename);
    FillIfAbsent(next.start_date, stored->start_date);
    FillIfAbsent(next.error, stored->error);
    FillIfAbsent(next.error_code, stored->error_code);
    if (next.room_name.empty() || next.room_name == next.room_id) {
      if (!stored->room_name.empty()) {
        next.room_name = stored->room_name;
      }
    }
    if (SameRecord(next, *stored)) {
      return std::nullopt;
    }
    return next;
  }
  if (IsFinished(stored->status) && IsFinished(incoming.status)) {
    RecordingInfo next = *stored;
    bool changed = FillIfAbsent(next.end_date, incoming.end_date);
    changed |= FillIfAbsent(next.duration, incoming.duration);
    changed |= FillIfAbsent(next.size, incoming.size);
    changed |= FillIfAbsent(next.details, incoming.details);
    if (changed) {
      return next;
    }
  }
  return std::nullopt;
}

std::optional<RecordingInfo> MarkFinished(const RecordingInfo& stored, RecordingStatus status,
                                          std::string error) {
  RecordingInfo incoming = stored;
  incoming.status = status;
  incoming.error = std::move(error);
  if (!MayTransition(stored.status, status)) {
    return std::nullopt;
  }
  return ApplyUpdate(stored, incoming);
}

}  // namespace mr::recording
