#include "common/beast_http_client.hpp"

#include <openssl/ssl.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <algorithm>
#include <cctype>
#include <chrono>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <unordered_map>
#include <utility>
#include <vector>

namespace mr {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

// co_spawn's completion needs a default-constructible value, which Result<T> is not.
struct Outcome {
  Status status;
  HttpClientResponse response;
  // The exchange ended cleanly and the connection may serve another request.
  bool reusable = false;
  // The request failed on a reused connection in a way that shows the server closed it before
  // it could have seen the request (see the header); it may be sent again on a new connection.
  bool stale_connection = false;
};

Outcome Failure(StatusCode code, std::string message) {
  return Outcome{Status(code, std::move(message)), {}};
}

Outcome NetFailure(const error_code& ec, const std::string& what) {
  if (ec == beast::error::timeout) {
    return Failure(StatusCode::kTimeout, what + ": timed out");
  }
  return Failure(StatusCode::kUnavailable, what + ": " + ec.message());
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

bool IsToken(std::string_view s) {
  if (s.empty()) {
    return false;
  }
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) &&
        std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

bool IsIpLiteral(const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// One connection to a server. Every operation on it runs on its strand (the streams' executor);
// while it is idle in the pool nothing runs on it at all, so closing it from another thread is
// safe: the only handlers that may still be queued for it are beast's cancelled or stale timeout
// waits, which see the cancellation or their stale tick and return without touching the socket.
struct Connection {
  std::unique_ptr<beast::tcp_stream> plain;                   // http
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;  // https

  beast::tcp_stream& Lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }

  void Close() {
    error_code ignored;
    Lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    Lowest().close();
  }
};

using ConnectionPtr = std::shared_ptr<Connection>;

}  // namespace

struct BeastHttpClient::Impl {
  Impl(asio::any_io_executor ex, BeastHttpClientOptions o)
      : executor(std::move(ex)), options(std::move(o)), tls(ssl::context::tls_client) {}

  struct IdleConnection {
    ConnectionPtr connection;
    Clock::time_point since;  // When it was returned.
  };

  // An idle connection of `key` no older than idle_timeout, or nullptr. Closes the expired ones.
  ConnectionPtr Checkout(const std::string& key) {
    if (options.max_idle_per_host == 0) {
      return nullptr;
    }
    const auto now = Clock::now();
    ConnectionPtr found;
    std::vector<ConnectionPtr> expired;
    {
      std::lock_guard<std::mutex> lock(mu);
      auto it = idle.find(key);
      if (it == idle.end()) {
        return nullptr;
      }
      // Newest at the back: it is the least likely to have been closed by the server, and if it
      // has expired, so have all the older ones.
      std::deque<IdleConnection>& list = it->second;
      if (now - list.back().since < options.idle_timeout) {
        found = std::move(list.back().connection);
        list.pop_back();
      } else {
        for (IdleConnection& c : list) {
          expired.push_back(std::move(c.connection));
        }
        list.clear();
      }
      if (list.empty()) {
        idle.erase(it);
      }
    }
    for (const ConnectionPtr& c : expired) {
      c->Close();
    }
    return found;
  }

  // Puts `connection` back into the pool of `key` (or closes it when the pool is full or the
  // client is gone), and closes every expired idle connection of any host.
  // REQUIRES: the connection has no operation in progress.
  void Return(const std::string& key, ConnectionPtr connection) {
    const auto now = Clock::now();
    std::vector<ConnectionPtr> to_close;
    {
      std::lock_guard<std::mutex> lock(mu);
      for (auto it = idle.begin(); it != idle.end();) {
        std::deque<IdleConnection>& list = it->second;
        while (!list.empty() && now - list.front().since >= options.idle_timeout) {
          to_close.push_back(std::move(list.front().connection));
          list.pop_front();
        }
        it = list.empty() ? idle.erase(it) : std::next(it);
      }
      if (closed || options.max_idle_per_host == 0) {
        to_close.push_back(std::move(connection));
      } else {
        std::deque<IdleConnection>& list = idle[key];
        if (list.size() >= options.max_idle_per_host) {
          to_close.push_back(std::move(list.front().connection));
          list.pop_front();
        }
        list.push_back(IdleConnection{std::move(connection), now});
      }
    }
    for (const ConnectionPtr& c : to_close) {
      c->Close();
    }
  }

