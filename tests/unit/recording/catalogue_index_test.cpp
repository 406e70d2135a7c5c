#include "recording/catalogue_index.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace mr::recording {
namespace {

using S = RecordingStatus;

// ---- Brute-force model ----

bool Before(const IndexEntry& a, const IndexEntry& b) {
  if (a.start_ms != b.start_ms) {
    return a.start_ms > b.start_ms;
  }
  return a.recording_id < b.recording_id;
}

bool AfterCursor(const IndexEntry& e, const Cursor& c) {
  if (e.start_ms != c.start_ms) {
    return e.start_ms < c.start_ms;
  }
  return e.recording_id > c.recording_id;
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
  if (q.start_to_ms && e.start_ms > *q.start_to_ms) {
    return false;
  }
  return true;
}

struct Model {
  std::map<std::string, IndexEntry> by_id;

  void Upsert(const IndexEntry& e) { by_id[e.recording_id] = e; }

  CataloguePage Query(const CatalogueQuery& q) const {
    std::vector<const IndexEntry*> all;
    for (const auto& [id, e] : by_id) {
      if (Matches(e, q) && (!q.after || AfterCursor(e, *q.after))) {
        all.push_back(&e);
      }
    }
    const size_t limit = std::clamp<size_t>(q.limit, 1, 1000);
    const size_t n = std::min(limit, all.size());
    std::partial_sort(all.begin(), all.begin() + static_cast<long>(n), all.end(),
                      [](const IndexEntry* a, const IndexEntry* b) { return Before(*a, *b); });
    CataloguePage page;
    for (size_t i = 0; i < n; ++i) {
      page.entries.push_back(*all[i]);
    }
    if (all.size() > limit) {
      page.next = Cursor{page.entries.back().start_ms, page.entries.back().recording_id};
    }
    return page;
  }
};

void ExpectSamePage(const CataloguePage& got, const CataloguePage& want, const std::string& ctx) {
  ASSERT_EQ(got.entries.size(), want.entries.size()) << ctx;
  for (size_t i = 0; i < got.entries.size(); ++i) {
    ASSERT_EQ(got.entries[i], want.entries[i]) << ctx << " at " << i;
  }
  ASSERT_EQ(got.next.has_value(), want.next.has_value()) << ctx;
  if (got.next) {
    ASSERT_EQ(*got.next, *want.next) << ctx;
  }
}

// ---- Random data ----

constexpr int kRooms = 30;

std::string RoomName(int r) {
  // Includes "R" and "R2" so that an exact room match is exercised on prefixes.
  if (r == 0) {
    return "R";
  }
  if (r == 1) {
    return "R2";
  }
  return "room-" + std::to_string(r);
}

S RandomStatus(std::mt19937_64& rng) {
  // Skewed: complete is common, ending is rare.
  const int x = static_cast<int>(rng() % 100);
  if (x < 55) {
    return S::kComplete;
  }
  if (x < 65) {
    return S::kActive;
  }
  if (x < 75) {
    return S::kFailed;
  }
  if (x < 83) {
    return S::kAborted;
  }
  if (x < 90) {
    return S::kLimitReached;
  }
  if (x < 97) {
    return S::kStarting;
  }
  return S::kEnding;
}

IndexEntry RandomEntry(std::mt19937_64& rng, int serial) {
  const std::string room = RoomName(static_cast<int>(rng() % kRooms));
  std::string id;
  switch (rng() % 4) {
    case 0:  // Not of the "{room}--" form.
      id = "x" + std::to_string(rng() % 100000) + "-" + std::to_string(serial);
      break;
    case 1:  // Of the form of another room ("R--..." in room "R2" and the like).
      id = RoomName(static_cast<int>(rng() % kRooms)) + "--EG_" + std::to_string(serial);
      break;
    default:
      id = room + "--EG_" + std::to_string(rng() % 1000) + "--" + std::to_string(serial);
      break;
  }
  // Few distinct dates, so ties on start_ms are frequent.
  const int64_t start = 1'700'000'000'000 + static_cast<int64_t>(rng() % 300) * 1000;
  return IndexEntry{id, room, start, RandomStatus(rng)};
}

std::vector<IndexEntry> RandomEntries(uint64_t seed, int n) {
  std::mt19937_64 rng(seed);
  std::vector<IndexEntry> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(RandomEntry(rng, i));
  }
  return out;
}

