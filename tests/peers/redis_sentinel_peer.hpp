#pragma once
// RedisSentinelPeer: a small Redis Sentinel deployment on free 127.0.0.1 ports for the Sentinel
// tests: a master, one replica of it and one sentinel monitoring it (quorum 1,
// down-after-milliseconds 1000, failover-timeout 5000), all `redis-server` processes (the
// sentinel is `redis-server <conf> --sentinel` with its config in a temporary directory, which
// it rewrites on failovers). Without persistence.
//
// The constructor returns once the sentinel reports the master and knows the replica (so a
// failover can start), bounded; it throws std::runtime_error with the relevant log otherwise.
// Failover() and WaitForMaster() are bounded too and throw the same way. Everything is stopped
// (SIGKILL) and the directory removed by the destructor. Create it from the test's main thread
// (ChildProcess' PR_SET_PDEATHSIG). Not thread-safe.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "peers/child_process.hpp"

namespace mr::test {

class RedisSentinelPeer {
 public:
  struct Options {
    std::string master_name = "openvidu";
    std::optional<std::string> password;  // requirepass/masterauth of the data servers.
    std::string sentinel_password = "sentinel-secret";  // requirepass of the sentinel.
  };
  explicit RedisSentinelPeer(Options options);
  RedisSentinelPeer() : RedisSentinelPeer(Options{}) {}
  ~RedisSentinelPeer();
  RedisSentinelPeer(const RedisSentinelPeer&) = delete;
  RedisSentinelPeer& operator=(const RedisSentinelPeer&) = delete;

  std::string host() const { return "127.0.0.1"; }
  uint16_t sentinel_port() const { return sentinel_port_; }
  // The data server the sentinel last reported as master (Failover() and WaitForMaster() update
  // it), and the other one.
  uint16_t master_port() const { return ports_[master_]; }
  uint16_t replica_port() const { return ports_[1 - master_]; }

  // SENTINEL FAILOVER, then waits (up to `limit`) until the sentinel reports the replica as the
  // master. The old master is demoted by the sentinel later (about failover-timeout after).
  void Failover(std::chrono::milliseconds limit = std::chrono::seconds(20));
  // SIGKILL of the current master: the sentinel fails over by itself after
  // down-after-milliseconds; WaitForMaster(replica_port()) waits for it.
  void KillMaster();
  void WaitForMaster(uint16_t port, std::chrono::milliseconds limit = std::chrono::seconds(20));
  // What the sentinel answers to get-master-addr-by-name now (nullopt: nil or unreachable).
  std::optional<uint16_t> ReportedMasterPort() const;

  // One command over a fresh synchronous connection (AUTH first when a password is set), the
  // reply flattened to strings as RedisPeer::Query does. Throws when the server is unreachable.
  std::vector<std::string> QueryData(uint16_t port, const std::vector<std::string>& args) const;
  std::vector<std::string> QuerySentinel(const std::vector<std::string>& args) const;
  // "master" or "slave" (ROLE's first element); "" when unreachable.
  std::string Role(uint16_t port) const;

 private:
  std::unique_ptr<ChildProcess> StartDataServer(uint16_t port, std::optional<uint16_t> replica_of);
  void StartSentinel();
  bool SentinelKnowsReplica() const;
  std::string Logs() const;

  Options options_;
  std::filesystem::path dir_;
  uint16_t ports_[2] = {0, 0};
  uint16_t sentinel_port_ = 0;
  int master_ = 0;  // Index into ports_/data_.
  std::unique_ptr<ChildProcess> data_[2];
  std::unique_ptr<ChildProcess> sentinel_;
};

}  // namespace mr::test
