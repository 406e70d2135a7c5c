#include "coordination/redis/asio_redis_client.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <mutex>
#include <optional>
#include <string_view>
#include <utility>

#include "common/one_shot.hpp"
#include "common/timers.hpp"
#include "coordination/redis/redis_connection.hpp"

namespace mr::coordination::redis {

// One command from Command() until its result is taken. Completed exactly once, by whichever
// comes first: the reply, the connection's loss, the timeout or Stop().
struct PendingCommand {
  std::vector<std::string> args;
  bool counted = true;  // Counts in RoundTrips() once sent (not Connect()'s PING).
  std::shared_ptr<OneShot> done = OneShot::Make();
  std::mutex mu;
  std::optional<Result<RedisReply>> result;  // Guarded by mu.

  void Complete(Result<RedisReply> r) {
    {
      std::lock_guard lock(mu);
      if (result) {
        return;
      }
      result.emplace(std::move(r));
    }
    done->Set();
  }
  bool finished() {
    std::lock_guard lock(mu);
    return result.has_value();
  }
};

namespace {

// hiredis keeps privdata until it calls back exactly once (a NULL reply when the connection goes).
using OpBox = std::shared_ptr<PendingCommand>;

// Runs inside hiredis, with the connection's mutex held (see RedisConnection).
void OnReply(redisAsyncContext* ac, void* reply, void* privdata) {
  std::unique_ptr<OpBox> box(static_cast<OpBox*>(privdata));
  if (reply == nullptr) {
    (*box)->Complete(UnavailableError("Redis connection lost while a command was in flight"));
    return;
  }
  const auto* r = static_cast<const redisReply*>(reply);
  const bool readonly = r->type == REDIS_REPLY_ERROR &&
                        std::string_view(r->str, r->len).substr(0, 8) == "READONLY";
  (*box)->Complete(ConvertReply(reply));
  if (readonly) {
    // The server was demoted to a replica under us (a failover): reconnect, which re-resolves
    // the master in Sentinel mode. This command keeps its error; callers retry idempotently.
    RedisConnection::DropFromReplyCallback(ac, "the server became a read-only replica");
  }
}

}  // namespace

AsioRedisClient::AsioRedisClient(asio::io_context& ioc, RedisOptions options)
    : ioc_(ioc), options_(std::move(options)) {
  RedisConnection::Hooks hooks;
  // Runs with the connection's mutex held, which also guards waiting_.
  hooks.on_ready = [this](redisAsyncContext* ac) {
    auto waiting = std::move(waiting_);
    waiting_.clear();
    for (const auto& op : waiting) {
      if (!op->finished()) {
        Send(ac, op);
      }
    }
  };
  conn_ = RedisConnection::Make(ioc_, options_, "commands", std::move(hooks));
  conn_->Start();
}

AsioRedisClient::~AsioRedisClient() { Stop(); }

void AsioRedisClient::Stop() {
  if (stopped_.exchange(true)) {
    return;
  }
  conn_->Stop();  // Commands in flight get their NULL reply: kUnavailable.
  std::deque<std::shared_ptr<PendingCommand>> waiting;
  conn_->WithContext([&](redisAsyncContext*) { waiting.swap(waiting_); });
  for (const auto& op : waiting) {
    op->Complete(UnavailableError("Redis client stopped"));
  }
}

bool AsioRedisClient::connected() const { return conn_->ready(); }

uint64_t AsioRedisClient::ConnectsForTest() const { return conn_->ready_count(); }

Task<Status> AsioRedisClient::Connect() {
  std::vector<std::string> ping = {"PING"};
  auto r = co_await Run(std::move(ping), false);
  co_return r.ok() ? Status::Ok() : r.status();
}

Task<Result<RedisReply>> AsioRedisClient::Command(std::vector<std::string> args) {
  co_return co_await Run(std::move(args), true);
}

Task<Result<RedisReply>> AsioRedisClient::Eval(const RedisScript& script,
                                               std::vector<std::string> keys,
                                               std::vector<std::string> args) {
  std::vector<std::string> argv;
  argv.reserve(3 + keys.size() + args.size());
  argv.push_back("EVALSHA");
  argv.push_back(script.sha1);
  argv.push_back(std::to_string(keys.size()));
  std::move(keys.begin(), keys.end(), std::back_inserter(argv));
  std::move(args.begin(), args.end(), std::back_inserter(argv));
  std::vector<std::string> retry = argv;
  auto r = co_await Run(std::move(argv), true);
  if (!r.ok() && r.status().code() == StatusCode::kInternal &&
      r.status().message().rfind("NOSCRIPT", 0) == 0) {
    // Not in the server's script cache (first use, restart, SCRIPT FLUSH): EVAL runs it and
    // caches it, one round trip instead of SCRIPT LOAD + EVALSHA.
    retry[0] = "EVAL";
    retry[1] = script.source;
    r = co_await Run(std::move(retry), true);
  }
  co_return r;
}

Task<Result<RedisReply>> AsioRedisClient::Run(std::vector<std::string> args, bool count) {
  if (args.empty()) {
    co_return InvalidArgumentError("empty Redis command");
  }
  auto op = std::make_shared<PendingCommand>();
  op->args = std::move(args);
  op->counted = count;
  // The timeout covers waiting for a reconnect and the reply itself.
  std::weak_ptr<RedisConnection> weak_conn = conn_;
  const auto timeout = options_.command_timeout;
  const std::string endpoint = DescribeRedisEndpoint(options_);
  auto on_timeout = [op, weak_conn, timeout, endpoint] {
    std::string why;
    if (auto conn = weak_conn.lock(); conn && !conn->ready()) {
      why = conn->last_error();
    }
    std::string msg = "Redis unavailable (" + endpoint + "): ";
    if (why.empty()) {
      msg += "no reply within ";
      msg += std::to_string(timeout.count());
      msg += " ms";
    } else {
      msg += why;
    }
    op->Complete(UnavailableError(std::move(msg)));
  };
  AsioTimers timers(ioc_);
  auto timer = timers.After(timeout, std::move(on_timeout));
  Submit(op);
  co_await op->done->Wait();
  timer->Cancel();
  std::lock_guard lock(op->mu);
  co_return std::move(*op->result);
}

void AsioRedisClient::Submit(const std::shared_ptr<PendingCommand>& op) {
  conn_->WithContext([&](redisAsyncContext* ac) {
    if (stopped_) {
      op->Complete(UnavailableError("Redis client stopped"));
    } else if (ac != nullptr) {
      Send(ac, op);
    } else {
      // Timed-out commands are dropped here now and then, so a long outage does not pile up.
      if (waiting_.size() >= 256) {
        std::erase_if(waiting_, [](const auto& w) { return w->finished(); });
      }
      waiting_.push_back(op);
    }
  });
}

void AsioRedisClient::Send(void* ctx, const std::shared_ptr<PendingCommand>& op) {
  auto* ac = static_cast<redisAsyncContext*>(ctx);
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  argv.reserve(op->args.size());
  lens.reserve(op->args.size());
  for (const auto& a : op->args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* box = new OpBox(op);
  if (redisAsyncCommandArgv(ac, &OnReply, box, static_cast<int>(argv.size()), argv.data(),
                            lens.data()) != REDIS_OK) {
    delete box;
    op->Complete(UnavailableError("Redis connection is closing"));
  } else if (op->counted) {
    ++round_trips_;
  }
}

}  // namespace mr::coordination::redis
