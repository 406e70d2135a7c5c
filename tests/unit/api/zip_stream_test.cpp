#include "api/zip_stream.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace mr::api {
namespace {

class StringBodyWriter : public http::BodyWriter {
 public:
  Task<Status> Write(std::string_view data) override {
    out.append(data);
    co_return Status::Ok();
  }
  Task<Status> SendFile(int, uint64_t, uint64_t) override {
    co_return InternalError("not used");
  }
  std::string out;
};

std::string BuildZip(bool force_zip64, const std::vector<std::pair<std::string, std::string>>& files) {
  asio::io_context ioc;
  StringBodyWriter w;
  RunTask(ioc, [&]() -> Task<void> {
    ZipStreamWriter zip(w, force_zip64);
    for (const auto& [name, data] : files) {
      EXPECT_TRUE((co_await zip.BeginEntry(name, data.size())).ok());
      // Two chunks, so the CRC is accumulated across writes.
      EXPECT_TRUE((co_await zip.WriteData(std::string_view(data).substr(0, data.size() / 2))).ok());
      EXPECT_TRUE((co_await zip.WriteData(std::string_view(data).substr(data.size() / 2))).ok());
      EXPECT_TRUE((co_await zip.EndEntry()).ok());
    }
    EXPECT_TRUE((co_await zip.Finish()).ok());
  }());
  return w.out;
}

// Python's zipfile is an independent reader: it checks CRCs, sizes and the ZIP64 records.
std::string CheckWithPython(const std::string& zip) {
  auto path = std::filesystem::temp_directory_path() / ("mr-zip-test-" + std::to_string(::getpid()) + ".zip");
  std::ofstream(path, std::ios::binary) << zip;
  std::string cmd = "python3 -c \"import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); "
                    "assert z.testzip() is None; "
                    "print(';'.join(i.filename+':'+str(i.file_size)+':'+str(i.compress_type) "
                    "for i in z.infolist()))\" " + path.string() + " 2>&1";
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  char buf[512];
  while (p && fgets(buf, sizeof buf, p)) {
    out += buf;
  }
  if (p) {
    pclose(p);
  }
  std::filesystem::remove(path);
  return out;
}

TEST(ZipStreamTest, StoredEntriesReadByAnIndependentReader) {
  std::string big(300000, 'x');
  for (size_t i = 0; i < big.size(); ++i) {
    big[i] = static_cast<char>(i * 31 % 251);
  }
  auto zip = BuildZip(false, {{"a--1.mp4", "hello"}, {"b--2.mp4", big}});
  EXPECT_EQ(CheckWithPython(zip), "a--1.mp4:5:0;b--2.mp4:300000:0\n");
}

TEST(ZipStreamTest, Zip64RecordsAreValid) {
  auto zip = BuildZip(true, {{"a.mp4", "hello"}, {"b.mp4", std::string(1000, 'z')}});
  EXPECT_EQ(CheckWithPython(zip), "a.mp4:5:0;b.mp4:1000:0\n");
}

TEST(ZipStreamTest, EmptyArchiveIsValid) {
  auto zip = BuildZip(false, {});
  EXPECT_EQ(zip.size(), 22u);
  EXPECT_EQ(CheckWithPython(zip), "\n");
}

}  // namespace
}  // namespace mr::api