  // Closes every idle connection; later returns close theirs. Called by ~BeastHttpClient.
  void CloseAll() {
    std::unordered_map<std::string, std::deque<IdleConnection>> all;
    {
      std::lock_guard<std::mutex> lock(mu);
      closed = true;
      all.swap(idle);
    }
    for (auto& [key, list] : all) {
      for (IdleConnection& c : list) {
        c.connection->Close();
      }
    }
  }

  size_t IdleCount() {
    std::lock_guard<std::mutex> lock(mu);
    size_t n = 0;
    for (const auto& [key, list] : idle) {
      n += list.size();
    }
    return n;
  }

  asio::any_io_executor executor;
  const BeastHttpClientOptions options;
  ssl::context tls;  // Only read after construction; OpenSSL's SSL_CTX is safe to share.

  // The pool. Requests on different strands check out and return connections concurrently; the
  // lock is held only to move pointers, never across I/O or a close.
  std::mutex mu;
  // Idle connections per PoolKey, oldest first. guarded by mu.
  std::unordered_map<std::string, std::deque<IdleConnection>> idle;
  bool closed = false;  // The client was destroyed. guarded by mu.
};

namespace {

std::string PoolKey(const ParsedUrl& url) {
  return (url.https ? "https://[" : "http://[") + url.host + "]:" + std::to_string(url.port);
}

bool IsStaleConnectionError(const error_code& ec) {
  return ec == asio::error::eof || ec == bhttp::error::end_of_stream ||
         ec == asio::error::connection_reset || ec == asio::error::connection_aborted ||
         ec == asio::error::broken_pipe || ec == ssl::error::stream_truncated;
}

// Bodies at least this large, delimited by Content-Length, are read straight into the response
// string in reads of up to kDirectReadBytes: Beast's parser reads 64 KiB at a time into its buffer
// and copies from there, one asynchronous operation (with its timeout) per 64 KiB, which made
// relaying S3 media cost ~15 ms of CPU per MiB (docs/benchmarks.md, "Read-ahead").
constexpr uint64_t kDirectBodyMinBytes = 256 * 1024;
constexpr size_t kDirectReadBytes = 1 << 20;

// A 200 or 206 with a Content-Length of at least kDirectBodyMinBytes, not chunked (other statuses,
// e.g. a 304 that announces the length of a body it does not carry, go through the parser).
bool IsLargeLengthDelimitedBody(const bhttp::response_parser<bhttp::string_body>& parser,
                                const std::string& method) {
  const unsigned status = parser.get().result_int();
  return method != "HEAD" && (status == 200 || status == 206) && !parser.chunked() &&
         parser.content_length() && *parser.content_length() >= kDirectBodyMinBytes;
}

// Reads exactly `length` body bytes into `body`: first what the header read left in `buf`, then
// from the stream. `buf` is left holding nothing of this response.
template <typename Stream>
Task<error_code> ReadBodyDirectly(Stream& stream, beast::flat_buffer& buf, uint64_t length,
                                  std::string& body) {
  body.resize(length);
  const size_t buffered = std::min<size_t>(buf.size(), length);
  asio::buffer_copy(asio::buffer(body.data(), buffered), buf.data());
  buf.consume(buffered);
  error_code ec;
  auto up_to_a_mib = [](const error_code& e, size_t) -> size_t {
    return e ? 0 : kDirectReadBytes;
  };
  co_await asio::async_read(stream, asio::buffer(body.data() + buffered, length - buffered),
                            up_to_a_mib, asio::redirect_error(asio::use_awaitable, ec));
  co_return ec;
}

// Writes the request and reads the response on an open connection. `reused`: the connection came
// from the pool, so a failure that shows it was already closed is marked stale_connection.
template <typename Stream>
Task<Outcome> Exchange(Stream& stream, beast::tcp_stream& lowest, Clock::time_point deadline,
                       const HttpClientRequest& req, const ParsedUrl& url, size_t max_body,
                       bool keep_alive, bool reused) {
  bhttp::request<bhttp::string_body> msg;
  msg.version(11);
  msg.method_string(req.method);
  msg.target(url.target);
  std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  if (url.port != (url.https ? 443 : 80)) {
    host += ":" + std::to_string(url.port);
  }
  msg.set(bhttp::field::host, host);
  msg.set(bhttp::field::user_agent, "meet-recorder");
  for (const auto& [name, value] : req.headers) {
    std::string lower = Lower(name);
    if (lower == "host" || lower == "content-length" || lower == "connection" ||
        lower == "transfer-encoding") {
      continue;
    }
    if (lower == "user-agent") {
      msg.erase(bhttp::field::user_agent);
    }
    msg.insert(name, value);
  }
  msg.keep_alive(keep_alive);
  msg.body() = req.body;
  msg.prepare_payload();

  error_code ec;
  lowest.expires_at(deadline);
  co_await bhttp::async_write(stream, msg, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    Outcome out = NetFailure(ec, "sending the request failed");
    // Whatever the server got of a request it closed on, it cannot have answered it.
    out.stale_connection = reused && IsStaleConnectionError(ec);
    co_return out;
  }
  beast::flat_buffer buf;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(max_body);
  if (req.method == "HEAD") {
    parser.skip(true);
  }
  lowest.expires_at(deadline);
  co_await bhttp::async_read_header(stream, buf, parser,
                                    asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    Outcome out = NetFailure(ec, "reading the response failed");
    out.stale_connection =
        reused && !parser.got_some() && buf.size() == 0 && IsStaleConnectionError(ec);
    co_return out;
  }
  std::string body;
  bool body_read = false;
  if (IsLargeLengthDelimitedBody(parser, req.method)) {
    const uint64_t length = *parser.content_length();
    if (length > max_body) {
      co_return Failure(StatusCode::kUnavailable, "reading the response failed: body limit exceeded");
    }
    lowest.expires_at(deadline);
    ec = co_await ReadBodyDirectly(stream, buf, length, body);
    if (ec) {
      co_return NetFailure(ec, "reading the response failed");
    }
    body_read = true;
  } else {
    lowest.expires_at(deadline);
    co_await bhttp::async_read(stream, buf, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      co_return NetFailure(ec, "reading the response failed");
    }
    body = std::move(parser.get().body());
  }
  Outcome out;
  const auto& res = parser.get();
  out.response.status = static_cast<int>(res.result_int());
  for (const auto& field : res) {
    out.response.headers.emplace_back(Lower(field.name_string()), std::string(field.value()));
  }
  // Reusable only when the next response would start exactly at the next byte: HTTP/1.1 without
  // "Connection: close", a body delimited by length or chunking (not by EOF), nothing extra read.
  const bool complete = body_read || (parser.is_done() && !parser.need_eof());
  out.reusable = keep_alive && res.version() == 11 && res.keep_alive() && complete &&
                 buf.size() == 0;
  out.response.body = std::move(body);
  co_return out;
}

// Runs one request on `connection` (on its strand) and then pools or closes the connection.
Task<Outcome> RunOn(std::shared_ptr<BeastHttpClient::Impl> impl, ConnectionPtr connection,
                    std::shared_ptr<const HttpClientRequest> req, ParsedUrl url,
                    Clock::time_point deadline, std::string key, bool reused) {
  const bool keep_alive = impl->options.max_idle_per_host > 0;
  Outcome out;
  if (connection->tls) {
    out = co_await Exchange(*connection->tls, connection->Lowest(), deadline, *req, url,
                            impl->options.max_response_bytes, keep_alive, reused);
  } else {
    out = co_await Exchange(*connection->plain, connection->Lowest(), deadline, *req, url,
                            impl->options.max_response_bytes, keep_alive, reused);
  }
  if (out.reusable) {
    impl->Return(key, std::move(connection));
  } else {
    // An error, a timeout or a server that does not keep the connection: it is never reused.
    connection->Close();
  }
  co_return out;
}

// Opens a new connection (resolve, connect, TLS handshake) on its own strand, which must be the
// executor this coroutine runs on, and runs the request on it.
Task<Outcome> ConnectAndRun(std::shared_ptr<BeastHttpClient::Impl> impl,
                            std::shared_ptr<const HttpClientRequest> req, ParsedUrl url,
                            Clock::time_point deadline, std::string key) {
  auto ex = co_await asio::this_coro::executor;

  // The resolver has no deadline of its own: a timer on this strand cancels it. `done` keeps a
  // timer that fires as the resolve completes from acting afterwards.
  struct Guard {
    bool done = false;
    bool timed_out = false;
  };
  auto guard = std::make_shared<Guard>();
  auto resolver = std::make_shared<tcp::resolver>(ex);
  asio::steady_timer timer(ex);
  timer.expires_at(deadline);
  timer.async_wait([resolver, guard](const error_code& ec) {
    if (!ec && !guard->done) {
      guard->timed_out = true;
      resolver->cancel();
    }
  });
  error_code ec;
  auto endpoints = co_await resolver->async_resolve(url.host, std::to_string(url.port),
                                                    asio::redirect_error(asio::use_awaitable, ec));
  guard->done = true;
  timer.cancel();
  if (guard->timed_out) {
    co_return Failure(StatusCode::kTimeout, "resolving " + url.host + ": timed out");
  }
  if (ec) {
    co_return Failure(StatusCode::kUnavailable, "resolving " + url.host + ": " + ec.message());
  }

  const std::string where = url.host + ":" + std::to_string(url.port);
  auto connection = std::make_shared<Connection>();
  if (url.https) {
    connection->tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(ex, impl->tls);
  } else {
    connection->plain = std::make_unique<beast::tcp_stream>(ex);
  }
  beast::tcp_stream& lowest = connection->Lowest();
  lowest.expires_at(deadline);
  co_await lowest.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    co_return NetFailure(ec, "connecting to " + where);
  }
  lowest.socket().set_option(tcp::no_delay(true), ec);

