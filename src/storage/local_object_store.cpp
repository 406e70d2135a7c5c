#include "storage/local_object_store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <random>
#include <stdexcept>
#include <string_view>
#include <utility>
#include <vector>

#include "common/logging.hpp"
#include "storage/object_key.hpp"

namespace mr::storage {

using recording::ByteRange;
using recording::ListPage;
using recording::LocalFileSpan;
using recording::ObjectInfo;
using recording::ObjectReader;

namespace {

constexpr std::string_view kTmpDirName = ".mr-tmp";
constexpr std::string_view kTokenPrefix = "l1.";
constexpr int kPutAttempts = 100;
constexpr int64_t kRacyWindowNs = 1'000'000'000;
constexpr int64_t kStaleTempSeconds = 3600;
constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

// Owns a file descriptor.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
      Reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { Reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() { return std::exchange(fd_, -1); }
  void Reset() {
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }

 private:
  int fd_ = -1;
};

std::string ErrnoText(int err) {
  char buf[256];
  // GNU strerror_r returns the message pointer (maybe not buf).
  return std::string(strerror_r(err, buf, sizeof(buf)));
}

// Maps an errno to the port's error codes (see the header). `what` names the operation and key.
Status ErrnoStatus(int err, const std::string& what) {
  switch (err) {
    case ENOENT:
      return NotFoundError(what + ": no such object");
    case ENAMETOOLONG:
      return InvalidArgumentError(what + ": a key segment is longer than the filesystem allows");
    case EACCES:
    case EPERM:
    case EROFS:
      return Status(StatusCode::kDestination, "storage refused: " + what + ": " + ErrnoText(err));
    default:
      return UnavailableError(what + ": " + ErrnoText(err));
  }
}

int64_t ToMs(const struct timespec& ts) {
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

int64_t ToNs(const struct timespec& ts) {
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

int64_t NowRealtimeNs() {
  struct timespec ts {};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return ToNs(ts);
}

Status CheckKey(std::string_view key) {
  Status s = ValidateObjectKey(key);
  if (!s.ok()) {
    return s;
  }
  if (key.substr(0, key.find('/')) == kTmpDirName) {
    return InvalidArgumentError("invalid object key: \".mr-tmp\" is reserved");
  }
  return Status::Ok();
}

// Splits a valid key into its segments.
std::vector<std::string_view> Segments(std::string_view key) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    const size_t slash = key.find('/', start);
    if (slash == std::string_view::npos) {
      out.push_back(key.substr(start));
      return out;
    }
    out.push_back(key.substr(start, slash - start));
    start = slash + 1;
  }
}

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string Base64UrlEncode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    out += kB64[(v >> 6) & 63];
    out += kB64[v & 63];
  }
  if (in.size() - i == 1) {
    const uint32_t v = uint8_t(in[i]) << 16;
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
  } else if (in.size() - i == 2) {
    const uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    out += kB64[(v >> 6) & 63];
  }
  return out;
}

