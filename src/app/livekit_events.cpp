#include "app/livekit_events.hpp"

#include "common/logging.hpp"

namespace mr::app {

Task<Status> LiveKitEvents::Handle(recording::WebhookEvent event) {
  const std::string& name = event.event;
  if (name == "egress_started" || name == "egress_updated" || name == "egress_ended") {
    if (event.egress_info) {
      co_return co_await lifecycle_.OnEgressEvent(name, std::move(*event.egress_info));
    }
    co_return Status::Ok();
  }
  if (!event.room) {
    co_return Status::Ok();
  }
  const std::string room_id = event.room->name;
  if (name == "room_started") {
    auto room = co_await rooms_.OnMeetingStarted(room_id);
    if (!room.ok()) {
      log::Error("room_started not applied", {{"roomId", room_id}, {"error", room.status().ToString()}});
    } else if (room->has_value()) {
      webhooks_.Enqueue(recording::AppEvent::kMeetingStarted, room_id,
                        rooms::RoomToApiJson(**room, base_url_()));
    }
  } else if (name == "room_finished") {
    auto room = co_await rooms_.OnMeetingFinished(room_id);
    if (!room.ok()) {
      // Reference §5.6: when deleting the recordings fails nothing else happens.
      log::Error("room_finished not applied", {{"roomId", room_id}, {"error", room.status().ToString()}});
      co_return Status::Ok();
    }
    if (room->has_value()) {
      webhooks_.Enqueue(recording::AppEvent::kMeetingEnded, room_id,
                        rooms::RoomToApiJson(**room, base_url_()));
    }
    // Webhook times are whole seconds: count the whole second the room finished in.
    const int64_t finished_ms = event.created_at_s > 0 ? event.created_at_s * 1000 + 999 : 0;
    Status s = co_await lifecycle_.ReleaseIfNoEgress(
        room_id, finished_ms > 0 ? std::optional<int64_t>(finished_ms) : std::nullopt);
    if (!s.ok()) {
      log::Warn("room lock kept after room_finished", {{"roomId", room_id}, {"error", s.ToString()}});
    }
  } else if (name == "participant_joined" && event.participant) {
    const auto& p = *event.participant;
    const bool egress = p.kind == recording::ParticipantKind::kEgress || p.recorder ||
                        p.identity.rfind("EG_", 0) == 0;
    if (!egress) {
      co_await lifecycle_.SendRoomStatus(room_id, p.identity);
    }
  }
  co_return Status::Ok();
}

}  // namespace mr::app
