#pragma once
// MemoryObjectStore: an in-memory ObjectStore for tests (STYLE rule 4), with the semantics of
// storage/LocalObjectStore where S3 and the local store agree: the same keys are refused
// (empty, over 1024 bytes, leading '/', empty / "." / ".." segments, NUL, backslash →
// kInvalidArgument), List is a plain string-prefix listing in byte-wise key order that continues
// strictly after the token's key, DeleteMany ignores missing keys, and Open with a range outside
// the object is kRangeNotSatisfiable. Unlike the local store it accepts both "a/b" and "a/b/c"
// (as S3 does) and reserves no key. Tokens are "m1." + hex of the last key; any other token is
// kInvalidArgument. Last-modified times come from the injected Clock. The conformance suite in
// tests/unit/storage checks that both stores agree.
// Thread safety: every method may be called concurrently from any thread (one mutex). Readers
// returned by Open keep a snapshot of the object and are not affected by later Puts.

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "common/clock.hpp"
#include "recording/object_store.hpp"

namespace mr::fakes {

class MemoryObjectStore final : public recording::ObjectStore {
 public:
  // Uses the system clock for last-modified times.
  MemoryObjectStore();
  // Uses `clock`, which must outlive the store.
  explicit MemoryObjectStore(const Clock& clock);

  Task<Status> Put(std::string key, std::string body) override;
  Task<Result<std::string>> Get(std::string key) override;
  Task<Result<recording::ObjectInfo>> Head(std::string key) override;
  Task<Result<recording::ListPage>> List(std::string prefix, int max_keys,
                                         std::optional<std::string> token) override;
  Task<Status> DeleteMany(std::vector<std::string> keys) override;
  Task<Result<std::unique_ptr<recording::ObjectReader>>> Open(
      std::string key, std::optional<recording::ByteRange> range) override;

  // Number of objects stored.
  size_t SizeForTest() const;

 private:
  struct Object {
    std::shared_ptr<const std::string> body;
    int64_t last_modified_ms = 0;
  };

  Result<recording::ListPage> ListSync(const std::string& prefix, int max_keys,
                                       const std::optional<std::string>& token) const;

  SystemClock system_clock_;
  const Clock& clock_;
  mutable std::mutex mu_;
  std::map<std::string, Object> objects_;  // Guarded by mu_.
};

}  // namespace mr::fakes