std::optional<std::string> Base64UrlDecode(std::string_view in) {
  if (in.size() % 4 == 1) {
    return std::nullopt;
  }
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const char* p = std::strchr(kB64, c);
    if (c == '\0' || p == nullptr) {
      return std::nullopt;
    }
    acc = (acc << 6) | static_cast<uint32_t>(p - kB64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  // Non-canonical encodings (leftover bits set) are not produced by this store.
  if ((acc & ((1u << bits) - 1)) != 0) {
    return std::nullopt;
  }
  return out;
}

// Reads `fd` from `offset` until `len` bytes are read or the file ends.
Result<size_t> PreadFull(int fd, char* buf, size_t len, uint64_t offset, const std::string& what) {
  size_t done = 0;
  while (done < len) {
    const ssize_t n = ::pread(fd, buf + done, len - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return UnavailableError(what + ": " + ErrnoText(errno));
    }
    if (n == 0) {
      break;
    }
    done += static_cast<size_t>(n);
  }
  return done;
}

class LocalObjectReader final : public ObjectReader {
 public:
  LocalObjectReader(UniqueFd fd, uint64_t object_size, uint64_t offset, uint64_t length,
                    std::string what)
      : fd_(std::move(fd)),
        object_size_(object_size),
        start_(offset),
        length_(length),
        next_(offset),
        end_(offset + length),
        what_(std::move(what)) {}

  uint64_t object_size() const override { return object_size_; }

  Task<Result<size_t>> Read(std::span<char> buf) override {
    const uint64_t want = std::min<uint64_t>(buf.size(), end_ - next_);
    if (want == 0) {
      co_return size_t{0};
    }
    Result<size_t> n = PreadFull(fd_.get(), buf.data(), want, next_, what_);
    if (!n.ok()) {
      co_return n;
    }
    // Objects are replaced by rename, never rewritten, so an early end means someone truncated
    // the file behind our back: report it rather than end the stream short and look complete.
    if (*n == 0) {
      co_return UnavailableError(what_ + ": object shrank while being read");
    }
    next_ += *n;
    co_return n;
  }

  std::optional<LocalFileSpan> LocalFile() const override {
    return LocalFileSpan{fd_.get(), start_, length_};
  }

 private:
  UniqueFd fd_;
  uint64_t object_size_;
  uint64_t start_;
  uint64_t length_;
  uint64_t next_;
  uint64_t end_;
  std::string what_;
};

// Result of opening the chain of parent folders of a key.
struct ParentChain {
  std::vector<UniqueFd> fds;  // fds[i] is the folder of segments[0..i]; the root is not included.
  bool missing = false;       // A parent does not exist (or is not a folder).
};

}  // namespace

struct LocalObjectStore::DirListing {
  struct Entry {
    std::string sort_name;  // The name, plus '/' for a folder.
    bool is_dir = false;
    uint64_t size = 0;  // Of an object, when the folder was read.
    int64_t mtime_ms = 0;
    std::string_view name() const {
      return is_dir ? std::string_view(sort_name).substr(0, sort_name.size() - 1)
                    : std::string_view(sort_name);
    }
  };
  int64_t mtime_ns = 0;
  ino_t ino = 0;
  std::vector<Entry> entries;  // Sorted by sort_name, byte-wise.
};

struct LocalObjectStore::ListState {
  std::string_view prefix;
  std::optional<std::string> after;  // List keys strictly after this one.
  size_t want = 0;                   // max_keys + 1, to learn whether more keys follow.
  std::vector<ObjectInfo> out;
  bool done() const { return out.size() >= want; }
};

LocalObjectStore::LocalObjectStore(std::filesystem::path root, LocalObjectStoreOptions options)
    : root_(std::move(root)), options_(options) {
  std::error_code ec;
  std::filesystem::create_directories(root_, ec);
  if (ec) {
    throw std::runtime_error("local storage: cannot create " + root_.string() + ": " +
                             ec.message());
  }
  // The root itself may be a symbolic link chosen by the operator; only what lies inside it is
  // resolved without following links.
  root_fd_ = ::open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root_fd_ < 0) {
    throw std::runtime_error("local storage: cannot open " + root_.string() + ": " +
                             ErrnoText(errno));
  }
  const std::string tmp_name(kTmpDirName);
  if (::mkdirat(root_fd_, tmp_name.c_str(), 0755) != 0 && errno != EEXIST) {
    const int err = errno;
    ::close(root_fd_);
    throw std::runtime_error("local storage: cannot create " + (root_ / tmp_name).string() +
                             ": " + ErrnoText(err));
  }
  tmp_fd_ = ::openat(root_fd_, tmp_name.c_str(), kDirFlags);
  if (tmp_fd_ < 0) {
    const int err = errno;
    ::close(root_fd_);
    throw std::runtime_error("local storage: cannot open " + (root_ / tmp_name).string() + ": " +
                             ErrnoText(err));
  }
  const std::string probe = "probe-" + std::to_string(::getpid()) + "-" +
                            std::to_string(reinterpret_cast<uintptr_t>(this));
  const int fd = ::openat(tmp_fd_, probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int err = errno;
    ::close(tmp_fd_);
    ::close(root_fd_);
    throw std::runtime_error("local storage: " + root_.string() + " is not writable: " +
                             ErrnoText(err));
  }
  ::close(fd);
  ::unlinkat(tmp_fd_, probe.c_str(), 0);
  RemoveStaleTempFiles();
  if (options_.blocking_threads > 0) {
    pool_ = std::make_unique<asio::thread_pool>(options_.blocking_threads);
  }
}

