#pragma once
// ObjectStore: the port through which everything reads and writes the bucket (STYLE: recording/
// owns the ports it needs). Keys are bucket keys ("openvidu-meet/recordings/..."), '/'-separated,
// never starting with '/'. Implementations: storage/LocalObjectStore (a folder mirrors the bucket),
// tests/fakes/MemoryObjectStore, and later an S3 store.
//
// Errors: a missing key is kNotFound; an unreachable back-end is kUnavailable; a refusing
// destination (bad bucket, 403) is kDestination; an invalid key is kInvalidArgument. Never map an
// outage to kNotFound (scope.md, Q6/Q12).
// Thread safety: every method may be called concurrently from any thread.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/async.hpp"
#include "common/status.hpp"

namespace mr::recording {

struct ObjectInfo {
  std::string key;
  uint64_t size = 0;
  int64_t last_modified_ms = 0;
};

struct ListPage {
  std::vector<ObjectInfo> objects;          // In lexicographic key order.
  std::optional<std::string> next_token;    // Set when more keys follow.
};

// Inclusive byte range, as in HTTP: bytes first..last.
struct ByteRange {
  uint64_t first = 0;
  uint64_t last = 0;
  uint64_t length() const { return last - first + 1; }
};

// A file the bytes of an object can be sent from without copying (sendfile), when the store
// keeps objects as local files. The descriptor is owned by the reader that returned it.
struct LocalFileSpan {
  int fd = -1;
  uint64_t offset = 0;
  uint64_t length = 0;
};

// Streams the bytes of one object (or one range of it). Not thread-safe: one consumer.
class ObjectReader {
 public:
  virtual ~ObjectReader() = default;
  // Total size of the object (not of the range).
  virtual uint64_t object_size() const = 0;
  // Reads up to buf.size() bytes; 0 means the end of the range was reached.
  virtual Task<Result<size_t>> Read(std::span<char> buf) = 0;
  // Set when the bytes can be sent straight from a local file (zero-copy).
  virtual std::optional<LocalFileSpan> LocalFile() const { return std::nullopt; }
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // Stores `body` under `key`, replacing any previous object, atomically: a reader sees the old
  // or the new object, never a mix or a partial one.
  virtual Task<Status> Put(std::string key, std::string body) = 0;

  // Returns the whole object. Meant for small JSON objects.
  virtual Task<Result<std::string>> Get(std::string key) = 0;

  virtual Task<Result<ObjectInfo>> Head(std::string key) = 0;

  // Lists keys starting with `prefix` (a plain string prefix, as S3 does), in lexicographic order,
  // at most `max_keys` (1..1000) per page, continuing after `token` when given.
  // A token not produced by this store is kInvalidArgument.
  virtual Task<Result<ListPage>> List(std::string prefix, int max_keys,
                                      std::optional<std::string> token) = 0;

  // Deletes the keys; missing keys are not an error. Fails as a whole on a back-end error.
  virtual Task<Status> DeleteMany(std::vector<std::string> keys) = 0;

  // Opens the object (or the inclusive `range` of it) for streaming.
  // REQUIRES: range, when given, lies within the object (callers Head first); otherwise
  // kRangeNotSatisfiable.
  virtual Task<Result<std::unique_ptr<ObjectReader>>> Open(std::string key,
                                                           std::optional<ByteRange> range) = 0;
};

}  // namespace mr::recording
