#pragma once
// S3Peer: a real S3-protocol server on a free 127.0.0.1 port (npm @20minutes/s3rver, started by
// tests/peers/s3rver.mjs; it verifies Signature V4 but not the payload hash). One bucket; the
// credentials are s3rver's built-in pair. Needs `npm ci` in tests/peers (scripts/test.sh does it).

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "peers/child_process.hpp"

namespace mr::test {

class S3Peer {
 public:
  static constexpr const char* kAccessKey = "S3RVER";
  static constexpr const char* kSecretKey = "S3RVER";
  static constexpr const char* kRegion = "us-east-1";

  explicit S3Peer(std::string bucket = "openvidu-appdata");
  ~S3Peer();

  uint16_t port() const { return port_; }
  const std::string& bucket() const { return bucket_; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // Where s3rver keeps its files (for assertions that bypass the protocol).
  const std::filesystem::path& directory() const { return dir_; }

  void Start();
  void Stop();  // SIGKILL; the files stay, so Start() serves the same bucket again.

 private:
  std::string bucket_;
  uint16_t port_ = 0;
  std::filesystem::path dir_;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace mr::test
