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
    std::string claim;
    if (deps.fleet_locks && !event->id.empty()) {
      claim = "ov_meet_lock:webhook_" + event->event + "_" + event->id;
      auto first = co_await deps.fleet_locks->Acquire(claim, deps.instance_id, kClaimTtl);
      if (first.ok() && !*first) {
        log::Debug("LiveKit webhook handled by another instance",
                   {{"id", event->id}, {"event", event->event}});
        co_return ok;
      }
      if (!first.ok()) {
        log::Warn("LiveKit webhook not de-duplicated across the fleet",
                  {{"id", event->id}, {"error", first.status().ToString()}});
        claim.clear();
      }
    }
    log::Debug("LiveKit webhook", {{"id", event->id}, {"event", event->event}});
    const std::string id = event->id;
    const std::string name = event->event;
    Status applied;
    if (deps.on_event) {
      applied = co_await deps.on_event(std::move(*event));
    }
    if (!applied.ok()) {
      deps.dedup->Forget(id);
      if (!claim.empty()) {
        co_await deps.fleet_locks->Release(claim, deps.instance_id);
      }
      log::Warn("LiveKit webhook not applied; answered 503 so it is sent again",
                {{"id", id}, {"event", name}, {"error", applied.ToString()}});
      co_return http::Response::MakeError(503, "Service Unavailable",
                                          "The event could not be applied; retry later");
    }
    if (!claim.empty()) {
      co_await deps.fleet_locks->Renew(claim, deps.instance_id, kDoneTtl);
    }
    co_return ok;
  });
}

}  // namespace mr::api
