// Benchmark of the recording catalogue index: 100 000 recordings in 1 000 rooms.
// Prints the Reset time, bytes per entry (the index's own estimate and the VmRSS delta) and the
// p50/p99 latency of 100-item pages for each filter, at the top of the listing and deep in it
// (cursor in the middle of the matching entries). Every loop is bounded. Run a Release build.

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "recording/catalogue_index.hpp"

namespace {

using mr::recording::CatalogueIndex;
using mr::recording::CataloguePage;
using mr::recording::CatalogueQuery;
using mr::recording::Cursor;
using mr::recording::IndexEntry;
using S = mr::recording::RecordingStatus;
using Clock = std::chrono::steady_clock;

constexpr int kEntries = 100'000;
constexpr int kRooms = 1'000;
constexpr int kIterations = 2'000;
constexpr int64_t kYearStartMs = 1'700'000'000'000;
constexpr int64_t kYearMs = 365LL * 24 * 3600 * 1000;

// Resident set size in bytes, from /proc/self/status.
size_t VmRssBytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      return std::stoull(line.substr(6)) * 1024;
    }
  }
  return 0;
}

std::string RandomString(std::mt19937_64& rng, size_t n, std::string_view alphabet) {
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s.push_back(alphabet[rng() % alphabet.size()]);
  }
  return s;
}

S RandomStatus(std::mt19937_64& rng) {
  // Realistic: most recordings are complete; ending is rare.
  const int x = static_cast<int>(rng() % 1000);
  if (x < 800) {
    return S::kComplete;
  }
  if (x < 860) {
    return S::kFailed;
  }
  if (x < 900) {
    return S::kAborted;
  }
  if (x < 920) {
    return S::kLimitReached;
  }
  if (x < 970) {
    return S::kActive;
  }
  if (x < 990) {
    return S::kStarting;
  }
  return S::kEnding;
}

double Micros(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

// Position of the middle matching entry, found by paging through with the biggest pages.
std::optional<Cursor> MiddleCursor(const CatalogueIndex& index, CatalogueQuery q) {
  q.limit = CatalogueIndex::kMaxLimit;
  q.after.reset();
  size_t total = 0;
  for (int i = 0; i < kEntries; ++i) {
    const CataloguePage page = index.Query(q);
    total += page.entries.size();
    if (!page.next) {
      break;
    }
    q.after = page.next;
  }
  q.after.reset();
  size_t seen = 0;
  for (int i = 0; i < kEntries; ++i) {
    const CataloguePage page = index.Query(q);
    for (const IndexEntry& e : page.entries) {
      if (++seen >= total / 2) {
        return Cursor{e.start_ms, e.recording_id};
      }
    }
    if (!page.next) {
      break;
    }
    q.after = page.next;
  }
  return std::nullopt;
}

void RunQuery(const CatalogueIndex& index, const std::string& name, CatalogueQuery q) {
  q.limit = 100;
  for (const bool deep : {false, true}) {
    q.after = deep ? MiddleCursor(index, q) : std::nullopt;
    std::vector<double> us;
    us.reserve(kIterations);
    size_t returned = 0;
    for (int i = 0; i < kIterations; ++i) {
      const auto t0 = Clock::now();
      const CataloguePage page = index.Query(q);
      us.push_back(Micros(Clock::now() - t0));
      returned += page.entries.size();
    }
    std::sort(us.begin(), us.end());
    std::printf("  %-34s %-5s p50 %8.1f us  p99 %8.1f us  (%zu items/page)\n", name.c_str(),
                deep ? "deep" : "top", us[us.size() / 2], us[us.size() * 99 / 100],
                returned / kIterations);
  }
}

}  // namespace

