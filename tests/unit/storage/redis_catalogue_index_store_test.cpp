// RedisCatalogueIndexStore on a real redis-server: what the conformance suite cannot say —
// readiness across Redis restarts, outages, key lifetimes, several instances, round trips, the
// clean-up of old and abandoned generations, and a rebuild of 100 000 entries.

#include "storage/redis_catalogue_index_store.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <future>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>

#include "common/async.hpp"
#include "coordination/redis/asio_redis_client.hpp"
#include "peers/io_threads.hpp"
#include "peers/redis_peer.hpp"
#include "recording/catalogue_index.hpp"
#include "storage/redis_index_scripts.hpp"

namespace mr::storage {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using coordination::redis::AsioRedisClient;
using coordination::redis::RedisOptions;
using recording::CataloguePage;
using recording::CatalogueQuery;
using recording::IndexEntry;
using recording::RecordingStatus;

constexpr const char* kNs = "mr:catalogue:{test}";

using IoThread = test::IoThreads;

IndexEntry Entry(std::string id, std::string room, int64_t start,
                 RecordingStatus st = RecordingStatus::kComplete) {
  return IndexEntry{std::move(id), std::move(room), start, st};
}

std::vector<std::string> Ids(const std::vector<IndexEntry>& entries) {
  std::vector<std::string> ids;
  for (const IndexEntry& e : entries) {
    ids.push_back(e.recording_id);
  }
  return ids;
}

class RedisCatalogueIndexStoreTest : public ::testing::Test {
 protected:
  RedisOptions Options() const {
    RedisOptions o;
    o.host = peer_.host();
    o.port = peer_.port();
    o.command_timeout = 1500ms;
    o.reconnect_min_delay = 20ms;
    o.reconnect_max_delay = 200ms;
    return o;
  }

  template <typename T>
  T Await(Task<T> t) {
    return io_.Await(std::move(t));
  }

