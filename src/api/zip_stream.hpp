#pragma once
// ZipStreamWriter writes a ZIP archive of stored (uncompressed) entries straight to a BodyWriter,
// one chunk at a time, so a download of many large recordings never holds a file in memory
// (reference §2.3.5). Each entry uses a data descriptor (its CRC is only known after streaming);
// ZIP64 records are emitted when an entry, an offset or the entry count exceeds the classic
// limits, so archives over 4 GiB stay valid.
// Not thread-safe: one producer coroutine.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/http/http.hpp"

namespace mr::api {

class ZipStreamWriter {
 public:
  // `force_zip64` makes every entry use ZIP64 records (tests exercise that path with small files).
  explicit ZipStreamWriter(http::BodyWriter& out, bool force_zip64 = false);

  // Starts an entry named `name` (UTF-8) whose data will be `size` bytes.
  Task<Status> BeginEntry(std::string name, uint64_t size);
  Task<Status> WriteData(std::string_view data);
  // REQUIRES: exactly `size` bytes were written since BeginEntry.
  Task<Status> EndEntry();
  // Writes the central directory. No entry may be added afterwards.
  Task<Status> Finish();

  uint64_t bytes_written() const { return offset_; }

 private:
  struct Entry {
    std::string name;
    uint64_t size = 0;
    uint32_t crc = 0;
    uint64_t offset = 0;
    bool zip64 = false;
  };
  Task<Status> Emit(std::string bytes);

  http::BodyWriter& out_;
  bool force_zip64_;
  std::vector<Entry> entries_;
  uint64_t offset_ = 0;
  uint64_t written_in_entry_ = 0;
  uint32_t crc_ = 0;
  bool in_entry_ = false;
};

}  // namespace mr::api