  if (url.https) {
    auto& tls_stream = *connection->tls;
    if (!IsIpLiteral(url.host)) {
      // SNI: name-based virtual hosts (and most CDNs) need it to pick the certificate.
      if (!SSL_set_tlsext_host_name(tls_stream.native_handle(), url.host.c_str())) {
        connection->Close();
        co_return Failure(StatusCode::kInvalidArgument, "cannot use host name for TLS SNI");
      }
    }
    if (impl->options.verify_peer) {
      tls_stream.set_verify_mode(ssl::verify_peer);
      tls_stream.set_verify_callback(ssl::host_name_verification(url.host));
    } else {
      tls_stream.set_verify_mode(ssl::verify_none);
    }
    lowest.expires_at(deadline);
    co_await tls_stream.async_handshake(ssl::stream_base::client,
                                        asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      connection->Close();
      co_return NetFailure(ec, "TLS handshake with " + where);
    }
  }
  Outcome out = co_await RunOn(impl, std::move(connection), std::move(req), std::move(url),
                               deadline, std::move(key), /*reused=*/false);
  co_return out;
}

}  // namespace

Result<ParsedUrl> ParseHttpUrl(std::string_view url) {
  ParsedUrl out;
  auto bad = [&](const char* why) {
    return Result<ParsedUrl>(InvalidArgumentError(std::string("invalid URL: ") + why));
  };
  size_t sep = url.find("://");
  if (sep == std::string_view::npos) {
    return bad("no scheme");
  }
  std::string scheme = Lower(url.substr(0, sep));
  if (scheme == "http") {
    out.https = false;
  } else if (scheme == "https") {
    out.https = true;
  } else {
    return bad("scheme must be http or https");
  }
  std::string_view rest = url.substr(sep + 3);
  for (char c : rest) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return bad("contains spaces or control characters");
    }
  }
  size_t end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  std::string_view target = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  if (size_t hash = target.find('#'); hash != std::string_view::npos) {
    target = target.substr(0, hash);
  }
  if (authority.find('@') != std::string_view::npos) {
    return bad("user information is not supported");
  }
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return bad("unterminated IPv6 literal");
    }
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return bad("junk after IPv6 literal");
      }
      port_text = after.substr(1);
      if (port_text.empty()) {
        return bad("empty port");
      }
    }
  } else {
    size_t colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) {
        return bad("empty port");
      }
    }
  }
  if (out.host.empty()) {
    return bad("no host");
  }
  if (port_text.empty()) {
    out.port = out.https ? 443 : 80;
  } else {
    if (port_text.size() > 5) {
      return bad("port out of range");
    }
    unsigned value = 0;
    for (char c : port_text) {
      if (c < '0' || c > '9') {
        return bad("port is not a number");
      }
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value == 0 || value > 65535) {
      return bad("port out of range");
    }
    out.port = static_cast<uint16_t>(value);
  }
  if (target.empty()) {
    out.target = "/";
  } else if (target.front() == '?') {
    out.target = "/" + std::string(target);
  } else {
    out.target = std::string(target);
  }
  return out;
}

