#pragma once
// LocalObjectStore: the embedded default ObjectStore. A folder mirrors an S3 bucket: the object
// with key "a/b/c.json" is the regular file {root}/a/b/c.json. Folders exist only while they hold
// objects (S3 has no empty folders), so the tree can be copied to or from a bucket as it is.
//
// Keys must pass ValidateObjectKey (storage/object_key.hpp); keys whose first segment is ".mr-tmp"
// are refused too (kInvalidArgument), because {root}/.mr-tmp/ is reserved for the temporary files
// of Put and is never listed. No key can name a path outside the root: paths are resolved one
// segment at a time with O_NOFOLLOW, so a symbolic link planted inside the root is never followed
// (an object behind one does not exist; Get/Head/Open of a key that is itself a symlink are
// refused with kDestination) and listings skip symbolic links and anything that is not a regular
// file or a folder.
//
// A folder can't be an object at the same time: Put("a/b") while "a/b/..." objects exist, or
// Put("a/b/c") while the object "a/b" exists, fails with kConflict (S3 would accept both).
//
// A key segment longer than the filesystem's name limit (255 bytes) is refused with
// kInvalidArgument.
//
// Errors: ENOENT is kNotFound; EACCES, EPERM and EROFS are kDestination ("storage refused: ...");
// ENOSPC, EIO and anything else are kUnavailable with the errno text. An I/O error is never
// reported as kNotFound.
//
// Async model: Put and DeleteMany wait on the disk (fdatasync of the object, fsync of each folder
// they change: milliseconds each), so they run their blocking syscalls on a private pool of
// `blocking_threads` threads: the calling coroutine suspends, its io thread serves other work,
// and many syncs are in flight at once, which lets the filesystem's journal commit them
// together. The coroutine then resumes on its own executor (the io_context or strand it was
// running on), never on a pool thread. Get, Head, List and Open usually hit the page cache and
// run their syscalls inline on the calling thread, completing without suspending. With
// blocking_threads = 0 every method runs inline as well, and the store needs no threads at all.
//
// Listing: List walks only the folders that can hold matching keys, in S3 byte order (a folder
// "d" sorts as "d/", so "a-c" comes before "a/b"). A page continues strictly after the last key
// of the previous page by descending straight along that key's path and binary-searching each
// sorted folder listing, so a page never walks what came before it. Sorted folder listings are
// cached, keyed by relative folder path and validated on every use by the folder's mtime and
// inode (one fstatat per visited folder, relative to its parent's descriptor, so a folder whose
// listing is cached and that holds no sub-folders is never even opened). A listing is cached
// only when its folder's mtime is more than one second old, so that changes made within the
// filesystem's timestamp granularity (Linux uses a coarse clock, up to 10 ms) are never hidden by
// a stale cache ("racy" entries are re-read, as git does for its index). A cached listing keeps
// the size and mtime of each object as they were when the folder was read: Put, DeleteMany and
// anything else that adds, renames or removes a file bumps the folder's mtime, but a program that
// rewrites a file in place does not, and List may then report the old size until the folder
// changes (Head, Get and Open always see the file as it is).
// REQUIRES: a filesystem whose mtime granularity is finer than one second (ext4, xfs, btrfs,
// tmpfs) and a wall clock that is not stepped backwards.
//
// Continuation tokens are "l1." followed by the base64url (no padding) of the last key returned;
// a token that does not decode to a valid key is kInvalidArgument. Keys added or deleted between
// pages are seen or not seen as S3 would: a page holds the keys that exist when it is read and
// sort after the token's key.
//
// Thread safety: every method may be called concurrently from any thread, also from several
// processes sharing the root. Concurrent Puts of one key never leave a torn object: the last
// rename wins. The listing cache is guarded by one mutex held only for lookups and inserts; a pool
// thread shares nothing else with the callers but the store's descriptors (fixed at construction)
// and the arguments of the call it runs. The store may be destroyed while Puts and deletes are on
// the pool: its destructor waits for them to finish, and their callers resume (without touching
// the store) when their executor next runs. REQUIRES: no call starts once destruction began; a
// process forked from the one that created the store does not use it (the pool's threads do not
// exist in the child: a Put there would never complete) unless blocking_threads is 0.

#include <cstddef>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/thread_pool.hpp>

#include "recording/object_store.hpp"

namespace mr::storage {

struct LocalObjectStoreOptions {
  // fsync the object, the new folders and the parent folder on Put (and the parent folder on
  // delete), so a completed Put survives a crash. Tests may turn it off for speed.
  bool fsync = true;
  // At most this many folder listings are cached (about 250 bytes each for a folder holding one
  // object). When full, the cache is emptied and refills as folders are listed again. 0 disables
  // the cache. The default covers about 125 000 recordings (two folders per recording).
  size_t listing_cache_max_folders = 262144;
  // Number of threads that run the blocking syscalls of Put and DeleteMany (see "Async model"),
  // created with the store and joined by its destructor. 16 keeps enough syncs in flight for a
  // journaling filesystem to commit them in groups; threads idle in the kernel cost no CPU.
  // 0 runs them inline on the calling thread, blocking it until the disk is done.
  size_t blocking_threads = 16;
};

class LocalObjectStore final : public recording::ObjectStore {
 public:
  // Opens (creating it and its parents if missing) the folder `root` and its reserved temporary
  // folder {root}/.mr-tmp/, deletes temporary files left there more than an hour ago by a crashed
  // Put, checks that a file can be created, and starts the blocking pool. Throws
  // std::runtime_error when the root is unusable (not a folder, not writable); this is the only
  // exception the store throws.
  explicit LocalObjectStore(std::filesystem::path root, LocalObjectStoreOptions options = {});
  // Waits for the Puts and deletes queued on or running on the blocking pool, joins its threads,
  // then closes the root. REQUIRES: no new call starts meanwhile.
  ~LocalObjectStore() override;

