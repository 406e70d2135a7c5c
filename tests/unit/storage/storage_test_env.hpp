#pragma once
// Helpers shared by the storage unit tests: a temporary folder, and synchronous wrappers that
// run one store coroutine on a private io_context.

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <utility>

#include "common/async.hpp"
#include "recording/object_store.hpp"

namespace mr::storage::testing {

// A fresh folder under `base`, else $TMPDIR, else /tmp, removed with its contents on destruction.
class TempDir {
 public:
  explicit TempDir(const char* base = nullptr) {
    if (base == nullptr) {
      base = std::getenv("TMPDIR");
    }
    std::string tmpl = std::string(base != nullptr ? base : "/tmp") + "/mr-storage-XXXXXX";
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

template <typename T>
T Sync(Task<T> task) {
  asio::io_context ioc;
  return RunTask(ioc, std::move(task));
}

// Reads the whole stream of `reader`, in chunks of `chunk` bytes.
inline Result<std::string> ReadAll(recording::ObjectReader& reader, size_t chunk = 3) {
  std::string out;
  std::string buf(chunk, '\0');
  while (true) {
    Result<size_t> n = Sync(reader.Read(std::span<char>(buf.data(), buf.size())));
    if (!n.ok()) {
      return n.status();
    }
    if (*n == 0) {
      return out;
    }
    out.append(buf.data(), *n);
  }
}

}  // namespace mr::storage::testing
