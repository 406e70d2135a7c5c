#include "app/service.hpp"

#include <boost/asio/detached.hpp>
#include <boost/asio/signal_set.hpp>

#include <malloc.h>

#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "api/api_error.hpp"
#include "api/auth.hpp"
#include "common/http/router.hpp"
#include "common/http/server.hpp"
#include "api/recordings_routes.hpp"
#include "api/livekit_webhook_route.hpp"
#include "api/rooms_routes.hpp"
#include "api/recording_control_routes.hpp"
#include "app/backends.hpp"
#include "app/bucket_uploader.hpp"
#include "app/livekit_events.hpp"
#include "app/room_recordings_adapter.hpp"
#include "common/async.hpp"
#include "common/beast_http_client.hpp"
#include "common/timers.hpp"
#include "coordination/event_bus.hpp"
#include "coordination/lock_service.hpp"
#include "coordination/periodic_runner.hpp"
#include "livekit/twirp_client.hpp"
#include "notify/notify_options.hpp"
#include "notify/webhook_sender.hpp"
#include "recording/lifecycle.hpp"
#include "recording/maintenance.hpp"
#include "recording/recording_options.hpp"
#include "common/clock.hpp"
#include "common/duration.hpp"
#include "common/logging.hpp"
#include "common/random.hpp"
#include "livekit/livekit_options.hpp"
#include "livekit/webhook_receiver.hpp"
#include "lksim/lksim.hpp"
#include "recording/recording_catalogue.hpp"
#include "rooms/room_repo.hpp"
#include "rooms/room_service.hpp"
#include "storage/local_object_store.hpp"

namespace mr::app {
namespace {

using Millis = std::chrono::milliseconds;
// How often an instance checks that the shared catalogue index still exists (a Redis restarted
// without persistence loses it). MEET_CATALOGUE_INDEX_CHECK_INTERVAL overrides it.
constexpr Millis kIndexGuardInterval{30000};

Result<Millis> IndexGuardInterval(const config::ServiceOptions& o) {
  auto it = o.raw.find("MEET_CATALOGUE_INDEX_CHECK_INTERVAL");
  if (it == o.raw.end() || it->second.empty()) {
    return kIndexGuardInterval;
  }
  auto d = ParseDuration(it->second);
  if (!d || *d < Millis(100)) {
    return InvalidArgumentError("MEET_CATALOGUE_INDEX_CHECK_INTERVAL: must be a duration of at least 100ms, got '" +
                                it->second + "'");
  }
  return *d;
}

// MEET_BASE_URL, else the request's own scheme and Host (scope.md, Q14: never shared state).
std::function<std::string(const http::Request&)> MakeBaseUrl(const config::ServiceOptions& o,
                                                                   uint16_t* port) {
  return [base = o.base_url, port](const http::Request& req) {
    if (!base.empty()) {
      return base;
    }
    std::string scheme = req.secure ? "https" : "http";
    if (auto proto = req.Header("x-forwarded-proto"); proto && (*proto == "https" || *proto == "http")) {
      scheme = std::string(*proto);
    }
    if (auto host = req.Header("host"); host && !host->empty()) {
      return scheme + "://" + std::string(*host);
    }
    return "http://localhost:" + std::to_string(*port);
  };
}

int ThreadCount(const config::ServiceOptions& o) {
  if (o.http_threads > 0) {
    return o.http_threads;
  }
  return std::max(1u, std::thread::hardware_concurrency());
}


// One process (no shared index): serve from the index snapshot at once when there is one, and
// verify it against storage in the background (a full scan of 100 000 records takes seconds on a
// loaded disk); without a snapshot, scan before listening. See docs/decisions.md, "Catalogue and
// index". The background verification runs on its own io_context, so only for a local-disk store
// (an S3 store's requests need `ioc`, which may never run if start-up fails later: it would never
// end); over S3 the snapshot is not used. Returns false when the catalogue cannot be served.
bool LoadLocalIndex(asio::io_context& ioc, recording::RecordingCatalogue& catalogue,
                    bool local_disk, std::jthread& verifier) {
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed_ms = [&t0] {
    return std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - t0).count();
  };
  Result<size_t> loaded = Status(StatusCode::kNotFound, "not used over S3");
  if (local_disk) {
    loaded = Await(ioc, catalogue.LoadSnapshot());
  }
  if (loaded.ok()) {
    log::Info("catalogue loaded from snapshot; verifying against storage",
              {{"recordings", *loaded}, {"ms", elapsed_ms()}});
    verifier = std::jthread([&catalogue] {
      asio::io_context vio;
      const auto v0 = std::chrono::steady_clock::now();
      auto verified = RunTask(vio, catalogue.Rebuild());
      if (!verified.ok()) {
        log::Error("catalogue verification failed; serving the snapshot",
                   {{"error", verified.status().ToString()}});
        return;
      }
      log::Info("catalogue verified",
                {{"recordings", verified->indexed},
                 {"skipped", verified->skipped},
                 {"ms", std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - v0).count()}});
      if (Status s = RunTask(vio, catalogue.SaveSnapshot()); !s.ok()) {
        log::Warn("catalogue snapshot not saved", {{"error", s.ToString()}});
      }
      // The scan's transient buffers are freed by now; hand the pages back to the OS so idle
      // RSS reflects the index, not the start-up peak.
      ::malloc_trim(0);
    });
    return true;
  }
  if (loaded.status().code() != StatusCode::kNotFound) {
    log::Warn("catalogue snapshot ignored", {{"error", loaded.status().ToString()}});
  }
  auto rebuilt = Await(ioc, catalogue.Rebuild());
  if (!rebuilt.ok()) {
    log::Error("catalogue index rebuild failed", {{"error", rebuilt.status().ToString()}});
    return false;
  }
  log::Info("catalogue indexed",
            {{"recordings", rebuilt->indexed}, {"skipped", rebuilt->skipped}, {"ms", elapsed_ms()}});
  if (Status s = Await(ioc, catalogue.SaveSnapshot()); !s.ok()) {
    log::Warn("catalogue snapshot not saved", {{"error", s.ToString()}});
  }
  ::malloc_trim(0);  // See the verifier above.
  return true;
}

}  // namespace

