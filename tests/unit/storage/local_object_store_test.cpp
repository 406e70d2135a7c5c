// LocalObjectStore behaviour that only a folder-backed store has: containment inside the root,
// symbolic links, temporary files, empty folders, errno mapping, concurrency and listing speed.

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "storage/local_object_store.hpp"
#include "storage/object_key.hpp"
#include "unit/storage/storage_test_env.hpp"

namespace mr::storage {
namespace {

namespace fs = std::filesystem;
using recording::ByteRange;
using recording::ListPage;
using testing::Sync;

// Every path below `dir`, relative, sorted.
std::set<std::string> Tree(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    out.insert(fs::relative(e.path(), dir).string() + (e.is_directory() ? "/" : ""));
  }
  return out;
}

void WriteFile(const fs::path& p, const std::string& body) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << body;
}

class LocalObjectStoreTest : public ::testing::Test {
 protected:
  fs::path outer() const { return tmp_.path(); }
  fs::path root() const { return tmp_.path() / "root"; }
  LocalObjectStore& store() { return *store_; }

  testing::TempDir tmp_;
  std::unique_ptr<LocalObjectStore> store_ =
      std::make_unique<LocalObjectStore>(root(), LocalObjectStoreOptions{.fsync = false});
};

TEST(ObjectKeyTest, Table) {
  struct Case {
    std::string key;
    bool ok;
  };
  const Case cases[] = {
      {"a", true},          {"a/b/c.json", true},   {"a-b/.metadata/x", true},
      {"..a/b..", true},    {"a/...", true},        {std::string(1024, 'x'), true},
      {"", false},          {"../x", false},        {"a/../../b", false},
      {"/abs", false},      {"a//b", false},        {"a/", false},
      {".", false},         {"..", false},          {"a\\b", false},
      {"a/./b", false},     {"a/.", false},         {std::string("a\0b", 3), false},
      {std::string(1025, 'x'), false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.key);
    Status s = ValidateObjectKey(c.key);
    EXPECT_EQ(s.ok(), c.ok) << s.ToString();
    if (!c.ok) {
      EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    }
  }
}

