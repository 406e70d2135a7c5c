// LocalObjectStore Put throughput with fsync on, as webhook ingest drives it: 2 io threads,
// `writers` coroutines each saving small JSON objects one after another, for each
// blocking_threads setting given. Half of the Puts create a new recording folder (two new
// folders, as the first webhook of a recording does), half overwrite an existing object.
//
//   storage_put_bench [--dir DIR] [--puts N] [--writers W] [--threads 0,1,16]
//
// DIR defaults to $TMPDIR or /tmp; use a folder on the disk under test, not tmpfs.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/detached.hpp>

#include "common/async.hpp"
#include "storage/local_object_store.hpp"

namespace {

using namespace mr;
using Clock = std::chrono::steady_clock;

struct Shared {
  std::atomic<int> next{0};
  int puts = 0;
  std::atomic<int> failures{0};
  std::mutex mu;
  std::vector<double> latencies_ms;  // Guarded by mu.
};

Task<void> Writer(storage::LocalObjectStore* store, Shared* sh) {
  const std::string body =
      "{\"status\":\"ACTIVE\",\"room\":\"room-x\",\"pad\":\"" + std::string(400, 'x') + "\"}";
  std::vector<double> mine;
  while (true) {
    const int i = sh->next.fetch_add(1);
    if (i >= sh->puts) {
      break;
    }
    // Even i: the first object of a new recording (new folders); odd i: an overwrite.
    const std::string key = "openvidu-meet/recordings/room-" + std::to_string(i / 2 % 64) +
                            "/rec-" + std::to_string(i / 2) + "/.metadata/info.json";
    const auto t0 = Clock::now();
    Status s = co_await store->Put(key, body);
    mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    if (!s.ok()) {
      ++sh->failures;
      std::fprintf(stderr, "put failed: %s\n", s.ToString().c_str());
    }
  }
  std::lock_guard<std::mutex> lock(sh->mu);
  sh->latencies_ms.insert(sh->latencies_ms.end(), mine.begin(), mine.end());
}

void RunOne(const std::filesystem::path& dir, size_t threads, int puts, int writers) {
  const std::filesystem::path root = dir / ("put-bench-" + std::to_string(threads));
  std::filesystem::remove_all(root);
  Shared sh;
  sh.puts = puts;
  double secs = 0;
  {
    storage::LocalObjectStore store(root, {.fsync = true, .blocking_threads = threads});
    asio::io_context ioc;
    for (int w = 0; w < writers; ++w) {
      asio::co_spawn(ioc, Writer(&store, &sh), asio::detached);
    }
    const auto t0 = Clock::now();
    std::thread second([&] { ioc.run(); });
    ioc.run();
    second.join();
    secs = std::chrono::duration<double>(Clock::now() - t0).count();
  }
  std::filesystem::remove_all(root);
  std::sort(sh.latencies_ms.begin(), sh.latencies_ms.end());
  auto pct = [&](double p) {
    return sh.latencies_ms[std::min(sh.latencies_ms.size() - 1,
                                    static_cast<size_t>(p * sh.latencies_ms.size()))];
  };
  std::printf(
      "blocking_threads=%-3zu writers=%d puts=%d: %8.0f puts/s  p50 %6.2f ms  p99 %7.2f ms"
      "  failures %d\n",
      threads, writers, puts, puts / secs, pct(0.5), pct(0.99), sh.failures.load());
}

}  // namespace

int main(int argc, char** argv) {
  const char* tmp = std::getenv("TMPDIR");
  std::filesystem::path dir = tmp != nullptr ? tmp : "/tmp";
  int puts = 4000;
  int writers = 64;
  std::vector<size_t> threads = {0, 1, 16};
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--dir") == 0) {
      dir = argv[i + 1];
    } else if (std::strcmp(argv[i], "--puts") == 0) {
      puts = std::atoi(argv[i + 1]);
    } else if (std::strcmp(argv[i], "--writers") == 0) {
      writers = std::atoi(argv[i + 1]);
    } else if (std::strcmp(argv[i], "--threads") == 0) {
      threads.clear();
      for (const char* p = argv[i + 1]; *p != '\0';) {
        char* end = nullptr;
        threads.push_back(std::strtoul(p, &end, 10));
        p = *end == ',' ? end + 1 : end;
      }
    } else {
      std::fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  for (size_t t : threads) {
    RunOne(dir, t, puts, writers);
  }
  return 0;
}