int RunServe(const config::ServiceOptions& options) {
  http::IgnoreSigpipe();
  asio::io_context ioc;
  SystemClock clock;
  SystemRandom random;
  AsioTimers timers(ioc);
  BeastHttpClient http_client(ioc.get_executor());
  const std::string instance_id = random.SecureHex(16);

  auto backends = MakeBackends(ioc, options, clock, timers, random, http_client);
  if (!backends.ok()) {
    log::Error("back-end unusable", {{"error", backends.status().ToString()}});
    return backends.status().code() == StatusCode::kInvalidArgument ? 2 : 1;
  }
  recording::RecordingCatalogue catalogue(*backends->store, recording::StorageLayout(options.subbucket),
                                          backends->index.get());
  std::jthread verifier;  // Joined on every return path.
  if (catalogue.shared_index()) {
    if (Status s = Await(ioc, EnsureSharedIndex(catalogue, *backends->locks, timers, instance_id));
        !s.ok()) {
      log::Error("shared catalogue index unusable", {{"error", s.ToString()}});
      return 1;
    }
  } else if (!LoadLocalIndex(ioc, catalogue, options.storage_mode != "s3", verifier)) {
    return 1;
  }

  auto livekit_options = livekit::LiveKitOptionsFromEnv(options.raw);
  if (!livekit_options.ok()) {
    log::Error("invalid LiveKit configuration", {{"error", livekit_options.status().message()}});
    return 2;
  }
  // Without LIVEKIT_URL the embedded LiveKit-compatible server stands in (one-machine mode).
  const bool embedded_livekit =
      options.raw.count("LIVEKIT_URL") == 0 || options.raw.at("LIVEKIT_URL").empty();

  uint16_t bound_port = options.port;
  api::ApiKeyAuth auth(options.api_keys);
  if (options.api_keys.empty()) {
    log::Warn("no API key configured: set MEET_INITIAL_API_KEY; every API call will answer 401");
  }
  http::Router router;
  router.Add("GET", "/health", [](http::Request&) -> Task<http::Response> {
    co_return http::Response::MakeJson(200, Json{{"status", "ok"}});
  });
  api::AddRecordingRoutes(router, {&catalogue, &auth, MakeBaseUrl(options, &bound_port)});
  router.SetFallback([](http::Request&) -> Task<http::Response> {
    co_return api::PathNotFoundResponse();
  });

  auto recording_options = recording::RecordingOptionsFromEnv(options.raw);
  if (!recording_options.ok()) {
    log::Error("invalid recording configuration", {{"error", recording_options.status().message()}});
    return 2;
  }
  auto index_guard_interval = IndexGuardInterval(options);
  if (!index_guard_interval.ok()) {
    log::Error("invalid catalogue configuration", {{"error", index_guard_interval.status().message()}});
    return 2;
  }
  auto sender_options = notify::WebhookSenderOptionsFrom(options.raw, options.api_keys);
  if (!sender_options.ok()) {
    log::Error("invalid webhook configuration", {{"error", sender_options.status().message()}});
    return 2;
  }

  http::ServerOptions server_options;
  server_options.bind_address = options.bind_address;
  server_options.port = options.port;
  server_options.max_body_bytes = options.max_body_bytes;
  http::Server server(ioc, server_options,
                           [&router](http::Request& req) { return router.Dispatch(req); });
  if (Status s = server.Start(); !s.ok()) {
    log::Error("cannot listen", {{"address", options.bind_address}, {"port", options.port},
                                 {"error", s.message()}});
    return 1;
  }
  bound_port = server.port();

  // The embedded LiveKit needs our port for its webhooks, and our LiveKit client needs its port;
  // routes are added below, before the io_context runs, so no request is served half-wired.
  std::unique_ptr<lksim::LkSim> sim;
  if (embedded_livekit) {
    auto sim_options = lksim::LkSimOptionsFromEnv(options.raw);
    if (!sim_options.ok()) {
      log::Error("invalid embedded LiveKit configuration", {{"error", sim_options.status().message()}});
      return 2;
    }
    sim_options->storage_dir = options.storage_dir;
    if (options.storage_mode == "s3") {  // Stands in for an Egress uploading to the bucket.
      sim_options->uploader = std::make_shared<BucketUploader>(*backends->store);
    }
    sim_options->api_key = livekit_options->api_key;
    sim_options->api_secret = livekit_options->api_secret;
    if (sim_options->webhook_urls.empty()) {
      sim_options->webhook_urls = {"http://127.0.0.1:" + std::to_string(bound_port) + "/livekit/webhook"};
    }
    sim = std::make_unique<lksim::LkSim>(ioc, clock, *sim_options);
    if (Status s = sim->Start(); !s.ok()) {
      log::Error("embedded LiveKit cannot start", {{"port", sim_options->port}, {"error", s.message()}});
      return 1;
    }
    livekit_options->private_url = "http://127.0.0.1:" + std::to_string(sim->port());
    livekit_options->url = "ws://127.0.0.1:" + std::to_string(sim->port());
    log::Info("embedded LiveKit listening", {{"port", sim->port()}});
  }

  livekit::TwirpLiveKitClient livekit_client(http_client, *livekit_options, clock);
  coordination::LockService& locks = *backends->locks;
  coordination::EventBus& bus = *backends->bus;
  notify::WebhookSender webhooks(ioc.get_executor(), http_client, timers, clock, *sender_options);
  rooms::RoomRepo room_repo(*backends->store, rooms::RoomRepoOptions{options.subbucket});
  RepoRoomDirectory room_directory(room_repo, catalogue);

  recording::LifecycleDeps lifecycle_deps;
  lifecycle_deps.livekit = &livekit_client;
  lifecycle_deps.catalogue = &catalogue;
  lifecycle_deps.locks = &locks;
  lifecycle_deps.bus = &bus;
  lifecycle_deps.webhooks = &webhooks;
  lifecycle_deps.rooms = &room_directory;
  lifecycle_deps.timers = &timers;
  lifecycle_deps.clock = &clock;
  lifecycle_deps.random = &random;
  lifecycle_deps.executor = ioc.get_executor();
  recording::RecordingLifecycle lifecycle(lifecycle_deps, recording_options->lifecycle);

  CatalogueRoomRecordings room_recordings(catalogue, lifecycle, timers);
  LiveKitMeetingControl meetings(livekit_client);
  rooms::RoomService room_service(room_repo, room_recordings, meetings, clock, random);
  api::AddRoomRoutes(router, {room_service, auth, MakeBaseUrl(options, &bound_port), clock});
  api::AddRecordingControlRoutes(router, {&lifecycle, &auth, MakeBaseUrl(options, &bound_port)});

  const std::string own_base = options.base_url.empty()
                                   ? "http://" + options.bind_address + ":" + std::to_string(bound_port)
                                   : options.base_url;
  LiveKitEvents events(lifecycle, room_service, webhooks, [own_base] { return own_base; });
  livekit::WebhookReceiver webhook_receiver(livekit_options->api_key, livekit_options->api_secret,
                                            clock);
  livekit::WebhookDeduplicator webhook_dedup;
  api::AddLiveKitWebhookRoute(router, {&webhook_receiver, &webhook_dedup, &clock,
                                       backends->fleet() ? &locks : nullptr, instance_id,
                                       [&events](recording::WebhookEvent e) {
                                         return events.Handle(std::move(e));
                                       }});

  // The self-healing jobs (reference §6.5–6.7), each once per fleet per interval.
  recording::MaintenanceDeps maintenance_deps{&livekit_client, &catalogue, &locks, &lifecycle, &clock};
  recording::RecordingMaintenance maintenance(maintenance_deps, *recording_options);
  coordination::PeriodicRunner jobs(ioc.get_executor(), timers, random);
  auto task_options = [](const char* name, Millis interval) {
    coordination::PeriodicTaskOptions o;
    o.name = name;
    o.interval = interval;
    o.jitter = std::min(interval / 10, Millis(5000));
    o.retry_period = std::min(interval, Millis(30000));
    return o;
  };
  auto add_job = [&](const char* name, Millis interval, coordination::PeriodicFn fn) {
    // Held for (almost) the whole interval, so runs anywhere in the fleet are at least 0.9
    // intervals apart whatever the instances' phases; it expires before the next tick.
    const Millis lock_ttl = interval - std::min(interval / 10, Millis(1000));
    jobs.Add(task_options(name, interval),
             coordination::OncePerFleet(locks, name, instance_id, lock_ttl, std::move(fn)));
  };
  add_job("recordingLockKeeper", recording_options->lock_gc_interval,
          [&maintenance] { return maintenance.RunLockKeeper(); });
  add_job("staleRecordingsCleanup", recording_options->stale_cleanup_interval,
          [&maintenance] { return maintenance.RunStaleCleanup(); });
  add_job("recordingReconciliation", recording_options->stale_cleanup_interval,
          [&maintenance] { return maintenance.RunReconciliation(); });
  add_job("roomGarbageCollector", recording_options->room_gc_interval,
          [&room_service] { return room_service.DeleteExpiredRooms(); });
  if (catalogue.shared_index()) {
    // On every instance (not once per fleet): the index writes to retry are this instance's.
    // A lost index (Redis restarted without persistence) is rebuilt by one of them.
    jobs.Add(task_options("catalogueIndexGuard", *index_guard_interval),
             [&catalogue, &locks, &timers, &instance_id] {
               return GuardSharedIndex(catalogue, locks, timers, instance_id);
             });
  }
  jobs.Start();

  log::Info("listening", {{"address", options.bind_address},
                          {"port", bound_port},
                          {"storage", backends->storage_description},
                          {"coordination", backends->fleet() ? "redis" : "in-process"},
                          {"instance", instance_id},
                          {"threads", ThreadCount(options)}});

  asio::signal_set signals(ioc, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) {
      return;
    }
    log::Info("shutting down", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"},
                                {"in_flight", server.in_flight()}});
    asio::co_spawn(
        ioc,
        [&, sig]() -> Task<void> {
          // SIGTERM with the embedded LiveKit finishes its recordings first (their files are
          // completed and their records settle while the server still takes the webhooks);
          // SIGINT aborts them. An external LiveKit's recordings keep running either way.
          if (sim && sig == SIGTERM) {
            Status s = co_await lifecycle.StopAllEgresses(Millis(options.drain_seconds * 1000));
            if (!s.ok()) {
              log::Warn("recordings not stopped before shutdown", {{"error", s.ToString()}});
            }
          }
          co_await server.Drain(Millis(options.drain_seconds * 1000));
          co_await jobs.Stop();
          if (sim) {
            co_await sim->Stop();
          }
          co_await webhooks.Drain(Millis(5000));
          ioc.stop();
        },
        asio::detached);
  });

  // A start-up step may have run the io_context out of work, which leaves it stopped.
  ioc.restart();
  std::vector<std::thread> threads;
  const int n = ThreadCount(options);
  for (int i = 1; i < n; ++i) {
    threads.emplace_back([&ioc] { ioc.run(); });
  }
  ioc.run();
  for (auto& t : threads) {
    t.join();
  }
  if (verifier.joinable()) {
    verifier.join();
  }
  if (!catalogue.shared_index()) {
    if (Status s = Await(ioc, catalogue.SaveSnapshot()); !s.ok()) {
      log::Warn("catalogue snapshot not saved", {{"error", s.ToString()}});
    }
  }
  if (backends->redis) {
    backends->redis->Stop();
  }
  log::Info("stopped");
  return 0;
}

