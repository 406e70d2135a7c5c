#include "fakes/memory_object_store.hpp"

#include <algorithm>
#include <string_view>
#include <utility>

namespace mr::fakes {

using recording::ByteRange;
using recording::ListPage;
using recording::ObjectInfo;
using recording::ObjectReader;

namespace {

constexpr std::string_view kTokenPrefix = "m1.";

// The rules of storage/object_key.cpp, repeated because fakes may depend only on common/ and the
// recording ports; the conformance suite keeps the two in step.
Status CheckKey(std::string_view key) {
  auto invalid = [](std::string_view why) {
    return InvalidArgumentError("invalid object key: " + std::string(why));
  };
  if (key.empty() || key.size() > 1024) {
    return invalid("empty or longer than 1024 bytes");
  }
  if (key.front() == '/' || key.find('\0') != std::string_view::npos ||
      key.find('\\') != std::string_view::npos) {
    return invalid("leading '/', NUL or backslash");
  }
  size_t start = 0;
  while (true) {
    const size_t slash = key.find('/', start);
    const std::string_view seg =
        key.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (seg.empty() || seg == "." || seg == "..") {
      return invalid("empty, '.' or '..' segment");
    }
    if (slash == std::string_view::npos) {
      return Status::Ok();
    }
    start = slash + 1;
  }
}

std::string Hex(std::string_view s) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::optional<std::string> Unhex(std::string_view s) {
  if (s.size() % 2 != 0) {
    return std::nullopt;
  }
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < s.size(); i += 2) {
    const int hi = nibble(s[i]);
    const int lo = nibble(s[i + 1]);
    if (hi < 0 || lo < 0) {
      return std::nullopt;
    }
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

class MemoryReader final : public ObjectReader {
 public:
  MemoryReader(std::shared_ptr<const std::string> body, uint64_t offset, uint64_t length)
      : body_(std::move(body)), next_(offset), end_(offset + length) {}

  uint64_t object_size() const override { return body_->size(); }

  Task<Result<size_t>> Read(std::span<char> buf) override {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), end_ - next_));
    std::copy_n(body_->data() + next_, n, buf.data());
    next_ += n;
    co_return n;
  }

 private:
  std::shared_ptr<const std::string> body_;
  uint64_t next_;
  uint64_t end_;
};

}  // namespace

MemoryObjectStore::MemoryObjectStore() : clock_(system_clock_) {}

MemoryObjectStore::MemoryObjectStore(const Clock& clock) : clock_(clock) {}

size_t MemoryObjectStore::SizeForTest() const {
  std::lock_guard<std::mutex> lock(mu_);
  return objects_.size();
}

Task<Status> MemoryObjectStore::Put(std::string key, std::string body) {
  if (Status s = CheckKey(key); !s.ok()) {
    co_return s;
  }
  auto shared = std::make_shared<const std::string>(std::move(body));
  const int64_t now = clock_.NowMs();
  std::lock_guard<std::mutex> lock(mu_);
  objects_[std::move(key)] = Object{std::move(shared), now};
  co_return Status::Ok();
}

Task<Result<std::string>> MemoryObjectStore::Get(std::string key) {
  if (Status s = CheckKey(key); !s.ok()) {
    co_return s;
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) {
    co_return NotFoundError(key + ": no such object");
  }
  co_return std::string(*it->second.body);
}

Task<Result<ObjectInfo>> MemoryObjectStore::Head(std::string key) {
  if (Status s = CheckKey(key); !s.ok()) {
    co_return s;
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) {
    co_return NotFoundError(key + ": no such object");
  }
  co_return ObjectInfo{key, it->second.body->size(), it->second.last_modified_ms};
}

Result<ListPage> MemoryObjectStore::ListSync(const std::string& prefix, int max_keys,
                                             const std::optional<std::string>& token) const {
  if (max_keys < 1 || max_keys > 1000) {
    return InvalidArgumentError("max_keys must be within 1..1000");
  }
  std::optional<std::string> after;
  if (token) {
    if (std::string_view(*token).substr(0, kTokenPrefix.size()) == kTokenPrefix) {
      after = Unhex(std::string_view(*token).substr(kTokenPrefix.size()));
    }
    if (!after || !CheckKey(*after).ok()) {
      return InvalidArgumentError("invalid continuation token");
    }
  }
  ListPage page;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = objects_.lower_bound(prefix);
  if (after && *after >= prefix) {
    it = objects_.upper_bound(*after);
  }
  for (; it != objects_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    if (page.objects.size() == static_cast<size_t>(max_keys)) {
      page.next_token = std::string(kTokenPrefix) + Hex(page.objects.back().key);
      break;
    }
    page.objects.push_back(ObjectInfo{it->first, it->second.body->size(),
                                      it->second.last_modified_ms});
  }
  return page;
}

Task<Result<ListPage>> MemoryObjectStore::List(std::string prefix, int max_keys,
                                               std::optional<std::string> token) {
  co_return ListSync(prefix, max_keys, token);
}

Task<Status> MemoryObjectStore::DeleteMany(std::vector<std::string> keys) {
  for (const std::string& key : keys) {
    if (Status s = CheckKey(key); !s.ok()) {
      co_return s;
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string& key : keys) {
    objects_.erase(key);
  }
  co_return Status::Ok();
}

Task<Result<std::unique_ptr<ObjectReader>>> MemoryObjectStore::Open(
    std::string key, std::optional<ByteRange> range) {
  if (Status s = CheckKey(key); !s.ok()) {
    co_return s;
  }
  std::shared_ptr<const std::string> body;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = objects_.find(key);
    if (it == objects_.end()) {
      co_return NotFoundError(key + ": no such object");
    }
    body = it->second.body;
  }
  uint64_t offset = 0;
  uint64_t length = body->size();
  if (range) {
    if (range->first > range->last || range->last >= body->size()) {
      co_return Status(StatusCode::kRangeNotSatisfiable, "range outside object " + key);
    }
    offset = range->first;
    length = range->length();
  }
  co_return std::unique_ptr<ObjectReader>(
      std::make_unique<MemoryReader>(std::move(body), offset, length));
}

}  // namespace mr::fakes
