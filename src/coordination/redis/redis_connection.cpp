#include "coordination/redis/redis_connection.hpp"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <string_view>
#include <utility>
#include <vector>

#include "common/logging.hpp"
#include "coordination/redis/hiredis_asio_adapter.hpp"

namespace mr::coordination::redis {

// privdata of a handshake command; the generation tells a reply of an abandoned attempt apart.
struct RedisConnection::HandshakeStep {
  uint64_t generation;
  const char* what;
  bool final;
  bool check_role;  // ROLE: the reply must say "master".
};

namespace {

// ROLE's reply starts with the role: "master", "slave" or "sentinel".
bool SaysMaster(const redisReply* r) {
  return r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
         r->element[0]->type == REDIS_REPLY_STRING &&
         std::string_view(r->element[0]->str, r->element[0]->len) == "master";
}

}  // namespace

std::shared_ptr<RedisConnection> RedisConnection::Make(asio::io_context& ioc, RedisOptions options,
                                                       std::string name, Hooks hooks) {
  return std::make_shared<RedisConnection>(ioc, std::move(options), std::move(name),
                                           std::move(hooks));
}

RedisConnection::RedisConnection(asio::io_context& ioc, RedisOptions options, std::string name,
                                 Hooks hooks)
    : ioc_(ioc),
      options_(std::move(options)),
      name_(std::move(name)),
      timers_(ioc),
      hooks_(std::move(hooks)),
      delay_(options_.reconnect_min_delay) {}

RedisConnection::~RedisConnection() { Stop(); }

void RedisConnection::Start() {
  std::lock_guard lock(*mu_);
  if (started_ || stopped_) {
    return;
  }
  started_ = true;
  ConnectLocked();
}

void RedisConnection::Stop() {
  Hooks dropped;  // Destroyed after the mutex is released.
  std::lock_guard lock(*mu_);
  if (stopped_) {
    return;
  }
  stopped_ = true;
  dropped = std::move(hooks_);
  hooks_ = {};
  if (reconnect_timer_) {
    reconnect_timer_->Cancel();
  }
  if (connect_timeout_timer_) {
    connect_timeout_timer_->Cancel();
  }
  if (resolver_) {
    resolver_->Cancel();  // Its callback captures `this`: it must never run after Stop().
  }
  ready_ = false;
  if (redisAsyncContext* ac = std::exchange(ac_, nullptr)) {
    // Runs every pending callback with a NULL reply: nothing is left waiting.
    redisAsyncFree(ac);
  }
}

void RedisConnection::WithContext(const std::function<void(redisAsyncContext*)>& fn) {
  std::lock_guard lock(*mu_);
  fn(ready_ && !stopped_ ? ac_ : nullptr);
}

std::string RedisConnection::last_error() const {
  std::lock_guard lock(*mu_);
  return last_error_;
}

void RedisConnection::DropFromReplyCallback(const redisAsyncContext* ac, const std::string& why) {
  auto* self = static_cast<RedisConnection*>(ac->data);
  if (self == nullptr || self->stopped_ || self->ac_ != ac) {
    return;
  }
  self->FailLocked(why);
}

Json RedisConnection::EndpointFields() const {
  if (!options_.sentinel_mode()) {
    return {{"connection", name_}, {"host", options_.host}, {"port", options_.port}};
  }
  std::string sentinels;
  for (const auto& s : options_.sentinels) {
    sentinels += (sentinels.empty() ? "" : ",") + s.host + ":" + std::to_string(s.port);
  }
  Json fields = {{"connection", name_},
                 {"master_name", options_.sentinel_master_name},
                 {"sentinels", sentinels}};
  if (!master_.empty()) {
    fields["master"] = master_;
  }
  return fields;
}

void RedisConnection::ConnectLocked() {
  const uint64_t generation = ++generation_;
  if (!options_.sentinel_mode()) {
    ConnectToLocked(options_.host, options_.port, generation);
    return;
  }
  if (resolver_) {
    resolver_->Cancel();
  }
  // Capturing `this` is safe: Stop(), which the destructor runs, cancels the resolver.
  resolver_ = SentinelResolver::Make(
      ioc_, mu_, options_, preferred_sentinel_,
      [this, generation](Result<SentinelResolver::Master> master) {
        OnMasterResolvedLocked(generation, std::move(master));
      });
  resolver_->Start();
}

void RedisConnection::OnMasterResolvedLocked(uint64_t generation,
                                             Result<SentinelResolver::Master> master) {
  if (stopped_ || generation != generation_) {
    return;
  }
  if (!master.ok()) {
    FailLocked(master.status().message());
    return;
  }
  preferred_sentinel_ = master->sentinel_index;
  const std::string endpoint = master->host + ":" + std::to_string(master->port);
  if (endpoint != master_) {
    const auto& s = options_.sentinels[master->sentinel_index];
    log::Info("Redis master resolved by Sentinel",
              {{"connection", name_},
               {"master_name", options_.sentinel_master_name},
               {"master", endpoint},
               {"sentinel", s.host + ":" + std::to_string(s.port)}});
  }
  ConnectToLocked(master->host, master->port, generation);
}

void RedisConnection::ConnectToLocked(const std::string& host, uint16_t port,
                                      uint64_t generation) {
  master_ = host + ":" + std::to_string(port);
  redisAsyncContext* ac = redisAsyncConnect(host.c_str(), port);
  if (ac == nullptr) {
    FailLocked("cannot allocate a Redis context");
    return;
  }
  if (ac->err != 0) {
    std::string why = ac->errstr;
    redisAsyncFree(ac);
    FailLocked(why);
    return;
  }
  ac->data = this;
  redisAsyncSetConnectCallback(ac, &RedisConnection::OnConnect);
  redisAsyncSetDisconnectCallback(ac, &RedisConnection::OnDisconnect);
  AttachToAsio(ac, ioc_, mu_);
  ac_ = ac;

  // The handshake is pipelined behind the connect; the last answer (PING, or ROLE in Sentinel
  // mode) means "ready".
  auto send = [&](std::vector<std::string> args, const char* what, bool final,
                  bool check_role = false) {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const auto& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    auto* step = new HandshakeStep{generation, what, final, check_role};
    if (redisAsyncCommandArgv(ac, &RedisConnection::OnHandshakeReply, step,
                              static_cast<int>(argv.size()), argv.data(),
                              lens.data()) != REDIS_OK) {
      delete step;
    }
  };
  if (!options_.password.empty()) {
    if (options_.username.empty()) {
      send({"AUTH", options_.password}, "AUTH", false);
    } else {
      send({"AUTH", options_.username, options_.password}, "AUTH", false);
    }
  }
  if (options_.db != 0) {
    send({"SELECT", std::to_string(options_.db)}, "SELECT", false);
  }
  if (options_.sentinel_mode()) {
    send({"ROLE"}, "ROLE", true, true);
  } else {
    send({"PING"}, "PING", true);
  }

  std::weak_ptr<RedisConnection> weak = weak_from_this();
  connect_timeout_timer_ = timers_.After(options_.connect_timeout, [weak, generation] {
    auto self = weak.lock();
    if (!self) {
      return;
    }
    std::lock_guard lock(*self->mu_);
    if (!self->stopped_ && self->generation_ == generation && self->ac_ != nullptr &&
        !self->ready_) {
      self->FailLocked("connect timed out");
    }
  });
}

void RedisConnection::OnConnect(const redisAsyncContext* ac, int status) {
  auto* self = static_cast<RedisConnection*>(ac->data);
  if (status == REDIS_OK || self->ac_ != ac) {
    return;
  }
  // hiredis frees the context itself after this callback.
  self->ac_ = nullptr;
  self->FailLocked(ac->errstr);
}

void RedisConnection::OnDisconnect(const redisAsyncContext* ac, int /*status*/) {
  auto* self = static_cast<RedisConnection*>(ac->data);
  if (self->ac_ != ac) {
    return;  // We dropped it ourselves (FailLocked, Stop).
  }
  self->ac_ = nullptr;  // hiredis is freeing it.
  self->FailLocked(ac->err != 0 ? ac->errstr : "connection closed");
}

void RedisConnection::OnHandshakeReply(redisAsyncContext* ac, void* reply, void* privdata) {
  std::unique_ptr<HandshakeStep> step(static_cast<HandshakeStep*>(privdata));
  auto* self = static_cast<RedisConnection*>(ac->data);
  if (reply == nullptr || self->stopped_ || self->ac_ != ac ||
      step->generation != self->generation_) {
    return;  // The context is going away; OnDisconnect or FailLocked deals with it.
  }
  const auto* r = static_cast<const redisReply*>(reply);
  if (r->type == REDIS_REPLY_ERROR) {
    self->FailLocked(std::string(step->what) + " failed: " + std::string(r->str, r->len));
    return;
  }
  if (!step->final) {
    return;
  }
  if (step->check_role && !SaysMaster(r)) {
    self->FailLocked(self->master_ + " is not the master (failover in progress?)");
    return;
  }
  if (self->connect_timeout_timer_) {
    self->connect_timeout_timer_->Cancel();
  }
  self->ready_ = true;
  ++self->ready_count_;
  self->delay_ = self->options_.reconnect_min_delay;
  self->last_error_.clear();
  Json fields = self->EndpointFields();
  if (self->logged_failure_ || self->ready_count_ > 1) {
    log::Info("Redis connection restored", fields);
  } else {
    fields["db"] = self->options_.db;
    log::Info("Redis connected", fields);
  }
  self->logged_failure_ = false;
  if (self->hooks_.on_ready) {
    self->hooks_.on_ready(ac);
  }
}

void RedisConnection::FailLocked(const std::string& why) {
  if (redisAsyncContext* ac = std::exchange(ac_, nullptr)) {
    // Inside a hiredis callback the free is deferred until the callback returns.
    redisAsyncFree(ac);
  }
  if (connect_timeout_timer_) {
    connect_timeout_timer_->Cancel();
  }
  if (resolver_) {
    resolver_->Cancel();  // Not reset: FailLocked may run inside the resolver's own callback.
  }
  last_error_ = why;
  LostLocked();
  if (stopped_) {
    return;
  }
  if (!logged_failure_) {
    logged_failure_ = true;
    Json fields = EndpointFields();
    fields["error"] = why;
    log::Warn("Redis unreachable; reconnecting in the background", fields);
  }
  ScheduleReconnectLocked();
}

void RedisConnection::LostLocked() {
  if (!ready_.exchange(false)) {
    return;
  }
  if (hooks_.on_lost) {
    hooks_.on_lost();
  }
}

void RedisConnection::ScheduleReconnectLocked() {
  const auto delay = delay_;
  delay_ = std::min(delay_ * 2, options_.reconnect_max_delay);
  std::weak_ptr<RedisConnection> weak = weak_from_this();
  reconnect_timer_ = timers_.After(delay, [weak] {
    auto self = weak.lock();
    if (!self) {
      return;
    }
    std::lock_guard lock(*self->mu_);
    if (!self->stopped_ && self->ac_ == nullptr) {
      self->ConnectLocked();
    }
  });
}

Result<RedisReply> ConvertReply(const void* hiredis_reply) {
  const auto* r = static_cast<const redisReply*>(hiredis_reply);
  RedisReply out;
  switch (r->type) {
    case REDIS_REPLY_ERROR:
      return InternalError(std::string(r->str, r->len));
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::kString;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::kStatus;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      out.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) {
        auto element = ConvertReply(r->element[i]);
        if (!element.ok()) {
          // An error inside an array (e.g. EXEC) fails the whole reply: callers never see a
          // half-understood answer.
          return element.status();
        }
        out.elements.push_back(std::move(*element));
      }
      break;
    default:
      out.type = RedisReply::Type::kNil;
  }
  return out;
}

}  // namespace mr::coordination::redis