int RunReindex(const config::ServiceOptions& options) {
  asio::io_context ioc;
  SystemClock clock;
  SystemRandom random;
  AsioTimers timers(ioc);
  BeastHttpClient http_client(ioc.get_executor());
  auto backends = MakeBackends(ioc, options, clock, timers, random, http_client);
  if (!backends.ok()) {
    std::fprintf(stderr, "back-end unusable: %s\n", backends.status().ToString().c_str());
    return 1;
  }
  recording::RecordingCatalogue catalogue(*backends->store, recording::StorageLayout(options.subbucket),
                                          backends->index.get());
  const auto t0 = std::chrono::steady_clock::now();
  // A shared index is rebuilt in place (a new generation switched atomically): the fleet keeps
  // serving the old one meanwhile. One rebuild at a time in the fleet (the journal is shared).
  const std::string owner = "reindex-" + random.SecureHex(8);
  if (catalogue.shared_index()) {
    auto mine = Await(ioc, backends->locks->Acquire(std::string(kRebuildLockKey), owner,
                                                    std::chrono::minutes(15)));
    if (!mine.ok() || !*mine) {
      std::fprintf(stderr, "reindex refused: %s\n",
                   mine.ok() ? "another instance is rebuilding the shared index; try again later"
                             : mine.status().ToString().c_str());
      return 1;
    }
  }
  auto rebuilt = Await(ioc, catalogue.Rebuild());
  if (catalogue.shared_index()) {
    Await(ioc, backends->locks->Release(std::string(kRebuildLockKey), owner));
  }
  if (!rebuilt.ok()) {
    std::fprintf(stderr, "reindex failed: %s\n", rebuilt.status().ToString().c_str());
    return 1;
  }
  const auto ms = std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - t0).count();
  std::printf("indexed %zu recordings (%zu objects skipped) in %lld ms%s\n", rebuilt->indexed,
              rebuilt->skipped, static_cast<long long>(ms),
              catalogue.shared_index() ? " (shared index in Redis)" : "");
  if (!catalogue.shared_index()) {
    // The next start serves from this snapshot at once.
    if (Status s = Await(ioc, catalogue.SaveSnapshot()); !s.ok()) {
      std::fprintf(stderr, "snapshot not saved: %s\n", s.ToString().c_str());
      return 1;
    }
  }
  if (backends->redis) {
    backends->redis->Stop();
  }
  return 0;
}

}  // namespace mr::app