// ---- Filter table ----

struct FilterCase {
  std::string name;
  std::optional<std::string> room;
  std::vector<S> statuses;
  std::optional<int64_t> from_offset_s;  // Relative to the base date, in seconds.
  std::optional<int64_t> to_offset_s;
};

std::vector<FilterCase> FilterCases() {
  const std::vector<std::pair<std::string, std::optional<std::string>>> rooms = {
      {"anyroom", std::nullopt},
      {"R", "R"},
      {"R2", "R2"},
      {"room7", "room-7"},
      {"noroom", "no-such-room"}};
  const std::vector<std::pair<std::string, std::vector<S>>> statuses = {
      {"anystatus", {}},
      {"common", {S::kComplete}},
      {"rare", {S::kEnding}},
      {"three", {S::kActive, S::kFailed, S::kEnding}},
      {"dups", {S::kFailed, S::kFailed, S::kStarting}},
      {"all7",
       {S::kStarting, S::kActive, S::kEnding, S::kComplete, S::kFailed, S::kAborted,
        S::kLimitReached}},
      {"invalid", {static_cast<S>(42)}},
  };
  const std::vector<
      std::pair<std::string, std::pair<std::optional<int64_t>, std::optional<int64_t>>>>
      dates = {{"nodate", {std::nullopt, std::nullopt}},
               {"from", {100, std::nullopt}},
               {"to", {std::nullopt, 200}},
               {"range", {50, 120}},
               {"oneday", {77, 77}},
               {"inverted", {200, 100}}};
  std::vector<FilterCase> out;
  for (const auto& [rn, r] : rooms) {
    for (const auto& [sn, s] : statuses) {
      for (const auto& [dn, d] : dates) {
        out.push_back(FilterCase{rn + "/" + sn + "/" + dn, r, s, d.first, d.second});
      }
    }
  }
  return out;
}

CatalogueQuery MakeQuery(const FilterCase& c) {
  constexpr int64_t kBase = 1'700'000'000'000;
  CatalogueQuery q;
  q.room_id = c.room;
  q.statuses = c.statuses;
  if (c.from_offset_s) {
    q.start_from_ms = kBase + *c.from_offset_s * 1000;
  }
  if (c.to_offset_s) {
    q.start_to_ms = kBase + *c.to_offset_s * 1000;
  }
  return q;
}

size_t RandomLimit(std::mt19937_64& rng) {
  const int x = static_cast<int>(rng() % 20);
  if (x == 0) {
    return 1000;
  }
  if (x == 1) {
    return 1;
  }
  return 1 + rng() % 60;
}

// ---- Tests ----

