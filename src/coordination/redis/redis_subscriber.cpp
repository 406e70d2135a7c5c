#include "coordination/redis/redis_subscriber.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "common/logging.hpp"
#include "coordination/redis/redis_connection.hpp"

namespace mr::coordination::redis {

RedisSubscriber::RedisSubscriber(asio::io_context& ioc, RedisOptions options, std::string channel,
                                 MessageHandler on_message)
    : channel_(std::move(channel)), on_message_(std::move(on_message)) {
  RedisConnection::Hooks hooks;
  // Both run with the connection's lock held; Stop() clears them before this object goes.
  hooks.on_ready = [this](redisAsyncContext* ac) {
    const char* argv[] = {"SUBSCRIBE", channel_.data()};
    const size_t lens[] = {9, channel_.size()};
    // hiredis keeps this callback for the channel and calls it for the confirmation and for
    // every message, then once with a NULL reply when the connection goes.
    redisAsyncCommandArgv(ac, &RedisSubscriber::OnSubscriptionReply, this, 2, argv, lens);
  };
  hooks.on_lost = [this] {
    if (subscribed_.exchange(false)) {
      log::Warn("Redis subscription lost; re-subscribing after reconnect",
                {{"channel", channel_}});
    }
  };
  conn_ = RedisConnection::Make(ioc, std::move(options), "subscription", std::move(hooks));
  conn_->Start();
}

RedisSubscriber::~RedisSubscriber() { Stop(); }

void RedisSubscriber::Stop() {
  conn_->Stop();
  subscribed_ = false;
}

void RedisSubscriber::OnSubscriptionReply(redisAsyncContext* /*ac*/, void* reply, void* privdata) {
  auto* self = static_cast<RedisSubscriber*>(privdata);
  const auto* r = static_cast<const redisReply*>(reply);
  if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements < 3 ||
      r->element[0]->type != REDIS_REPLY_STRING) {
    return;  // NULL: the connection is going; on_lost has been or will be told.
  }
  const std::string kind(r->element[0]->str, r->element[0]->len);
  if (kind == "subscribe") {
    self->subscribed_ = true;
    if (++self->subscriptions_ > 1) {
      log::Info("Redis subscription restored", {{"channel", self->channel_}});
    }
  } else if (kind == "message" && r->element[2]->type == REDIS_REPLY_STRING) {
    self->on_message_(std::string(r->element[2]->str, r->element[2]->len));
  }
}

}  // namespace mr::coordination::redis