LocalObjectStore::~LocalObjectStore() {
  // join() without stop() lets the calls already queued run to the end (thread_pool's own
  // destructor would stop first and drop them, leaving temporary files and half-done deletes);
  // they use the descriptors closed below.
  if (pool_ != nullptr) {
    pool_->join();
  }
  ::close(tmp_fd_);
  ::close(root_fd_);
}

void LocalObjectStore::RemoveStaleTempFiles() {
  // Only old files are removed: another process sharing the root may be in the middle of a Put.
  UniqueFd fd(::openat(tmp_fd_, ".", kDirFlags));
  if (!fd.valid()) {
    return;
  }
  DIR* dir = ::fdopendir(fd.release());
  if (dir == nullptr) {
    return;
  }
  const int64_t cutoff = NowRealtimeNs() / 1'000'000'000 - kStaleTempSeconds;
  while (struct dirent* e = ::readdir(dir)) {
    if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) {
      continue;
    }
    struct stat st {};
    if (::fstatat(tmp_fd_, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
        st.st_mtim.tv_sec < cutoff) {
      ::unlinkat(tmp_fd_, e->d_name, 0);
    }
  }
  ::closedir(dir);
}

size_t LocalObjectStore::CachedListingsForTest() const {
  std::lock_guard<std::mutex> lock(cache_mu_);
  return cache_.size();
}

// ---------------------------------------------------------------------------------------------
// Put

Status LocalObjectStore::PutSync(const std::string& key, const std::string& body) {
  if (Status s = CheckKey(key); !s.ok()) {
    return s;
  }
  const std::string what = "put " + key;
  static std::atomic<uint64_t> counter{0};
  static const uint64_t salt = std::random_device{}();
  const std::string tmp_name = std::to_string(::getpid()) + "-" + std::to_string(salt) + "-" +
                               std::to_string(counter.fetch_add(1)) + ".tmp";

  UniqueFd file(::openat(tmp_fd_, tmp_name.c_str(),
                         O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644));
  if (!file.valid()) {
    return ErrnoStatus(errno == ENOENT ? EIO : errno, what + " (temporary file)");
  }
  // From here on the temporary file is removed on every failure path.
  struct TmpGuard {
    int dir_fd;
    const std::string& name;
    bool armed = true;
    ~TmpGuard() {
      if (armed) {
        ::unlinkat(dir_fd, name.c_str(), 0);
      }
    }
  } guard{tmp_fd_, tmp_name};

  size_t written = 0;
  while (written < body.size()) {
    const ssize_t n = ::write(file.get(), body.data() + written, body.size() - written);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return ErrnoStatus(errno, what);
    }
    written += static_cast<size_t>(n);
  }
  if (options_.fsync && ::fdatasync(file.get()) != 0) {
    return ErrnoStatus(errno, what);
  }
  if (::close(file.release()) != 0) {
    return ErrnoStatus(errno, what);
  }

  const std::vector<std::string_view> segs = Segments(key);
  const std::string leaf(segs.back());
  for (int attempt = 0; attempt < kPutAttempts; ++attempt) {
    // Open (creating as needed) each parent folder without following symbolic links. A folder
    // that a concurrent DeleteMany removes once it is empty makes mkdirat or renameat fail with
    // ENOENT; the whole walk is then retried.
    UniqueFd parent;
    bool retry = false;
    for (size_t i = 0; i + 1 < segs.size(); ++i) {
      const int at = parent.valid() ? parent.get() : root_fd_;
      const std::string name(segs[i]);
      UniqueFd next(::openat(at, name.c_str(), kDirFlags));
      if (!next.valid() && errno == ENOENT) {
        if (::mkdirat(at, name.c_str(), 0755) != 0 && errno != EEXIST) {
          if (errno == ENOENT) {
            retry = true;
            break;
          }
          return ErrnoStatus(errno, what);
        }
        if (options_.fsync) {
          ::fsync(at);
        }
        next = UniqueFd(::openat(at, name.c_str(), kDirFlags));
        if (!next.valid() && errno == ENOENT) {
          retry = true;
          break;
        }
      }
      if (!next.valid()) {
        // O_DIRECTORY|O_NOFOLLOW reports a symbolic link as ENOTDIR or ELOOP: tell it apart
        // from an object in the way.
        const int err = errno;
        struct stat st {};
        const bool is_link =
            ::fstatat(at, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
        if (err == ENOTDIR && !is_link) {
          return ConflictError(what + ": a parent of the key is an object");
        }
        if (err == ENOTDIR || err == ELOOP) {
          return Status(StatusCode::kDestination,
                        "storage refused: " + what + ": a parent of the key is a symbolic link");
        }
        return ErrnoStatus(err, what);
      }
      parent = std::move(next);
    }
    if (retry) {
      continue;
    }
    const int at = parent.valid() ? parent.get() : root_fd_;
    if (::renameat(tmp_fd_, tmp_name.c_str(), at, leaf.c_str()) != 0) {
      if (errno == ENOENT) {
        continue;
      }
      if (errno == EISDIR || errno == ENOTEMPTY || errno == EEXIST) {
        return ConflictError(what + ": the key is a folder of other objects");
      }
      return ErrnoStatus(errno, what);
    }
    guard.armed = false;
    if (options_.fsync && ::fsync(at) != 0) {
      return ErrnoStatus(errno, what);
    }
    return Status::Ok();
  }
  return UnavailableError(what + ": parent folders kept disappearing (concurrent deletes)");
}