TEST(CatalogueIndexTest, EveryFilterCombinationMatchesModelPagingToTheEnd) {
  for (const uint64_t seed : {1u, 2u, 3u}) {
    const std::vector<IndexEntry> entries = RandomEntries(seed, 2000);
    CatalogueIndex index;
    Model model;
    for (const IndexEntry& e : entries) {
      index.Upsert(e);
      model.Upsert(e);
    }
    ASSERT_EQ(index.size(), model.by_id.size());
    std::mt19937_64 rng(seed * 7919);
    for (const FilterCase& c : FilterCases()) {
      const std::string ctx = "seed " + std::to_string(seed) + " " + c.name;
      CatalogueQuery q = MakeQuery(c);
      std::vector<IndexEntry> listed;
      for (int page_no = 0; page_no < 5000; ++page_no) {
        q.limit = RandomLimit(rng);
        const CataloguePage got = index.Query(q);
        ExpectSamePage(got, model.Query(q), ctx + " page " + std::to_string(page_no));
        listed.insert(listed.end(), got.entries.begin(), got.entries.end());
        if (!got.next) {
          break;
        }
        // The cursor also survives the token round trip.
        q.after = CatalogueIndex::DecodeCursor(CatalogueIndex::EncodeCursor(*got.next));
        ASSERT_TRUE(q.after.has_value());
      }
      // All the pages together are the whole filtered listing.
      CatalogueQuery whole = MakeQuery(c);
      whole.limit = 1000;
      std::vector<IndexEntry> want;
      for (const auto& [id, e] : model.by_id) {
        if (Matches(e, whole)) {
          want.push_back(e);
        }
      }
      std::sort(want.begin(), want.end(), Before);
      ASSERT_EQ(listed, want) << ctx;
    }
  }
}

TEST(CatalogueIndexTest, CursorStaysValidWhileEntriesChangeBetweenPages) {
  for (const uint64_t seed : {11u, 12u}) {
    std::mt19937_64 rng(seed);
    const std::vector<IndexEntry> entries = RandomEntries(seed, 2000);
    int serial = 1'000'000;
    for (const FilterCase& c : FilterCases()) {
      if (c.name.find("noroom") != std::string::npos ||
          c.name.find("invalid") != std::string::npos ||
          c.name.find("inverted") != std::string::npos) {
        continue;  // A single empty page: covered by the test above.
      }
      const std::string ctx = "seed " + std::to_string(seed) + " " + c.name;
      CatalogueIndex index;
      index.Reset(entries);
      Model model;
      for (const IndexEntry& e : entries) {
        model.Upsert(e);
      }
      const std::map<std::string, IndexEntry> initial = model.by_id;
      std::set<std::string> touched;
      std::set<std::string> returned;
      CatalogueQuery q = MakeQuery(c);
      for (int page_no = 0; page_no < 5000; ++page_no) {
        q.limit = RandomLimit(rng);
        const CataloguePage got = index.Query(q);
        ExpectSamePage(got, model.Query(q), ctx + " page " + std::to_string(page_no));
        for (const IndexEntry& e : got.entries) {
          ASSERT_TRUE(Matches(e, q)) << ctx;
          ASSERT_TRUE(!q.after || AfterCursor(e, *q.after)) << ctx;
          ASSERT_TRUE(returned.insert(e.recording_id).second)
              << ctx << " twice: " << e.recording_id;
        }
        if (!got.next) {
          break;
        }
        q.after = got.next;
        // Between pages: inserts, removes, status and room changes (dates stay, so an entry
        // keeps its position and "never twice" holds).
        const int ops = static_cast<int>(rng() % 12);
        for (int i = 0; i < ops; ++i) {
          const int kind = static_cast<int>(rng() % 4);
          if (kind == 0 || model.by_id.empty()) {
            IndexEntry e = RandomEntry(rng, serial++);
            touched.insert(e.recording_id);
            index.Upsert(e);
            model.Upsert(e);
            continue;
          }
          auto it = model.by_id.begin();
          std::advance(it, static_cast<long>(rng() % model.by_id.size()));
          IndexEntry e = it->second;
          touched.insert(e.recording_id);
          if (kind == 1) {
            ASSERT_TRUE(index.Remove(e.recording_id));
            model.by_id.erase(it);
          } else if (kind == 2) {
            e.status = RandomStatus(rng);
            index.Upsert(e);
            model.Upsert(e);
          } else {
            e.room_id = RoomName(static_cast<int>(rng() % kRooms));
            index.Upsert(e);
            model.Upsert(e);
          }
        }
        ASSERT_EQ(index.size(), model.by_id.size()) << ctx;
      }
      // Nothing that existed, unchanged, throughout is skipped.
      for (const auto& [id, e] : initial) {
        if (touched.count(id) == 0 && Matches(e, q)) {
          ASSERT_EQ(returned.count(id), 1u) << ctx << " skipped " << id;
        }
      }
    }
  }
}

