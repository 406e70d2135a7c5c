#include "storage/group_sync.hpp"

#include <unistd.h>

#include <cerrno>

namespace mr::storage {

int GroupSync::Sync() {
  std::unique_lock lock(mu_);
  const std::shared_ptr<Batch> mine = pending_;
  for (;;) {
    if (mine->done) {
      return mine->rc;
    }
    if (running_) {
      cv_.wait(lock);
      continue;
    }
    // No sync is running and ours has not started: lead it. Later callers join the next one.
    running_ = true;
    pending_ = std::make_shared<Batch>();
    lock.unlock();
    const int rc = ::syncfs(fd_) == 0 ? 0 : errno;
    lock.lock();
    running_ = false;
    mine->done = true;
    mine->rc = rc;
    ++syncs_;
    cv_.notify_all();
  }
}

uint64_t GroupSync::SyncsForTest() {
  std::lock_guard lock(mu_);
  return syncs_;
}

}  // namespace mr::storage