Task<Status> LocalObjectStore::OnBlockingPool(Task<Status> task) {
  if (pool_ == nullptr) {
    co_return co_await std::move(task);
  }
  // co_spawn's completion is dispatched to the executor associated with use_awaitable's handler,
  // which is the executor of the calling coroutine (its io_context or strand), and it keeps work
  // counted on that executor meanwhile, so a caller's io_context.run() does not return while
  // the call is on the pool. The awaitable is built in a named local: g++ 12 mishandles some
  // temporaries inside a co_await expression.
  Task<Status> on_pool =
      asio::co_spawn(pool_->get_executor(), std::move(task), asio::use_awaitable);
  co_return co_await std::move(on_pool);
}

Task<Status> LocalObjectStore::Put(std::string key, std::string body) {
  // The arguments are moved into the frame of the coroutine that runs on the pool, which owns
  // them until PutSync returns (a captureless lambda: nothing refers to the lambda object).
  auto blocking = [](LocalObjectStore* self, std::string k, std::string b) -> Task<Status> {
    co_return self->PutSync(k, b);
  };
  Task<Status> task = blocking(this, std::move(key), std::move(body));
  co_return co_await OnBlockingPool(std::move(task));
}

// ---------------------------------------------------------------------------------------------
// Get, Head, Open

// One openat2(2) call resolves the whole key beneath the root and refuses every symbolic link,
// which is what the segment-by-segment walk below enforces, at a fraction of the syscalls (it is
// on the path of every GET and list page). Any refusal (a link somewhere, an old kernel) falls
// back to the walk, which tells the cases apart.
std::optional<int> LocalObjectStore::OpenBeneathFast(const std::string& key) {
  static std::atomic<bool> unsupported{false};
  if (unsupported.load(std::memory_order_relaxed)) {
    return std::nullopt;
  }
  struct open_how how {};
  how.flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  const long fd = ::syscall(SYS_openat2, root_fd_, key.c_str(), &how, sizeof how);
  if (fd >= 0) {
    return static_cast<int>(fd);
  }
  if (errno == ENOSYS) {
    unsupported.store(true, std::memory_order_relaxed);
  }
  if (errno == ENOENT) {
    return -1;  // Definitely absent: no need to walk.
  }
  return std::nullopt;
}

Result<int> LocalObjectStore::OpenObjectFd(const std::string& key) {
  if (Status s = CheckKey(key); !s.ok()) {
    return s;
  }
  Result<int> opened = -1;
  if (auto fast = OpenBeneathFast(key)) {
    if (*fast < 0) {
      return NotFoundError(key + ": no such object");
    }
    opened = *fast;
  } else {
    opened = OpenByWalk(key);
  }
  if (!opened.ok()) {
    return opened.status();
  }
  UniqueFd fd(*opened);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return ErrnoStatus(errno == ENOENT ? EIO : errno, "stat " + key);
  }
  if (!S_ISREG(st.st_mode)) {
    // A folder (or a device, a fifo) is not an object.
    return NotFoundError(key + ": no such object");
  }
  return fd.release();
}

