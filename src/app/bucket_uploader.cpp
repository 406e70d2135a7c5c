#include "app/bucket_uploader.hpp"

#include <fstream>
#include <sstream>

namespace mr::app {

Task<Status> BucketUploader::Upload(std::filesystem::path local_file, std::string key) {
  std::ifstream in(local_file, std::ios::binary);
  if (!in) {
    co_return Status(StatusCode::kInternal, "cannot read " + local_file.string());
  }
  std::ostringstream body;
  body << in.rdbuf();
  if (!in.good() && !in.eof()) {
    co_return Status(StatusCode::kInternal, "cannot read " + local_file.string());
  }
  co_return co_await store_.Put(std::move(key), std::move(body).str());
}

}  // namespace mr::app
