#include "coordination/redis/sentinel_resolver.hpp"

#include <hiredis/hiredis.h>

#include <utility>

#include "common/parse_int.hpp"
#include "coordination/redis/hiredis_asio_adapter.hpp"

namespace mr::coordination::redis {
namespace {

// privdata of the two commands; only tells them apart (nothing to free).
char kAuth[] = "AUTH";
char kQuery[] = "SENTINEL get-master-addr-by-name";

}  // namespace

std::shared_ptr<SentinelResolver> SentinelResolver::Make(asio::io_context& ioc,
                                                         std::shared_ptr<std::mutex> mu,
                                                         const RedisOptions& options, size_t first,
                                                         Done done) {
  return std::make_shared<SentinelResolver>(ioc, std::move(mu), options, first, std::move(done));
}

SentinelResolver::SentinelResolver(asio::io_context& ioc, std::shared_ptr<std::mutex> mu,
                                   const RedisOptions& options, size_t first, Done done)
    : ioc_(ioc),
      timers_(ioc),
      mu_(std::move(mu)),
      options_(options),
      first_(first % options.sentinels.size()),
      done_(std::move(done)) {}

void SentinelResolver::Start() { TryLocked(); }

void SentinelResolver::Cancel() {
  done_ = nullptr;
  DropContextLocked();
}

const SentinelAddress& SentinelResolver::Current() const {
  return options_.sentinels[(first_ + tried_) % options_.sentinels.size()];
}

std::string SentinelResolver::CurrentEndpoint() const {
  return Current().host + ":" + std::to_string(Current().port);
}

void SentinelResolver::TryLocked() {
  // A sentinel whose context cannot even be created (its name does not resolve) is skipped at
  // once; otherwise one context is left in flight, bounded by connect_timeout.
  while (tried_ < options_.sentinels.size()) {
    redisAsyncContext* ac = redisAsyncConnect(Current().host.c_str(), Current().port);
    if (ac == nullptr || ac->err != 0) {
      failures_.push_back(CurrentEndpoint() + ": " +
                          (ac != nullptr ? ac->errstr : "cannot allocate a Redis context"));
      if (ac != nullptr) {
        redisAsyncFree(ac);
      }
      ++tried_;
      continue;
    }
    ac->data = this;  // Nulled before the context is freed: late callbacks find no one.
    redisAsyncSetConnectCallback(ac, &SentinelResolver::OnConnect);
    redisAsyncSetDisconnectCallback(ac, &SentinelResolver::OnDisconnect);
    AttachToAsio(ac, ioc_, mu_);
    ac_ = ac;
    // Pipelined behind the connect, like the data connection's handshake.
    const std::string& password = options_.sentinel_password;
    const char* auth[] = {"AUTH", password.data()};
    const size_t auth_lens[] = {4, password.size()};
    redisAsyncCommandArgv(ac, &SentinelResolver::OnReply, kAuth, 2, auth, auth_lens);
    const std::string& name = options_.sentinel_master_name;
    const char* query[] = {"SENTINEL", "get-master-addr-by-name", name.data()};
    const size_t query_lens[] = {8, 23, name.size()};
    redisAsyncCommandArgv(ac, &SentinelResolver::OnReply, kQuery, 3, query, query_lens);

    const uint64_t attempt = ++attempt_;
    std::weak_ptr<SentinelResolver> weak = weak_from_this();
    timeout_ = timers_.After(options_.connect_timeout, [weak, attempt] {
      auto self = weak.lock();
      if (!self) {
        return;
      }
      std::lock_guard lock(*self->mu_);
      if (self->done_ && self->attempt_ == attempt && self->ac_ != nullptr) {
        self->SkipLocked("no answer within " +
                         std::to_string(self->options_.connect_timeout.count()) + " ms");
      }
    });
    return;
  }
  std::string why =
      "no sentinel gave the address of master '" + options_.sentinel_master_name + "'";
  for (size_t i = 0; i < failures_.size(); ++i) {
    why += i == 0 ? " (" : "; ";
    why += failures_[i];
  }
  why += ")";
  FinishLocked(UnavailableError(std::move(why)));
}

void SentinelResolver::SkipLocked(const std::string& why) {
  DropContextLocked();
  failures_.push_back(CurrentEndpoint() + ": " + why);
  ++tried_;
  TryLocked();
}

void SentinelResolver::FinishLocked(Result<Master> result) {
  DropContextLocked();
  auto done = std::move(done_);
  done_ = nullptr;
  if (done) {
    done(std::move(result));  // May drop the owner's reference: `this` is not touched after.
  }
}

void SentinelResolver::DropContextLocked() {
  if (timeout_) {
    timeout_->Cancel();
  }
  if (redisAsyncContext* ac = std::exchange(ac_, nullptr)) {
    ac->data = nullptr;
    // Inside one of this context's callbacks the free is deferred until it returns; the pending
    // callbacks then run with a NULL reply and find ac->data null.
    redisAsyncFree(ac);
  }
}

void SentinelResolver::OnConnect(const redisAsyncContext* ac, int status) {
  auto* raw = static_cast<SentinelResolver*>(ac->data);
  if (raw == nullptr || status == REDIS_OK) {
    return;
  }
  auto self = raw->shared_from_this();  // Lives until this callback returns.
  // hiredis frees the context itself after this callback.
  const_cast<redisAsyncContext*>(ac)->data = nullptr;
  self->ac_ = nullptr;
  self->timeout_->Cancel();
  self->failures_.push_back(self->CurrentEndpoint() + ": " + ac->errstr);
  ++self->tried_;
  self->TryLocked();
}

void SentinelResolver::OnDisconnect(const redisAsyncContext* ac, int /*status*/) {
  auto* raw = static_cast<SentinelResolver*>(ac->data);
  if (raw == nullptr) {
    return;  // We dropped it ourselves.
  }
  auto self = raw->shared_from_this();
  const_cast<redisAsyncContext*>(ac)->data = nullptr;  // hiredis is freeing it.
  self->ac_ = nullptr;
  self->SkipLocked(ac->err != 0 ? ac->errstr : "connection closed");
}

void SentinelResolver::OnReply(redisAsyncContext* ac, void* reply, void* privdata) {
  auto* raw = static_cast<SentinelResolver*>(ac->data);
  if (raw == nullptr || reply == nullptr || !raw->done_) {
    return;  // The context is going away; OnDisconnect or DropContextLocked deals with it.
  }
  auto self = raw->shared_from_this();
  const auto* r = static_cast<const redisReply*>(reply);
  if (r->type == REDIS_REPLY_ERROR) {
    self->SkipLocked(std::string(static_cast<const char*>(privdata)) +
                     " failed: " + std::string(r->str, r->len));
    return;
  }
  if (privdata == kQuery) {
    self->OnQueryReplyLocked(r);
  }
}

void SentinelResolver::OnQueryReplyLocked(const void* reply) {
  const auto* r = static_cast<const redisReply*>(reply);
  if (r->type == REDIS_REPLY_NIL) {
    SkipLocked("does not know master '" + options_.sentinel_master_name + "'");
    return;
  }
  if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
      r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_STRING) {
    SkipLocked("unexpected reply to SENTINEL get-master-addr-by-name");
    return;
  }
  Master m;
  m.host.assign(r->element[0]->str, r->element[0]->len);
  const auto port = ParseInt(std::string_view(r->element[1]->str, r->element[1]->len));
  if (m.host.empty() || !port || *port < 1 || *port > 65535) {
    SkipLocked("unexpected master address in its reply");
    return;
  }
  m.port = static_cast<uint16_t>(*port);
  m.sentinel_index = (first_ + tried_) % options_.sentinels.size();
  FinishLocked(std::move(m));
}

}  // namespace mr::coordination::redis
