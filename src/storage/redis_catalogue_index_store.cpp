#include "storage/redis_catalogue_index_store.hpp"

#include <algorithm>
#include <limits>
#include <utility>

#include "common/logging.hpp"
#include "storage/redis_index_scripts.hpp"

namespace mr::storage {
namespace {

using recording::CataloguePage;
using recording::CatalogueQuery;
using recording::Cursor;
using recording::IndexEntry;
using recording::RecordingStatus;

// The clean-up script names the seven per-status sets one by one.
static_assert(recording::kRecordingStatusCount == 7);

constexpr size_t kHexDigits = 16;
constexpr size_t kMaxCollectSteps = 100000;

// start_ms + 2^63 as unsigned keeps the order of int64; its complement reverses it.
uint64_t Invert(int64_t start_ms) {
  return ~(static_cast<uint64_t>(start_ms) ^ (uint64_t{1} << 63));
}

std::string Hex16(uint64_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(kHexDigits, '0');
  for (size_t i = kHexDigits; i-- > 0; v >>= 4) {
    out[i] = kDigits[v & 0xf];
  }
  return out;
}

bool ParseHex16(std::string_view hex, uint64_t& v) {
  if (hex.size() != kHexDigits) {
    return false;
  }
  v = 0;
  for (char c : hex) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else {
      return false;
    }
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  return true;
}

std::string EncodeStart(int64_t start_ms) { return Hex16(Invert(start_ms)); }

bool DecodeStart(std::string_view hex, int64_t& start_ms) {
  uint64_t inv;
  if (!ParseHex16(hex, inv)) {
    return false;
  }
  start_ms = static_cast<int64_t>(~inv ^ (uint64_t{1} << 63));
  return true;
}

bool IsValidStatus(RecordingStatus s) {
  return static_cast<int>(s) < recording::kRecordingStatusCount;
}

char StatusDigit(RecordingStatus s) { return static_cast<char>('0' + static_cast<int>(s)); }

Status ValidateEntry(const IndexEntry& e) {
  if (!IsValidStatus(e.status)) {
    return InvalidArgumentError("catalogue index: invalid recording status");
  }
  if (e.recording_id.size() > recording::CatalogueIndex::kMaxRecordingIdBytes) {
    return InvalidArgumentError("catalogue index: recording id too long");
  }
  return Status::Ok();
}

// The hash value of an entry: status digit, inverted start, room.
std::string EncodeValue(const IndexEntry& e) {
  std::string v;
  v.reserve(1 + kHexDigits + e.room_id.size());
  v += StatusDigit(e.status);
  v += EncodeStart(e.start_ms);
  v += e.room_id;
  return v;
}

bool DecodeValue(std::string id, std::string_view v, IndexEntry& e) {
  if (v.size() < 1 + kHexDigits || v[0] < '0' ||
      v[0] >= '0' + recording::kRecordingStatusCount) {
    return false;
  }
  if (!DecodeStart(v.substr(1, kHexDigits), e.start_ms)) {
    return false;
  }
  e.status = static_cast<RecordingStatus>(v[0] - '0');
  e.room_id = std::string(v.substr(1 + kHexDigits));
  e.recording_id = std::move(id);
  return true;
}

Status NotReady() {
  return UnavailableError(std::string(RedisCatalogueIndexStore::kNotReadyMessage) +
                          " (being rebuilt from storage)");
}

Status BadReply(std::string_view what) {
  std::string m = "catalogue index: unexpected Redis reply to ";
  m += what;
  return InternalError(std::move(m));
}

// The integer of a reply that must be one (`what` names the command in the error).
Result<int64_t> IntegerReply(const Result<RedisReply>& r, std::string_view what) {
  if (!r.ok()) {
    return r.status();
  }
  if (r->type != RedisReply::Type::kInteger) {
    return BadReply(what);
  }
  return r->integer;
}

Status BuildExpired() {
  return UnavailableError(
      "catalogue index rebuild abandoned: its generation was collected (no write for too long, or "
      "Redis restarted)");
}

std::string StaleMs() {
  return std::to_string(std::chrono::milliseconds(RedisCatalogueIndexStore::kStaleBuildAge).count());
}

std::string JournalTtlMs() {
  return std::to_string(
      std::chrono::milliseconds(RedisCatalogueIndexStore::kJournalTtl).count());
}

// A ZRANGEBYLEX bound: `kind` ('(', '[', '-' or '+') then `a` and `b`. Built by appending (g++ 12
// reports a false -Wrestrict on assigning a literal to a string that held another one).
std::string LexBound(char kind, std::string_view a = {}, std::string_view b = {}) {
  std::string s;
  s.reserve(1 + a.size() + b.size());
  s.push_back(kind);
  s.append(a);
  s.append(b);
  return s;
}

// The lex range of ZRANGEBYLEX for the date bounds and the cursor (see the header). The start
// position is the later of "strictly after the cursor" and "start <= start_to_ms".
std::pair<std::string, std::string> LexRange(const CatalogueQuery& q) {
  std::pair<std::string, std::string> range;
  if (q.after && (!q.start_to_ms || q.after->start_ms <= *q.start_to_ms)) {
    range.first = LexBound('(', EncodeStart(q.after->start_ms), q.after->recording_id);
  } else if (q.start_to_ms) {
    range.first = LexBound('[', EncodeStart(*q.start_to_ms));
  } else {
    range.first = LexBound('-');
  }
  // Every member with a start >= start_from_ms sorts before the prefix of the next-older start.
  const uint64_t inv = q.start_from_ms ? Invert(*q.start_from_ms) : 0;
  if (q.start_from_ms && inv != std::numeric_limits<uint64_t>::max()) {
    range.second = LexBound('(', Hex16(inv + 1));
  } else {
    range.second = LexBound('+');
  }
  return range;
}

// "" = every status, "-" = none can match, else one digit per status (ascending, no duplicates).
std::string StatusFilter(const CatalogueQuery& q) {
  if (q.statuses.empty()) {
    return "";
  }
  bool wanted[recording::kRecordingStatusCount] = {};
  for (RecordingStatus s : q.statuses) {
    if (IsValidStatus(s)) {
      wanted[static_cast<int>(s)] = true;
    }
  }
  std::string out;
  for (int i = 0; i < recording::kRecordingStatusCount; ++i) {
    if (wanted[i]) {
      out += static_cast<char>('0' + i);
    }
  }
  if (out.empty()) {
    return "-";
  }
  // Every status: the global (or room) set answers without a merge.
  return out.size() == recording::kRecordingStatusCount ? "" : out;
}

}  // namespace

RedisCatalogueIndexStore::RedisCatalogueIndexStore(RedisClient& redis,
                                                   std::string ns)
    : redis_(redis), ns_(std::move(ns)) {}

std::string RedisCatalogueIndexStore::Key(std::string_view suffix) const {
  std::string k;
  k.reserve(ns_.size() + 1 + suffix.size());
  k += ns_;
  k += ':';
  k += suffix;
  return k;
}

std::vector<std::string> RedisCatalogueIndexStore::WriteKeys() const {
  return {Key("current"), Key("rebuilding"), Key("journal")};
}

std::string RedisCatalogueIndexStore::TombstoneKey(std::string_view recording_id) const {
  std::string k;
  k.reserve(ns_.size() + 9 + recording_id.size());
  k += ns_;
  k += ":deleted:";
  k += recording_id;
  return k;
}

bool RedisCatalogueIndexStore::IsNotReady(const Status& s) {
  return s.code() == StatusCode::kUnavailable && s.message().starts_with(kNotReadyMessage);
}

std::string RedisCatalogueIndexStore::EncodeStartForTest(int64_t start_ms) {
  return EncodeStart(start_ms);
}

bool RedisCatalogueIndexStore::DecodeStartForTest(std::string_view hex, int64_t& start_ms) {
  return DecodeStart(hex, start_ms);
}

Task<Result<bool>> RedisCatalogueIndexStore::Ready() {
  std::vector<std::string> args = {"EXISTS", Key("current")};
  Result<int64_t> n = IntegerReply(co_await redis_.Command(std::move(args)), "EXISTS");
  if (!n.ok()) {
    co_return n.status();
  }
  co_return *n != 0;
}

Task<Status> RedisCatalogueIndexStore::Upsert(IndexEntry e) {
  if (Status s = ValidateEntry(e); !s.ok()) {
    co_return s;
  }
  std::vector<std::string> keys = WriteKeys();
  std::vector<std::string> args = {ns_, e.recording_id, JournalTtlMs(), EncodeValue(e)};
  Result<int64_t> applied = IntegerReply(
      co_await redis_.Eval(redis_index::UpsertScript(), std::move(keys), std::move(args)),
      "upsert");
  if (!applied.ok()) {
    co_return applied.status();
  }
  if (*applied == 0) {
    log::Debug("catalogue index not ready: upsert skipped", {{"recording_id", e.recording_id}});
  }
  co_return Status::Ok();
}

Task<Status> RedisCatalogueIndexStore::Remove(std::string recording_id) {
  std::vector<std::string> keys = WriteKeys();
  std::vector<std::string> args = {ns_, std::move(recording_id), JournalTtlMs()};
  Result<RedisReply> r =
      co_await redis_.Eval(redis_index::RemoveScript(), std::move(keys), std::move(args));
  co_return IntegerReply(r, "remove").status();
}

Task<Result<CataloguePage>> RedisCatalogueIndexStore::Query(CatalogueQuery q) {
  const size_t limit = std::clamp<size_t>(q.limit, 1, recording::CatalogueIndex::kMaxLimit);
  std::string statuses = StatusFilter(q);
  if (q.start_from_ms && q.start_to_ms && *q.start_from_ms > *q.start_to_ms) {
    statuses = "-";  // Nothing matches; still ask Redis, so "not ready" is reported the same.
  }
  auto [min, max] = LexRange(q);
  std::vector<std::string> keys = {Key("current")};
  std::vector<std::string> args = {ns_,           q.room_id ? "1" : "0", q.room_id.value_or(""),
                                   std::move(min), std::move(max),       std::to_string(limit + 1),
                                   std::move(statuses)};
  Result<RedisReply> r = co_await redis_.Eval(redis_index::QueryScript(), std::move(keys),
                                              std::move(args));
  if (!r.ok()) {
    co_return r.status();
  }
  if (r->is_nil()) {
    co_return NotReady();
  }
  std::vector<RedisReply>& el = r->elements;
  if (r->type != RedisReply::Type::kArray || el.empty() || el.size() % 2 != 1 ||
      el[0].type != RedisReply::Type::kInteger || (el.size() - 1) / 2 > limit) {
    co_return BadReply("query");
  }
  CataloguePage page;
  page.entries.reserve((el.size() - 1) / 2);
  for (size_t i = 1; i < el.size(); i += 2) {
    IndexEntry e;
    if (el[i].type != RedisReply::Type::kString || el[i + 1].type != RedisReply::Type::kString ||
        !DecodeValue(std::move(el[i].str), el[i + 1].str, e)) {
      co_return BadReply("query (entry)");
    }
    page.entries.push_back(std::move(e));
  }
  if (el[0].integer != 0 && !page.entries.empty()) {
    page.next = Cursor{page.entries.back().start_ms, page.entries.back().recording_id};
  }
  co_return page;
}

Task<Result<size_t>> RedisCatalogueIndexStore::Size() {
  std::vector<std::string> keys = {Key("current")};
  std::vector<std::string> args = {ns_};
  Result<RedisReply> r =
      co_await redis_.Eval(redis_index::SizeScript(), std::move(keys), std::move(args));
  if (!r.ok()) {
    co_return r.status();
  }
  if (r->is_nil()) {
    co_return NotReady();
  }
  if (r->type != RedisReply::Type::kInteger || r->integer < 0) {
    co_return BadReply("size");
  }
  co_return static_cast<size_t>(r->integer);
}

Task<Status> RedisCatalogueIndexStore::Reset(std::vector<IndexEntry> entries) {
  for (const IndexEntry& e : entries) {
    if (Status s = ValidateEntry(e); !s.ok()) {
      co_return s;
    }
  }
  // Abandoned builds of crashed instances first, so they never pile up.
  if (Status s = co_await CollectGarbage(); !s.ok()) {
    co_return s;
  }
  const std::string stale = StaleMs();
  std::string gen;  // Empty until the first chunk allocates it.
  size_t next = 0;
  do {
    const size_t end = std::min(entries.size(), next + kBatch);
    std::vector<std::string> args;
    args.reserve(3 + 2 * (end - next));
    args.push_back(ns_);
    args.push_back(gen);
    args.push_back(stale);
    for (; next < end; ++next) {
      std::string value = EncodeValue(entries[next]);
      args.push_back(std::move(entries[next].recording_id));
      args.push_back(std::move(value));
    }
    std::vector<std::string> keys;
    Result<RedisReply> r = co_await redis_.Eval(redis_index::BuildChunkScript(), std::move(keys),
                                                std::move(args));
    if (!r.ok()) {
      co_return r.status();
    }
    if (r->is_nil()) {
      co_return BuildExpired();
    }
    if (r->type != RedisReply::Type::kString || r->str.empty()) {
      co_return BadReply("rebuild");
    }
    gen = std::move(r->str);
  } while (next < entries.size());

  std::vector<std::string> keys = {Key("current")};
  std::vector<std::string> args = {ns_, gen, stale};
  Result<int64_t> switched = IntegerReply(
      co_await redis_.Eval(redis_index::SwitchScript(), std::move(keys), std::move(args)),
      "switch");
  if (!switched.ok()) {
    co_return switched.status();
  }
  if (*switched == 0) {
    co_return BuildExpired();
  }
  log::Info("catalogue index rebuilt in Redis",
            {{"entries", entries.size()}, {"generation", gen}});
  // The new index is live: failing to delete the old one now only delays that to the next Reset.
  if (Status s = co_await CollectGarbage(); !s.ok()) {
    log::Warn("catalogue index: old generation not deleted yet", {{"error", s.ToString()}});
  }
  co_return Status::Ok();
}

Task<Status> RedisCatalogueIndexStore::CollectGarbage() {
  const std::string stale = StaleMs();
  const std::string batch = std::to_string(kBatch);
  for (size_t step = 0; step < kMaxCollectSteps; ++step) {
    std::vector<std::string> keys;
    std::vector<std::string> args = {ns_, stale, batch};
    Result<int64_t> left = IntegerReply(
        co_await redis_.Eval(redis_index::CollectScript(), std::move(keys), std::move(args)),
        "clean-up");
    if (!left.ok()) {
      co_return left.status();
    }
    if (*left == 0) {
      co_return Status::Ok();
    }
  }
  co_return Status::Ok();  // The rest waits for the next Reset.
}

Task<Status> RedisCatalogueIndexStore::BeginRebuild() {
  std::vector<std::string> args = {"SET", Key("rebuilding"), "1", "PX", JournalTtlMs()};
  Result<RedisReply> r = co_await redis_.Command(std::move(args));
  co_return r.ok() ? Status::Ok() : r.status();
}

Task<Result<std::vector<std::string>>> RedisCatalogueIndexStore::TakeJournal() {
  std::vector<std::string> keys = {Key("journal")};
  std::vector<std::string> args;
  Result<RedisReply> r =
      co_await redis_.Eval(redis_index::TakeJournalScript(), std::move(keys), std::move(args));
  if (!r.ok()) {
    co_return r.status();
  }
  if (r->type != RedisReply::Type::kArray) {
    co_return BadReply("journal");
  }
  std::vector<std::string> ids;
  ids.reserve(r->elements.size());
  for (RedisReply& id : r->elements) {
    if (id.type != RedisReply::Type::kString) {
      co_return BadReply("journal (id)");
    }
    ids.push_back(std::move(id.str));
  }
  co_return ids;
}

Task<Status> RedisCatalogueIndexStore::EndRebuild() {
  // The journal stays (with its TTL) for the TakeJournal that follows.
  std::vector<std::string> args = {"DEL", Key("rebuilding")};
  Result<RedisReply> r = co_await redis_.Command(std::move(args));
  co_return r.ok() ? Status::Ok() : r.status();
}

Task<Status> RedisCatalogueIndexStore::AddTombstones(std::vector<std::string> recording_ids) {
  const std::string ttl = std::to_string(
      std::chrono::duration_cast<std::chrono::milliseconds>(kTombstoneMinAge).count());
  for (size_t i = 0; i < recording_ids.size(); i += kBatch) {
    std::vector<std::string> keys;
    for (size_t j = i; j < std::min(recording_ids.size(), i + kBatch); ++j) {
      keys.push_back(TombstoneKey(recording_ids[j]));
    }
    std::vector<std::string> args = {ttl};
    Result<RedisReply> r =
        co_await redis_.Eval(redis_index::TombstoneScript(), std::move(keys), std::move(args));
    if (!r.ok()) {
      co_return r.status();
    }
  }
  co_return Status::Ok();
}

Task<Status> RedisCatalogueIndexStore::RemoveTombstones(std::vector<std::string> recording_ids) {
  for (size_t i = 0; i < recording_ids.size(); i += kBatch) {
    std::vector<std::string> args = {"DEL"};
    for (size_t j = i; j < std::min(recording_ids.size(), i + kBatch); ++j) {
      args.push_back(TombstoneKey(recording_ids[j]));
    }
    Result<RedisReply> r = co_await redis_.Command(std::move(args));
    if (!r.ok()) {
      co_return r.status();
    }
  }
  co_return Status::Ok();
}

Task<Result<bool>> RedisCatalogueIndexStore::IsTombstoned(std::string recording_id) {
  std::vector<std::string> args = {"EXISTS", TombstoneKey(recording_id)};
  Result<int64_t> n = IntegerReply(co_await redis_.Command(std::move(args)), "EXISTS");
  if (!n.ok()) {
    co_return n.status();
  }
  co_return *n != 0;
}

}  // namespace mr::storage
