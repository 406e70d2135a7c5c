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
#include "app/room_recordings_adapter.hpp"
#include "common/async.hpp"
#include "common/clock.hpp"
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

// Listing caches pay off for repeated scans of the same folders (room deletion, reindex); the
// start-up scan visits each recording folder once, so a small cache keeps idle memory low.
storage::LocalObjectStoreOptions StoreOptions() {
  storage::LocalObjectStoreOptions o;
  o.listing_cache_max_folders = 4096;
  return o;
}

int ThreadCount(const config::ServiceOptions& o) {
  if (o.http_threads > 0) {
    return o.http_threads;
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace

int RunServe(const config::ServiceOptions& options) {
  http::IgnoreSigpipe();
  asio::io_context ioc;
  SystemClock clock;
  SystemRandom random;

  std::unique_ptr<storage::LocalObjectStore> store;
  try {
    store = std::make_unique<storage::LocalObjectStore>(options.storage_dir, StoreOptions());
  } catch (const std::exception& e) {
    log::Error("storage unusable", {{"dir", options.storage_dir}, {"error", e.what()}});
    return 1;
  }
  recording::RecordingCatalogue catalogue(*store, recording::StorageLayout(options.subbucket));

  // Start-up: serve from the index snapshot at once when there is one, and verify it against
  // storage in the background (a full scan of 100 000 records takes seconds on a loaded disk);
  // without a snapshot, scan before listening. See docs/decisions.md, "Catalogue and index".
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed_ms = [&t0] {
    return std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - t0).count();
  };
  std::jthread verifier;  // Joined on every return path.
  auto loaded = RunTask(ioc, catalogue.LoadSnapshot());
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
  } else {
    if (loaded.status().code() != StatusCode::kNotFound) {
      log::Warn("catalogue snapshot ignored", {{"error", loaded.status().ToString()}});
    }
    auto rebuilt = RunTask(ioc, catalogue.Rebuild());
    if (!rebuilt.ok()) {
      log::Error("catalogue index rebuild failed", {{"error", rebuilt.status().ToString()}});
      return 1;
    }
    log::Info("catalogue indexed",
              {{"recordings", rebuilt->indexed}, {"skipped", rebuilt->skipped}, {"ms", elapsed_ms()}});
    if (Status s = RunTask(ioc, catalogue.SaveSnapshot()); !s.ok()) {
      log::Warn("catalogue snapshot not saved", {{"error", s.ToString()}});
    }
    ::malloc_trim(0);  // See the verifier above.
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
  rooms::RoomRepo room_repo(*store, rooms::RoomRepoOptions{options.subbucket});
  CatalogueRoomRecordings room_recordings(catalogue);
  // No LiveKit yet (issue 3): no room ever has an active meeting, so ending one is a no-op.
  rooms::NoMeetingControl meetings;
  rooms::RoomService room_service(room_repo, room_recordings, meetings, clock, random);
  api::AddRoomRoutes(router, {room_service, auth, MakeBaseUrl(options, &bound_port), clock});
  livekit::WebhookReceiver webhook_receiver(livekit_options->api_key, livekit_options->api_secret,
                                            clock);
  livekit::WebhookDeduplicator webhook_dedup;
  // The recording lifecycle (issue 4) will consume these events; until then they are verified,
  // de-duplicated and logged.
  api::AddLiveKitWebhookRoute(router, {&webhook_receiver, &webhook_dedup, &clock, nullptr});
  router.SetFallback([](http::Request&) -> Task<http::Response> {
    co_return api::PathNotFoundResponse();
  });

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

  std::unique_ptr<lksim::LkSim> sim;
  if (embedded_livekit) {
    auto sim_options = lksim::LkSimOptionsFromEnv(options.raw);
    if (!sim_options.ok()) {
      log::Error("invalid embedded LiveKit configuration", {{"error", sim_options.status().message()}});
      return 2;
    }
    sim_options->storage_dir = options.storage_dir;
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
  log::Info("listening", {{"address", options.bind_address},
                          {"port", bound_port},
                          {"storage", options.storage_dir},
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
        [&]() -> Task<void> {
          co_await server.Drain(Millis(options.drain_seconds * 1000));
          if (sim) {
            co_await sim->Stop();
          }
          ioc.stop();
        },
        asio::detached);
  });

  // The start-up rebuild ran the io_context to completion, which leaves it stopped.
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
  ioc.restart();
  if (Status s = RunTask(ioc, catalogue.SaveSnapshot()); !s.ok()) {
    log::Warn("catalogue snapshot not saved", {{"error", s.ToString()}});
  }
  log::Info("stopped");
  return 0;
}

int RunReindex(const config::ServiceOptions& options) {
  asio::io_context ioc;
  std::unique_ptr<storage::LocalObjectStore> store;
  try {
    store = std::make_unique<storage::LocalObjectStore>(options.storage_dir);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "storage unusable: %s\n", e.what());
    return 1;
  }
  recording::RecordingCatalogue catalogue(*store, recording::StorageLayout(options.subbucket));
  const auto t0 = std::chrono::steady_clock::now();
  auto rebuilt = RunTask(ioc, catalogue.Rebuild());
  if (!rebuilt.ok()) {
    std::fprintf(stderr, "reindex failed: %s\n", rebuilt.status().ToString().c_str());
    return 1;
  }
  const auto ms = std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - t0).count();
  std::printf("indexed %zu recordings (%zu objects skipped) in %lld ms\n", rebuilt->indexed,
              rebuilt->skipped, static_cast<long long>(ms));
  // The next start serves from this snapshot at once.
  if (Status s = RunTask(ioc, catalogue.SaveSnapshot()); !s.ok()) {
    std::fprintf(stderr, "snapshot not saved: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}

}  // namespace mr::app
