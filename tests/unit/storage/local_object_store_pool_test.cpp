// LocalObjectStore's blocking pool (LocalObjectStoreOptions::blocking_threads): Puts and deletes
// issued concurrently from an io_context all land, the calling coroutine resumes on its own
// executor (never on a pool thread), the io thread is free while a Put waits on the disk, and
// destroying the store waits for the calls still on the pool.

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/detached.hpp>
#include <boost/asio/strand.hpp>

#include "storage/local_object_store.hpp"
#include "unit/storage/storage_test_env.hpp"

namespace mr::storage {
namespace {

namespace fs = std::filesystem;
using testing::Sync;

std::string Key(int i) { return "pool/r" + std::to_string(i % 8) + "/obj-" + std::to_string(i); }

std::string Body(int i) {
  return "{\"recording\":" + std::to_string(i) + ",\"pad\":\"" + std::string(100 + i, 'x') + "\"}";
}

// Runs `ioc` on `n` threads until it runs out of work; returns the ids of those threads.
std::set<std::thread::id> RunOnThreads(asio::io_context& ioc, int n) {
  std::mutex mu;
  std::set<std::thread::id> ids;
  std::vector<std::thread> threads;
  for (int t = 0; t < n; ++t) {
    threads.emplace_back([&] {
      {
        std::lock_guard<std::mutex> lock(mu);
        ids.insert(std::this_thread::get_id());
      }
      ioc.run();
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  return ids;
}

class LocalObjectStorePoolTest : public ::testing::TestWithParam<size_t> {
 protected:
  // fsync stays on: these tests exercise the path the service runs.
  std::unique_ptr<LocalObjectStore> MakeStore() {
    return std::make_unique<LocalObjectStore>(
        root(), LocalObjectStoreOptions{.fsync = true, .blocking_threads = GetParam()});
  }
  fs::path root() const { return tmp_.path() / "root"; }

  testing::TempDir tmp_;
};

INSTANTIATE_TEST_SUITE_P(BlockingThreads, LocalObjectStorePoolTest, ::testing::Values(16, 0),
                         [](const auto& info) { return "threads" + std::to_string(info.param); });

TEST_P(LocalObjectStorePoolTest, ConcurrentPutsFromTwoIoThreadsAllLand) {
  constexpr int kPuts = 64;
  auto store = MakeStore();
  asio::io_context ioc;
  std::atomic<int> failures{0};
  std::atomic<int> resumed_off_io{0};
  std::atomic<int> done{0};
  for (int i = 0; i < kPuts; ++i) {
    auto writer = [](LocalObjectStore* s, asio::io_context* io, int i, std::atomic<int>* failures,
                     std::atomic<int>* off_io, std::atomic<int>* done) -> Task<void> {
      Status st = co_await s->Put(Key(i), Body(i));
      if (!st.ok()) {
        ADD_FAILURE() << st.ToString();
        ++*failures;
      }
      if (!io->get_executor().running_in_this_thread()) {
        ++*off_io;
      }
      ++*done;
    };
    asio::co_spawn(ioc, writer(store.get(), &ioc, i, &failures, &resumed_off_io, &done),
                   asio::detached);
  }
  RunOnThreads(ioc, 2);
  EXPECT_EQ(done.load(), kPuts);
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(resumed_off_io.load(), 0);

  for (int i = 0; i < kPuts; ++i) {
    auto got = Sync(store->Get(Key(i)));
    ASSERT_TRUE(got.ok()) << Key(i) << ": " << got.status().ToString();
    EXPECT_EQ(*got, Body(i)) << Key(i);
  }
  EXPECT_TRUE(fs::is_empty(root() / ".mr-tmp"));

  // Concurrent deletes from the same two threads remove every object and every folder.
  for (int i = 0; i < kPuts; i += 2) {
    auto deleter = [](LocalObjectStore* s, int i, std::atomic<int>* failures) -> Task<void> {
      std::vector<std::string> keys;
      keys.push_back(Key(i));
      keys.push_back(Key(i + 1));
      Status st = co_await s->DeleteMany(std::move(keys));
      if (!st.ok()) {
        ADD_FAILURE() << st.ToString();
        ++*failures;
      }
    };
    asio::co_spawn(ioc, deleter(store.get(), i, &failures), asio::detached);
  }
  ioc.restart();
  RunOnThreads(ioc, 2);
  EXPECT_EQ(failures.load(), 0);
  std::set<std::string> left;
  for (const auto& e : fs::directory_iterator(root())) {
    left.insert(e.path().filename().string());
  }
  EXPECT_EQ(left, (std::set<std::string>{".mr-tmp"}));
}

TEST_P(LocalObjectStorePoolTest, ResumesOnTheCallersStrand) {
  auto store = MakeStore();
  asio::io_context ioc;
  auto strand = asio::make_strand(ioc);
  std::atomic<int> checks{0};
  std::atomic<int> wrong{0};
  for (int c = 0; c < 8; ++c) {
    auto caller = [](LocalObjectStore* s, decltype(strand) st, int c, std::atomic<int>* checks,
                     std::atomic<int>* wrong) -> Task<void> {
      const std::string key = "strand/" + std::to_string(c);
      if (!(co_await s->Put(key, "v")).ok()) {
        ++*wrong;
      }
      *wrong += st.running_in_this_thread() ? 0 : 1;
      ++*checks;
      auto got = co_await s->Get(key);
      *wrong += got.ok() && *got == "v" ? 0 : 1;
      std::vector<std::string> keys;
      keys.push_back(key);
      if (!(co_await s->DeleteMany(std::move(keys))).ok()) {
        ++*wrong;
      }
      *wrong += st.running_in_this_thread() ? 0 : 1;
      ++*checks;
    };
    asio::co_spawn(strand, caller(store.get(), strand, c, &checks, &wrong), asio::detached);
  }
  RunOnThreads(ioc, 2);
  EXPECT_EQ(checks.load(), 16);
  EXPECT_EQ(wrong.load(), 0);
}

// With a pool, a Put suspends its coroutine and the (single) io thread runs other handlers while
// the disk works; inline (0 threads) it completes before anything else runs.
TEST_P(LocalObjectStorePoolTest, IoThreadIsFreeWhileAPutWaitsOnTheDisk) {
  auto store = MakeStore();
  asio::io_context ioc;
  std::atomic<bool> put_done{false};
  std::optional<bool> put_done_seen_by_other;
  auto putter = [](LocalObjectStore* s, std::atomic<bool>* done) -> Task<void> {
    EXPECT_TRUE((co_await s->Put("free/k", "v")).ok());
    *done = true;
  };
  auto other = [](std::atomic<bool>* done, std::optional<bool>* seen) -> Task<void> {
    *seen = done->load();
    co_return;
  };
  asio::co_spawn(ioc, putter(store.get(), &put_done), asio::detached);
  asio::co_spawn(ioc, other(&put_done, &put_done_seen_by_other), asio::detached);
  ioc.run();
  EXPECT_TRUE(put_done);
  ASSERT_TRUE(put_done_seen_by_other.has_value());
  EXPECT_EQ(*put_done_seen_by_other, GetParam() == 0);
}

// Destroying the store while Puts are queued on its pool waits for them: every object lands, no
// temporary file is left, and the callers resume with OK when their io_context runs again.
TEST_P(LocalObjectStorePoolTest, DestructorWaitsForCallsOnThePool) {
  constexpr int kPuts = 32;
  auto store = MakeStore();
  asio::io_context ioc;
  std::atomic<int> ok{0};
  for (int i = 0; i < kPuts; ++i) {
    auto writer = [](LocalObjectStore* s, int i, std::atomic<int>* ok) -> Task<void> {
      if ((co_await s->Put(Key(i), Body(i))).ok()) {
        ++*ok;
      }
    };
    asio::co_spawn(ioc, writer(store.get(), i, &ok), asio::detached);
  }
  // Every writer starts; with a pool each one suspends with its Put queued or running there.
  ioc.poll();
  store.reset();
  ioc.run();
  EXPECT_EQ(ok.load(), kPuts);
  auto reopened = MakeStore();
  for (int i = 0; i < kPuts; ++i) {
    auto got = Sync(reopened->Get(Key(i)));
    ASSERT_TRUE(got.ok()) << Key(i) << ": " << got.status().ToString();
    EXPECT_EQ(*got, Body(i));
  }
  EXPECT_TRUE(fs::is_empty(root() / ".mr-tmp"));
}

// Errors travel back through the pool unchanged.
TEST_P(LocalObjectStorePoolTest, ErrorsComeBackFromThePool) {
  auto store = MakeStore();
  EXPECT_EQ(Sync(store->Put("../escape", "v")).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(Sync(store->Put("e/a", "v")).ok());
  EXPECT_EQ(Sync(store->Put("e/a/b", "v")).code(), StatusCode::kConflict);
  EXPECT_EQ(Sync(store->DeleteMany({"ok/key", "/bad"})).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Sync(store->Get("e/a")).ok());
}

}  // namespace
}  // namespace mr::storage
