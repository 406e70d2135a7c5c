#pragma once
// LiveKitEvents: what a verified, first-seen LiveKit webhook does (reference §5.4 step 4, §5.5,
// §5.6). Dispatch only; the behaviour lives in the services it calls:
//   egress_started/updated/ended → RecordingLifecycle::OnEgressEvent (also for rooms that no
//                                  longer exist, Q5);
//   room_started                 → RoomService::OnMeetingStarted, `meetingStarted` webhook;
//   room_finished                → RoomService::OnMeetingFinished (meetingEndAction), then the
//                                  `meetingEnded` webhook and the room lock check;
//   participant_joined           → `roomStatus` signal to that participant (not to egresses).
// Events of LiveKit rooms that are not Meet rooms change nothing.
// Thread safety: safe from any coroutine.

#include <functional>
#include <string>

#include "common/async.hpp"
#include "recording/app_webhooks.hpp"
#include "recording/lifecycle.hpp"
#include "rooms/room_service.hpp"

namespace mr::app {

class LiveKitEvents {
 public:
  LiveKitEvents(recording::RecordingLifecycle& lifecycle, rooms::RoomService& rooms,
                recording::AppWebhooks& webhooks, std::function<std::string()> base_url)
      : lifecycle_(lifecycle), rooms_(rooms), webhooks_(webhooks), base_url_(std::move(base_url)) {}

  // Not OK when the event could not be applied and should be delivered again (its record could not
  // be stored): the webhook is then answered 503, so LiveKit resends it.
  Task<Status> Handle(recording::WebhookEvent event);

 private:
  recording::RecordingLifecycle& lifecycle_;
  rooms::RoomService& rooms_;
  recording::AppWebhooks& webhooks_;
  std::function<std::string()> base_url_;
};

}  // namespace mr::app