TEST(CatalogueIndexTest, HeavyChurnKeepsFindAndQueryConsistent) {
  // Many removes and room moves force id-arena compaction and room erasure.
  std::mt19937_64 rng(99);
  CatalogueIndex index;
  Model model;
  int serial = 0;
  for (int round = 0; round < 20000; ++round) {
    const int kind = static_cast<int>(rng() % 3);
    if (kind == 0 || model.by_id.size() < 50) {
      const IndexEntry e = RandomEntry(rng, serial++);
      index.Upsert(e);
      model.Upsert(e);
    } else if (kind == 1) {
      auto it = model.by_id.begin();
      std::advance(it, static_cast<long>(rng() % model.by_id.size()));
      ASSERT_TRUE(index.Remove(it->first));
      model.by_id.erase(it);
    } else {
      auto it = model.by_id.begin();
      std::advance(it, static_cast<long>(rng() % model.by_id.size()));
      IndexEntry e = it->second;
      e.room_id = RoomName(static_cast<int>(rng() % kRooms));
      e.start_ms += static_cast<int64_t>(rng() % 5000) - 2500;
      e.status = RandomStatus(rng);
      index.Upsert(e);
      model.Upsert(e);
    }
  }
  ASSERT_EQ(index.size(), model.by_id.size());
  std::set<std::string> rooms;
  for (const auto& [id, e] : model.by_id) {
    ASSERT_EQ(index.Find(id), e);
    rooms.insert(e.room_id);
  }
  EXPECT_EQ(index.RoomCountForTest(), rooms.size());
  CatalogueQuery q;
  q.limit = 1000;
  ExpectSamePage(index.Query(q), model.Query(q), "after churn");
  for (const auto& [id, e] : model.by_id) {
    ASSERT_TRUE(index.Remove(id));
  }
  EXPECT_EQ(index.size(), 0u);
  EXPECT_EQ(index.RoomCountForTest(), 0u);
  EXPECT_TRUE(index.Query(q).entries.empty());
}

TEST(CatalogueIndexTest, RoomFilterIsExactNotPrefix) {
  CatalogueIndex index;
  const std::vector<IndexEntry> entries = {
      {"R--EG_a--1", "R", 10, S::kComplete},   {"R2--EG_b--1", "R2", 20, S::kComplete},
      {"R--EG_c--1", "R2", 30, S::kComplete},  {"R2--EG_d--1", "R", 40, S::kActive},
      {"R-2--EG_e--1", "R-2", 50, S::kActive}, {"R---x", "R-", 60, S::kActive},
  };
  for (const IndexEntry& e : entries) {
    index.Upsert(e);
  }
  struct Case {
    std::string room;
    std::vector<std::string> want;
  };
  const std::vector<Case> cases = {
      {"R", {"R2--EG_d--1", "R--EG_a--1"}},
      {"R2", {"R--EG_c--1", "R2--EG_b--1"}},
      {"R-2", {"R-2--EG_e--1"}},
      {"R-", {"R---x"}},
      {"", {}},
      {"r", {}},
  };
  for (const Case& c : cases) {
    CatalogueQuery q;
    q.room_id = c.room;
    q.limit = 100;
    std::vector<std::string> got;
    for (const IndexEntry& e : index.Query(q).entries) {
      got.push_back(e.recording_id);
      EXPECT_EQ(e.room_id, c.room);
    }
    EXPECT_EQ(got, c.want) << "room " << c.room;
  }
  for (const IndexEntry& e : entries) {
    EXPECT_EQ(index.Find(e.recording_id), e);
  }
}

