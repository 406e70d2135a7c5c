// Conformance suite of the CatalogueIndexStore port: InMemoryCatalogueIndexStore and
// RedisCatalogueIndexStore (on a real redis-server, tests/peers/redis_peer.hpp) must behave the
// same, and as CatalogueIndex (catalogue_index.hpp), the reference implementation. Behaviour
// before the first Reset differs on purpose (the Redis store reports "not ready") and is tested in
// redis_catalogue_index_store_test.cpp.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>

#include "common/async.hpp"
#include "coordination/redis/asio_redis_client.hpp"
#include "peers/io_threads.hpp"
#include "peers/redis_peer.hpp"
#include "recording/catalogue_index.hpp"
#include "recording/in_memory_catalogue_index_store.hpp"
#include "storage/redis_catalogue_index_store.hpp"

namespace mr::storage {
namespace {

using namespace std::chrono_literals;
using recording::CatalogueIndex;
using recording::CatalogueIndexStore;
using recording::CataloguePage;
using recording::CatalogueQuery;
using recording::Cursor;
using recording::IndexEntry;
using recording::RecordingStatus;

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

using IoThread = test::IoThreads;

struct MemoryEnv {
  static constexpr const char* kName = "Memory";
  IoThread io;
  recording::InMemoryCatalogueIndexStore store;
};

struct RedisEnv {
  static constexpr const char* kName = "Redis";
  static coordination::redis::RedisOptions Options(const test::RedisPeer& peer) {
    coordination::redis::RedisOptions o;
    o.host = peer.host();
    o.port = peer.port();
    o.command_timeout = 5000ms;
    return o;
  }
  test::RedisPeer peer;
  IoThread io;
  coordination::redis::AsioRedisClient client{io.ioc(), Options(peer)};
  RedisCatalogueIndexStore store{client, "mr:catalogue:{test}"};
};

// The listing order, computed the obvious way (std::string compares bytes as unsigned char).
bool ListingLess(const IndexEntry& a, const IndexEntry& b) {
  if (a.start_ms != b.start_ms) {
    return a.start_ms > b.start_ms;
  }
  return a.recording_id < b.recording_id;
}

bool Matches(const IndexEntry& e, const CatalogueQuery& q) {
  if (q.room_id && e.room_id != *q.room_id) {
    return false;
  }
  if (!q.statuses.empty() &&
      std::find(q.statuses.begin(), q.statuses.end(), e.status) == q.statuses.end()) {
    return false;
  }
  if (q.start_from_ms && e.start_ms < *q.start_from_ms) {
    return false;
  }
  return !(q.start_to_ms && e.start_ms > *q.start_to_ms);
}

// Every entry of `all` matching `q` (ignoring limit and cursor), in listing order.
std::vector<IndexEntry> Expected(std::vector<IndexEntry> all, const CatalogueQuery& q) {
  std::erase_if(all, [&](const IndexEntry& e) { return !Matches(e, q); });
  std::sort(all.begin(), all.end(), ListingLess);
  return all;
}

std::vector<std::string> Ids(const std::vector<IndexEntry>& entries) {
  std::vector<std::string> ids;
  for (const IndexEntry& e : entries) {
    ids.push_back(e.recording_id);
  }
  return ids;
}

IndexEntry Entry(std::string id, std::string room, int64_t start,
                 RecordingStatus st = RecordingStatus::kComplete) {
  return IndexEntry{std::move(id), std::move(room), start, st};
}

template <typename Env>
class CatalogueIndexStoreConformanceTest : public ::testing::Test {
 protected:
  CatalogueIndexStore& store() { return env_.store; }

  template <typename T>
  T Await(Task<T> t) {
    return env_.io.Await(std::move(t));
  }

