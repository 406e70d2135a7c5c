#include "recording/catalogue_index.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <utility>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"

namespace mr::recording {
namespace {

constexpr uint8_t kStatusMask = 0x07;
constexpr uint8_t kPrefixedFlag = 0x08;  // The room key "{room_id}--" is not stored in the arena.
constexpr uint8_t kLiveFlag = 0x10;
constexpr uint8_t kAllStatuses = (1u << kRecordingStatusCount) - 1;

constexpr size_t kMaxCursorIdBytes = 1024;
constexpr size_t kMaxTokenChars = 1500;  // Base64 of the longest payload, with slack.
constexpr std::string_view kCursorVersion = "1";

// Compaction of the id arena only pays off once enough bytes are dead.
constexpr size_t kMinArenaGarbage = 4096;

bool IsValidStatus(RecordingStatus s) {
  return static_cast<unsigned>(s) < static_cast<unsigned>(kRecordingStatusCount);
}

// A recording id stored in two pieces (room key + rest), compared and hashed as if contiguous.
struct SplitId {
  std::string_view head;
  std::string_view tail;

  std::string ToString() const {
    std::string s;
    s.reserve(head.size() + tail.size());
    s.append(head).append(tail);
    return s;
  }
};

// Three-way byte-wise comparison of the concatenations a.head+a.tail and b.head+b.tail.
int CompareSplit(SplitId a, SplitId b) {
  std::string_view as = a.head;
  std::string_view bs = b.head;
  bool a_on_tail = false;
  bool b_on_tail = false;
  while (true) {
    if (as.empty() && !a_on_tail) {
      as = a.tail;
      a_on_tail = true;
      continue;
    }
    if (bs.empty() && !b_on_tail) {
      bs = b.tail;
      b_on_tail = true;
      continue;
    }
    if (as.empty() || bs.empty()) {
      return static_cast<int>(!as.empty()) - static_cast<int>(!bs.empty());
    }
    const size_t n = std::min(as.size(), bs.size());
    const int c = std::memcmp(as.data(), bs.data(), n);
    if (c != 0) {
      return c;
    }
    as.remove_prefix(n);
    bs.remove_prefix(n);
  }
}

// FNV-1a over the bytes, then the murmur3 finaliser: the hash of a split id must equal the hash
// of the same bytes given contiguously (a lookup key), which absl::Hash does not promise. The
// finaliser spreads entropy into the low 7 bits and the high bits that SwissTable uses.
uint64_t HashBytes(uint64_t h, std::string_view s) {
  for (const char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

uint64_t FinishHash(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ULL;

uint64_t HashSplit(SplitId id) {
  return FinishHash(HashBytes(HashBytes(kFnvOffset, id.head), id.tail));
}

// A position in the listing order that is not (necessarily) an entry: a date bound or a cursor.
struct Probe {
  int64_t start_ms;
  std::string_view id;
};

// Counts the bytes the containers allocate, so MemoryBytesForTest is exact for them.
template <typename T>
struct CountingAllocator {
  using value_type = T;

  explicit CountingAllocator(size_t* counter) : counter(counter) {}
  template <typename U>
  CountingAllocator(const CountingAllocator<U>& other) : counter(other.counter) {}  // NOLINT

  T* allocate(size_t n) {
    *counter += n * sizeof(T);
    return std::allocator<T>().allocate(n);
  }
  void deallocate(T* p, size_t n) {
    *counter -= n * sizeof(T);
    std::allocator<T>().deallocate(p, n);
  }
  template <typename U>
  bool operator==(const CountingAllocator<U>& other) const {
    return counter == other.counter;
  }

  size_t* counter;
};

}  // namespace

struct CatalogueIndex::Impl {
  // Listing order over slot numbers (and probes), reading the slot table.
  struct OrderCmp {
    using is_transparent = void;
    const Impl* impl;

    bool operator()(uint32_t a, uint32_t b) const {
      if (a == b) {
        return false;
      }
      const int64_t sa = impl->start_[a];
      const int64_t sb = impl->start_[b];
      if (sa != sb) {
        return sa > sb;
      }
      return CompareSplit(impl->IdOf(a), impl->IdOf(b)) < 0;
    }
    bool operator()(uint32_t a, const Probe& b) const {
      const int64_t sa = impl->start_[a];
      if (sa != b.start_ms) {
        return sa > b.start_ms;
      }
      return CompareSplit(impl->IdOf(a), SplitId{b.id, {}}) < 0;
    }
    bool operator()(const Probe& a, uint32_t b) const {
      const int64_t sb = impl->start_[b];
      if (a.start_ms != sb) {
        return a.start_ms > sb;
      }
      return CompareSplit(SplitId{a.id, {}}, impl->IdOf(b)) < 0;
    }
    bool operator()(const Probe& a, const Probe& b) const {
      if (a.start_ms != b.start_ms) {
        return a.start_ms > b.start_ms;
      }
      return a.id < b.id;
    }
  };

  // Hash and equality of slots by recording id, with heterogeneous lookup by string_view.
  struct IdHash {
    using is_transparent = void;
    const Impl* impl;
    size_t operator()(uint32_t s) const { return HashSplit(impl->IdOf(s)); }
    size_t operator()(std::string_view id) const { return HashSplit(SplitId{id, {}}); }
  };
  struct IdEq {
    using is_transparent = void;
    const Impl* impl;
    bool operator()(uint32_t a, uint32_t b) const {
      return a == b || CompareSplit(impl->IdOf(a), impl->IdOf(b)) == 0;
    }
    bool operator()(uint32_t a, std::string_view b) const {
      return CompareSplit(impl->IdOf(a), SplitId{b, {}}) == 0;
    }
    bool operator()(std::string_view a, uint32_t b) const { return (*this)(b, a); }
  };

  // absl::btree_set with 512-byte nodes instead of 256 (absl::btree_set hard-codes the node size,
  // so this names the same container through absl's internal namespace). Most per-room and
  // per-(room, status) trees then fit in one root leaf, which absl sizes to its content: with 256
  // bytes a room of 100 recordings needs two leaves plus a 750-byte internal node, and those
  // small trees dominated the memory per entry.
  using SlotTree = absl::container_internal::btree_set_container<
      absl::container_internal::btree<absl::container_internal::set_params<
          uint32_t, OrderCmp, CountingAllocator<uint32_t>, 512, /*IsMulti=*/false>>>;
  using IdSet = absl::flat_hash_set<uint32_t, IdHash, IdEq, CountingAllocator<uint32_t>>;
  using RoomMap =
      absl::flat_hash_map<std::string_view, uint32_t, absl::Hash<std::string_view>, std::equal_to<>,
                          CountingAllocator<std::pair<const std::string_view, uint32_t>>>;
  using StatusTrees = std::array<SlotTree, kRecordingStatusCount>;

  StatusTrees MakeStatusTrees() {
    return MakeStatusTreesImpl(std::make_index_sequence<kRecordingStatusCount>());
  }
  template <size_t... I>
  StatusTrees MakeStatusTreesImpl(std::index_sequence<I...>) {
    return StatusTrees{((void)I, MakeTree())...};
  }
  SlotTree MakeTree() { return SlotTree(OrderCmp{this}, CountingAllocator<uint32_t>(&bytes_)); }

  struct Room {
    Room(Impl* impl, std::string_view name)
        : key(std::string(name) + "--"),
          all(impl->MakeTree()),
          by_status(impl->MakeStatusTrees()) {}

    std::string Name() const { return key.substr(0, key.size() - 2); }

    std::string key;  // "{room_id}--": the prefix of the room's well-formed recording ids.
    SlotTree all;
    StatusTrees by_status;
  };

  Impl()
      : ids_(0, IdHash{this}, IdEq{this}, CountingAllocator<uint32_t>(&bytes_)),
        all_(MakeTree()),
        by_status_(MakeStatusTrees()),
        room_by_name_(0, absl::Hash<std::string_view>(), std::equal_to<>(),
                      RoomMap::allocator_type(&bytes_)) {}
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  // ---- Slot table ----

  SplitId IdOf(uint32_t s) const {
    const std::string_view stored(arena_.data() + id_off_[s], id_len_[s]);
    if ((meta_[s] & kPrefixedFlag) != 0) {
      return SplitId{rooms_[room_[s]]->key, stored};
    }
    return SplitId{stored, {}};
  }

  RecordingStatus StatusOf(uint32_t s) const {
    return static_cast<RecordingStatus>(meta_[s] & kStatusMask);
  }

  IndexEntry Materialize(uint32_t s) const {
    return IndexEntry{IdOf(s).ToString(), rooms_[room_[s]]->Name(), start_[s], StatusOf(s)};
  }

  uint32_t AllocateSlot() {
    if (!free_slots_.empty()) {
      const uint32_t s = free_slots_.back();
      free_slots_.pop_back();
      return s;
    }
    if (start_.size() >= std::numeric_limits<uint32_t>::max()) {
      throw std::length_error("CatalogueIndex: too many entries");
    }
    start_.push_back(0);
    room_.push_back(0);
    id_off_.push_back(0);
    id_len_.push_back(0);
    meta_.push_back(0);
    return static_cast<uint32_t>(start_.size() - 1);
  }

  // Appends the id bytes of slot `s` to the arena, dropping the room key when the id starts with
  // it. REQUIRES: room_[s] is set.
  void StoreId(uint32_t s, std::string_view id) {
    const std::string& key = rooms_[room_[s]]->key;
    if (id.size() >= key.size() && id.substr(0, key.size()) == key) {
      id.remove_prefix(key.size());
      meta_[s] |= kPrefixedFlag;
    } else {
      meta_[s] &= static_cast<uint8_t>(~kPrefixedFlag);
    }
    if (arena_.size() + id.size() > std::numeric_limits<uint32_t>::max()) {
      throw std::length_error("CatalogueIndex: id arena full");
    }
    id_off_[s] = static_cast<uint32_t>(arena_.size());
    id_len_[s] = static_cast<uint16_t>(id.size());
    arena_.append(id);
  }

  void ReleaseId(uint32_t s) { arena_garbage_ += id_len_[s]; }

  // Rewrites the arena without dead bytes once they outweigh the live ones: amortised O(1) per
  // write, and the arena stays within about twice the live bytes.
  void MaybeCompactArena() {
    if (arena_garbage_ < kMinArenaGarbage || arena_garbage_ * 2 < arena_.size()) {
      return;
    }
    std::string fresh;
    fresh.reserve(arena_.size() - arena_garbage_);
    for (uint32_t s = 0; s < meta_.size(); ++s) {
      if ((meta_[s] & kLiveFlag) == 0) {
        continue;
      }
      const uint32_t off = static_cast<uint32_t>(fresh.size());
      fresh.append(arena_, id_off_[s], id_len_[s]);
      id_off_[s] = off;
    }
    arena_.swap(fresh);
    arena_garbage_ = 0;
  }

  // ---- Rooms ----

  uint32_t AcquireRoom(std::string_view name) {
    if (auto it = room_by_name_.find(name); it != room_by_name_.end()) {
      return it->second;
    }
    uint32_t r;
    if (!free_rooms_.empty()) {
      r = free_rooms_.back();
      free_rooms_.pop_back();
    } else {
      r = static_cast<uint32_t>(rooms_.size());
      rooms_.emplace_back();
    }
    rooms_[r] = std::make_unique<Room>(this, name);
    const std::string& key = rooms_[r]->key;
    room_by_name_.emplace(std::string_view(key.data(), key.size() - 2), r);
    return r;
  }

  void ReleaseRoomIfEmpty(uint32_t r) {
    if (!rooms_[r]->all.empty()) {
      return;
    }
    const std::string& key = rooms_[r]->key;
    room_by_name_.erase(std::string_view(key.data(), key.size() - 2));
    rooms_[r].reset();
    free_rooms_.push_back(r);
  }

  // ---- Secondary indexes ----

  void Link(uint32_t s) {
    const auto st = static_cast<size_t>(StatusOf(s));
    Room& room = *rooms_[room_[s]];
    all_.insert(s);
    by_status_[st].insert(s);
    room.all.insert(s);
    room.by_status[st].insert(s);
  }

  // REQUIRES: the slot's fields are those it was linked with (the comparator reads them).
  void Unlink(uint32_t s) {
    const auto st = static_cast<size_t>(StatusOf(s));
    Room& room = *rooms_[room_[s]];
    all_.erase(s);
    by_status_[st].erase(s);
    room.all.erase(s);
    room.by_status[st].erase(s);
  }

  // ---- Writes ----

  static void CheckEntry(const IndexEntry& e) {
    if (!IsValidStatus(e.status)) {
      throw std::invalid_argument("CatalogueIndex: invalid recording status");
    }
    if (e.recording_id.size() > kMaxRecordingIdBytes) {
      throw std::invalid_argument("CatalogueIndex: recording id too long");
    }
  }

  void SetStatus(uint32_t s, RecordingStatus st) {
    meta_[s] = static_cast<uint8_t>((meta_[s] & ~kStatusMask) | static_cast<uint8_t>(st));
  }

  // Inserts or updates an entry. With `linked` the secondary indexes are kept in step; without
  // (bulk build) only the slot table, rooms and id set are, and Build links everything after.
  void Upsert(const IndexEntry& e, bool linked) {
    if (auto it = ids_.find(std::string_view(e.recording_id)); it != ids_.end()) {
      const uint32_t s = *it;
      const uint32_t old_room = room_[s];
      const bool room_changed = rooms_[old_room]->Name() != e.room_id;
      if (!room_changed && start_[s] == e.start_ms && StatusOf(s) == e.status) {
        return;
      }
      if (linked) {
        Unlink(s);
      }
      start_[s] = e.start_ms;
      SetStatus(s, e.status);
      if (room_changed) {
        // The id bytes are the same, so the id set (hashed by content) needs no change even
        // though the stored representation does.
        const uint32_t new_room = AcquireRoom(e.room_id);
        ReleaseId(s);
        room_[s] = new_room;
        StoreId(s, e.recording_id);
      }
      if (linked) {
        Link(s);
        if (room_changed) {
          ReleaseRoomIfEmpty(old_room);
        }
      }
      return;
    }
    const uint32_t s = AllocateSlot();
    start_[s] = e.start_ms;
    room_[s] = AcquireRoom(e.room_id);
    meta_[s] = kLiveFlag;
    SetStatus(s, e.status);
    StoreId(s, e.recording_id);
    ids_.insert(s);
    ++live_;
    if (linked) {
      Link(s);
    }
  }

  bool Remove(std::string_view id) {
    auto it = ids_.find(id);
    if (it == ids_.end()) {
      return false;
    }
    const uint32_t s = *it;
    Unlink(s);
    ids_.erase(it);
    ReleaseId(s);
    const uint32_t room = room_[s];
    meta_[s] = 0;
    free_slots_.push_back(s);
    --live_;
    ReleaseRoomIfEmpty(room);
    MaybeCompactArena();
    return true;
  }

  // Bulk build into a fresh Impl: slot table first, then one sort and appends in order, which
  // fills btree nodes densely (absl splits a full node unevenly when inserting at its end).
  void Build(const std::vector<IndexEntry>& entries) {
    size_t id_bytes = 0;
    for (const IndexEntry& e : entries) {
      CheckEntry(e);
      id_bytes += e.recording_id.size();
    }
    start_.reserve(entries.size());
    room_.reserve(entries.size());
    id_off_.reserve(entries.size());
    id_len_.reserve(entries.size());
    meta_.reserve(entries.size());
    ids_.reserve(entries.size());
    arena_.reserve(id_bytes);
    for (const IndexEntry& e : entries) {
      Upsert(e, /*linked=*/false);
    }
    std::vector<uint32_t> order;
    order.reserve(live_);
    for (uint32_t s = 0; s < meta_.size(); ++s) {
      if ((meta_[s] & kLiveFlag) != 0) {
        order.push_back(s);
      }
    }
    std::sort(order.begin(), order.end(), OrderCmp{this});
    for (const uint32_t s : order) {
      const auto st = static_cast<size_t>(StatusOf(s));
      Room& room = *rooms_[room_[s]];
      all_.insert(all_.end(), s);
      by_status_[st].insert(by_status_[st].end(), s);
      room.all.insert(room.all.end(), s);
      room.by_status[st].insert(room.by_status[st].end(), s);
    }
    // A room whose only entries were moved away by a later duplicate is empty now.
    for (uint32_t r = 0; r < rooms_.size(); ++r) {
      if (rooms_[r] != nullptr) {
        ReleaseRoomIfEmpty(r);
      }
    }
    MaybeCompactArena();
    // The reservation above counted the room prefixes that StoreId dropped.
    arena_.shrink_to_fit();
  }

  // ---- Reads ----

  CataloguePage Query(const CatalogueQuery& q) const {
    CataloguePage page;
    const size_t limit = std::clamp<size_t>(q.limit, 1, kMaxLimit);
    if (q.start_from_ms && q.start_to_ms && *q.start_from_ms > *q.start_to_ms) {
      return page;
    }
    uint8_t mask = 0;
    for (const RecordingStatus st : q.statuses) {
      if (IsValidStatus(st)) {
        mask |= static_cast<uint8_t>(1u << static_cast<unsigned>(st));
      }
    }
    if (!q.statuses.empty() && mask == 0) {
      return page;
    }
    const Room* room = nullptr;
    if (q.room_id) {
      auto it = room_by_name_.find(std::string_view(*q.room_id));
      if (it == room_by_name_.end()) {
        return page;
      }
      room = rooms_[it->second].get();
    }

    // The sources to merge: one index when every status is accepted, else one per status.
    std::array<const SlotTree*, kRecordingStatusCount> trees{};
    size_t tree_count = 0;
    if (mask == 0 || mask == kAllStatuses) {
      trees[tree_count++] = room != nullptr ? &room->all : &all_;
    } else {
      for (size_t st = 0; st < kRecordingStatusCount; ++st) {
        if ((mask & (1u << st)) != 0) {
          const SlotTree& t = room != nullptr ? room->by_status[st] : by_status_[st];
          if (!t.empty()) {
            trees[tree_count++] = &t;
          }
        }
      }
    }

    // The start position is the later of "first entry with start_ms <= start_to_ms" and
    // "strictly after the cursor"; the cursor is the later one unless it lies before the bound.
    struct Head {
      SlotTree::const_iterator it;
      SlotTree::const_iterator end;
    };
    std::array<Head, kRecordingStatusCount> heads;
    for (size_t i = 0; i < tree_count; ++i) {
      const SlotTree& t = *trees[i];
      if (q.after && (!q.start_to_ms || q.after->start_ms <= *q.start_to_ms)) {
        heads[i].it = t.upper_bound(Probe{q.after->start_ms, q.after->recording_id});
      } else if (q.start_to_ms) {
        heads[i].it = t.lower_bound(Probe{*q.start_to_ms, {}});
      } else {
        heads[i].it = t.begin();
      }
      heads[i].end = t.end();
    }

    // k-way merge by linear scan of the heads (k <= 7). Once the smallest head is older than
    // start_from_ms, every remaining entry is too.
    const OrderCmp cmp{this};
    auto next = [&]() -> std::optional<uint32_t> {
      size_t best = tree_count;
      for (size_t i = 0; i < tree_count; ++i) {
        if (heads[i].it != heads[i].end &&
            (best == tree_count || cmp(*heads[i].it, *heads[best].it))) {
          best = i;
        }
      }
      if (best == tree_count) {
        return std::nullopt;
      }
      const uint32_t s = *heads[best].it;
      if (q.start_from_ms && start_[s] < *q.start_from_ms) {
        return std::nullopt;
      }
      ++heads[best].it;
      return s;
    };

    page.entries.reserve(std::min(limit, live_));
    while (page.entries.size() < limit) {
      const std::optional<uint32_t> s = next();
      if (!s) {
        return page;
      }
      page.entries.push_back(Materialize(*s));
    }
    if (next()) {
      const IndexEntry& last = page.entries.back();
      page.next = Cursor{last.start_ms, last.recording_id};
    }
    return page;
  }

  size_t MemoryBytes() const {
    size_t total = sizeof(Impl) + bytes_;
    total += start_.capacity() * sizeof(int64_t) + room_.capacity() * sizeof(uint32_t) +
             id_off_.capacity() * sizeof(uint32_t) + id_len_.capacity() * sizeof(uint16_t) +
             meta_.capacity() * sizeof(uint8_t) + free_slots_.capacity() * sizeof(uint32_t);
    total += arena_.capacity();
    total += rooms_.capacity() * sizeof(std::unique_ptr<Room>) +
             free_rooms_.capacity() * sizeof(uint32_t);
    for (const auto& room : rooms_) {
      if (room != nullptr) {
        total += sizeof(Room) + (room->key.capacity() > 15 ? room->key.capacity() + 1 : 0);
      }
    }
    return total;
  }

  // Declared first: the counting allocators of the containers below point at it.
  size_t bytes_ = 0;

  // Slot table, one column per field. A slot is live iff meta_ has kLiveFlag.
  std::vector<int64_t> start_;
  std::vector<uint32_t> room_;
  std::vector<uint32_t> id_off_;  // Offset of the stored id bytes in arena_.
  std::vector<uint16_t> id_len_;
  std::vector<uint8_t> meta_;  // Status (3 bits), kPrefixedFlag, kLiveFlag.
  std::vector<uint32_t> free_slots_;
  size_t live_ = 0;

  std::string arena_;  // Stored id bytes, back to back.
  size_t arena_garbage_ = 0;

  IdSet ids_;
  SlotTree all_;
  StatusTrees by_status_;

  // Rooms by number (null when free); room_by_name_ keys view into Room::key.
  std::vector<std::unique_ptr<Room>> rooms_;
  std::vector<uint32_t> free_rooms_;
  RoomMap room_by_name_;
};

CatalogueIndex::CatalogueIndex() : impl_(std::make_unique<Impl>()) {}

CatalogueIndex::~CatalogueIndex() = default;

void CatalogueIndex::Upsert(IndexEntry e) {
  Impl::CheckEntry(e);
  std::unique_lock lock(mu_);
  impl_->Upsert(e, /*linked=*/true);
  impl_->MaybeCompactArena();
}

bool CatalogueIndex::Remove(std::string_view recording_id) {
  std::unique_lock lock(mu_);
  return impl_->Remove(recording_id);
}

std::optional<IndexEntry> CatalogueIndex::Find(std::string_view recording_id) const {
  std::shared_lock lock(mu_);
  auto it = impl_->ids_.find(recording_id);
  if (it == impl_->ids_.end()) {
    return std::nullopt;
  }
  return impl_->Materialize(*it);
}

size_t CatalogueIndex::size() const {
  std::shared_lock lock(mu_);
  return impl_->live_;
}

void CatalogueIndex::Clear() {
  auto fresh = std::make_unique<Impl>();
  {
    std::unique_lock lock(mu_);
    impl_.swap(fresh);
  }
  // The old content is freed here, outside the lock.
}

void CatalogueIndex::Reset(std::vector<IndexEntry> entries) {
  auto fresh = std::make_unique<Impl>();
  fresh->Build(entries);
  entries.clear();
  {
    std::unique_lock lock(mu_);
    impl_.swap(fresh);
  }
}

CataloguePage CatalogueIndex::Query(const CatalogueQuery& q) const {
  std::shared_lock lock(mu_);
  return impl_->Query(q);
}

size_t CatalogueIndex::MemoryBytesForTest() const {
  std::shared_lock lock(mu_);
  return sizeof(CatalogueIndex) + impl_->MemoryBytes();
}

size_t CatalogueIndex::RoomCountForTest() const {
  std::shared_lock lock(mu_);
  return impl_->room_by_name_.size();
}

// ---- Cursor tokens ----

namespace {

constexpr std::string_view kBase64Url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string Base64UrlEncode(std::string_view in) {
  std::string out;
  out.reserve((in.size() * 4 + 2) / 3);
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const uint32_t v = (static_cast<uint8_t>(in[i]) << 16) |
                       (static_cast<uint8_t>(in[i + 1]) << 8) | static_cast<uint8_t>(in[i + 2]);
    out.push_back(kBase64Url[(v >> 18) & 63]);
    out.push_back(kBase64Url[(v >> 12) & 63]);
    out.push_back(kBase64Url[(v >> 6) & 63]);
    out.push_back(kBase64Url[v & 63]);
  }
  const size_t rest = in.size() - i;
  if (rest == 1) {
    const uint32_t v = static_cast<uint8_t>(in[i]) << 16;
    out.push_back(kBase64Url[(v >> 18) & 63]);
    out.push_back(kBase64Url[(v >> 12) & 63]);
  } else if (rest == 2) {
    const uint32_t v = (static_cast<uint8_t>(in[i]) << 16) | (static_cast<uint8_t>(in[i + 1]) << 8);
    out.push_back(kBase64Url[(v >> 18) & 63]);
    out.push_back(kBase64Url[(v >> 12) & 63]);
    out.push_back(kBase64Url[(v >> 6) & 63]);
  }
  return out;
}

int Base64UrlValue(char c) {
  if (c >= 'A' && c <= 'Z') {
    return c - 'A';
  }
  if (c >= 'a' && c <= 'z') {
    return c - 'a' + 26;
  }
  if (c >= '0' && c <= '9') {
    return c - '0' + 52;
  }
  if (c == '-') {
    return 62;
  }
  if (c == '_') {
    return 63;
  }
  return -1;
}

// Strict decoding: no padding, no other characters, and the unused low bits of a final partial
// group must be zero, so every payload has exactly one token.
std::optional<std::string> Base64UrlDecode(std::string_view in) {
  if (in.size() % 4 == 1) {
    return std::nullopt;
  }
  std::string out;
  out.reserve(in.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (const char c : in) {
    const int v = Base64UrlValue(c);
    if (v < 0) {
      return std::nullopt;
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  if ((acc & ((1u << bits) - 1)) != 0) {
    return std::nullopt;
  }
  return out;
}

// Parses a canonical decimal integer (no '+', no leading zeros, no "-0") followed by `sep`, and
// advances `in` past the separator.
template <typename T>
std::optional<T> TakeNumber(std::string_view& in, char sep) {
  const size_t end = in.find(sep);
  if (end == std::string_view::npos || end == 0) {
    return std::nullopt;
  }
  const std::string_view digits = in.substr(0, end);
  const std::string_view magnitude = digits[0] == '-' ? digits.substr(1) : digits;
  if (magnitude.empty() || (magnitude[0] == '0' && (magnitude.size() > 1 || digits[0] == '-'))) {
    return std::nullopt;
  }
  T value{};
  const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) {
    return std::nullopt;
  }
  in.remove_prefix(end + 1);
  return value;
}

}  // namespace

std::string CatalogueIndex::EncodeCursor(const Cursor& c) {
  // Payload "1.{start_ms}.{id length}.{id}": the explicit length makes a truncated token fail.
  std::string payload;
  payload.reserve(c.recording_id.size() + 32);
  payload.append(kCursorVersion).push_back('.');
  payload.append(std::to_string(c.start_ms)).push_back('.');
  payload.append(std::to_string(c.recording_id.size())).push_back('.');
  payload.append(c.recording_id);
  return Base64UrlEncode(payload);
}

std::optional<Cursor> CatalogueIndex::DecodeCursor(std::string_view token) {
  if (token.empty() || token.size() > kMaxTokenChars) {
    return std::nullopt;
  }
  const std::optional<std::string> payload = Base64UrlDecode(token);
  if (!payload) {
    return std::nullopt;
  }
  std::string_view in = *payload;
  if (in.substr(0, kCursorVersion.size() + 1) != std::string(kCursorVersion) + ".") {
    return std::nullopt;
  }
  in.remove_prefix(kCursorVersion.size() + 1);
  const std::optional<int64_t> start = TakeNumber<int64_t>(in, '.');
  if (!start) {
    return std::nullopt;
  }
  const std::optional<uint32_t> len = TakeNumber<uint32_t>(in, '.');
  if (!len || *len == 0 || *len > kMaxCursorIdBytes || in.size() != *len) {
    return std::nullopt;
  }
  return Cursor{*start, std::string(in)};
}

}  // namespace mr::recording