// Opens the key one segment at a time with O_NOFOLLOW, telling apart a missing key from a
// symbolic link standing in for the object.
Result<int> LocalObjectStore::OpenByWalk(const std::string& key) {
  const std::vector<std::string_view> segs = Segments(key);
  UniqueFd parent;
  for (size_t i = 0; i + 1 < segs.size(); ++i) {
    const std::string name(segs[i]);
    UniqueFd next(::openat(parent.valid() ? parent.get() : root_fd_, name.c_str(), kDirFlags));
    if (!next.valid()) {
      // A parent that is an object or a symbolic link means the key does not exist here.
      if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) {
        return NotFoundError(key + ": no such object");
      }
      return ErrnoStatus(errno, "open " + key);
    }
    parent = std::move(next);
  }
  const std::string leaf(segs.back());
  UniqueFd fd(::openat(parent.valid() ? parent.get() : root_fd_, leaf.c_str(),
                       O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd.valid()) {
    if (errno == ELOOP) {
      return Status(StatusCode::kDestination,
                    "storage refused: open " + key + ": the object is a symbolic link");
    }
    return ErrnoStatus(errno, "open " + key);
  }
  return fd.release();
}

Result<std::string> LocalObjectStore::GetSync(const std::string& key) {
  Result<int> opened = OpenObjectFd(key);
  if (!opened.ok()) {
    return opened.status();
  }
  UniqueFd fd(*opened);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return ErrnoStatus(errno == ENOENT ? EIO : errno, "stat " + key);
  }
  std::string body(static_cast<size_t>(st.st_size), '\0');
  Result<size_t> n = PreadFull(fd.get(), body.data(), body.size(), 0, "get " + key);
  if (!n.ok()) {
    return n.status();
  }
  body.resize(*n);
  return body;
}

Task<Result<std::string>> LocalObjectStore::Get(std::string key) { co_return GetSync(key); }

Result<ObjectInfo> LocalObjectStore::HeadSync(const std::string& key) {
  Result<int> opened = OpenObjectFd(key);
  if (!opened.ok()) {
    return opened.status();
  }
  UniqueFd fd(*opened);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return ErrnoStatus(errno == ENOENT ? EIO : errno, "stat " + key);
  }
  return ObjectInfo{key, static_cast<uint64_t>(st.st_size), ToMs(st.st_mtim)};
}

Task<Result<ObjectInfo>> LocalObjectStore::Head(std::string key) { co_return HeadSync(key); }

Result<std::unique_ptr<ObjectReader>> LocalObjectStore::OpenSync(
    const std::string& key, const std::optional<ByteRange>& range) {
  Result<int> opened = OpenObjectFd(key);
  if (!opened.ok()) {
    return opened.status();
  }
  UniqueFd fd(*opened);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return ErrnoStatus(errno == ENOENT ? EIO : errno, "stat " + key);
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  uint64_t offset = 0;
  uint64_t length = size;
  if (range) {
    if (range->first > range->last || range->last >= size) {
      return Status(StatusCode::kRangeNotSatisfiable,
                    "range " + std::to_string(range->first) + "-" + std::to_string(range->last) +
                        " outside object " + key + " of " + std::to_string(size) + " bytes");
    }
    offset = range->first;
    length = range->length();
  }
  return std::unique_ptr<ObjectReader>(
      std::make_unique<LocalObjectReader>(std::move(fd), size, offset, length, "read " + key));
}

Task<Result<std::unique_ptr<ObjectReader>>> LocalObjectStore::Open(
    std::string key, std::optional<ByteRange> range) {
  co_return OpenSync(key, range);
}

// ---------------------------------------------------------------------------------------------
// DeleteMany

