#pragma once
// Drives a hiredis async context from an Asio io_context (hiredis 0.14 ships adapters for
// libevent, libuv, ... but none for Asio). hiredis tells us through its ev hooks whether it wants
// to read or write the socket; we turn each wish into a one-shot async_wait on the fd and call
// redisAsyncHandleRead/Write when it is ready, re-arming while hiredis still wants it (its hooks
// are level-triggered, Asio's waits are one-shot).
//
// Serialisation: every hiredis call on the context, ours and the caller's, happens with `mu`
// held. The adapter's wait handlers take `mu` themselves; the hooks are only ever called from
// inside hiredis, i.e. with `mu` already held. A mutex rather than a strand so that the owner can
// free the context synchronously from any thread (RedisConnection::Stop, destructors), even when
// nobody runs the io_context any more.
// The context's fd is hiredis' to close: the cleanup hook only releases it from Asio.

#include <memory>
#include <mutex>

#include <hiredis/async.h>

#include "common/async.hpp"

namespace mr::coordination::redis {

// Attaches `ac` (fresh from redisAsyncConnect, nothing attached yet) to `ioc`. Returns false if
// something is already attached. REQUIRES: `mu` held.
bool AttachToAsio(redisAsyncContext* ac, asio::io_context& ioc, std::shared_ptr<std::mutex> mu);

}  // namespace mr::coordination::redis
