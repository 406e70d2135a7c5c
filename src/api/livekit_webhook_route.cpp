#include "api/livekit_webhook_route.hpp"

#include "common/logging.hpp"

namespace mr::api {

void AddLiveKitWebhookRoute(http::Router& router, LiveKitWebhookDeps deps) {
  router.Add("POST", "/livekit/webhook", [deps](http::Request& req) -> Task<http::Response> {
    auto event = deps.receiver->Receive(req.body, req.Header("authorization").value_or(""));
    if (!event.ok()) {
      if (event.status().code() == StatusCode::kUnauthorized) {
        log::Warn("LiveKit webhook refused", {{"reason", event.status().message()},
                                              {"remote", req.remote_address}});
        co_return http::Response::MakeError(401, "Authentication Error", "Invalid webhook signature");
      }
      log::Warn("LiveKit webhook malformed", {{"reason", event.status().message()}});
      co_return http::Response::MakeError(400, "Bad Request", "Malformed webhook");
    }
    http::Response ok;
    ok.status = 200;
    if (!deps.dedup->FirstSeen(event->id, deps.clock->Monotonic())) {
      log::Debug("LiveKit webhook duplicate ignored", {{"id", event->id}, {"event", event->event}});
      co_return ok;
    }
    log::Debug("LiveKit webhook", {{"id", event->id}, {"event", event->event}});
    if (deps.on_event) {
      co_await deps.on_event(std::move(*event));
    }
    co_return ok;
  });
}

}  // namespace mr::api
