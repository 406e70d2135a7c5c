#pragma once
// The one asynchronous model of the service: Boost.Asio C++20 coroutines on an io_context.
// Every operation that may wait on I/O (storage, HTTP out, Redis, LiveKit) returns Task<T>.
// g++ 12 needs <utility> before boost/asio/awaitable.hpp (see docs/decisions.md).

#include <optional>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

namespace mr {

namespace asio = boost::asio;

template <typename T>
using Task = asio::awaitable<T>;

// Runs a coroutine to completion on `ioc` from a thread that is not running `ioc` (tests, CLI
// tools). REQUIRES: nobody else runs `ioc` concurrently.
// Asio 1.18's co_spawn needs a default-constructible result, which Result<T> is not, so the
// value travels through an optional.
template <typename T>
T RunTask(asio::io_context& ioc, Task<T> task) {
  std::optional<T> out;
  auto wrapper = [](Task<T> t, std::optional<T>* o) -> Task<void> { o->emplace(co_await std::move(t)); };
  auto fut = asio::co_spawn(ioc, wrapper(std::move(task), &out), asio::use_future);
  ioc.restart();
  ioc.run();
  fut.get();
  return std::move(*out);
}

inline void RunTask(asio::io_context& ioc, Task<void> task) {
  auto fut = asio::co_spawn(ioc, std::move(task), asio::use_future);
  ioc.restart();
  ioc.run();
  fut.get();
}

}  // namespace mr
