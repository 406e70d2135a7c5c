#pragma once
// RedisPeer: a real `redis-server` on a free 127.0.0.1 port, without persistence (`--save ""`),
// for the Redis back-ends and the fleet tests. Restart() keeps the port, so clients reconnect to
// the same address after an outage; the data is gone, as after a real restart without
// persistence.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "peers/child_process.hpp"

namespace mr::test {

// One command on 127.0.0.1:port over a fresh synchronous connection (after AUTH `password` if
// any), the reply flattened to strings (an integer as its decimal text, nil as "(nil)", an array
// element by element, an error as "ERR ..."). Throws std::runtime_error when unreachable.
std::vector<std::string> QueryRedis(uint16_t port, const std::optional<std::string>& password,
                                    const std::vector<std::string>& args);

class RedisPeer {
 public:
  // With `password`, clients must AUTH (requirepass).
  explicit RedisPeer(std::optional<std::string> password = std::nullopt);
  ~RedisPeer();

  uint16_t port() const { return port_; }
  std::string host() const { return "127.0.0.1"; }
  bool running() const { return process_ != nullptr; }

  void Start();
  void Stop();  // SIGKILL: an outage (no shutdown save either way).
  void Restart() {
    Stop();
    Start();
  }

  // QueryRedis on this server.
  std::vector<std::string> Query(const std::vector<std::string>& args) const {
    return QueryRedis(port_, password_, args);
  }

 private:
  std::optional<std::string> password_;
  uint16_t port_ = 0;
  std::filesystem::path dir_;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace mr::test
