// Group commit: concurrent callers share syncs, each caller is served by a sync that started
// after it called, and errors reach the callers of the failing sync.

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

#include "storage/group_sync.hpp"

namespace mr::storage {
namespace {

TEST(GroupSyncTest, AloneEachCallSyncs) {
  const int fd = ::open("/tmp", O_RDONLY | O_DIRECTORY);
  ASSERT_GE(fd, 0);
  GroupSync sync(fd);
  EXPECT_EQ(sync.Sync(), 0);
  EXPECT_EQ(sync.Sync(), 0);
  EXPECT_EQ(sync.SyncsForTest(), 2u);
  ::close(fd);
}

TEST(GroupSyncTest, ConcurrentCallersShareSyncs) {
  const int fd = ::open("/tmp", O_RDONLY | O_DIRECTORY);
  ASSERT_GE(fd, 0);
  GroupSync sync(fd);
  constexpr int kThreads = 16;
  constexpr int kCalls = 20;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kCalls; ++i) {
        if (sync.Sync() != 0) {
          ++failures;
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(failures.load(), 0);
  EXPECT_LE(sync.SyncsForTest(), static_cast<uint64_t>(kThreads * kCalls));
  EXPECT_GE(sync.SyncsForTest(), static_cast<uint64_t>(kCalls));
}

TEST(GroupSyncTest, ErrorsReachTheCaller) {
  GroupSync sync(-1);  // syncfs(-1) fails with EBADF.
  EXPECT_EQ(sync.Sync(), EBADF);
}

}  // namespace
}  // namespace mr::storage