TEST(CatalogueIndexTest, UpsertMovesAnEntryBetweenRoomsStatusesAndDates) {
  CatalogueIndex index;
  index.Upsert({"A--EG_1--u", "A", 100, S::kActive});
  index.Upsert({"A--EG_2--u", "A", 90, S::kActive});
  index.Upsert({"B--EG_3--u", "B", 80, S::kComplete});
  EXPECT_EQ(index.RoomCountForTest(), 2u);

  struct Step {
    IndexEntry upsert;
    size_t rooms;
    std::vector<std::string> all;       // Whole listing, in order.
    std::vector<std::string> room_a;    // Room "A".
    std::vector<std::string> complete;  // Status complete.
  };
  const std::vector<Step> steps = {
      // Status change only.
      {{"A--EG_1--u", "A", 100, S::kComplete},
       2,
       {"A--EG_1--u", "A--EG_2--u", "B--EG_3--u"},
       {"A--EG_1--u", "A--EG_2--u"},
       {"A--EG_1--u", "B--EG_3--u"}},
      // Date change: moves to the end.
      {{"A--EG_1--u", "A", 10, S::kComplete},
       2,
       {"A--EG_2--u", "B--EG_3--u", "A--EG_1--u"},
       {"A--EG_2--u", "A--EG_1--u"},
       {"B--EG_3--u", "A--EG_1--u"}},
      // Room change (the id no longer starts with its room).
      {{"A--EG_1--u", "B", 10, S::kComplete},
       2,
       {"A--EG_2--u", "B--EG_3--u", "A--EG_1--u"},
       {"A--EG_2--u"},
       {"B--EG_3--u", "A--EG_1--u"}},
      // The last entry of room A leaves it: the room is erased.
      {{"A--EG_2--u", "C", 90, S::kFailed},
       2,
       {"A--EG_2--u", "B--EG_3--u", "A--EG_1--u"},
       {},
       {"B--EG_3--u", "A--EG_1--u"}},
      // Back to room A, same date as another entry: the tie is broken by id.
      {{"A--EG_1--u", "A", 80, S::kActive},
       3,
       {"A--EG_2--u", "A--EG_1--u", "B--EG_3--u"},
       {"A--EG_1--u"},
       {"B--EG_3--u"}},
      // Identical upsert is a no-op.
      {{"A--EG_1--u", "A", 80, S::kActive},
       3,
       {"A--EG_2--u", "A--EG_1--u", "B--EG_3--u"},
       {"A--EG_1--u"},
       {"B--EG_3--u"}},
  };
  auto ids = [&](CatalogueQuery q) {
    q.limit = 100;
    std::vector<std::string> out;
    for (const IndexEntry& e : index.Query(q).entries) {
      out.push_back(e.recording_id);
    }
    return out;
  };
  int n = 0;
  for (const Step& step : steps) {
    index.Upsert(step.upsert);
    EXPECT_EQ(index.Find(step.upsert.recording_id), step.upsert) << "step " << n;
    EXPECT_EQ(index.size(), 3u) << "step " << n;
    EXPECT_EQ(index.RoomCountForTest(), step.rooms) << "step " << n;
    EXPECT_EQ(ids({}), step.all) << "step " << n;
    CatalogueQuery qa;
    qa.room_id = "A";
    EXPECT_EQ(ids(qa), step.room_a) << "step " << n;
    CatalogueQuery qc;
    qc.statuses = {S::kComplete};
    EXPECT_EQ(ids(qc), step.complete) << "step " << n;
    ++n;
  }
}

TEST(CatalogueIndexTest, RemoveAndFind) {
  CatalogueIndex index;
  EXPECT_FALSE(index.Remove("nope"));
  EXPECT_FALSE(index.Find("nope").has_value());
  index.Upsert({"r--1", "r", 5, S::kStarting});
  EXPECT_TRUE(index.Find("r--1").has_value());
  EXPECT_FALSE(index.Find("r--").has_value());
  EXPECT_FALSE(index.Find("r--10").has_value());
  EXPECT_TRUE(index.Remove("r--1"));
  EXPECT_FALSE(index.Remove("r--1"));
  EXPECT_EQ(index.size(), 0u);
  EXPECT_EQ(index.RoomCountForTest(), 0u);
}