  void Reset(std::vector<IndexEntry> entries) {
    Status s = Await(store().Reset(std::move(entries)));
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  void Upsert(IndexEntry e) {
    Status s = Await(store().Upsert(std::move(e)));
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  void Remove(std::string id) {
    Status s = Await(store().Remove(std::move(id)));
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  CataloguePage Query(CatalogueQuery q) {
    Result<CataloguePage> p = Await(store().Query(std::move(q)));
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return p.ok() ? std::move(*p) : CataloguePage{};
  }
  size_t Size() {
    Result<size_t> n = Await(store().Size());
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    return n.ok() ? *n : 0;
  }

  // Every page of `q` (its limit and cursor as given), concatenated; checks the page contract.
  std::vector<IndexEntry> QueryAll(CatalogueQuery q) {
    std::vector<IndexEntry> out;
    const size_t limit = std::clamp<size_t>(q.limit, 1, CatalogueIndex::kMaxLimit);
    for (int pages = 0; pages < 10000; ++pages) {
      CataloguePage p = Query(q);
      EXPECT_LE(p.entries.size(), limit);
      out.insert(out.end(), p.entries.begin(), p.entries.end());
      if (!p.next) {
        return out;
      }
      EXPECT_EQ(p.entries.size(), limit) << "a short page must be the last one";
      EXPECT_EQ(*p.next, (Cursor{p.entries.back().start_ms, p.entries.back().recording_id}));
      q.after = p.next;
    }
    ADD_FAILURE() << "paging did not end";
    return out;
  }

  Env env_;
};

class EnvNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    return T::kName;
  }
};

using Envs = ::testing::Types<MemoryEnv, RedisEnv>;
TYPED_TEST_SUITE(CatalogueIndexStoreConformanceTest, Envs, EnvNames);

TYPED_TEST(CatalogueIndexStoreConformanceTest, ReadyAfterResetAndSize) {
  Result<bool> ready = this->Await(this->store().Ready());
  ASSERT_TRUE(ready.ok()) << ready.status().ToString();
  EXPECT_FALSE(*ready);
  this->Reset({});
  EXPECT_TRUE(*this->Await(this->store().Ready()));
  EXPECT_EQ(this->Size(), 0u);
  EXPECT_TRUE(this->Query({}).entries.empty());
  this->Upsert(Entry("a", "R", 1));
  this->Upsert(Entry("b", "R", 2));
  this->Upsert(Entry("a", "R2", 3));  // Replaces.
  EXPECT_EQ(this->Size(), 2u);
  this->Remove("a");
  this->Remove("missing");  // Not an error.
  EXPECT_EQ(this->Size(), 1u);
  EXPECT_EQ(this->store().shared(), (std::is_same_v<TypeParam, RedisEnv>));
}

TYPED_TEST(CatalogueIndexStoreConformanceTest, OrderIsStartDescendingThenIdBytewise) {
  // Extreme and negative starts, ties broken by bytes (upper case first, UTF-8 after ASCII), an
  // id that is a prefix of another, and an empty id.
  std::vector<IndexEntry> all = {
      Entry("b", "R", 5),          Entry("a", "R", 5),        Entry("B", "R", 5),
      Entry("\xc3\xa9t\xc3\xa9", "R", 5), Entry("ab", "R", 5), Entry("", "R", 5),
      Entry("min", "R", kMin),     Entry("max", "R", kMax),   Entry("zero", "R", 0),
      Entry("neg", "R", -1),       Entry("one", "R", 1),      Entry("minp1", "R", kMin + 1),
      Entry("maxm1", "R", kMax - 1)};
  this->Reset(all);
  const std::vector<std::string> want = {"max", "maxm1", "",     "B",   "a",   "ab",   "b",
                                         "\xc3\xa9t\xc3\xa9", "one", "zero", "neg", "minp1", "min"};
  CatalogueQuery q;
  q.limit = 1000;
  EXPECT_EQ(Ids(this->Query(q).entries), want);
  // The same, a page of one at a time through cursors; entries come back whole.
  q.limit = 1;
  std::vector<IndexEntry> paged = this->QueryAll(q);
  EXPECT_EQ(Ids(paged), want);
  EXPECT_EQ(paged, Expected(all, CatalogueQuery{}));
}

TYPED_TEST(CatalogueIndexStoreConformanceTest, EveryFilterCombinationMatchesBruteForce) {
  std::vector<IndexEntry> all;
  const std::vector<std::string> rooms = {"R", "R2", "", "a:b", "r\tx"};
  std::mt19937 rng(7);
  for (int i = 0; i < 120; ++i) {
    std::string id = "EG_";
    id += std::to_string(i);
    all.push_back(Entry(id, rooms[rng() % rooms.size()], static_cast<int64_t>(rng() % 40) - 5,
                        static_cast<RecordingStatus>(rng() % recording::kRecordingStatusCount)));
  }
  this->Reset(all);
  ASSERT_EQ(this->Size(), all.size());

  const std::vector<std::optional<std::string>> room_filters = {std::nullopt, "R", "R2", "",
                                                               "a:b", "unknown"};
  const std::vector<std::vector<RecordingStatus>> status_filters = {
      {},
      {RecordingStatus::kActive},
      {RecordingStatus::kComplete, RecordingStatus::kFailed},
      {RecordingStatus::kFailed, RecordingStatus::kStarting, RecordingStatus::kFailed},
      {RecordingStatus::kStarting, RecordingStatus::kActive, RecordingStatus::kEnding,
       RecordingStatus::kComplete, RecordingStatus::kFailed, RecordingStatus::kAborted,
       RecordingStatus::kLimitReached},
      {RecordingStatus::kStarting, RecordingStatus::kActive, RecordingStatus::kEnding,
       RecordingStatus::kComplete, RecordingStatus::kFailed, RecordingStatus::kAborted}};
  const std::vector<std::optional<int64_t>> from_bounds = {std::nullopt, kMin, 3, 20, 40};
  const std::vector<std::optional<int64_t>> to_bounds = {std::nullopt, kMax, 3, 30, -10};
  for (const auto& room : room_filters) {
    for (const auto& statuses : status_filters) {
      for (const auto& from : from_bounds) {
        for (const auto& to : to_bounds) {
          CatalogueQuery q;
          q.room_id = room;
          q.statuses = statuses;
          q.start_from_ms = from;
          q.start_to_ms = to;
          q.limit = 7;
          SCOPED_TRACE(::testing::Message()
                       << "room=" << room.value_or("(any)") << " statuses=" << statuses.size()
                       << " from=" << (from ? std::to_string(*from) : "-")
                       << " to=" << (to ? std::to_string(*to) : "-"));
          EXPECT_EQ(this->QueryAll(q), Expected(all, q));
        }
      }
    }
  }
}

TYPED_TEST(CatalogueIndexStoreConformanceTest, DateBoundsAreInclusive) {
  this->Reset({Entry("a", "R", 99), Entry("b", "R", 100), Entry("c", "R", 150),
               Entry("d", "R", 200), Entry("e", "R", 201)});
  CatalogueQuery q;
  q.start_from_ms = 100;
  q.start_to_ms = 200;
  EXPECT_EQ(Ids(this->Query(q).entries), (std::vector<std::string>{"d", "c", "b"}));
  q.start_from_ms = 150;
  q.start_to_ms = 150;
  EXPECT_EQ(Ids(this->Query(q).entries), std::vector<std::string>{"c"});
  q.start_from_ms = 151;  // from > to: nothing.
  EXPECT_TRUE(this->Query(q).entries.empty());
  // A cursor before the upper bound (outside the range) starts at the bound.
  q.start_from_ms = 100;
  q.start_to_ms = 150;
  q.after = Cursor{300, "zz"};
  EXPECT_EQ(Ids(this->Query(q).entries), (std::vector<std::string>{"c", "b"}));
}

TYPED_TEST(CatalogueIndexStoreConformanceTest, RoomNeverMatchesAPrefixOrExtension) {
  this->Reset({Entry("x1", "R", 1), Entry("x2", "R2", 2), Entry("x3", "", 3), Entry("x4", "R:", 4),
               Entry("x5", "r", 5)});
  CatalogueQuery q;
  q.room_id = "R";
  EXPECT_EQ(Ids(this->Query(q).entries), std::vector<std::string>{"x1"});
  q.statuses = {RecordingStatus::kComplete, RecordingStatus::kFailed};
  EXPECT_EQ(Ids(this->Query(q).entries), std::vector<std::string>{"x1"});
  q.room_id = "";
  EXPECT_EQ(Ids(this->Query(q).entries), std::vector<std::string>{"x3"});
  q.room_id = "R2";
  q.statuses = {};
  EXPECT_EQ(Ids(this->Query(q).entries), std::vector<std::string>{"x2"});
}

TYPED_TEST(CatalogueIndexStoreConformanceTest, UpsertMovesAnEntryBetweenRoomsStatusesAndDates) {
  this->Reset({Entry("a", "R1", 10, RecordingStatus::kActive), Entry("b", "R1", 20)});
  this->Upsert(Entry("a", "R2", 30, RecordingStatus::kComplete));
  CatalogueQuery in_r1;
  in_r1.room_id = "R1";
  EXPECT_EQ(Ids(this->Query(in_r1).entries), std::vector<std::string>{"b"});
  CatalogueQuery active;
  active.statuses = {RecordingStatus::kActive};
  EXPECT_TRUE(this->Query(active).entries.empty());
  in_r1.statuses = {RecordingStatus::kActive};
  EXPECT_TRUE(this->Query(in_r1).entries.empty());
  CatalogueQuery in_r2;
  in_r2.room_id = "R2";
  in_r2.statuses = {RecordingStatus::kComplete};
  EXPECT_EQ(this->Query(in_r2).entries,
            std::vector<IndexEntry>{Entry("a", "R2", 30, RecordingStatus::kComplete)});
  EXPECT_EQ(Ids(this->Query({}).entries), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(this->Size(), 2u);
  // Upserting the same entry again changes nothing.
  this->Upsert(Entry("a", "R2", 30, RecordingStatus::kComplete));
  EXPECT_EQ(this->Size(), 2u);
  EXPECT_EQ(this->Query(in_r2).entries.size(), 1u);
}

TYPED_TEST(CatalogueIndexStoreConformanceTest, CursorPagingIsStableUnderInsertsAndRemoves) {
  std::vector<IndexEntry> all;
  for (int i = 0; i < 30; ++i) {
    std::string id = "id";
    id += static_cast<char>('A' + i);
    all.push_back(Entry(id, i % 2 ? "R" : "S", 1000 - (i / 2) * 10));  // Pairs share a start.
  }
  this->Reset(all);
  std::set<std::string> seen;
  std::set<std::string> removed;
  CatalogueQuery q;
  q.limit = 4;
  int inserted = 0;
  for (int page = 0; page < 100; ++page) {
    CataloguePage p = this->Query(q);
    for (const IndexEntry& e : p.entries) {
      EXPECT_TRUE(seen.insert(e.recording_id).second) << "twice: " << e.recording_id;
      EXPECT_EQ(removed.count(e.recording_id), 0u) << "removed but listed: " << e.recording_id;
    }
    if (!p.next) {
      break;
    }
    // Between pages: one entry newer than the cursor (never shown), one older (shown later), one
    // removal ahead, one removal behind, and an entry moved ahead of the cursor.
    std::string newer = "new";
    newer += std::to_string(inserted++);
    this->Upsert(Entry(newer, "R", p.next->start_ms + 1));
    std::string older = newer;
    older += "-old";
    this->Upsert(Entry(older, "S", p.next->start_ms - 1));
    const IndexEntry& ahead = all[std::min<size_t>(all.size() - 1, 4 * page + 9)];
    if (!seen.count(ahead.recording_id)) {
      this->Remove(ahead.recording_id);
      removed.insert(ahead.recording_id);
    }
    this->Remove(p.entries.front().recording_id);
    q.after = p.next;
  }
  for (const IndexEntry& e : all) {
    if (!removed.count(e.recording_id)) {
      EXPECT_EQ(seen.count(e.recording_id), 1u) << "skipped: " << e.recording_id;
    }
  }
  for (int i = 0; i < inserted; ++i) {
    std::string newer = "new";
    newer += std::to_string(i);
    EXPECT_EQ(seen.count(newer), 0u) << newer;  // Inserted before the cursor.
    std::string older = newer;
    older += "-old";
    EXPECT_EQ(seen.count(older), 1u) << older;  // Inserted after it.
  }
}

TYPED_TEST(CatalogueIndexStoreConformanceTest, ResetReplacesEverythingAtOnce) {
  std::vector<IndexEntry> old_entries;
  std::vector<IndexEntry> new_entries;
  for (int i = 0; i < 3000; ++i) {
    std::string id = "id";
    id += std::to_string(i);
    old_entries.push_back(Entry(id, "old", i));
    new_entries.push_back(Entry(id, "new", i, RecordingStatus::kFailed));
  }
  new_entries.push_back(Entry("dup", "new", 5));
  new_entries.push_back(Entry("dup", "new", 6));  // Last one wins.
  this->Reset(old_entries);
  EXPECT_EQ(this->Size(), 3000u);

  // Readers during the Reset see the old index or the new one, never a mix.
  std::atomic<bool> done{false};
  std::atomic<int> mixed{0};
  std::atomic<int> reads{0};
  std::thread reader([&] {
    IoThread io;
    while (!done.load()) {
      CatalogueQuery q;
      q.limit = 1000;
      Result<CataloguePage> p = io.Await(this->store().Query(q));
      if (!p.ok() || p->entries.empty()) {
        ++mixed;
        continue;
      }
      const std::string& room = p->entries.front().room_id;
      for (const IndexEntry& e : p->entries) {
        if (e.room_id != room) {
          ++mixed;
          break;
        }
      }
      ++reads;
    }
  });
  for (int i = 0; i < 5000 && reads.load() == 0; ++i) {  // Bounded: at most 5 s.
    std::this_thread::sleep_for(1ms);
  }
  this->Reset(new_entries);
  done = true;
  reader.join();
  EXPECT_EQ(mixed.load(), 0);
  EXPECT_GT(reads.load(), 0);

  EXPECT_EQ(this->Size(), 3001u);
  CatalogueQuery old_room;
  old_room.room_id = "old";
  EXPECT_TRUE(this->Query(old_room).entries.empty());
  CatalogueQuery dup;
  dup.room_id = "new";
  dup.start_from_ms = 5;
  dup.start_to_ms = 6;
  EXPECT_EQ(this->Query(dup).entries,
            (std::vector<IndexEntry>{Entry("dup", "new", 6), Entry("id6", "new", 6, RecordingStatus::kFailed),
                                     Entry("id5", "new", 5, RecordingStatus::kFailed)}));
  this->Reset({});
  EXPECT_EQ(this->Size(), 0u);
  EXPECT_TRUE(*this->Await(this->store().Ready()));
}

TYPED_TEST(CatalogueIndexStoreConformanceTest, LimitIsClampedAndNextSetIffMore) {
  std::vector<IndexEntry> all;
  for (int i = 0; i < 1005; ++i) {
    std::string id = "id";
    id += std::to_string(i);
    all.push_back(Entry(id, "R", i));
  }
  this->Reset(all);
  CatalogueQuery q;
  q.limit = 0;
  CataloguePage p = this->Query(q);
  EXPECT_EQ(p.entries.size(), 1u);
  EXPECT_TRUE(p.next);
  q.limit = 5000;
  p = this->Query(q);
  EXPECT_EQ(p.entries.size(), 1000u);
  ASSERT_TRUE(p.next);
  q.after = p.next;
  p = this->Query(q);
  EXPECT_EQ(p.entries.size(), 5u);
  EXPECT_FALSE(p.next);
  q.after.reset();
  q.limit = 1005;  // Exactly everything (after clamping: 1000 + next).
  q.start_from_ms = 5;
  p = this->Query(q);
  EXPECT_EQ(p.entries.size(), 1000u);
  EXPECT_FALSE(p.next);
}

TYPED_TEST(CatalogueIndexStoreConformanceTest, Tombstones) {
  auto is = [&](std::string id) {
    Result<bool> r = this->Await(this->store().IsTombstoned(std::move(id)));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() && *r;
  };
  EXPECT_FALSE(is("a"));
  std::vector<std::string> ids = {"a", "b", "c"};
  ASSERT_TRUE(this->Await(this->store().AddTombstones(ids)).ok());
  EXPECT_TRUE(is("a"));
  EXPECT_TRUE(is("c"));
  EXPECT_FALSE(is("d"));
  ids = {"a", "zz"};
  ASSERT_TRUE(this->Await(this->store().RemoveTombstones(ids)).ok());
  EXPECT_FALSE(is("a"));
  EXPECT_TRUE(is("b"));
  ASSERT_TRUE(this->Await(this->store().AddTombstones({})).ok());
  // Tombstones are not index content: a Reset keeps them.
  this->Reset({});
  EXPECT_TRUE(is("b"));
  // More than one batch.
  std::vector<std::string> many;
  for (int i = 0; i < 2500; ++i) {
    std::string id = "m";
    id += std::to_string(i);
    many.push_back(id);
  }
  ASSERT_TRUE(this->Await(this->store().AddTombstones(many)).ok());
  EXPECT_TRUE(is("m0"));
  EXPECT_TRUE(is("m2499"));
  ASSERT_TRUE(this->Await(this->store().RemoveTombstones(many)).ok());
  EXPECT_FALSE(is("m1500"));
}

TYPED_TEST(CatalogueIndexStoreConformanceTest, RebuildJournalCatchesWritesBetweenBeginAndEnd) {
  this->Reset({Entry("a", "R", 1), Entry("b", "R", 2)});
  this->Upsert(Entry("before", "R", 3));
  ASSERT_TRUE(this->Await(this->store().BeginRebuild()).ok());
  this->Upsert(Entry("c", "R", 4));
  this->Remove("a");
  this->Upsert(Entry("c", "R", 5));
  this->Reset({Entry("a", "R", 1), Entry("b", "R", 2)});  // The scan saw the old state.
  ASSERT_TRUE(this->Await(this->store().EndRebuild()).ok());
  this->Upsert(Entry("after", "R", 6));
  Result<std::vector<std::string>> j = this->Await(this->store().TakeJournal());
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  std::sort(j->begin(), j->end());
  EXPECT_EQ(*j, (std::vector<std::string>{"a", "c"}));
  j = this->Await(this->store().TakeJournal());
  ASSERT_TRUE(j.ok());
  EXPECT_TRUE(j->empty());
}

// Random operations applied to the store and to a CatalogueIndex; every query compared.
TYPED_TEST(CatalogueIndexStoreConformanceTest, RandomOperationsMatchCatalogueIndex) {
  std::mt19937 rng(20240611);
  CatalogueIndex ref;
  const std::vector<std::string> rooms = {"R", "R2", "room-x", ""};
  auto random_id = [&] {
    std::string id = "EG_";
    id += static_cast<char>('a' + rng() % 5);
    if (rng() % 4 == 0) {
      id += "\xc3\xa9";
    }
    id += std::to_string(rng() % 60);
    return id;
  };
  auto random_entry = [&] {
    return Entry(random_id(), rooms[rng() % rooms.size()], static_cast<int64_t>(rng() % 50) - 10,
                 static_cast<RecordingStatus>(rng() % recording::kRecordingStatusCount));
  };
  std::vector<IndexEntry> initial;
  for (int i = 0; i < 150; ++i) {
    initial.push_back(random_entry());
  }
  ref.Reset(initial);
  this->Reset(initial);
  int queries = 0;
  for (int op = 0; op < 1500; ++op) {
    const unsigned kind = rng() % 10;
    if (kind < 3) {
      IndexEntry e = random_entry();
      ref.Upsert(e);
      this->Upsert(e);
    } else if (kind < 5) {
      const std::string id = random_id();
      ref.Remove(id);
      this->Remove(id);
    } else {
      CatalogueQuery q;
      if (rng() % 2) {
        q.room_id = rooms[rng() % rooms.size()];
      }
      for (unsigned n = rng() % 4; n > 0; --n) {
        q.statuses.push_back(static_cast<RecordingStatus>(rng() % recording::kRecordingStatusCount));
      }
      if (rng() % 3 == 0) {
        q.start_from_ms = static_cast<int64_t>(rng() % 50) - 10;
      }
      if (rng() % 3 == 0) {
        q.start_to_ms = static_cast<int64_t>(rng() % 50) - 10;
      }
      if (rng() % 2) {
        q.after = Cursor{static_cast<int64_t>(rng() % 60) - 15, random_id()};
      }
      q.limit = 1 + rng() % 12;
      SCOPED_TRACE(op);
      const CataloguePage want = ref.Query(q);
      const CataloguePage got = this->Query(q);
      ASSERT_EQ(got.entries, want.entries);
      ASSERT_EQ(got.next, want.next);
      ++queries;
    }
  }
  EXPECT_EQ(this->Size(), ref.size());
  EXPECT_GT(queries, 500);
}

}  // namespace
}  // namespace mr::storage
