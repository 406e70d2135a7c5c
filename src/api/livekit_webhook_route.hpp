#pragma once
// POST /livekit/webhook: LiveKit's webhooks, verified before anything else (scope.md: a forged or
// tampered webhook is answered 401 and changes nothing), de-duplicated by event id, then handed to
// `on_event`. A verified webhook is answered 200 with an empty body, as LiveKit expects, also when
// it is a duplicate. A signed body that is not a WebhookEvent is answered 400.

#include <functional>

#include "common/http/router.hpp"
#include "livekit/webhook_receiver.hpp"

namespace mr::api {

struct LiveKitWebhookDeps {
  const livekit::WebhookReceiver* receiver = nullptr;
  livekit::WebhookDeduplicator* dedup = nullptr;
  const Clock* clock = nullptr;
  // Processes one verified, first-seen event (the recording lifecycle plugs in here).
  std::function<Task<void>(recording::WebhookEvent)> on_event;
};

void AddLiveKitWebhookRoute(http::Router& router, LiveKitWebhookDeps deps);

}  // namespace mr::api
