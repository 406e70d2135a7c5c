#pragma once
// AppWebhooks: the port through which the lifecycle tells the application what happened
// (reference §5.7): recordingStarted/Updated/Ended with the recording record as data, and
// meetingStarted/Ended with the room. Implemented by notify/WebhookSender (signed HTTP POSTs,
// retried with backoff, ordered per key); NoAppWebhooks when webhooks are disabled.
// Thread safety: Enqueue may be called concurrently from any thread.

#include <string>

#include "common/json.hpp"

namespace mr::recording {

enum class AppEvent {
  kRecordingStarted,
  kRecordingUpdated,
  kRecordingEnded,
  kMeetingStarted,
  kMeetingEnded,
};

// "recordingStarted", "recordingUpdated", "recordingEnded", "meetingStarted", "meetingEnded".
inline const char* AppEventName(AppEvent e) {
  switch (e) {
    case AppEvent::kRecordingStarted: return "recordingStarted";
    case AppEvent::kRecordingUpdated: return "recordingUpdated";
    case AppEvent::kRecordingEnded: return "recordingEnded";
    case AppEvent::kMeetingStarted: return "meetingStarted";
    case AppEvent::kMeetingEnded: return "meetingEnded";
  }
  return "unknown";
}

class AppWebhooks {
 public:
  virtual ~AppWebhooks() = default;
  // Queues the event and returns at once: never blocks and never fails the caller (a full queue
  // or a final delivery failure is logged). Events with the same `order_key` (the recording id
  // for recording events, the room id for meeting events) are delivered in the order queued.
  virtual void Enqueue(AppEvent event, std::string order_key, Json data) = 0;
};

class NoAppWebhooks final : public AppWebhooks {
 public:
  void Enqueue(AppEvent, std::string, Json) override {}
};

}  // namespace mr::recording
