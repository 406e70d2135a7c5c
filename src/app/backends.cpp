#include "app/backends.hpp"

#include "common/logging.hpp"
#include "coordination/redis/redis_event_bus.hpp"
#include "coordination/redis/redis_lock_service.hpp"
#include "coordination/redis/redis_options.hpp"
#include "storage/local_object_store.hpp"
#include "storage/redis_catalogue_index_store.hpp"
#include "storage/s3/s3_object_store.hpp"

namespace mr::app {
namespace {

// Listing caches pay off for repeated scans of the same folders (room deletion, reindex); the
// start-up scan visits each recording folder once, so a small cache keeps idle memory low.
storage::LocalObjectStoreOptions LocalStoreOptions() {
  storage::LocalObjectStoreOptions o;
  o.listing_cache_max_folders = 4096;
  return o;
}

}  // namespace

Status MakeObjectStore(asio::io_context& ioc, const config::ServiceOptions& options, Clock& clock,
                       Timers& timers, Random& random, HttpClient& http, Backends& b) {
  if (options.storage_mode != "s3") {
    try {
      b.store = std::make_unique<storage::LocalObjectStore>(options.storage_dir, LocalStoreOptions());
    } catch (const std::exception& e) {
      return Status(StatusCode::kUnavailable, "storage folder unusable: " + std::string(e.what()));
    }
    b.storage_description = "local:" + options.storage_dir;
    b.storage_scope = b.storage_description;
    return Status::Ok();
  }
  // The AWS_* variables are not configuration keys (options.raw has none): the default
  // credential chain reads them from the process environment, as the AWS SDKs do.
  std::map<std::string, std::string> s3_env = options.raw;
  for (const auto& [k, v] : config::ProcessEnvironment()) {
    if (k.rfind("AWS_", 0) == 0) {
      s3_env.emplace(k, v);
    }
  }
  auto s3 = storage::S3OptionsFromEnv(s3_env);
  if (!s3.ok()) {
    return s3.status();
  }
  b.storage_description = "s3:" + s3->endpoint + "/" + s3->bucket;
  b.storage_scope = "s3:" + s3->bucket;
  auto store = std::make_unique<storage::S3ObjectStore>(http, clock, timers, random, *s3);
  if (Status s = Await(ioc, store->CheckBucket()); !s.ok()) {
    return Status(s.code(), "S3 bucket '" + s3->bucket + "' at " + s3->endpoint +
                                " is not usable: " + s.message());
  }
  b.store = std::move(store);
  return Status::Ok();
}

Result<Backends> MakeBackends(asio::io_context& ioc, const config::ServiceOptions& options,
                              Clock& clock, Timers& timers, Random& random, HttpClient& http) {
  Backends b;
  if (Status s = MakeObjectStore(ioc, options, clock, timers, random, http, b); !s.ok()) {
    return s;
  }
  auto redis_options = coordination::redis::RedisOptionsFromEnv(options.raw);
  if (!redis_options.ok()) {
    return redis_options.status();
  }
  if (!redis_options->has_value()) {
    b.locks = std::make_unique<coordination::InProcessLockService>(clock);
    b.bus = std::make_unique<coordination::InProcessEventBus>();
    return b;
  }
  const auto& ro = **redis_options;
  b.redis = std::make_unique<coordination::redis::AsioRedisClient>(ioc, ro);
  if (Status s = Await(ioc, b.redis->Connect()); !s.ok()) {
    return Status(StatusCode::kUnavailable, "Redis at " +
                                                coordination::redis::DescribeRedisEndpoint(ro) +
                                                " is not usable: " + s.message());
  }
  b.locks = std::make_unique<coordination::redis::RedisLockService>(*b.redis, clock);
  auto bus = std::make_unique<coordination::redis::RedisEventBus>(ioc, *b.redis, ro);
  // A start waits for events of other instances: serve only once they can arrive.
  if (!Await(ioc, bus->WaitSubscribed(ro.command_timeout))) {
    return Status(StatusCode::kUnavailable, "Redis subscription to " +
                                                std::string(coordination::redis::RedisEventBus::kChannel) +
                                                " not established");
  }
  b.bus = std::move(bus);
  // One index per bucket and sub-bucket, so fleets on different buckets may share a Redis.
  b.index = std::make_unique<storage::RedisCatalogueIndexStore>(
      *b.redis, "mr:catalogue:{" + b.storage_scope + "/" + options.subbucket + "}");
  return b;
}

}  // namespace mr::app

namespace mr::app {

Task<Status> EnsureSharedIndex(recording::RecordingCatalogue& catalogue,
                               coordination::LockService& locks, Timers& timers,
                               const std::string& instance_id) {
  const std::string key = kRebuildLockKey;
  bool announced = false;
  while (true) {
    auto ready = co_await catalogue.IndexReady();
    if (!ready.ok()) {
      co_return ready.status();
    }
    if (*ready) {
      co_return Status::Ok();
    }
    // Long enough for a scan of a large bucket; a rebuilder that dies frees it at expiry.
    auto mine = co_await locks.Acquire(key, instance_id, std::chrono::minutes(15));
    if (!mine.ok()) {
      co_return mine.status();
    }
    if (*mine) {
      log::Info("shared catalogue index missing: rebuilding it from storage");
      auto rebuilt = co_await catalogue.Rebuild();
      co_await locks.Release(key, instance_id);
      if (!rebuilt.ok()) {
        co_return rebuilt.status();
      }
      log::Info("shared catalogue index rebuilt",
                {{"recordings", rebuilt->indexed}, {"skipped", rebuilt->skipped}});
      co_return Status::Ok();
    }
    if (!announced) {
      log::Info("waiting for another instance to rebuild the shared catalogue index");
      announced = true;
    }
    co_await SleepFor(timers, std::chrono::milliseconds(200));
  }
}

Task<Status> GuardSharedIndex(recording::RecordingCatalogue& catalogue,
                              coordination::LockService& locks, Timers& timers,
                              std::string instance_id) {
  if (Status s = co_await EnsureSharedIndex(catalogue, locks, timers, instance_id); !s.ok()) {
    co_return s;
  }
  co_return co_await catalogue.RetryIndexWrites();
}

}  // namespace mr::app
