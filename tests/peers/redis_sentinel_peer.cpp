#include "peers/redis_sentinel_peer.hpp"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <thread>

#include "peers/redis_peer.hpp"

namespace mr::test {
namespace {

// Polls `done` every 50 ms for up to `limit`; false if it never held.
bool PollFor(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

}  // namespace

RedisSentinelPeer::RedisSentinelPeer(Options options) : options_(std::move(options)) {
  ports_[0] = FreeLoopbackPort();
  ports_[1] = FreeLoopbackPort();
  sentinel_port_ = FreeLoopbackPort();
  if (ports_[1] == ports_[0] || sentinel_port_ == ports_[0] || sentinel_port_ == ports_[1]) {
    throw std::runtime_error("FreeLoopbackPort returned the same port twice");
  }
  dir_ = std::filesystem::temp_directory_path() /
         ("mr-sentinel-" + std::to_string(::getpid()) + "-" + std::to_string(sentinel_port_));
  std::filesystem::create_directories(dir_);
  data_[0] = StartDataServer(ports_[0], std::nullopt);
  data_[1] = StartDataServer(ports_[1], ports_[0]);
  data_[1]->WaitUntil(
      [this] {
        try {
          auto info = QueryData(ports_[1], {"INFO", "replication"});
          return !info.empty() && info[0].find("master_link_status:up") != std::string::npos;
        } catch (const std::exception&) {
          return false;
        }
      },
      std::chrono::seconds(20), "redis replica (sync with its master)");
  StartSentinel();
}

RedisSentinelPeer::~RedisSentinelPeer() {
  // The sentinel first, so that it does not fail over while the data servers go.
  if (sentinel_) {
    sentinel_->Kill();
  }
  for (auto& d : data_) {
    if (d) {
      d->Kill();
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::unique_ptr<ChildProcess> RedisSentinelPeer::StartDataServer(
    uint16_t port, std::optional<uint16_t> replica_of) {
  const auto dir = dir_ / std::to_string(port);
  std::filesystem::create_directories(dir);
  std::vector<std::string> argv = {"redis-server", "--bind", "127.0.0.1", "--port",
                                   std::to_string(port), "--save", "", "--appendonly", "no",
                                   "--dir", dir.string()};
  if (options_.password) {
    // masterauth on both: after a failover the old master replicates from the new one.
    argv.insert(argv.end(),
                {"--requirepass", *options_.password, "--masterauth", *options_.password});
  }
  if (replica_of) {
    argv.insert(argv.end(), {"--replicaof", "127.0.0.1", std::to_string(*replica_of)});
  }
  auto process = std::make_unique<ChildProcess>(argv, std::map<std::string, std::string>{},
                                                dir_ / ("redis-" + std::to_string(port) + ".log"));
  process->WaitUntil(
      [this, port] {
        try {
          auto r = QueryData(port, {"PING"});
          return !r.empty() && r[0] == "PONG";
        } catch (const std::exception&) {
          return false;
        }
      },
      std::chrono::seconds(20), "redis-server on port " + std::to_string(port));
  return process;
}

void RedisSentinelPeer::StartSentinel() {
  const auto conf = dir_ / "sentinel.conf";
  {
    std::ofstream out(conf);
    const std::string& name = options_.master_name;
    out << "port " << sentinel_port_ << "\n"
        << "bind 127.0.0.1\n"
        << "dir " << dir_.string() << "\n"
        << "requirepass " << options_.sentinel_password << "\n"
        << "sentinel monitor " << name << " 127.0.0.1 " << ports_[0] << " 1\n"
        << "sentinel down-after-milliseconds " << name << " 1000\n"
        << "sentinel failover-timeout " << name << " 5000\n";
    if (options_.password) {
      out << "sentinel auth-pass " << name << " " << *options_.password << "\n";
    }
    if (!out) {
      throw std::runtime_error("cannot write " + conf.string());
    }
  }
  sentinel_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{"redis-server", conf.string(), "--sentinel"},
      std::map<std::string, std::string>{}, dir_ / "sentinel.log");
  // Ready for a failover once it reports the master and sees the replica healthy.
  sentinel_->WaitUntil(
      [this] { return ReportedMasterPort() == ports_[0] && SentinelKnowsReplica(); },
      std::chrono::seconds(20), "redis sentinel (master and replica discovered)");
}

bool RedisSentinelPeer::SentinelKnowsReplica() const {
  try {
    // Flattened "field", "value" pairs of each replica.
    auto r = QuerySentinel({"SENTINEL", "REPLICAS", options_.master_name});
    bool port_seen = false;
    bool healthy = false;
    for (size_t i = 0; i + 1 < r.size(); i += 2) {
      if (r[i] == "port" && r[i + 1] == std::to_string(replica_port())) {
        port_seen = true;
      }
      if (r[i] == "flags" && r[i + 1] == "slave") {
        healthy = true;
      }
    }
    return port_seen && healthy;
  } catch (const std::exception&) {
    return false;
  }
}

std::optional<uint16_t> RedisSentinelPeer::ReportedMasterPort() const {
  try {
    auto r = QuerySentinel({"SENTINEL", "GET-MASTER-ADDR-BY-NAME", options_.master_name});
    if (r.size() != 2) {
      return std::nullopt;
    }
    return static_cast<uint16_t>(std::stoi(r[1]));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

void RedisSentinelPeer::Failover(std::chrono::milliseconds limit) {
  const uint16_t target = replica_port();
  // NOGOODSLAVE while the sentinel's view of the replica is not fresh enough: retry, bounded.
  std::string last;
  const bool started = PollFor(
      [&] {
        try {
          auto r = QuerySentinel({"SENTINEL", "FAILOVER", options_.master_name});
          last = r.empty() ? "" : r[0];
        } catch (const std::exception& e) {
          last = e.what();
        }
        return last == "OK";
      },
      limit);
  if (!started) {
    throw std::runtime_error("SENTINEL FAILOVER refused: " + last + "\n" + Logs());
  }
  WaitForMaster(target, limit);
}

void RedisSentinelPeer::KillMaster() { data_[master_]->Kill(); }

void RedisSentinelPeer::WaitForMaster(uint16_t port, std::chrono::milliseconds limit) {
  if (!PollFor([&] { return ReportedMasterPort() == port; }, limit)) {
    throw std::runtime_error("the sentinel did not report port " + std::to_string(port) +
                             " as master in time\n" + Logs());
  }
  master_ = port == ports_[0] ? 0 : 1;
}

std::vector<std::string> RedisSentinelPeer::QueryData(uint16_t port,
                                                      const std::vector<std::string>& args) const {
  return QueryRedis(port, options_.password, args);
}

std::vector<std::string> RedisSentinelPeer::QuerySentinel(
    const std::vector<std::string>& args) const {
  return QueryRedis(sentinel_port_, options_.sentinel_password, args);
}

std::string RedisSentinelPeer::Role(uint16_t port) const {
  try {
    auto r = QueryData(port, {"ROLE"});
    return r.empty() ? "" : r[0];
  } catch (const std::exception&) {
    return "";
  }
}

std::string RedisSentinelPeer::Logs() const {
  std::string out = "--- sentinel log:\n" + (sentinel_ ? sentinel_->Log() : std::string());
  for (const auto& d : data_) {
    if (d) {
      out += "--- " + d->log_path().filename().string() + ":\n" + d->Log();
    }
  }
  return out;
}

}  // namespace mr::test
