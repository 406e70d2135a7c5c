#pragma once
// An S3ObjectStore on a real S3 server for tests: a fresh S3Peer (s3rver on 127.0.0.1, one
// bucket), the real BeastHttpClient and AsioTimers on a private io_context run by one thread, so
// the synchronous helpers of storage_test_env.hpp (each on its own io_context) can call the store.

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>

#include "common/beast_http_client.hpp"
#include "common/clock.hpp"
#include "common/random.hpp"
#include "common/timers.hpp"
#include "peers/io_threads.hpp"
#include "peers/s3_peer.hpp"
#include "storage/s3/s3_object_store.hpp"

namespace mr::storage::testing {

using IoThread = test::IoThreads;

// Options for `peer` with its credentials, path-style, short timeouts and backoff so that an
// outage test finishes quickly.
inline S3Options S3OptionsFor(const test::S3Peer& peer) {
  S3Options o;
  o.bucket = peer.bucket();
  o.endpoint = peer.endpoint();
  o.https = false;
  o.host = "127.0.0.1";
  o.port = peer.port();
  o.access_key = test::S3Peer::kAccessKey;
  o.secret_key = test::S3Peer::kSecretKey;
  o.region = test::S3Peer::kRegion;
  o.request_timeout = std::chrono::milliseconds(5000);
  o.max_retries = 2;
  o.retry_base_delay = std::chrono::milliseconds(10);
  return o;
}

// A store on the options of `peer`, changed by `tweak` when given.
struct S3Env {
  explicit S3Env(std::string bucket = "openvidu-appdata",
                 std::function<void(S3Options&)> tweak = {})
      : peer(std::move(bucket)), options(S3OptionsFor(peer)) {
    if (tweak) {
      tweak(options);
    }
    store = std::make_unique<S3ObjectStore>(http, clock, timers, random, options);
  }

  test::S3Peer peer;
  S3Options options;
  IoThread io;
  BeastHttpClient http{io.ioc().get_executor()};
  SystemClock clock;
  AsioTimers timers{io.ioc()};
  SystemRandom random;
  std::unique_ptr<S3ObjectStore> store;
};

}  // namespace mr::storage::testing