TEST_F(LocalObjectStoreTest, BadKeysCreateNothingAnywhere) {
  const std::string bad[] = {"../x",  "a/../../b", "/abs",       "a//b",
                             "a/",    ".",         "a\\b",       "a/./b",
                             std::string("a\0b", 3), ".mr-tmp/x", ".mr-tmp",
                             std::string(1025, 'x'), "../root2/x", "..",
                             "a/.."};
  for (const std::string& key : bad) {
    SCOPED_TRACE(key);
    EXPECT_EQ(Sync(store().Put(key, "x")).code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(Sync(store().Get(key)).status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(Sync(store().Head(key)).status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(Sync(store().Open(key, std::nullopt)).status().code(),
              StatusCode::kInvalidArgument);
    EXPECT_EQ(Sync(store().DeleteMany({key})).code(), StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(Tree(outer()), (std::set<std::string>{"root/", "root/.mr-tmp/"}));
}

TEST_F(LocalObjectStoreTest, SymlinksInsideTheRootAreNotFollowed) {
  WriteFile(outer() / "outside" / "secret.json", "secret");
  fs::create_directory_symlink(outer() / "outside", root() / "link");
  fs::create_symlink(outer() / "outside" / "secret.json", root() / "file-link");
  fs::create_directories(root() / "real");
  fs::create_directory_symlink(outer() / "outside", root() / "real" / "deep");

  EXPECT_EQ(Sync(store().Get("link/secret.json")).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Sync(store().Head("real/deep/secret.json")).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(Sync(store().Open("link/secret.json", std::nullopt)).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(Sync(store().Get("file-link")).status().code(), StatusCode::kDestination);

  Status put = Sync(store().Put("link/new.json", "x"));
  EXPECT_EQ(put.code(), StatusCode::kDestination) << put.ToString();
  EXPECT_EQ(Sync(store().Put("real/deep/new.json", "x")).code(), StatusCode::kDestination);
  EXPECT_TRUE(Sync(store().DeleteMany({"link/secret.json", "real/deep/secret.json"})).ok());

  auto page = Sync(store().List("", 1000, std::nullopt));
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->objects.empty());

  // Replacing the link itself is allowed: the rename swaps the link, not its target.
  EXPECT_TRUE(Sync(store().Put("file-link", "mine")).ok());
  EXPECT_EQ(*Sync(store().Get("file-link")), "mine");

  EXPECT_EQ(Tree(outer() / "outside"), (std::set<std::string>{"secret.json"}));
  std::ifstream in(outer() / "outside" / "secret.json");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "secret");
}

TEST_F(LocalObjectStoreTest, EmptyFoldersAreRemovedUpToTheRoot) {
  ASSERT_TRUE(Sync(store().Put("a/b/c/d.json", "1")).ok());
  ASSERT_TRUE(Sync(store().Put("a/x.json", "2")).ok());
  ASSERT_TRUE(Sync(store().DeleteMany({"a/b/c/d.json"})).ok());
  EXPECT_EQ(Tree(root()), (std::set<std::string>{".mr-tmp/", "a/", "a/x.json"}));
  ASSERT_TRUE(Sync(store().DeleteMany({"a/x.json"})).ok());
  EXPECT_EQ(Tree(root()), (std::set<std::string>{".mr-tmp/"}));
  EXPECT_TRUE(fs::is_directory(root()));
}

TEST_F(LocalObjectStoreTest, ObjectAndFolderConflict) {
  ASSERT_TRUE(Sync(store().Put("a/b/c", "1")).ok());
  EXPECT_EQ(Sync(store().Put("a/b", "x")).code(), StatusCode::kConflict);
  EXPECT_EQ(Sync(store().Put("a/b/c/d", "x")).code(), StatusCode::kConflict);
  EXPECT_EQ(*Sync(store().Get("a/b/c")), "1");
  EXPECT_TRUE(Sync(store().DeleteMany({"a/b"})).ok());  // A folder is not an object.
  EXPECT_EQ(*Sync(store().Get("a/b/c")), "1");
}

TEST_F(LocalObjectStoreTest, TempFilesAreNeverListedNorReachable) {
  WriteFile(root() / ".mr-tmp" / "leftover.tmp", "partial");
  ASSERT_TRUE(Sync(store().Put("k", "v")).ok());
  auto page = Sync(store().List("", 1000, std::nullopt));
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->objects.size(), 1u);
  EXPECT_EQ(page->objects[0].key, "k");
  EXPECT_TRUE(Sync(store().List(".mr-tmp", 1000, std::nullopt))->objects.empty());
  EXPECT_TRUE(Sync(store().List(".mr-tmp/", 1000, std::nullopt))->objects.empty());

  // While Puts run, listings only ever show complete objects under their final keys.
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; i < 300; ++i) {
      EXPECT_TRUE(Sync(store().Put("w/" + std::to_string(i % 7), std::string(4096, 'x'))).ok());
    }
    stop = true;
  });
  while (!stop) {
    auto p = Sync(store().List("", 1000, std::nullopt));
    ASSERT_TRUE(p.ok());
    for (const auto& o : p->objects) {
      EXPECT_TRUE(o.key == "k" || o.key.rfind("w/", 0) == 0) << o.key;
      if (o.key != "k") {
        EXPECT_EQ(o.size, 4096u);
      }
    }
  }
  writer.join();
}

TEST_F(LocalObjectStoreTest, StaleTempFilesAreRemovedAtStartup) {
  WriteFile(root() / ".mr-tmp" / "old.tmp", "x");
  WriteFile(root() / ".mr-tmp" / "fresh.tmp", "x");
  struct timespec times[2] = {{1'000'000'000, 0}, {1'000'000'000, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, (root() / ".mr-tmp" / "old.tmp").c_str(), times, 0), 0);
  store_.reset();
  store_ = std::make_unique<LocalObjectStore>(root());
  EXPECT_EQ(Tree(root() / ".mr-tmp"), (std::set<std::string>{"fresh.tmp"}));
}

TEST_F(LocalObjectStoreTest, UnusableRootThrows) {
  WriteFile(outer() / "a-file", "x");
  EXPECT_THROW(LocalObjectStore(outer() / "a-file"), std::runtime_error);
  EXPECT_THROW(LocalObjectStore(outer() / "a-file" / "below"), std::runtime_error);
  if (::geteuid() != 0) {
    fs::create_directories(outer() / "ro");
    fs::permissions(outer() / "ro", fs::perms::owner_read | fs::perms::owner_exec);
    EXPECT_THROW(LocalObjectStore(outer() / "ro"), std::runtime_error);
    fs::permissions(outer() / "ro", fs::perms::owner_all);
  }
}

TEST_F(LocalObjectStoreTest, PermissionErrorsAreDestinationErrors) {
  // Written directly, not through the store: the fork below must find the store's blocking pool
  // idle. A pool thread still finishing a task at fork time can hold an allocator lock the child
  // then waits on for ever (seen under ASan).
  fs::create_directories(root() / "locked");
  std::ofstream(root() / "locked" / "k", std::ios::binary) << "v";
  ASSERT_TRUE(fs::exists(root() / "locked" / "k"));
  // Permissions bind only an unprivileged user. As root (CI), the checks run in a child process
  // that drops to `nobody` (65534), against a folder root owns and nobody may only read.
  auto checks = [](LocalObjectStore& store) -> int {
    Status put = Sync(store.Put("locked/k2", "v"));
    Status del = Sync(store.DeleteMany({"locked/k"}));
    auto get = Sync(store.Get("locked/k"));
    return (put.code() == StatusCode::kDestination ? 0 : 1) |
           (del.code() == StatusCode::kDestination ? 0 : 2) |
           (get.status().code() == StatusCode::kDestination ? 0 : 4);
  };
  if (::geteuid() != 0) {
    fs::permissions(root() / "locked", fs::perms::owner_read | fs::perms::owner_exec);
    fs::permissions(root() / "locked" / "k", fs::perms::none);
    const int failed = checks(store());
    fs::permissions(root() / "locked", fs::perms::owner_all);
    fs::permissions(root() / "locked" / "k", fs::perms::owner_all);
    EXPECT_EQ(failed, 0) << "bit 1: put, 2: delete, 4: get";
    return;
  }
  for (const fs::path& p : {tmp_.path(), root(), root() / ".mr-tmp"}) {
    fs::permissions(p, fs::perms::all);
  }
  fs::permissions(root() / "locked", fs::perms::owner_all | fs::perms::group_read |
                                         fs::perms::group_exec | fs::perms::others_read |
                                         fs::perms::others_exec);
  fs::permissions(root() / "locked" / "k", fs::perms::owner_read | fs::perms::owner_write);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) {
      _exit(100);
    }
    // The parent's store is unusable here: its blocking pool's threads do not exist after fork.
    // No threads either (blocking_threads 0: inline): a forked child of a threaded process that
    // starts threads can deadlock on a lock held at fork time (seen under ASan).
    LocalObjectStore child_store(root(),
                                 LocalObjectStoreOptions{.fsync = false, .blocking_threads = 0});
    _exit(checks(child_store));
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "bit 1: put, 2: delete, 4: get; 100: cannot drop root";
}

