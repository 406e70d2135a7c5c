#pragma once
// Server: the asynchronous HTTP/1.1 server (Boost.Beast over Boost.Asio C++20 coroutines).
//
// Each accepted connection is one coroutine on its own strand of the caller's io_context, which
// any number of threads may run. Nothing ever blocks a worker thread: reading a request, running
// the handler, and writing (or streaming, or sendfile-ing) the response are all awaited, so a slow
// client, a stalled body or a long-running handler costs a suspended coroutine, not a thread.
//
// Per request the server:
//   - parses it with a body limit (`max_body_bytes`; over it: 413 {"error":"Payload Too Large",
//     "message":"Request body too large"} and the connection closes);
//   - answers an unparseable request with 400 {"error":"Bad Request","message":"Malformed request"}
//     and closes the connection;
//   - answers "Expect: 100-continue" itself;
//   - builds a Request (upper-case method, raw target and path, decoded query pairs with '+' as a
//     space, lower-cased header names, body, remote address) and calls the handler once;
//   - turns a handler exception into 500 {"error":"Internal Server Error","message":"Unexpected
//     error"}, logged with mr::log::Error;
//   - writes the Response: a string body with Content-Length (none for 1xx, 204 and 304, which
//     have no body), or a streamed body (see
//     Response::stream in http.hpp) with Content-Length when `stream_length` is set and chunked
//     transfer encoding otherwise. A producer error, an exception in it, or a length mismatch
//     closes the connection (the client sees a truncated body). A HEAD request gets the headers
//     only and its producer is not run;
//   - keeps the connection alive when HTTP/1.1 keep-alive allows it and the handler did not set
//     "Connection: close";
//   - logs method, path without the query, status and duration at debug level. Query strings and
//     headers are never logged: they may carry secrets.
//
// Timeouts (ServerOptions):
//   - header_timeout: from the first byte of a request, its headers and body must arrive within it;
//     it also bounds the wait for the first request of a new connection;
//   - idle_timeout: how long a keep-alive connection may wait for its next request;
//   - write_timeout: the longest any single write (headers, a chunk, a sendfile step) may wait for
//     the client to accept bytes. A client that stops reading is disconnected after it.
//
// Thread safety: Start, BeginShutdown, port and in_flight are safe from any thread; Drain may be
// awaited from any coroutine. The handler is called concurrently from several connections.
// Lifetime: per-connection state is shared with the connection coroutines, so destroying the
// Server while connections are open is safe (they end when their sockets are closed or the
// io_context stops), but the handler must stay valid while any connection runs.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "common/http/http.hpp"
#include "common/async.hpp"
#include "common/status.hpp"

namespace mr::http {

struct ServerOptions {
  std::string bind_address = "127.0.0.1";  // An IPv4 or IPv6 literal.
  uint16_t port = 0;                       // 0 picks a free port; see Server::port().
  size_t max_body_bytes = 1 << 20;         // Larger request bodies get 413.
  std::chrono::seconds header_timeout{30};
  std::chrono::seconds idle_timeout{60};
  std::chrono::seconds write_timeout{60};
};

class Server {
 public:
  Server(asio::io_context& ioc, ServerOptions options, Handler handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds, listens and starts accepting (the io_context must be run for anything to happen).
  // Returns kInvalidArgument for a bad bind address and kUnavailable when binding or listening
  // fails (address in use, permission denied). REQUIRES: called once.
  Status Start();

  // The bound port (the real one when options.port was 0); 0 before a successful Start().
  uint16_t port() const;

  // Stops accepting: when it returns, the listening socket is closed, so new connections are
  // refused. Idle keep-alive connections are closed; a connection with a request in progress
  // finishes that request (its response says "Connection: close") and then closes. Idempotent.
  void BeginShutdown();

  // Calls BeginShutdown, waits until no request is in flight or `deadline` has passed, then
  // force-closes every remaining connection. Returns once connections are gone, or at most about a
  // second after the force-close (a handler that ignores its closed socket cannot be waited for).
  // Polls every 10 ms: shutdown latency, not a hot path.
  Task<void> Drain(std::chrono::milliseconds deadline);

  // Requests whose first byte has arrived and whose response has not been fully written.
  size_t in_flight() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

// Ignores SIGPIPE process-wide, so a peer closing during ::sendfile (or any write) yields EPIPE
// instead of killing the process. Call once at startup, before serving.
void IgnoreSigpipe();

}  // namespace mr::http