BeastHttpClient::BeastHttpClient(asio::any_io_executor executor, BeastHttpClientOptions options)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(options))) {
  impl_->tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                         ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                         ssl::context::no_tlsv1_1);
  error_code ec;
  impl_->tls.set_default_verify_paths(ec);
  if (ec) {
    throw std::runtime_error("cannot load the system CA store: " + ec.message());
  }
  if (!impl_->options.ca_file.empty()) {
    impl_->tls.load_verify_file(impl_->options.ca_file, ec);
    if (ec) {
      throw std::runtime_error("cannot load CA file " + impl_->options.ca_file + ": " +
                               ec.message());
    }
  }
}

BeastHttpClient::~BeastHttpClient() {
  // Requests still in flight hold `impl_` and close their connections when they end.
  impl_->CloseAll();
}

size_t BeastHttpClient::IdleConnectionsForTest() const { return impl_->IdleCount(); }

Task<Result<HttpClientResponse>> BeastHttpClient::Send(HttpClientRequest request) {
  Result<ParsedUrl> url = ParseHttpUrl(request.url);
  if (!url.ok()) {
    co_return url.status();
  }
  if (!IsToken(request.method)) {
    co_return InvalidArgumentError("invalid HTTP method '" + request.method + "'");
  }
  for (const auto& [name, value] : request.headers) {
    // A CR or LF in a value would let it inject headers or a second request.
    if (!IsToken(name) || value.find_first_of("\r\n") != std::string::npos) {
      co_return InvalidArgumentError("invalid HTTP header '" + name + "'");
    }
  }
  const auto deadline = Clock::now() + request.timeout;
  const std::string key = PoolKey(*url);
  // Shared with the coroutines below rather than referenced: they run on other strands.
  auto req = std::make_shared<const HttpClientRequest>(std::move(request));

  Outcome out;
  if (ConnectionPtr pooled = impl_->Checkout(key)) {
    // The exchange runs on the connection's own strand, where all its operations (and beast's
    // timeout handlers for them) run, whichever request had it before.
    auto ex = pooled->Lowest().get_executor();
    auto op = asio::co_spawn(ex, RunOn(impl_, std::move(pooled), req, *url, deadline, key, true),
                             asio::use_awaitable);
    out = co_await std::move(op);
    if (!out.stale_connection) {
      if (!out.status.ok()) {
        co_return out.status;
      }
      co_return std::move(out.response);
    }
    // The server had closed the pooled connection: once more on a new one (see the header).
  }
  // A strand per new connection: the resolve timer and the operations it cancels never run at
  // once, whatever thread awaits Send, and the connection keeps the strand if it is pooled.
  auto strand = asio::make_strand(impl_->executor);
  auto op = asio::co_spawn(strand, ConnectAndRun(impl_, req, std::move(*url), deadline, key),
                           asio::use_awaitable);
  out = co_await std::move(op);
  if (!out.status.ok()) {
    co_return out.status;
  }
  co_return std::move(out.response);
}

}  // namespace mr