TEST(CatalogueIndexTest, InvalidEntriesThrowAndLeaveTheIndexUnchanged) {
  CatalogueIndex index;
  index.Upsert({"a", "r", 1, S::kActive});
  EXPECT_THROW(index.Upsert({"b", "r", 1, static_cast<S>(7)}), std::invalid_argument);
  EXPECT_THROW(index.Upsert({std::string(70000, 'x'), "r", 1, S::kActive}), std::invalid_argument);
  EXPECT_THROW(index.Reset({{"c", "r", 1, S::kActive}, {"d", "r", 1, static_cast<S>(200)}}),
               std::invalid_argument);
  EXPECT_EQ(index.size(), 1u);
  EXPECT_TRUE(index.Find("a").has_value());
}

TEST(CatalogueIndexTest, LimitsAndDegenerateQueries) {
  CatalogueIndex index;
  std::vector<IndexEntry> entries;
  for (int i = 0; i < 1500; ++i) {
    entries.push_back({"id-" + std::to_string(i), "room", i, S::kComplete});
  }
  index.Reset(entries);
  struct Case {
    std::string name;
    CatalogueQuery q;
    size_t want_entries;
    bool want_next;
  };
  auto with = [](auto f) {
    CatalogueQuery q;
    f(q);
    return q;
  };
  const std::vector<Case> cases = {
      {"limit 0 clamps to 1", with([](CatalogueQuery& q) { q.limit = 0; }), 1, true},
      {"limit 5000 clamps to 1000", with([](CatalogueQuery& q) { q.limit = 5000; }), 1000, true},
      {"exact fit has no next", with([](CatalogueQuery& q) {
         q.limit = 10;
         q.start_to_ms = 9;
       }),
       10, false},
      {"inverted range", with([](CatalogueQuery& q) {
         q.start_from_ms = 10;
         q.start_to_ms = 9;
       }),
       0, false},
      {"unknown room", with([](CatalogueQuery& q) { q.room_id = "other"; }), 0, false},
      {"absent status", with([](CatalogueQuery& q) { q.statuses = {S::kFailed}; }), 0, false},
      {"invalid status only", with([](CatalogueQuery& q) { q.statuses = {static_cast<S>(9)}; }), 0,
       false},
      {"cursor past the end", with([](CatalogueQuery& q) {
         q.after = Cursor{std::numeric_limits<int64_t>::min(), ""};
       }),
       0, false},
      {"cursor before the start", with([](CatalogueQuery& q) {
         q.after = Cursor{std::numeric_limits<int64_t>::max(), "zzz"};
         q.limit = 3;
       }),
       3, true},
      {"cursor between ties and bound", with([](CatalogueQuery& q) {
         q.after = Cursor{100, "id-100"};
         q.start_to_ms = 200;
         q.start_from_ms = 95;
       }),
       5, false},
  };
  for (const Case& c : cases) {
    const CataloguePage page = index.Query(c.q);
    EXPECT_EQ(page.entries.size(), c.want_entries) << c.name;
    EXPECT_EQ(page.next.has_value(), c.want_next) << c.name;
  }
}

