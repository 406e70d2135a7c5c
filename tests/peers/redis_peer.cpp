#include "peers/redis_peer.hpp"

#include <hiredis/hiredis.h>
#include <unistd.h>

#include <stdexcept>

namespace mr::test {
namespace {

void Flatten(const redisReply* r, std::vector<std::string>& out) {
  switch (r->type) {
    case REDIS_REPLY_NIL:
      out.emplace_back("(nil)");
      break;
    case REDIS_REPLY_INTEGER:
      out.push_back(std::to_string(r->integer));
      break;
    case REDIS_REPLY_ARRAY:
      for (size_t i = 0; i < r->elements; ++i) {
        Flatten(r->element[i], out);
      }
      break;
    default:  // String, status, error.
      out.emplace_back(r->str, r->len);
  }
}

}  // namespace

RedisPeer::RedisPeer(std::optional<std::string> password) : password_(std::move(password)) {
  port_ = FreeLoopbackPort();
  dir_ = std::filesystem::temp_directory_path() /
         ("mr-redis-" + std::to_string(::getpid()) + "-" + std::to_string(port_));
  std::filesystem::create_directories(dir_);
  Start();
}

RedisPeer::~RedisPeer() {
  Stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void RedisPeer::Start() {
  if (process_) {
    return;
  }
  std::vector<std::string> argv = {"redis-server", "--bind", "127.0.0.1", "--port",
                                   std::to_string(port_), "--save", "", "--appendonly", "no",
                                   "--dir", dir_.string()};
  if (password_) {
    argv.insert(argv.end(), {"--requirepass", *password_});
  }
  process_ = std::make_unique<ChildProcess>(argv, std::map<std::string, std::string>{},
                                            dir_ / "redis.log");
  process_->WaitUntil(
      [this] {
        try {
          auto r = Query({"PING"});
          return !r.empty() && r[0] == "PONG";
        } catch (const std::exception&) {
          return false;
        }
      },
      std::chrono::seconds(20), "redis-server");
}

void RedisPeer::Stop() {
  if (process_) {
    process_->Kill();
    process_.reset();
  }
}

std::vector<std::string> QueryRedis(uint16_t port, const std::optional<std::string>& password,
                                    const std::vector<std::string>& args) {
  timeval tv{2, 0};
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port, tv);
  if (c == nullptr || c->err) {
    std::string err = c ? c->errstr : "no context";
    if (c) {
      redisFree(c);
    }
    throw std::runtime_error("redis unreachable on port " + std::to_string(port) + ": " + err);
  }
  redisSetTimeout(c, tv);
  auto run = [c](const std::vector<std::string>& a) {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const auto& s : a) {
      argv.push_back(s.data());
      lens.push_back(s.size());
    }
    return static_cast<redisReply*>(
        redisCommandArgv(c, static_cast<int>(a.size()), argv.data(), lens.data()));
  };
  if (password) {
    if (redisReply* auth = run({"AUTH", *password})) {
      freeReplyObject(auth);
    }
  }
  redisReply* r = run(args);
  if (r == nullptr) {
    std::string err = c->errstr;
    redisFree(c);
    throw std::runtime_error("redis command failed: " + err);
  }
  std::vector<std::string> out;
  Flatten(r, out);
  freeReplyObject(r);
  redisFree(c);
  return out;
}

}  // namespace mr::test
