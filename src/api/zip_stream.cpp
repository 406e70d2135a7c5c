#include "api/zip_stream.hpp"

#include <zlib.h>

namespace mr::api {
namespace {

constexpr uint32_t kMax32 = 0xFFFFFFFFu;
constexpr uint16_t kVersionZip64 = 45;
// Bit 3: sizes and CRC follow in a data descriptor. Bit 11: names are UTF-8.
constexpr uint16_t kFlags = (1u << 3) | (1u << 11);
// MS-DOS date/time fields: 1980-01-01 00:00 (the archive does not carry real times).
constexpr uint16_t kDosTime = 0;
constexpr uint16_t kDosDate = (0 << 9) | (1 << 5) | 1;

void Put16(std::string& b, uint16_t v) {
  b.push_back(static_cast<char>(v & 0xFF));
  b.push_back(static_cast<char>(v >> 8));
}
void Put32(std::string& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    b.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  }
}
void Put64(std::string& b, uint64_t v) {
  for (int i = 0; i < 8; ++i) {
    b.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  }
}

}  // namespace

ZipStreamWriter::ZipStreamWriter(http::BodyWriter& out, bool force_zip64)
    : out_(out), force_zip64_(force_zip64) {}

Task<Status> ZipStreamWriter::Emit(std::string bytes) {
  offset_ += bytes.size();
  co_return co_await out_.Write(bytes);
}

Task<Status> ZipStreamWriter::BeginEntry(std::string name, uint64_t size) {
  Entry e;
  e.name = std::move(name);
  e.size = size;
  e.offset = offset_;
  e.zip64 = force_zip64_ || size >= kMax32 || offset_ >= kMax32;
  std::string h;
  Put32(h, 0x04034b50);
  Put16(h, kVersionZip64);
  Put16(h, kFlags);
  Put16(h, 0);  // Stored.
  Put16(h, kDosTime);
  Put16(h, kDosDate);
  Put32(h, 0);  // CRC in the data descriptor.
  Put32(h, e.zip64 ? kMax32 : 0);
  Put32(h, e.zip64 ? kMax32 : 0);
  Put16(h, static_cast<uint16_t>(e.name.size()));
  Put16(h, e.zip64 ? 20 : 0);
  h += e.name;
  if (e.zip64) {
    // The ZIP64 extra field in a local header must carry both sizes (zero: see descriptor).
    Put16(h, 0x0001);
    Put16(h, 16);
    Put64(h, 0);
    Put64(h, 0);
  }
  entries_.push_back(std::move(e));
  in_entry_ = true;
  written_in_entry_ = 0;
  crc_ = static_cast<uint32_t>(crc32(0L, Z_NULL, 0));
  co_return co_await Emit(std::move(h));
}

Task<Status> ZipStreamWriter::WriteData(std::string_view data) {
  crc_ = static_cast<uint32_t>(
      crc32_z(crc_, reinterpret_cast<const Bytef*>(data.data()), data.size()));
  written_in_entry_ += data.size();
  offset_ += data.size();
  co_return co_await out_.Write(data);
}

Task<Status> ZipStreamWriter::EndEntry() {
  Entry& e = entries_.back();
  if (written_in_entry_ != e.size) {
    co_return InternalError("zip entry '" + e.name + "' size changed while streaming");
  }
  e.crc = crc_;
  in_entry_ = false;
  std::string d;
  Put32(d, 0x08074b50);
  Put32(d, e.crc);
  if (e.zip64) {
    Put64(d, e.size);
    Put64(d, e.size);
  } else {
    Put32(d, static_cast<uint32_t>(e.size));
    Put32(d, static_cast<uint32_t>(e.size));
  }
  co_return co_await Emit(std::move(d));
}

Task<Status> ZipStreamWriter::Finish() {
  const uint64_t cd_offset = offset_;
  std::string cd;
  for (const Entry& e : entries_) {
    const bool big_size = e.zip64 || e.size >= kMax32;
    const bool big_offset = e.offset >= kMax32 || force_zip64_;
    std::string extra;
    if (big_size || big_offset) {
      std::string fields;
      if (big_size) {
        Put64(fields, e.size);
        Put64(fields, e.size);
      }
      if (big_offset) {
        Put64(fields, e.offset);
      }
      Put16(extra, 0x0001);
      Put16(extra, static_cast<uint16_t>(fields.size()));
      extra += fields;
    }
    Put32(cd, 0x02014b50);
    Put16(cd, (3 << 8) | kVersionZip64);  // Made by Unix.
    Put16(cd, kVersionZip64);
    Put16(cd, kFlags);
    Put16(cd, 0);
    Put16(cd, kDosTime);
    Put16(cd, kDosDate);
    Put32(cd, e.crc);
    Put32(cd, big_size ? kMax32 : static_cast<uint32_t>(e.size));
    Put32(cd, big_size ? kMax32 : static_cast<uint32_t>(e.size));
    Put16(cd, static_cast<uint16_t>(e.name.size()));
    Put16(cd, static_cast<uint16_t>(extra.size()));
    Put16(cd, 0);  // Comment length.
    Put16(cd, 0);  // Disk number.
    Put16(cd, 0);  // Internal attributes.
    Put32(cd, 0100644u << 16);  // External attributes: a regular file, rw-r--r--.
    Put32(cd, big_offset ? kMax32 : static_cast<uint32_t>(e.offset));
    cd += e.name;
    cd += extra;
  }
  const uint64_t cd_size = cd.size();
  const uint64_t count = entries_.size();
  const bool zip64_end = force_zip64_ || count >= 0xFFFF || cd_offset >= kMax32 || cd_size >= kMax32;
  std::string end;
  if (zip64_end) {
    const uint64_t zip64_eocd_offset = cd_offset + cd_size;
    Put32(end, 0x06064b50);
    Put64(end, 44);
    Put16(end, (3 << 8) | kVersionZip64);
    Put16(end, kVersionZip64);
    Put32(end, 0);
    Put32(end, 0);
    Put64(end, count);
    Put64(end, count);
    Put64(end, cd_size);
    Put64(end, cd_offset);
    Put32(end, 0x07064b50);  // Locator.
    Put32(end, 0);
    Put64(end, zip64_eocd_offset);
    Put32(end, 1);
  }
  Put32(end, 0x06054b50);
  Put16(end, 0);
  Put16(end, 0);
  Put16(end, zip64_end ? 0xFFFF : static_cast<uint16_t>(count));
  Put16(end, zip64_end ? 0xFFFF : static_cast<uint16_t>(count));
  Put32(end, zip64_end ? kMax32 : static_cast<uint32_t>(cd_size));
  Put32(end, zip64_end ? kMax32 : static_cast<uint32_t>(cd_offset));
  Put16(end, 0);
  co_return co_await Emit(cd + end);
}

}  // namespace mr::api