Status LocalObjectStore::DeleteOne(const std::string& key) {
  const std::string what = "delete " + key;
  const std::vector<std::string_view> segs = Segments(key);
  std::vector<UniqueFd> chain;  // chain[i] is the folder segs[0..i].
  for (size_t i = 0; i + 1 < segs.size(); ++i) {
    const std::string name(segs[i]);
    UniqueFd next(::openat(chain.empty() ? root_fd_ : chain.back().get(), name.c_str(), kDirFlags));
    if (!next.valid()) {
      if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) {
        return Status::Ok();  // Missing: nothing to delete.
      }
      return ErrnoStatus(errno, what);
    }
    chain.push_back(std::move(next));
  }
  const int parent = chain.empty() ? root_fd_ : chain.back().get();
  const std::string leaf(segs.back());
  if (::unlinkat(parent, leaf.c_str(), 0) != 0) {
    // EISDIR: the key names a folder, which is not an object.
    if (errno != ENOENT && errno != EISDIR) {
      return ErrnoStatus(errno, what);
    }
  } else if (options_.fsync) {
    ::fsync(parent);
  }
  // Remove the folders left empty, deepest first. ENOTEMPTY (or EEXIST) means another object
  // lives there or a concurrent Put just created the folder: it stays. A Put that had opened a
  // folder we remove fails its rename with ENOENT and retries, so no Put is lost.
  for (size_t i = chain.size(); i-- > 0;) {
    const int at = i == 0 ? root_fd_ : chain[i - 1].get();
    const std::string name(segs[i]);
    if (::unlinkat(at, name.c_str(), AT_REMOVEDIR) != 0) {
      if (errno != ENOTEMPTY && errno != EEXIST && errno != ENOENT && errno != EBUSY) {
        log::Warn("local storage: cannot remove empty folder",
                  {{"key", key}, {"error", ErrnoText(errno)}});
      }
      break;
    }
  }
  return Status::Ok();
}

Status LocalObjectStore::DeleteManySync(const std::vector<std::string>& keys) {
  for (const std::string& key : keys) {
    if (Status s = CheckKey(key); !s.ok()) {
      return s;
    }
  }
  for (const std::string& key : keys) {
    if (Status s = DeleteOne(key); !s.ok()) {
      return s;
    }
  }
  return Status::Ok();
}

Task<Status> LocalObjectStore::DeleteMany(std::vector<std::string> keys) {
  auto blocking = [](LocalObjectStore* self, std::vector<std::string> k) -> Task<Status> {
    co_return self->DeleteManySync(k);
  };
  Task<Status> task = blocking(this, std::move(keys));
  co_return co_await OnBlockingPool(std::move(task));
}

// ---------------------------------------------------------------------------------------------
// List

