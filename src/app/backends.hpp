#pragma once
// Backends: the storage and coordination back-ends `serve` runs on, chosen by configuration.
//   - one machine (defaults): local-disk storage, in-process locks/events, in-memory index;
//   - fleet: MEET_BLOB_STORAGE_MODE=s3 puts storage in an S3 bucket, MEET_REDIS_HOST puts locks,
//     events, webhook de-duplication, tombstones and the catalogue index in Redis (shared by every
//     instance). Both are independent: S3 without Redis is one instance on S3; several instances
//     need Redis (docs/operations.md).
// Start-up checks follow the reference (§4.8, §6.1): an unreachable Redis or an unusable bucket
// stops the process with one clear line rather than serving half-working.

#include <memory>
#include <string>

#include "common/clock.hpp"
#include "common/http_client.hpp"
#include "common/random.hpp"
#include "common/status.hpp"
#include "common/timers.hpp"
#include "config/service_options.hpp"
#include "coordination/event_bus.hpp"
#include "coordination/lock_service.hpp"
#include "coordination/redis/asio_redis_client.hpp"
#include "recording/catalogue_index_store.hpp"
#include "recording/object_store.hpp"
#include "recording/recording_catalogue.hpp"

#include <future>

namespace mr::app {

struct Backends {
  std::unique_ptr<recording::ObjectStore> store;
  std::string storage_description;  // For the start-up log line (no secrets).
  std::string storage_scope;        // Names the bucket (or folder) in Redis key namespaces.
  // Null without MEET_REDIS_HOST.
  std::unique_ptr<coordination::redis::AsioRedisClient> redis;
  std::unique_ptr<coordination::LockService> locks;
  std::unique_ptr<coordination::EventBus> bus;
  // Null for the in-memory index the catalogue keeps by itself.
  std::unique_ptr<recording::CatalogueIndexStore> index;

  bool fleet() const { return redis != nullptr; }
};

// Held by whoever rebuilds the shared index (an instance, or `meet-recorder reindex`).
inline constexpr const char* kRebuildLockKey = "mr_lock:catalogue_rebuild";

// Start-up of a shared index: returns once it is ready. When it is not (a new or restarted
// Redis), one instance of the fleet rebuilds it from storage under a lock while the others wait
// (polling), so three instances starting together scan the bucket once.
Task<Status> EnsureSharedIndex(recording::RecordingCatalogue& catalogue,
                               coordination::LockService& locks, Timers& timers,
                               const std::string& instance_id);

// The fleet's periodic index check: EnsureSharedIndex, then the index writes this instance could
// not make while Redis was unreachable (RecordingCatalogue::RetryIndexWrites).
Task<Status> GuardSharedIndex(recording::RecordingCatalogue& catalogue,
                              coordination::LockService& locks, Timers& timers,
                              std::string instance_id);

// The configured object store alone (local folder or S3 bucket, checked), for commands that need
// storage without coordination (the standalone embedded LiveKit uploading to the bucket).
Status MakeObjectStore(asio::io_context& ioc, const config::ServiceOptions& options, Clock& clock,
                       Timers& timers, Random& random, HttpClient& http, Backends& out);

// Builds and checks the back-ends. REQUIRES: `ioc` is being run by other threads (the checks wait
// for Redis and S3 answers on it). kInvalidArgument for bad configuration, kUnavailable or
// kDestination when a back-end cannot be used.
Result<Backends> MakeBackends(asio::io_context& ioc, const config::ServiceOptions& options,
                              Clock& clock, Timers& timers, Random& random, HttpClient& http);

// Runs `ioc` on this thread until `task` has finished, and returns its result. Unlike RunTask it
// returns while other work stays pending (a Redis connection always waits on its socket), so
// start-up and shutdown steps can run before and after the serving threads.
template <typename T>
T Await(asio::io_context& ioc, Task<T> task) {
  std::optional<T> out;
  auto wrapper = [](Task<T> t, std::optional<T>* o) -> Task<void> { o->emplace(co_await std::move(t)); };
  auto done = asio::co_spawn(ioc, wrapper(std::move(task), &out), asio::use_future);
  while (done.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
    if (ioc.stopped()) {
      ioc.restart();
    }
    ioc.run_one_for(std::chrono::milliseconds(50));
  }
  done.get();
  return std::move(*out);
}

}  // namespace mr::app
