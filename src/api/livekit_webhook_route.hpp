#pragma once
// POST /livekit/webhook: LiveKit's webhooks, verified before anything else (scope.md: a forged or
// tampered webhook is answered 401 and changes nothing), de-duplicated by event id, then handed to
// `on_event`. A verified webhook is answered 200 with an empty body, as LiveKit expects, also when
// it is a duplicate. A signed body that is not a WebhookEvent is answered 400. An event that could
// not be applied (its record could not be stored: storage down beyond the retries) is answered 503
// with its de-duplication forgotten, so LiveKit's retry (to this or another instance) applies it.
//
// De-duplication has two levels: the in-process WebhookDeduplicator, then, in a fleet, a claim in
// the shared LockService (`ov_meet_lock:webhook_{event}_{id}`, as the reference names it), so a
// webhook LiveKit re-delivers to another instance is handled once. The claim is short while the
// event is processed (kClaimTtl: if the instance dies, LiveKit's retry to another instance is
// handled) and extended to kDoneTtl once it was; it always expires (scope.md Q9). When the lock
// service is unreachable the event is processed anyway (the state machine makes a repeat
// harmless; losing it is not).

#include <chrono>
#include <functional>
#include <string>

#include "common/http/router.hpp"
#include "coordination/lock_service.hpp"
#include "livekit/webhook_receiver.hpp"

namespace mr::api {

struct LiveKitWebhookDeps {
  const livekit::WebhookReceiver* receiver = nullptr;
  livekit::WebhookDeduplicator* dedup = nullptr;
  const Clock* clock = nullptr;
  // Fleet de-duplication; null in one-process mode.
  coordination::LockService* fleet_locks = nullptr;
  std::string instance_id;  // Owner of this instance's claims.
  // Processes one verified, first-seen event (the recording lifecycle plugs in here).
  // Not OK: the event was not applied and must come again (answered 503, claims released).
  std::function<Task<Status>(recording::WebhookEvent)> on_event;
};

inline constexpr std::chrono::milliseconds kClaimTtl{15000};
inline constexpr std::chrono::milliseconds kDoneTtl{300000};

void AddLiveKitWebhookRoute(http::Router& router, LiveKitWebhookDeps deps);

}  // namespace mr::api