TEST(CatalogueIndexTest, ResetReplacesEverythingAndLastDuplicateWins) {
  CatalogueIndex index;
  index.Upsert({"old", "gone", 1, S::kActive});
  index.Reset({
      {"a--1", "a", 10, S::kActive},
      {"b--1", "b", 20, S::kComplete},
      {"a--1", "b", 30, S::kFailed},  // Replaces the first; room "a" ends up empty.
      {"c", "a", 5, S::kAborted},
  });
  EXPECT_EQ(index.size(), 3u);
  EXPECT_FALSE(index.Find("old").has_value());
  EXPECT_EQ(index.Find("a--1"), (IndexEntry{"a--1", "b", 30, S::kFailed}));
  EXPECT_EQ(index.RoomCountForTest(), 2u);  // "a" (for "c") and "b"; "gone" was dropped.
  CatalogueQuery q;
  q.room_id = "b";
  const CataloguePage page = index.Query(q);
  ASSERT_EQ(page.entries.size(), 2u);
  EXPECT_EQ(page.entries[0].recording_id, "a--1");
  EXPECT_EQ(page.entries[1].recording_id, "b--1");

  // The index keeps working after a Reset, and Reset of a random set equals Upserts of it.
  const std::vector<IndexEntry> entries = RandomEntries(5, 2000);
  CatalogueIndex by_reset;
  by_reset.Reset(entries);
  CatalogueIndex by_upsert;
  for (const IndexEntry& e : entries) {
    by_upsert.Upsert(e);
  }
  for (const FilterCase& c : FilterCases()) {
    CatalogueQuery fq = MakeQuery(c);
    fq.limit = 1000;
    ExpectSamePage(by_reset.Query(fq), by_upsert.Query(fq), c.name);
  }
  by_reset.Upsert({"new", "R", 1'800'000'000'000, S::kEnding});
  EXPECT_EQ(by_reset.Query({}).entries.front().recording_id, "new");

  index.Reset({});
  EXPECT_EQ(index.size(), 0u);
  EXPECT_EQ(index.RoomCountForTest(), 0u);
  index.Upsert({"x", "y", 1, S::kActive});
  index.Clear();
  EXPECT_EQ(index.size(), 0u);
  EXPECT_TRUE(index.Query({}).entries.empty());
}

// ---- Cursor tokens ----

std::string RawToken(std::string_view payload) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (const char c : payload) {
    acc = (acc << 8) | static_cast<uint8_t>(c);
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 63]);
    }
  }
  if (bits > 0) {
    out.push_back(kAlphabet[(acc << (6 - bits)) & 63]);
  }
  return out;
}

TEST(CatalogueCursorTest, RoundTrips) {
  const std::vector<Cursor> cases = {
      {0, "a"},
      {1'700'000'000'123, "room-abc123--EG_k3j4h5g6f7d8--0123456789"},
      {-1, "negative"},
      {std::numeric_limits<int64_t>::max(), "max"},
      {std::numeric_limits<int64_t>::min(), "min"},
      {5, std::string("dots.and\0nul", 12)},
      {5, "\xff\xfe utf8 \xc3\xa9 / ? & = + %"},
      {5, std::string(1024, 'z')},
  };
  for (const Cursor& c : cases) {
    const std::string token = CatalogueIndex::EncodeCursor(c);
    for (const char ch : token) {
      EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_') << token;
    }
    EXPECT_EQ(CatalogueIndex::DecodeCursor(token), c) << token;
  }
  // Checks the version is in the payload.
  EXPECT_EQ(CatalogueIndex::EncodeCursor({7, "x"}), RawToken("1.7.1.x"));
}