  void Reset(RedisCatalogueIndexStore& s, std::vector<IndexEntry> entries) {
    Status st = Await(s.Reset(std::move(entries)));
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  // Polls until Redis answers through `client` again (after a restart), bounded.
  bool WaitUsable(AsioRedisClient& c) {
    const auto deadline = Clock::now() + 10s;
    while (Clock::now() < deadline) {
      std::vector<std::string> ping = {"PING"};
      if (Await(c.Command(std::move(ping))).ok()) {
        return true;
      }
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  int64_t UsedMemory() {
    const std::string info = peer_.Query({"INFO", "memory"}).at(0);
    const size_t at = info.find("used_memory:");
    return at == std::string::npos ? 0 : std::stoll(info.substr(at + 12));
  }

  // The execution time in Redis of the last command (SLOWLOG logs everything, see SetUp).
  int64_t ServerMicros() {
    const std::vector<std::string> log = peer_.Query({"SLOWLOG", "GET", "1"});
    return log.size() > 2 ? std::stoll(log[2]) : -1;
  }

  std::vector<std::string> AllKeys() { return peer_.Query({"KEYS", "*"}); }

  test::RedisPeer peer_;
  IoThread io_;
  AsioRedisClient client_{io_.ioc(), Options()};
  RedisCatalogueIndexStore store_{client_, kNs};
};

TEST_F(RedisCatalogueIndexStoreTest, StartEncodingIsFixedWidthAndReversesOrder) {
  const std::vector<int64_t> starts = {std::numeric_limits<int64_t>::min(), -1000, -1, 0, 1,
                                       1'700'000'000'000, std::numeric_limits<int64_t>::max()};
  std::string prev;
  for (int64_t s : starts) {
    const std::string hex = RedisCatalogueIndexStore::EncodeStartForTest(s);
    EXPECT_EQ(hex.size(), 16u);
    if (!prev.empty()) {
      EXPECT_LT(hex, prev) << s;  // Newer sorts first.
    }
    int64_t back = 0;
    ASSERT_TRUE(RedisCatalogueIndexStore::DecodeStartForTest(hex, back));
    EXPECT_EQ(back, s);
    prev = hex;
  }
  int64_t out;
  EXPECT_FALSE(RedisCatalogueIndexStore::DecodeStartForTest("ABCDEF0123456789", out));
  EXPECT_FALSE(RedisCatalogueIndexStore::DecodeStartForTest("123", out));
}

TEST_F(RedisCatalogueIndexStoreTest, NotReadyUntilBuiltAndWritesThenCreateNothing) {
  EXPECT_FALSE(*Await(store_.Ready()));
  Result<CataloguePage> q = Await(store_.Query({}));
  ASSERT_FALSE(q.ok());
  EXPECT_TRUE(RedisCatalogueIndexStore::IsNotReady(q.status())) << q.status().ToString();
  EXPECT_EQ(q.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(RedisCatalogueIndexStore::IsNotReady(Await(store_.Size()).status()));
  ASSERT_TRUE(Await(store_.Upsert(Entry("a", "R", 1))).ok());
  ASSERT_TRUE(Await(store_.Remove("a")).ok());
  EXPECT_TRUE(AllKeys().empty());  // No half index.
  EXPECT_FALSE(*Await(store_.Ready()));
}

TEST_F(RedisCatalogueIndexStoreTest, RedisRestartLosesTheIndexAndARebuildRestoresIt) {
  Reset(store_, {Entry("a", "R", 1), Entry("b", "R", 2)});
  ASSERT_TRUE(*Await(store_.Ready()));
  peer_.Restart();  // No persistence: everything is gone.
  ASSERT_TRUE(WaitUsable(client_));
  Result<bool> ready = Await(store_.Ready());
  ASSERT_TRUE(ready.ok()) << ready.status().ToString();
  EXPECT_FALSE(*ready);
  // Never an empty page that looks like an empty catalogue.
  Result<CataloguePage> q = Await(store_.Query({}));
  EXPECT_TRUE(RedisCatalogueIndexStore::IsNotReady(q.status())) << q.status().ToString();
  // A write meanwhile is journaled when a rebuild runs, and does not make the index look ready.
  ASSERT_TRUE(Await(store_.BeginRebuild()).ok());
  ASSERT_TRUE(Await(store_.Upsert(Entry("c", "R", 3))).ok());
  EXPECT_FALSE(*Await(store_.Ready()));
  Reset(store_, {Entry("a", "R", 1), Entry("b", "R", 2)});
  ASSERT_TRUE(Await(store_.EndRebuild()).ok());
  Result<std::vector<std::string>> journal = Await(store_.TakeJournal());
  ASSERT_TRUE(journal.ok());
  EXPECT_EQ(*journal, std::vector<std::string>{"c"});
  EXPECT_TRUE(*Await(store_.Ready()));
  EXPECT_EQ(Ids(Await(store_.Query({}))->entries), (std::vector<std::string>{"b", "a"}));
}

TEST_F(RedisCatalogueIndexStoreTest, RedisDownIsUnavailableNeverEmpty) {
  RedisOptions fast = Options();
  fast.command_timeout = 300ms;
  AsioRedisClient client(io_.ioc(), fast);
  RedisCatalogueIndexStore store(client, kNs);
  Reset(store, {Entry("a", "R", 1)});
  std::vector<std::string> ids = {"a"};
  ASSERT_TRUE(Await(store.AddTombstones(ids)).ok());
  peer_.Stop();
  const auto t0 = Clock::now();
  EXPECT_EQ(Await(store.Ready()).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(Await(store.Query({})).status().code(), StatusCode::kUnavailable);
  EXPECT_FALSE(RedisCatalogueIndexStore::IsNotReady(Await(store.Query({})).status()));
  EXPECT_EQ(Await(store.Size()).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(Await(store.Upsert(Entry("b", "R", 2))).code(), StatusCode::kUnavailable);
  EXPECT_EQ(Await(store.Remove("a")).code(), StatusCode::kUnavailable);
  EXPECT_EQ(Await(store.IsTombstoned("a")).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(Await(store.AddTombstones(ids)).code(), StatusCode::kUnavailable);
  EXPECT_EQ(Await(store.Reset({Entry("a", "R", 1)})).code(), StatusCode::kUnavailable);
  EXPECT_EQ(Await(store.BeginRebuild()).code(), StatusCode::kUnavailable);
  EXPECT_EQ(Await(store.TakeJournal()).status().code(), StatusCode::kUnavailable);
  EXPECT_LT(Clock::now() - t0, 30s);  // Each bounded by the command timeout.
  peer_.Start();
  ASSERT_TRUE(WaitUsable(client));
  EXPECT_FALSE(*Await(store.Ready()));
}

TEST_F(RedisCatalogueIndexStoreTest, InvalidEntriesAreRefusedWithoutTouchingRedis) {
  Reset(store_, {});
  const uint64_t before = client_.RoundTrips();
  IndexEntry bad = Entry("a", "R", 1);
  bad.status = static_cast<RecordingStatus>(9);
  EXPECT_EQ(Await(store_.Upsert(bad)).code(), StatusCode::kInvalidArgument);
  IndexEntry long_id = Entry(std::string(recording::CatalogueIndex::kMaxRecordingIdBytes + 1, 'x'),
                             "R", 1);
  EXPECT_EQ(Await(store_.Reset({Entry("ok", "R", 1), long_id})).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(client_.RoundTrips(), before);
  EXPECT_EQ(*Await(store_.Size()), 0u);
}

TEST_F(RedisCatalogueIndexStoreTest, EveryKeyIsInTheNamespaceAndTransientOnesExpire) {
  std::vector<IndexEntry> entries;
  for (int i = 0; i < 2500; ++i) {
    std::string id = "EG_";
    id += std::to_string(i);
    std::string room = "room";
    room += std::to_string(i % 40);
    entries.push_back(Entry(id, room, i, static_cast<RecordingStatus>(i % 7)));
  }
  Reset(store_, entries);
  ASSERT_TRUE(Await(store_.BeginRebuild()).ok());
  ASSERT_TRUE(Await(store_.Upsert(Entry("EG_x", "other", 5))).ok());
  std::vector<std::string> dead = {"EG_1", "EG_2"};
  ASSERT_TRUE(Await(store_.AddTombstones(dead)).ok());
  Reset(store_, entries);  // The first generation must disappear completely.
  Reset(store_, entries);

  const std::string current = peer_.Query({"GET", std::string(kNs) + ":current"}).at(0);
  std::string gen_prefix = kNs;
  gen_prefix += ":g:";
  std::string current_prefix = gen_prefix;
  current_prefix += current;
  current_prefix += ':';
  const std::vector<std::string> expiring = {std::string(kNs) + ":rebuilding",
                                             std::string(kNs) + ":journal"};
  const std::vector<std::string> permanent = {std::string(kNs) + ":current",
                                              std::string(kNs) + ":seq"};
  size_t index_keys = 0;
  for (const std::string& key : AllKeys()) {
    SCOPED_TRACE(key);
    ASSERT_EQ(key.rfind(kNs, 0), 0u) << "outside the namespace";
    const int64_t ttl = std::stoll(peer_.Query({"PTTL", key}).at(0));
    const bool tombstone = key.rfind(std::string(kNs) + ":deleted:", 0) == 0;
    if (tombstone || std::count(expiring.begin(), expiring.end(), key) > 0) {
      EXPECT_GT(ttl, 0);
      if (tombstone) {
        EXPECT_GT(ttl, 23 * 3600 * 1000);
        EXPECT_LE(ttl, 24 * 3600 * 1000);
      }
    } else if (key.rfind(gen_prefix, 0) == 0) {
      EXPECT_EQ(key.rfind(current_prefix, 0), 0u) << "a key of an old generation is left";
      ++index_keys;
    } else {
      EXPECT_TRUE(std::count(permanent.begin(), permanent.end(), key) > 0) << "unexpected key";
    }
  }
  // entries, all, 7 statuses, keys, 40 rooms, 40 rooms x 7 statuses (i % 40 and i % 7 cover all).
  EXPECT_EQ(index_keys, 1u + 1u + 7u + 1u + 40u + 280u);
  // No generation is left waiting for collection.
  EXPECT_EQ(peer_.Query({"ZCARD", std::string(kNs) + ":gens"}).at(0), "0");
}

TEST_F(RedisCatalogueIndexStoreTest, AnAbandonedBuildIsCollectedAndCannotBeSwitchedTo) {
  Reset(store_, {Entry("a", "R", 1)});
  // A crashed instance's half build: generation 99, last written long ago.
  const std::string g99 = std::string(kNs) + ":g:99:";
  peer_.Query({"HSET", g99 + "e", "x", "v"});
  peer_.Query({"ZADD", g99 + "all", "0", "m"});
  peer_.Query({"ZADD", g99 + "r:room", "0", "m"});
  peer_.Query({"SADD", g99 + "keys", g99 + "r:room"});
  peer_.Query({"ZADD", std::string(kNs) + ":gens", "1000", "99"});
  Reset(store_, {Entry("b", "R", 2)});
  for (const std::string& key : AllKeys()) {
    EXPECT_EQ(key.rfind(g99, 0), std::string::npos) << key;
  }
  EXPECT_EQ(Ids(Await(store_.Query({}))->entries), std::vector<std::string>{"b"});

  // Its builder, back from the dead, can neither add a chunk nor switch to it.
  const std::string stale = std::to_string(
      std::chrono::milliseconds(RedisCatalogueIndexStore::kStaleBuildAge).count());
  std::vector<std::string> no_keys;
  std::vector<std::string> chunk = {kNs, "99", stale, "x", "0fffffffffffffffffR"};
  Result<RedisReply> r =
      Await(client_.Eval(redis_index::BuildChunkScript(), no_keys, chunk));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->is_nil());
  std::vector<std::string> current = {std::string(kNs) + ":current"};
  std::vector<std::string> to_99 = {kNs, "99", stale};
  r = Await(client_.Eval(redis_index::SwitchScript(), current, to_99));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->integer, 0);
  EXPECT_EQ(Ids(Await(store_.Query({}))->entries), std::vector<std::string>{"b"});
}

TEST_F(RedisCatalogueIndexStoreTest, TwoInstancesShareOneIndexAndNamespacesDoNotMix) {
  IoThread io_b;
  AsioRedisClient client_b(io_b.ioc(), Options());
  RedisCatalogueIndexStore store_b(client_b, kNs);
  RedisCatalogueIndexStore other(client_b, "mr:catalogue:{other}");
  Reset(store_, {Entry("a", "R", 1)});
  EXPECT_TRUE(*io_b.Await(store_b.Ready()));
  EXPECT_FALSE(*io_b.Await(other.Ready()));
  ASSERT_TRUE(Await(store_.Upsert(Entry("b", "R", 2))).ok());
  EXPECT_EQ(Ids(io_b.Await(store_b.Query({}))->entries), (std::vector<std::string>{"b", "a"}));
  ASSERT_TRUE(io_b.Await(store_b.Remove("a")).ok());
  EXPECT_EQ(Ids(Await(store_.Query({}))->entries), std::vector<std::string>{"b"});
  std::vector<std::string> ids = {"b"};
  ASSERT_TRUE(io_b.Await(store_b.AddTombstones(ids)).ok());
  EXPECT_TRUE(*Await(store_.IsTombstoned("b")));
  // Another namespace is another catalogue.
  ASSERT_TRUE(io_b.Await(other.Reset({Entry("z", "R", 9)})).ok());
  EXPECT_FALSE(*io_b.Await(other.IsTombstoned("b")));
  EXPECT_EQ(Ids(io_b.Await(other.Query({}))->entries), std::vector<std::string>{"z"});
  EXPECT_EQ(Ids(Await(store_.Query({}))->entries), std::vector<std::string>{"b"});
  EXPECT_EQ(*Await(store_.Size()), 1u);
}

TEST_F(RedisCatalogueIndexStoreTest, ConcurrentRebuildsByTwoInstancesLeaveOneWholeIndex) {
  IoThread io_b;
  AsioRedisClient client_b(io_b.ioc(), Options());
  RedisCatalogueIndexStore store_b(client_b, kNs);
  std::vector<IndexEntry> mine;
  std::vector<IndexEntry> theirs;
  for (int i = 0; i < 4000; ++i) {
    std::string id = "id";
    id += std::to_string(i);
    mine.push_back(Entry(id, "A", i));
    theirs.push_back(Entry(id, "B", i));
  }
  Reset(store_, {Entry("old", "R", 1)});
  std::thread other([&] { EXPECT_TRUE(io_b.Await(store_b.Reset(theirs)).ok()); });
  Reset(store_, mine);
  other.join();
  EXPECT_EQ(*Await(store_.Size()), 4000u);
  CatalogueQuery q;
  q.limit = 1000;
  const std::string room = Await(store_.Query(q))->entries.at(0).room_id;
  q.room_id = room == "A" ? "B" : "A";
  EXPECT_TRUE(Await(store_.Query(q))->entries.empty()) << "a mix of both rebuilds";
  // Only the current generation is left.
  const std::string current = peer_.Query({"GET", std::string(kNs) + ":current"}).at(0);
  std::string current_prefix = kNs;
  current_prefix += ":g:";
  current_prefix += current;
  for (const std::string& key : AllKeys()) {
    if (key.find(":g:") != std::string::npos) {
      EXPECT_EQ(key.rfind(current_prefix, 0), 0u) << key;
    }
  }
}

TEST_F(RedisCatalogueIndexStoreTest, OneRoundTripPerOperation) {
  Reset(store_, {Entry("a", "R", 1), Entry("b", "R2", 2, RecordingStatus::kFailed)});
  CatalogueQuery q;
  q.room_id = "R";
  q.statuses = {RecordingStatus::kComplete, RecordingStatus::kFailed, RecordingStatus::kActive};
  q.start_from_ms = 0;
  q.start_to_ms = 100;
  q.limit = 1;
  // Warm the script cache (a first EVALSHA costs a SCRIPT LOAD once per process and server).
  ASSERT_TRUE(Await(store_.Upsert(Entry("c", "R", 3))).ok());
  ASSERT_TRUE(Await(store_.Remove("c")).ok());
  ASSERT_TRUE(Await(store_.Query(q)).ok());
  ASSERT_TRUE(Await(store_.Size()).ok());
  ASSERT_TRUE(Await(store_.TakeJournal()).ok());

  auto trips = [&](auto&& op) {
    const uint64_t before = client_.RoundTrips();
    op();
    return client_.RoundTrips() - before;
  };
  EXPECT_EQ(trips([&] { ASSERT_TRUE(Await(store_.Upsert(Entry("c", "R", 3))).ok()); }), 1u);
  EXPECT_EQ(trips([&] { ASSERT_TRUE(Await(store_.Remove("c")).ok()); }), 1u);
  EXPECT_EQ(trips([&] { ASSERT_TRUE(Await(store_.Query(q)).ok()); }), 1u);
  EXPECT_EQ(trips([&] { ASSERT_TRUE(Await(store_.Query({})).ok()); }), 1u);
  EXPECT_EQ(trips([&] { ASSERT_TRUE(Await(store_.Size()).ok()); }), 1u);
  EXPECT_EQ(trips([&] { ASSERT_TRUE(Await(store_.Ready()).ok()); }), 1u);
  EXPECT_EQ(trips([&] { ASSERT_TRUE(Await(store_.IsTombstoned("a")).ok()); }), 1u);
  EXPECT_EQ(trips([&] { ASSERT_TRUE(Await(store_.BeginRebuild()).ok()); }), 1u);
  EXPECT_EQ(trips([&] { ASSERT_TRUE(Await(store_.EndRebuild()).ok()); }), 1u);
  EXPECT_EQ(trips([&] { ASSERT_TRUE(Await(store_.TakeJournal()).ok()); }), 1u);
}

// The fleet's rebuild size: 100 000 entries in 1 000 rooms. Prints the figures (time, round trips,
// Redis memory, query latency) and checks the order and counts of a few queries.
TEST_F(RedisCatalogueIndexStoreTest, HundredThousandEntries) {
  std::vector<IndexEntry> entries;
  entries.reserve(100000);
  for (int i = 0; i < 100000; ++i) {
    std::string room = "room-";
    room += std::to_string(i % 1000);
    std::string id = room;
    id += "--EG_abcdefghijkl--";
    id += std::to_string(i);
    entries.push_back(Entry(id, room, 1'700'000'000'000 + i * 1000LL,
                            static_cast<RecordingStatus>(i % 7)));
  }
  const int64_t mem_before = UsedMemory();
  peer_.Query({"CONFIG", "SET", "slowlog-log-slower-than", "0"});
  uint64_t before = client_.RoundTrips();
  auto t0 = Clock::now();
  Reset(store_, entries);
  const auto reset_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
  const uint64_t reset_trips = client_.RoundTrips() - before;
  EXPECT_LE(reset_trips, 100u + 10u);
  EXPECT_EQ(*Await(store_.Size()), 100000u);

  // A second rebuild replaces the first and deletes it.
  before = client_.RoundTrips();
  t0 = Clock::now();
  Reset(store_, entries);
  const auto reset2_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
  const uint64_t reset2_trips = client_.RoundTrips() - before;

  CatalogueQuery q;
  q.statuses = {RecordingStatus::kComplete, RecordingStatus::kFailed, RecordingStatus::kActive,
                RecordingStatus::kEnding, RecordingStatus::kAborted, RecordingStatus::kStarting};
  q.limit = 1000;
  // The best of three: the old generation is being freed in Redis' background thread meanwhile.
  Result<CataloguePage> page = Await(store_.Query(q));
  int64_t q6_us = ServerMicros();
  for (int i = 0; i < 2; ++i) {
    page = Await(store_.Query(q));
    q6_us = std::min(q6_us, ServerMicros());
  }
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->entries.size(), 1000u);
  EXPECT_EQ(page->entries.front().recording_id, "room-999--EG_abcdefghijkl--99999");
  q.statuses.clear();
  q.limit = 10;
  q.room_id = "room-7";
  page = Await(store_.Query(q));
  const int64_t q1_us = ServerMicros();
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->entries.front().recording_id, "room-7--EG_abcdefghijkl--99007");
  const int64_t used_mb = (UsedMemory() - mem_before) >> 20;
  std::cout << "[ figures  ] Reset 100000: " << reset_ms.count() << " ms, " << reset_trips
            << " round trips; again (with clean-up): " << reset2_ms.count() << " ms, "
            << reset2_trips << " round trips; in Redis: query 6 statuses x 1000: " << q6_us
            << " us, room page of 10: " << q1_us << " us; Redis memory +" << used_mb
            << " MiB\n";
}

}  // namespace
}  // namespace mr::storage