TEST_F(LocalObjectStoreTest, LocalFileSpanForSendfile) {
  ASSERT_TRUE(Sync(store().Put("m/r.mp4", "0123456789")).ok());
  auto reader = Sync(store().Open("m/r.mp4", ByteRange{2, 5}));
  ASSERT_TRUE(reader.ok());
  auto span = (*reader)->LocalFile();
  ASSERT_TRUE(span.has_value());
  EXPECT_GE(span->fd, 0);
  EXPECT_EQ(span->offset, 2u);
  EXPECT_EQ(span->length, 4u);
  char buf[4];
  ASSERT_EQ(::pread(span->fd, buf, 4, 2), 4);
  EXPECT_EQ(std::string(buf, 4), "2345");
  const int fd = span->fd;
  reader->reset();
  EXPECT_EQ(::fcntl(fd, F_GETFD), -1);  // Closed with the reader.
}

TEST_F(LocalObjectStoreTest, ConcurrentPutsAndReadsNeverSeeATornValue) {
  auto value = [](int writer) { return std::string(64 * 1024, static_cast<char>('a' + writer)); };
  ASSERT_TRUE(Sync(store().Put("hot/key", value(0))).ok());
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        if (!Sync(store().Put("hot/key", value(t))).ok()) {
          ++failures;
        }
        auto got = Sync(store().Get("hot/key"));
        if (!got.ok() || got->size() != 64 * 1024 ||
            got->find_first_not_of(got->front()) != std::string::npos) {
          ++failures;
        }
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Tree(root() / ".mr-tmp"), (std::set<std::string>{}));
}

TEST_F(LocalObjectStoreTest, PutsRaceDeletesThatRemoveTheirFolder) {
  std::atomic<bool> stop{false};
  std::atomic<int> put_failures{0};
  std::thread deleter([&] {
    while (!stop) {
      EXPECT_TRUE(Sync(store().DeleteMany({"r/x/y/k1", "r/x/y/k2"})).ok());
    }
  });
  for (int i = 0; i < 2000; ++i) {
    Status s = Sync(store().Put(i % 2 == 0 ? "r/x/y/k1" : "r/x/y/k2", "v"));
    if (!s.ok()) {
      ++put_failures;
      ADD_FAILURE() << s.ToString();
    }
  }
  stop = true;
  deleter.join();
  EXPECT_EQ(put_failures.load(), 0);
  ASSERT_TRUE(Sync(store().DeleteMany({"r/x/y/k1", "r/x/y/k2"})).ok());
  EXPECT_EQ(Tree(root()), (std::set<std::string>{".mr-tmp/"}));
}