TEST(CatalogueCursorTest, RejectsMalformedTokens) {
  const std::string good = CatalogueIndex::EncodeCursor({1'700'000'000'000, "room--EG_1--u"});
  ASSERT_TRUE(CatalogueIndex::DecodeCursor(good).has_value());
  struct Case {
    std::string name;
    std::string token;
  };
  std::vector<Case> cases = {
      {"empty", ""},
      {"garbage", "!!!!"},
      {"space", "MS43 LjEueA"},
      {"padding", good + "="},
      {"standard base64 chars", "MS4x+jEueA/"},
      {"one char", "M"},
      {"wrong version", RawToken("2.7.1.x")},
      {"version zero", RawToken("0.7.1.x")},
      {"no version", RawToken("7.1.x")},
      {"huge start", RawToken("1.99999999999999999999.1.x")},
      {"start just past int64", RawToken("1.9223372036854775808.1.x")},
      {"huge length", RawToken("1.7.99999999999999999999.x")},
      {"length over cap", RawToken("1.7.1025." + std::string(1025, 'x'))},
      {"length mismatch short", RawToken("1.7.2.x")},
      {"length mismatch long", RawToken("1.7.1.xy")},
      {"empty id", RawToken("1.7.0.")},
      {"leading zero", RawToken("1.07.1.x")},
      {"minus zero", RawToken("1.-0.1.x")},
      {"plus sign", RawToken("1.+7.1.x")},
      {"negative length", RawToken("1.7.-1.x")},
      {"empty start", RawToken("1..1.x")},
      {"missing fields", RawToken("1.7")},
      {"just version", RawToken("1.")},
      {"letters in number", RawToken("1.7a.1.x")},
      {"too long", std::string(5000, 'A')},
  };
  // Every truncation of a valid token is refused.
  for (size_t n = 0; n < good.size(); ++n) {
    cases.push_back({"truncated to " + std::to_string(n), good.substr(0, n)});
  }
  // Non-zero unused bits in the last character (non-canonical base64).
  std::string noncanonical = RawToken("1.7.1.x");
  ASSERT_NE(noncanonical.size() % 4, 0u);
  noncanonical.back() = static_cast<char>(noncanonical.back() + 1);
  cases.push_back({"non-canonical tail", noncanonical});
  for (const Case& c : cases) {
    EXPECT_FALSE(CatalogueIndex::DecodeCursor(c.token).has_value()) << c.name;
  }
}

TEST(CatalogueCursorTest, RandomGarbageNeverDecodesToANonCanonicalToken) {
  std::mt19937_64 rng(2024);
  const std::string alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/.";
  for (int i = 0; i < 20000; ++i) {
    std::string token;
    const size_t len = rng() % 64;
    for (size_t j = 0; j < len; ++j) {
      token.push_back(i % 2 == 0 ? alphabet[rng() % alphabet.size()]
                                 : static_cast<char>(rng() % 256));
    }
    if (i % 3 == 0) {
      // Mutate a valid token in one place.
      token = CatalogueIndex::EncodeCursor({static_cast<int64_t>(rng()), "id-" + token});
      token[rng() % token.size()] = alphabet[rng() % alphabet.size()];
    }
    const std::optional<Cursor> c = CatalogueIndex::DecodeCursor(token);
    if (c) {
      EXPECT_EQ(CatalogueIndex::EncodeCursor(*c), token);
    }
  }
}

// ---- Concurrency smoke test (meaningful under the sanitizer build) ----

TEST(CatalogueIndexTest, ConcurrentReadersAndWriter) {
  CatalogueIndex index;
  index.Reset(RandomEntries(77, 2000));
  std::atomic<int> bad{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&, t] {
      for (int i = 0; i < 300; ++i) {
        CatalogueQuery q;
        q.limit = 50;
        if (t == 1) {
          q.statuses = {S::kComplete, S::kActive};
        }
        const CataloguePage page = index.Query(q);
        if (!std::is_sorted(page.entries.begin(), page.entries.end(), Before)) {
          ++bad;
        }
        (void)index.Find("R--EG_1");
        std::this_thread::yield();
      }
    });
  }
  std::mt19937_64 rng(5);
  for (int i = 0; i < 1000; ++i) {
    const IndexEntry e = RandomEntry(rng, 500'000 + i);
    index.Upsert(e);
    if (i % 2 == 0) {
      index.Remove(e.recording_id);
    }
    if (i % 250 == 0) {
      index.Reset(RandomEntries(static_cast<uint64_t>(i), 500));
    }
  }
  for (std::thread& r : readers) {
    r.join();
  }
  EXPECT_EQ(bad.load(), 0);
}

}  // namespace
}  // namespace mr::recording
