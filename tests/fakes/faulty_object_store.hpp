#pragma once
// FaultyObjectStore: wraps any ObjectStore and makes chosen operations fail (STYLE rule 4, after
// leveldb's ErrorEnv). A failing call returns the configured Status without reaching the inner
// store, like a request that never arrived; other calls are forwarded unchanged. Every call is
// counted, failed or not.
//
//   FaultyObjectStore store(memory);
//   store.FailNext(FaultyObjectStore::Op::kPut, UnavailableError("disk"), 2);  // Next 2 Puts.
//   store.FailAll(FaultyObjectStore::Op::kGet, Status(StatusCode::kDestination, "403"));
//   store.Heal();                                                             // Back to normal.
//
// Thread safety: every method may be called concurrently from any thread (one mutex, never held
// while the inner store runs).

#include <array>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "recording/object_store.hpp"

namespace mr::fakes {

class FaultyObjectStore final : public recording::ObjectStore {
 public:
  enum class Op { kPut, kGet, kHead, kList, kDeleteMany, kOpen };
  static constexpr size_t kOpCount = 6;

  // `inner` must outlive this wrapper.
  explicit FaultyObjectStore(recording::ObjectStore& inner) : inner_(inner) {}

  // The next `count` calls of `op` fail with `status`. Calls queue: FailNext(a, 1) then
  // FailNext(b, 1) fails the next call with a and the one after with b.
  // REQUIRES: !status.ok(), count >= 1.
  void FailNext(Op op, Status status, int count = 1);
  // Every call of `op` fails with `status` until Heal(). Takes precedence over FailNext.
  // REQUIRES: !status.ok().
  void FailAll(Op op, Status status);
  // Clears every FailNext and FailAll, for all operations. Counters are kept.
  void Heal();
  // Number of calls of `op` so far, failed ones included.
  int Calls(Op op) const;

  Task<Status> Put(std::string key, std::string body) override;
  Task<Result<std::string>> Get(std::string key) override;
  Task<Result<recording::ObjectInfo>> Head(std::string key) override;
  Task<Result<recording::ListPage>> List(std::string prefix, int max_keys,
                                         std::optional<std::string> token) override;
  Task<Status> DeleteMany(std::vector<std::string> keys) override;
  Task<Result<std::unique_ptr<recording::ObjectReader>>> Open(
      std::string key, std::optional<recording::ByteRange> range) override;

 private:
  struct OpState {
    int calls = 0;
    std::optional<Status> fail_all;
    std::deque<std::pair<Status, int>> fail_next;  // Status and remaining count.
  };

  // Counts a call of `op` and returns the failure to inject, if any.
  std::optional<Status> Enter(Op op);

  recording::ObjectStore& inner_;
  mutable std::mutex mu_;
  std::array<OpState, kOpCount> ops_;  // Guarded by mu_.
};

}  // namespace mr::fakes
