#include "fakes/faulty_object_store.hpp"

#include <cassert>

namespace mr::fakes {

using recording::ByteRange;
using recording::ListPage;
using recording::ObjectInfo;
using recording::ObjectReader;

void FaultyObjectStore::FailNext(Op op, Status status, int count) {
  assert(!status.ok() && count >= 1);
  std::lock_guard<std::mutex> lock(mu_);
  ops_[static_cast<size_t>(op)].fail_next.emplace_back(std::move(status), count);
}

void FaultyObjectStore::FailAll(Op op, Status status) {
  assert(!status.ok());
  std::lock_guard<std::mutex> lock(mu_);
  ops_[static_cast<size_t>(op)].fail_all = std::move(status);
}

void FaultyObjectStore::Heal() {
  std::lock_guard<std::mutex> lock(mu_);
  for (OpState& s : ops_) {
    s.fail_all.reset();
    s.fail_next.clear();
  }
}

int FaultyObjectStore::Calls(Op op) const {
  std::lock_guard<std::mutex> lock(mu_);
  return ops_[static_cast<size_t>(op)].calls;
}

std::optional<Status> FaultyObjectStore::Enter(Op op) {
  std::lock_guard<std::mutex> lock(mu_);
  OpState& s = ops_[static_cast<size_t>(op)];
  ++s.calls;
  if (s.fail_all) {
    return s.fail_all;
  }
  if (!s.fail_next.empty()) {
    Status status = s.fail_next.front().first;
    if (--s.fail_next.front().second == 0) {
      s.fail_next.pop_front();
    }
    return status;
  }
  return std::nullopt;
}

Task<Status> FaultyObjectStore::Put(std::string key, std::string body) {
  if (std::optional<Status> f = Enter(Op::kPut)) {
    co_return *f;
  }
  co_return co_await inner_.Put(std::move(key), std::move(body));
}

Task<Result<std::string>> FaultyObjectStore::Get(std::string key) {
  if (std::optional<Status> f = Enter(Op::kGet)) {
    co_return *f;
  }
  co_return co_await inner_.Get(std::move(key));
}

Task<Result<ObjectInfo>> FaultyObjectStore::Head(std::string key) {
  if (std::optional<Status> f = Enter(Op::kHead)) {
    co_return *f;
  }
  co_return co_await inner_.Head(std::move(key));
}

Task<Result<ListPage>> FaultyObjectStore::List(std::string prefix, int max_keys,
                                               std::optional<std::string> token) {
  if (std::optional<Status> f = Enter(Op::kList)) {
    co_return *f;
  }
  co_return co_await inner_.List(std::move(prefix), max_keys, std::move(token));
}

Task<Status> FaultyObjectStore::DeleteMany(std::vector<std::string> keys) {
  if (std::optional<Status> f = Enter(Op::kDeleteMany)) {
    co_return *f;
  }
  co_return co_await inner_.DeleteMany(std::move(keys));
}

Task<Result<std::unique_ptr<ObjectReader>>> FaultyObjectStore::Open(
    std::string key, std::optional<ByteRange> range) {
  if (std::optional<Status> f = Enter(Op::kOpen)) {
    co_return *f;
  }
  co_return co_await inner_.Open(std::move(key), range);
}

}  // namespace mr::fakes