TEST_F(LocalObjectStoreTest, CachedListingsSeeOutsideChanges) {
  ASSERT_TRUE(Sync(store().Put("c/1", "v")).ok());
  ASSERT_TRUE(Sync(store().Put("c/2", "v")).ok());
  // Age the folders so their listings are cached (fresh ones stay out of the cache).
  struct timespec old[2] = {{1'000'000'000, 0}, {1'000'000'000, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, root().c_str(), old, 0), 0);
  ASSERT_EQ(::utimensat(AT_FDCWD, (root() / "c").c_str(), old, 0), 0);
  EXPECT_EQ(Sync(store().List("c/", 10, std::nullopt))->objects.size(), 2u);
  // The root is not listed: the prefix names its folder "c" directly.
  EXPECT_EQ(store().CachedListingsForTest(), 1u);

  WriteFile(root() / "c" / "3", "outside");  // Bumps the folder's mtime.
  auto page = Sync(store().List("c/", 10, std::nullopt));
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->objects.size(), 3u);
  EXPECT_EQ(page->objects[2].key, "c/3");
  EXPECT_EQ(page->objects[2].size, 7u);
}

// Seeds `rooms` x `per_room` metadata files straight on disk (much faster than Put with its
// renames), in the layout of the service.
std::vector<std::string> SeedRecordings(const fs::path& root, int rooms, int per_room) {
  std::vector<std::string> keys;
  keys.reserve(static_cast<size_t>(rooms) * per_room);
  char name[128];
  for (int r = 0; r < rooms; ++r) {
    for (int e = 0; e < per_room; ++e) {
      std::snprintf(name, sizeof(name), "openvidu-meet/recordings/.metadata/R-%03d/EG_%04d", r, e);
      const fs::path dir = root / name;
      fs::create_directories(dir);
      // Appended piecewise: g++ 12 warns falsely (-Wrestrict) on "u" + std::to_string(...) at -O2.
      std::string file = "u";
      file += std::to_string(e * 7919 % 10007);
      file += ".json";
      const int fd = ::open((dir / file).c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      EXPECT_GE(fd, 0);
      EXPECT_EQ(::write(fd, "{}", 2), 2);
      ::close(fd);
      keys.push_back(std::string(name) + "/" + file);
    }
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

TEST(LocalObjectStoreListingTest, ListsOneHundredThousandKeysInPages) {
  // tmpfs when there is one: seeding 200 000 files and folders on a virtual disk takes minutes,
  // and listings read the kernel's caches either way.
  testing::TempDir tmp(fs::is_directory("/dev/shm") ? "/dev/shm" : nullptr);
  std::printf("[ timing ] folder: %s\n", tmp.path().c_str());
  const fs::path root = tmp.path() / "root";
  LocalObjectStore store(root, LocalObjectStoreOptions{.fsync = false});
  const auto seed_start = std::chrono::steady_clock::now();
  const std::vector<std::string> expected = SeedRecordings(root, 100, 1000);
  std::printf("[ timing ] seeding: %.1f ms\n",
              std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                        seed_start).count());
  // Age every folder so that its listing may be cached: in production, folders of finished
  // recordings are old.
  struct timespec old[2] = {{1'000'000'000, 0}, {1'000'000'000, 0}};
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_directory()) {
      ::utimensat(AT_FDCWD, e.path().c_str(), old, 0);
    }
  }
  ::utimensat(AT_FDCWD, root.c_str(), old, 0);

  for (int pass = 0; pass < 2; ++pass) {
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::string> keys;
    keys.reserve(expected.size());
    std::optional<std::string> token;
    int pages = 0;
    do {
      auto page = Sync(store.List("openvidu-meet/recordings/.metadata", 1000, token));
      ASSERT_TRUE(page.ok()) << page.status().ToString();
      ++pages;
      for (auto& o : page->objects) {
        keys.push_back(std::move(o.key));
      }
      token = page->next_token;
    } while (token);
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
            .count();
    std::printf("[ timing ] pass %d (%s cache): %zu keys in %d pages: %.1f ms\n", pass,
                pass == 0 ? "cold" : "warm", keys.size(), pages, ms);
    EXPECT_EQ(pages, 100);
    ASSERT_EQ(keys.size(), expected.size());
    EXPECT_TRUE(keys == expected);
  }

  // One room, first key only: touches one branch of the tree.
  const auto start = std::chrono::steady_clock::now();
  auto first = Sync(store.List("openvidu-meet/recordings/.metadata/R-050", 1, std::nullopt));
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::printf("[ timing ] max_keys=1 room listing: %.3f ms\n", ms);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->objects.size(), 1u);
  EXPECT_EQ(first->objects[0].key, expected[50 * 1000]);
  EXPECT_TRUE(first->next_token.has_value());

  // Resuming mid-room from a token only costs the page.
  auto mid = Sync(store.List("openvidu-meet/recordings/.metadata/R-050", 3,
                              first->next_token));
  ASSERT_TRUE(mid.ok());
  ASSERT_EQ(mid->objects.size(), 3u);
  EXPECT_EQ(mid->objects[0].key, expected[50 * 1000 + 1]);
  EXPECT_EQ(mid->objects[2].key, expected[50 * 1000 + 3]);
}

}  // namespace
}  // namespace mr::storage