Result<std::shared_ptr<const LocalObjectStore::DirListing>> LocalObjectStore::Listing(
    int parent_fd, const std::string& name, const std::string& path, int* opened) {
  static const auto kEmpty = std::make_shared<const DirListing>();
  const bool use_cache = options_.listing_cache_max_folders > 0;
  if (use_cache) {
    struct stat st {};
    if (::fstatat(parent_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT || errno == ENOTDIR) {
        return kEmpty;
      }
      return ErrnoStatus(errno, "list folder /" + path);
    }
    if (!S_ISDIR(st.st_mode)) {
      return kEmpty;
    }
    std::lock_guard<std::mutex> lock(cache_mu_);
    auto it = cache_.find(path);
    if (it != cache_.end()) {
      if (it->second->mtime_ns == ToNs(st.st_mtim) && it->second->ino == st.st_ino) {
        return it->second;
      }
      cache_.erase(it);
    }
  }
  // The clock is read before the folder so that a change during the read either shows in the
  // listing or leaves the folder's mtime within the racy window, which keeps it out of the cache.
  const int64_t now_ns = NowRealtimeNs();
  UniqueFd fd(::openat(parent_fd, name.c_str(), kDirFlags));
  if (!fd.valid()) {
    if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) {
      return kEmpty;
    }
    return ErrnoStatus(errno, "list folder /" + path);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return ErrnoStatus(errno == ENOENT ? EIO : errno, "list folder /" + path);
  }
  auto listing = std::make_shared<DirListing>();
  listing->mtime_ns = ToNs(st.st_mtim);
  listing->ino = st.st_ino;
  // Raw getdents64: a DIR* would allocate more and take ownership of the descriptor, which the
  // caller still needs for the folders below.
  alignas(8) char buf[32768];
  while (true) {
    const long n = ::syscall(SYS_getdents64, fd.get(), buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return ErrnoStatus(errno == ENOENT ? EIO : errno, "list folder /" + path);
    }
    if (n == 0) {
      break;
    }
    for (long off = 0; off < n;) {
      struct Dirent64 {
        uint64_t d_ino;
        int64_t d_off;
        unsigned short d_reclen;
        unsigned char d_type;
        char d_name[];
      };
      const auto* e = reinterpret_cast<const Dirent64*>(buf + off);
      off += e->d_reclen;
      const std::string_view entry_name(e->d_name);
      if (entry_name == "." || entry_name == ".." ||
          entry_name.find('\\') != std::string_view::npos) {
        continue;  // A name with a backslash could never be read back through a key.
      }
      if (path.empty() && entry_name == kTmpDirName) {
        continue;
      }
      if (e->d_type == DT_DIR) {
        listing->entries.push_back({std::string(entry_name) + "/", true});
        continue;
      }
      if (e->d_type != DT_REG && e->d_type != DT_UNKNOWN) {
        continue;  // Symbolic links, devices, fifos and sockets are not objects.
      }
      struct stat est {};
      if (::fstatat(fd.get(), e->d_name, &est, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) {
          continue;  // Deleted meanwhile.
        }
        return ErrnoStatus(errno, "list /" + path + std::string(entry_name));
      }
      if (S_ISDIR(est.st_mode)) {
        listing->entries.push_back({std::string(entry_name) + "/", true});
      } else if (S_ISREG(est.st_mode)) {
        listing->entries.push_back({std::string(entry_name), false,
                                    static_cast<uint64_t>(est.st_size), ToMs(est.st_mtim)});
      }
    }
  }
  std::sort(listing->entries.begin(), listing->entries.end(),
            [](const DirListing::Entry& a, const DirListing::Entry& b) {
              return a.sort_name < b.sort_name;
            });
  if (use_cache && now_ns - listing->mtime_ns > kRacyWindowNs) {
    std::lock_guard<std::mutex> lock(cache_mu_);
    if (cache_.size() >= options_.listing_cache_max_folders) {
      cache_.clear();
    }
    cache_[path] = listing;
  }
  *opened = fd.release();
  return std::shared_ptr<const DirListing>(std::move(listing));
}

