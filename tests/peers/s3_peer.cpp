#include "peers/s3_peer.hpp"

#include <unistd.h>

namespace mr::test {

S3Peer::S3Peer(std::string bucket) : bucket_(std::move(bucket)) {
  port_ = FreeLoopbackPort();
  dir_ = std::filesystem::temp_directory_path() /
         ("mr-s3-" + std::to_string(::getpid()) + "-" + std::to_string(port_));
  std::filesystem::create_directories(dir_ / "data");
  Start();
}

S3Peer::~S3Peer() {
  Stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void S3Peer::Start() {
  if (process_) {
    return;
  }
  // --openssl-legacy-provider: s3rver's continuation tokens use DES (ListObjectsV2 paging).
  std::vector<std::string> argv = {"node", "--openssl-legacy-provider",
                                   std::string(MR_PEERS_DIR) + "/s3rver.mjs",
                                   std::to_string(port_), (dir_ / "data").string(), bucket_};
  process_ = std::make_unique<ChildProcess>(argv, std::map<std::string, std::string>{},
                                            dir_ / "s3rver.log");
  process_->WaitUntil([this] { return PortAcceptsConnections(port_); }, std::chrono::seconds(30),
                      "s3rver");
}

void S3Peer::Stop() {
  if (process_) {
    process_->Kill();
    process_.reset();
  }
}

}  // namespace mr::test