int main() {
  std::mt19937_64 rng(42);
  const std::string lower_digits = "abcdefghijklmnopqrstuvwxyz0123456789";
  const std::string alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::vector<std::string> rooms;
  for (int r = 0; r < kRooms; ++r) {
    rooms.push_back("room-" + RandomString(rng, 6, lower_digits));
  }

  malloc_trim(0);
  const size_t rss_before = VmRssBytes();
  CatalogueIndex index;
  double reset_ms = 0;
  size_t id_bytes = 0;
  {
    std::vector<IndexEntry> entries;
    entries.reserve(kEntries);
    for (int i = 0; i < kEntries; ++i) {
      const std::string& room = rooms[rng() % rooms.size()];
      // E.g. room-abc123--EG_k3j4h5g6f7d8--0123456789.
      std::string id = room + "--EG_" + RandomString(rng, 12, alnum) + "--" +
                       RandomString(rng, 10, "0123456789");
      id_bytes += id.size();
      const int64_t start = kYearStartMs + static_cast<int64_t>(rng() % kYearMs);
      entries.push_back(IndexEntry{std::move(id), room, start, RandomStatus(rng)});
    }
    const auto t0 = Clock::now();
    index.Reset(std::move(entries));
    reset_ms = Micros(Clock::now() - t0) / 1000.0;
  }
  malloc_trim(0);
  const size_t rss_after = VmRssBytes();

  std::printf("catalogue index: %zu entries, %zu rooms, average id %.1f bytes\n", index.size(),
              index.RoomCountForTest(), static_cast<double>(id_bytes) / kEntries);
  std::printf("  Reset                              %8.1f ms\n", reset_ms);
  std::printf("  MemoryBytesForTest                 %8.1f bytes/entry (%.2f MB)\n",
              static_cast<double>(index.MemoryBytesForTest()) / kEntries,
              static_cast<double>(index.MemoryBytesForTest()) / 1e6);
  std::printf("  VmRSS delta                        %8.1f bytes/entry (%.2f MB)\n",
              static_cast<double>(rss_after - rss_before) / kEntries,
              static_cast<double>(rss_after - rss_before) / 1e6);

  std::printf("query, 100-item pages, %d iterations each:\n", kIterations);
  const std::string& room = rooms[17];
  const int64_t mid = kYearStartMs + kYearMs / 2;
  const int64_t month = 30LL * 24 * 3600 * 1000;
  struct Scenario {
    std::string name;
    std::function<void(CatalogueQuery&)> set;
  };
  const std::vector<Scenario> scenarios = {
      {"no filter", [](CatalogueQuery&) {}},
      {"room", [&](CatalogueQuery& q) { q.room_id = room; }},
      {"status rare (ending, 1%)", [](CatalogueQuery& q) { q.statuses = {S::kEnding}; }},
      {"status common (complete, 80%)", [](CatalogueQuery& q) { q.statuses = {S::kComplete}; }},
      {"statuses failed+aborted+limit",
       [](CatalogueQuery& q) {
         q.statuses = {S::kFailed, S::kAborted, S::kLimitReached};
       }},
      {"date range (30 days)",
       [&](CatalogueQuery& q) {
         q.start_from_ms = mid - month;
         q.start_to_ms = mid;
       }},
      {"room + status complete",
       [&](CatalogueQuery& q) {
         q.room_id = room;
         q.statuses = {S::kComplete};
       }},
      {"status list of 3 + date range",
       [&](CatalogueQuery& q) {
         q.statuses = {S::kFailed, S::kAborted, S::kActive};
         q.start_from_ms = mid - month;
         q.start_to_ms = mid;
       }},
  };
  for (const Scenario& s : scenarios) {
    CatalogueQuery q;
    s.set(q);
    RunQuery(index, s.name, q);
  }

  // Point operations, for scale.
  {
    std::vector<double> find_us;
    std::vector<double> upsert_us;
    CatalogueQuery q;
    q.limit = CatalogueIndex::kMaxLimit;
    const CataloguePage page = index.Query(q);
    for (int i = 0; i < kIterations; ++i) {
      IndexEntry e = page.entries[static_cast<size_t>(i) % page.entries.size()];
      auto t0 = Clock::now();
      const auto found = index.Find(e.recording_id);
      find_us.push_back(Micros(Clock::now() - t0));
      e.status = e.status == S::kComplete ? S::kFailed : S::kComplete;
      t0 = Clock::now();
      index.Upsert(e);
      upsert_us.push_back(Micros(Clock::now() - t0));
      (void)found;
    }
    std::sort(find_us.begin(), find_us.end());
    std::sort(upsert_us.begin(), upsert_us.end());
    std::printf("  %-40s p50 %8.1f us  p99 %8.1f us\n", "Find", find_us[find_us.size() / 2],
                find_us[find_us.size() * 99 / 100]);
    std::printf("  %-40s p50 %8.1f us  p99 %8.1f us\n", "Upsert (status change)",
                upsert_us[upsert_us.size() / 2], upsert_us[upsert_us.size() * 99 / 100]);
  }
  return 0;
}
