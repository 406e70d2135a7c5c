#pragma once
// BeastHttpClient: the real HttpClient, over Boost.Beast and asio::ssl (OpenSSL).
//
// Supports http:// and https:// URLs with DNS names or IP literals (IPv6 in brackets). HTTPS sends
// SNI for DNS names and, by default, verifies the peer certificate against the system trust store
// and the host name. Redirects are not followed. A TLS connection is closed without a close_notify
// exchange (no response is pending on it by then).
//
// Connection reuse. The service makes many small requests to the same few servers (LiveKit Twirp
// calls, the app's webhook URL), where a TCP (and TLS) handshake per request costs more than the
// request itself. So requests are sent keep-alive (HTTP/1.1) and connections are pooled per
// scheme + host + port:
//   - after a complete HTTP/1.1 response that does not say "Connection: close", whose body was
//     read to the end (no read-until-EOF body, no stray bytes after it), the connection goes back
//     to the pool; after anything else (an error, a timeout, HTTP/1.0, "Connection: close") it
//     is closed;
//   - a Send to the same host takes the most recently returned idle connection, if one is there
//     and has been idle less than `idle_timeout`; it never shares a connection with another
//     request in progress;
//   - at most `max_idle_per_host` idle connections are kept per host (returning one more closes
//     the oldest); idle connections past `idle_timeout` are closed when a Send to their host looks
//     for one and whenever any connection is returned. There is no background sweep: an idle
//     connection to a host never contacted again stays open until the next return or the client
//     is destroyed;
//   - max_idle_per_host = 0 disables reuse: every request says "Connection: close" and gets its
//     own connection, as before pooling.
//
// Retry on a stale connection. A server (or a proxy in front of it) may close an idle connection
// at any time, and the client only notices when it uses it. So a request on a REUSED connection is
// sent once more, on a NEW connection and within the same overall timeout, when either
//   - writing the request failed (EOF, reset, broken pipe), or
//   - reading the response failed with EOF, reset or broken pipe (or TLS truncation) before a
//   single
//     byte of it arrived.
// Never on a fresh connection, never after a timeout and never after any response byte. This is
// the usual keep-alive rule (RFC 9112 section 9.3.1): a server that closes an idle connection
// does so without reading what arrives next, so the request was never processed. Its one risk is
// a server that read the whole request, acted on it and then died (or reset the connection)
// without sending a byte: the request then runs twice. That is acceptable for our callers:
// outgoing webhooks are retried anyway and a retry repeats the same signed bytes, which receivers
// can recognise (see notify/webhook_sender.hpp), and the Twirp calls are idempotent
// (List*, Delete*, StopEgress, UpdateRoomMetadata, ...) or harmless on retry, except
// StartRoomCompositeEgress, which could start a second egress that no record tracks. That needs a
// server failure in the instant between reading the request and answering it, on a reused
// connection; we accept that small risk for the saved handshakes.
//
// The timeout of a request covers everything: the wait for a pooled connection (none; checkout
// never waits), resolve, connect, TLS handshake, write, read, and the one retry.
//
// Thread safety: Send may be called concurrently from any thread. Each connection has its own
// strand of the executor given to the constructor and every operation on it runs there; the pool
// is a mutex-guarded map that hands each idle connection to one request at a time.
// REQUIRES: the client is destroyed before the executor's io_context (pooled sockets belong to
// it); destroying the client closes the idle connections.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "common/async.hpp"
#include "common/http_client.hpp"

namespace mr {

struct BeastHttpClientOptions {
  // Verify the server certificate chain and host name for https. Disable only in tests.
  bool verify_peer = true;
  // Extra PEM file of trusted CAs (tests with a private CA); empty for the system store only.
  std::string ca_file;
  // Replies with a larger body fail with kUnavailable.
  size_t max_response_bytes = 64 << 20;
  // Idle keep-alive connections kept per scheme + host + port; 0 disables connection reuse.
  size_t max_idle_per_host = 32;
  // An idle connection older than this is closed instead of reused. Keeping it below the servers'
  // own keep-alive timeouts makes a server-side close just as a connection is reused rare.
  std::chrono::milliseconds idle_timeout{30000};
};

class BeastHttpClient final : public HttpClient {
 public:
  // Throws std::runtime_error if the TLS context cannot be set up (a startup failure).
  explicit BeastHttpClient(asio::any_io_executor executor, BeastHttpClientOptions options = {});
  // Closes the idle connections. Requests still in flight finish and then close theirs.
  ~BeastHttpClient() override;

  // See HttpClient::Send and the file comment for reuse and the one retry.
  Task<Result<HttpClientResponse>> Send(HttpClientRequest request) override;

  // Idle connections currently pooled, over all hosts.
  size_t IdleConnectionsForTest() const;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

// The parts of an http(s) URL. Exposed for tests.
struct ParsedUrl {
  bool https = false;
  std::string host;  // Without IPv6 brackets.
  uint16_t port = 0;
  std::string target;  // Path and query; "/" when the URL has none.
};

// Parses `url`; kInvalidArgument for anything but a well-formed http(s) URL with a host.
Result<ParsedUrl> ParseHttpUrl(std::string_view url);

}  // namespace mr