  LocalObjectStore(const LocalObjectStore&) = delete;
  LocalObjectStore& operator=(const LocalObjectStore&) = delete;

  // Writes `body` to a temporary file in {root}/.mr-tmp/, syncs it, creates the parent folders and
  // renames it into place, then syncs the parent folder; runs on the blocking pool. Retries when a
  // concurrent delete removes a parent folder that just became empty. Completes (on the caller's
  // executor) only once the object is durable. Errors: kInvalidArgument, kConflict (see above),
  // kDestination, kUnavailable.
  Task<Status> Put(std::string key, std::string body) override;

  // Reads the whole object. kNotFound when missing (also when the key names a folder).
  Task<Result<std::string>> Get(std::string key) override;

  // Size and modification time (milliseconds since the epoch) of the object.
  Task<Result<recording::ObjectInfo>> Head(std::string key) override;

  // See "Listing" above. REQUIRES: 1 <= max_keys <= 1000 (kInvalidArgument otherwise).
  Task<Result<recording::ListPage>> List(std::string prefix, int max_keys,
                                         std::optional<std::string> token) override;

  // Validates every key first (an invalid key fails the whole call before anything is deleted),
  // then unlinks each object (a missing one is fine) and removes the folders that became empty,
  // up to but not including the root. A folder that a concurrent Put refills is left in place.
  // Runs on the blocking pool, like Put.
  Task<Status> DeleteMany(std::vector<std::string> keys) override;

  // Opens the object, or the inclusive `range` of it, for reading with pread. The reader owns the
  // file descriptor and closes it; its LocalFile() returns {fd, offset, length} for sendfile. The
  // reader keeps reading the object it opened even if a Put replaces it meanwhile. A range with
  // first > last or last >= size is kRangeNotSatisfiable.
  Task<Result<std::unique_ptr<recording::ObjectReader>>> Open(
      std::string key, std::optional<recording::ByteRange> range) override;

  // Number of folder listings currently cached.
  size_t CachedListingsForTest() const;

 private:
  struct DirListing;
  struct ListState;

  Status PutSync(const std::string& key, const std::string& body);
  Result<std::string> GetSync(const std::string& key);
  Result<recording::ObjectInfo> HeadSync(const std::string& key);
  Result<recording::ListPage> ListSync(const std::string& prefix, int max_keys,
                                       const std::optional<std::string>& token);
  Status DeleteManySync(const std::vector<std::string>& keys);
  Result<std::unique_ptr<recording::ObjectReader>> OpenSync(
      const std::string& key, const std::optional<recording::ByteRange>& range);

  // Opens the regular file of `key` read-only, without following symbolic links.
  std::optional<int> OpenBeneathFast(const std::string& key);
  Result<int> OpenObjectFd(const std::string& key);
  Result<int> OpenByWalk(const std::string& key);
  // Deletes one object and the folders it leaves empty.
  Status DeleteOne(const std::string& key);
  // Returns the sorted listing of the folder `name` inside the folder open as `parent_fd` (name
  // "." for the root), whose relative path is `path` ("" or ending in '/'): from the cache when
  // its mtime and inode still match (one fstatat, no open), else read from disk, in which case
  // the folder's descriptor is handed to `*opened`. A folder that vanished, or is not a folder
  // (e.g. a symbolic link), lists as empty.
  Result<std::shared_ptr<const DirListing>> Listing(int parent_fd, const std::string& name,
                                                    const std::string& path, int* opened);
  Status WalkDir(int parent_fd, const std::string& name, std::string& path, bool constrained,
                 ListState& state);
  void RemoveStaleTempFiles();

  // Runs `task` on the blocking pool when there is one (else inline) and resumes on the caller's
  // executor.
  Task<Status> OnBlockingPool(Task<Status> task);

  const std::filesystem::path root_;
  const LocalObjectStoreOptions options_;
  int root_fd_ = -1;  // O_RDONLY|O_DIRECTORY, open for the lifetime of the store.
  int tmp_fd_ = -1;   // {root}/.mr-tmp/, open for the lifetime of the store.

  mutable std::mutex cache_mu_;
  // Relative folder path ("" or "a/b/") → its sorted listing. Guarded by cache_mu_.
  std::unordered_map<std::string, std::shared_ptr<const DirListing>> cache_;

  // Threads for the blocking calls; null when options_.blocking_threads is 0. Declared last so
  // that it is destroyed first, but the destructor joins it explicitly before closing anything.
  std::unique_ptr<asio::thread_pool> pool_;
};

}  // namespace mr::storage
