#pragma once
// GroupSync: group commit for a filesystem. Sync() returns once everything the calling thread
// wrote before the call is durable, using one syncfs(2) shared by every caller that arrives
// while the previous syncfs runs. Under load many Puts share one sync instead of paying two or
// three fsyncs each; alone, a Put pays one syncfs per Sync() (about one fsync).
// Correctness: a caller joins the batch that has not started yet, so the syncfs that serves it
// starts after its writes; each batch reports its own result to exactly its callers.
// Thread safety: Sync() may be called concurrently from any thread; it blocks the caller.

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>

namespace mr::storage {

class GroupSync {
 public:
  // `fd`: any descriptor on the filesystem (not owned; must stay open).
  explicit GroupSync(int fd) : fd_(fd), pending_(std::make_shared<Batch>()) {}

  // 0, or the errno of the syncfs that served this call.
  int Sync();

  uint64_t SyncsForTest();

 private:
  struct Batch {
    bool done = false;  // Guarded by mu_.
    int rc = 0;         // Guarded by mu_.
  };

  const int fd_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::shared_ptr<Batch> pending_;  // Not started yet; new callers join it. Guarded by mu_.
  bool running_ = false;            // A syncfs is in progress. Guarded by mu_.
  uint64_t syncs_ = 0;              // Guarded by mu_.
};

}  // namespace mr::storage