// Visits the folder `name` inside the folder open as `parent_fd` ("." and root_fd_ for the
// root), whose relative path is `path` ("" or ending in '/'), appending matching objects to
// state.out in key order until state.done(). `constrained` means state.after starts with `path`,
// so only the part of this folder that sorts after it is visited. Invariant: `path` is a prefix
// of state.prefix or state.prefix is a prefix of `path`. The folder is opened only when a folder
// below it must be visited or its listing is not cached.
Status LocalObjectStore::WalkDir(int parent_fd, const std::string& name, std::string& path,
                                 bool constrained, ListState& state) {
  const std::string_view q = state.prefix.size() > path.size()
                                 ? state.prefix.substr(path.size())
                                 : std::string_view();
  const std::string_view t = constrained ? std::string_view(*state.after).substr(path.size())
                                         : std::string_view();
  const size_t q_slash = q.find('/');
  const size_t t_slash = t.find('/');

  UniqueFd self;
  // Returns this folder's descriptor, opening it on first use; -1 (errno set) when it vanished.
  auto self_fd = [&]() -> int {
    if (path.empty()) {
      return root_fd_;
    }
    if (!self.valid()) {
      self = UniqueFd(::openat(parent_fd, name.c_str(), kDirFlags));
    }
    return self.get();
  };
  auto visit_dir = [&](std::string_view child, bool child_constrained) -> Status {
    const int fd = self_fd();
    if (fd < 0) {
      // Removed concurrently, or replaced by a file or a symbolic link: nothing to list.
      if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) {
        return Status::Ok();
      }
      return ErrnoStatus(errno, "list folder /" + path);
    }
    const size_t old_size = path.size();
    path.append(child);
    path.push_back('/');
    Status s = WalkDir(fd, std::string(child), path, child_constrained, state);
    path.resize(old_size);
    return s;
  };

  if (q_slash != std::string_view::npos) {
    // The prefix goes deeper: only the one folder it names can hold matching keys, and it is
    // visited without listing this folder.
    const std::string_view c0 = q.substr(0, q_slash + 1);
    if (path.empty() && c0.substr(0, c0.size() - 1) == kTmpDirName) {
      return Status::Ok();
    }
    bool child_constrained = false;
    if (constrained) {
      if (t.substr(0, c0.size()) == c0) {
        child_constrained = true;
      } else if (t > c0) {
        return Status::Ok();  // Everything in that folder sorts before the token.
      }
    }
    return visit_dir(c0.substr(0, c0.size() - 1), child_constrained);
  }

  int opened = -1;
  Result<std::shared_ptr<const DirListing>> listing =
      Listing(path.empty() ? root_fd_ : parent_fd, path.empty() ? "." : name, path, &opened);
  if (opened >= 0) {
    if (path.empty()) {
      ::close(opened);
    } else {
      self = UniqueFd(opened);
    }
  }
  if (!listing.ok()) {
    return listing.status();
  }
  const std::vector<DirListing::Entry>& entries = (*listing)->entries;
  auto lower = [&](std::string_view v) {
    return std::lower_bound(entries.begin(), entries.end(), v,
                            [](const DirListing::Entry& e, std::string_view x) {
                              return std::string_view(e.sort_name) < x;
                            });
  };
  auto begin = entries.begin();
  auto end = entries.end();
  if (!q.empty()) {
    begin = lower(q);
    end = std::partition_point(begin, entries.end(), [&](const DirListing::Entry& e) {
      return std::string_view(e.sort_name).substr(0, q.size()) == q;
    });
  }
  // With a token, entries before `t_head` hold only keys <= the token (see the header); an entry
  // equal to it is either the token's own object (skipped) or the folder the token lies in
  // (visited constrained).
  std::string_view t_head;
  if (constrained) {
    t_head = t_slash == std::string_view::npos ? t : t.substr(0, t_slash + 1);
    begin = std::max(begin, lower(t_head));
  }
  for (auto it = begin; it != end && !state.done(); ++it) {
    const bool at_token = constrained && it->sort_name == t_head;
    if (it->is_dir) {
      if (Status s = visit_dir(it->name(), at_token); !s.ok()) {
        return s;
      }
      continue;
    }
    if (at_token || path.size() + it->sort_name.size() > kMaxObjectKeyBytes) {
      continue;
    }
    state.out.push_back(ObjectInfo{path + it->sort_name, it->size, it->mtime_ms});
  }
  return Status::Ok();
}

Result<ListPage> LocalObjectStore::ListSync(const std::string& prefix, int max_keys,
                                            const std::optional<std::string>& token) {
  if (max_keys < 1 || max_keys > 1000) {
    return InvalidArgumentError("max_keys must be within 1..1000, got " +
                                std::to_string(max_keys));
  }
  if (prefix.size() > kMaxObjectKeyBytes || prefix.find('\0') != std::string::npos) {
    return InvalidArgumentError("invalid list prefix");
  }
  ListState state;
  state.prefix = prefix;
  state.want = static_cast<size_t>(max_keys) + 1;
  if (token) {
    std::optional<std::string> key;
    if (std::string_view(*token).substr(0, kTokenPrefix.size()) == kTokenPrefix) {
      key = Base64UrlDecode(std::string_view(*token).substr(kTokenPrefix.size()));
    }
    if (!key || !CheckKey(*key).ok()) {
      return InvalidArgumentError("invalid continuation token");
    }
    state.after = std::move(key);
  }
  std::string path;
  if (Status s = WalkDir(root_fd_, ".", path, state.after.has_value(), state); !s.ok()) {
    return s;
  }
  ListPage page;
  if (state.out.size() > static_cast<size_t>(max_keys)) {
    state.out.resize(static_cast<size_t>(max_keys));
    page.next_token = std::string(kTokenPrefix) + Base64UrlEncode(state.out.back().key);
  }
  page.objects = std::move(state.out);
  return page;
}

Task<Result<ListPage>> LocalObjectStore::List(std::string prefix, int max_keys,
                                              std::optional<std::string> token) {
  co_return ListSync(prefix, max_keys, token);
}

}  // namespace mr::storage
