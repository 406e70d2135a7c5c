#include "common/http/server.hpp"

#include <signal.h>
#include <sys/sendfile.h>
#include <sys/types.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "common/logging.hpp"

namespace mr::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

constexpr size_t kHeaderLimit = 16 * 1024;  // Node's default --max-http-header-size.
constexpr uint64_t kSendfileYieldBytes = 8 << 20;
constexpr size_t kLingerMaxBytes = 4 << 20;

// One accepted connection. Every field except `remote_address` is touched only on the
// connection's strand (the executor of `stream`): by its session coroutine and by the closures
// BeginShutdown/Drain post there.
struct Connection {
  Connection(tcp::socket s, std::string remote)
      : stream(std::move(s)), remote_address(std::move(remote)) {}
  beast::tcp_stream stream;
  const std::string remote_address;
  bool busy = false;     // A request is being read, handled or answered.
  bool closing = false;  // Shutdown began: answer the current request, then close.
};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && Lower(a) == Lower(b);
}

std::string Hex(uint64_t n) {
  char buf[32];
  int len = std::snprintf(buf, sizeof(buf), "%llx", static_cast<unsigned long long>(n));
  return std::string(buf, static_cast<size_t>(len));
}

void ParseQuery(std::string_view query, Request& req) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view piece = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (piece.empty()) {
      continue;
    }
    size_t eq = piece.find('=');
    std::string_view key = piece.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1);
    // Like Express's qs, a component that cannot be decoded is kept as received.
    std::string k = PercentDecode(key, true).value_or(std::string(key));
    std::string v = PercentDecode(value, true).value_or(std::string(value));
    req.query.emplace_back(std::move(k), std::move(v));
  }
}

Request BuildRequest(const bhttp::request<bhttp::string_body>& msg, const Connection& c) {
  Request req;
  std::string_view method = msg.method_string();
  for (char ch : method) {
    req.method.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(ch))));
  }
  req.target = std::string(msg.target());
  std::string_view target = req.target;
  size_t q = target.find('?');
  req.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) {
    ParseQuery(target.substr(q + 1), req);
  }
  for (const auto& field : msg) {
    req.headers.emplace_back(Lower(field.name_string()), std::string(field.value()));
  }
  req.body = msg.body();
  req.remote_address = c.remote_address;
  return req;
}

// Copies handler headers, leaving the framing ones to the server.
template <typename Message>
bool CopyHeaders(const HeaderList& headers, Message& out) {
  bool close_requested = false;
  for (const auto& [name, value] : headers) {
    if (IEquals(name, "content-length") || IEquals(name, "transfer-encoding")) {
      continue;
    }
    if (IEquals(name, "connection")) {
      close_requested = close_requested || IEquals(value, "close");
      continue;
    }
    out.insert(name, value);
  }
  return close_requested;
}

bool IsHttpParseError(const error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
         ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
}

// The BodyWriter of one streamed response. Lives in the session coroutine; all calls happen on
// the connection's strand.
class StreamWriter final : public BodyWriter {
 public:
  StreamWriter(std::shared_ptr<Connection> c, std::chrono::seconds write_timeout, bool chunked,
               std::optional<uint64_t> length)
      : c_(std::move(c)), write_timeout_(write_timeout), chunked_(chunked), length_(length) {}

  uint64_t written() const { return written_; }
  bool failed() const { return failed_; }

  Task<Status> Write(std::string_view data) override {
    if (Status st = Admit(data.size()); !st.ok()) {
      co_return st;
    }
    if (data.empty()) {
      co_return Status::Ok();  // An empty chunk would terminate a chunked body.
    }
    error_code ec;
    c_->stream.expires_after(write_timeout_);
    if (chunked_) {
      std::string head = Hex(data.size()) + "\r\n";
      std::array<asio::const_buffer, 3> bufs{asio::buffer(head), asio::buffer(data),
                                             asio::buffer("\r\n", 2)};
      co_await asio::async_write(c_->stream, bufs, asio::redirect_error(asio::use_awaitable, ec));
    } else {
      co_await asio::async_write(c_->stream, asio::buffer(data),
                                 asio::redirect_error(asio::use_awaitable, ec));
    }
    if (ec) {
      co_return Fail("writing to the client failed: " + ec.message());
    }
    written_ += data.size();
    co_return Status::Ok();
  }

  Task<Status> SendFile(int fd, uint64_t offset, uint64_t length) override {
    if (Status st = Admit(length); !st.ok()) {
      co_return st;
    }
    if (length == 0) {
      co_return Status::Ok();
    }
    if (chunked_) {
      if (Status st = co_await WriteRaw(Hex(length) + "\r\n"); !st.ok()) {
        co_return st;
      }
    }
    if (Status st = co_await SendFileRaw(fd, offset, length); !st.ok()) {
      co_return st;
    }
    if (chunked_) {
      if (Status st = co_await WriteRaw("\r\n"); !st.ok()) {
        co_return st;
      }
    }
    written_ += length;
    co_return Status::Ok();
  }

  Task<Status> Finish() {
    if (failed_) {
      co_return Status(StatusCode::kInternal, "stream failed");
    }
    if (chunked_) {
      co_return co_await WriteRaw("0\r\n\r\n");
    }
    if (length_ && written_ != *length_) {
      co_return Fail("producer wrote " + std::to_string(written_) + " of " +
                     std::to_string(*length_) + " bytes");
    }
    co_return Status::Ok();
  }

 private:
  Status Admit(uint64_t n) {
    if (failed_) {
      return Status(StatusCode::kInternal, "stream already failed");
    }
    if (length_ && written_ + n > *length_) {
      return Fail("producer wrote more than stream_length");
    }
    return Status::Ok();
  }

  Status Fail(std::string message) {
    failed_ = true;
    return Status(StatusCode::kUnavailable, std::move(message));
  }

  Task<Status> WriteRaw(std::string data) {
    error_code ec;
    c_->stream.expires_after(write_timeout_);
    co_await asio::async_write(c_->stream, asio::buffer(data),
                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      co_return Fail("writing to the client failed: " + ec.message());
    }
    co_return Status::Ok();
  }

  // Waits until the socket accepts more bytes, at most write_timeout_. tcp_stream's own timer
  // covers only its read/write operations, so this arms a separate one that cancels the wait. The
  // `done` flag stops a timer that fired just as the wait completed from cancelling a later wait.
  Task<error_code> WaitWritable() {
    struct Guard {
      bool done = false;
      bool timed_out = false;
    };
    auto guard = std::make_shared<Guard>();
    asio::steady_timer timer(c_->stream.get_executor());
    timer.expires_after(write_timeout_);
    timer.async_wait([c = c_, guard](const error_code& ec) {
      if (!ec && !guard->done) {
        guard->timed_out = true;
        error_code ignored;
        c->stream.socket().cancel(ignored);
      }
    });
    error_code ec;
    co_await c_->stream.socket().async_wait(tcp::socket::wait_write,
                                            asio::redirect_error(asio::use_awaitable, ec));
    guard->done = true;
    timer.cancel();
    if (guard->timed_out) {
      co_return beast::error::timeout;
    }
    co_return ec;
  }

  Task<Status> SendFileRaw(int fd, uint64_t offset, uint64_t length) {
    tcp::socket& sock = c_->stream.socket();
    error_code ec;
    if (!sock.native_non_blocking()) {
      sock.native_non_blocking(true, ec);
      if (ec) {
        co_return Fail("cannot make the socket non-blocking: " + ec.message());
      }
    }
    off_t off = static_cast<off_t>(offset);
    uint64_t remaining = length;
    uint64_t since_yield = 0;
    while (remaining > 0) {
      // Re-read the descriptor each time: a force-close on this strand sets it to -1.
      size_t want = static_cast<size_t>(std::min<uint64_t>(remaining, 1u << 30));
      ssize_t n = ::sendfile(sock.native_handle(), fd, &off, want);
      if (n > 0) {
        remaining -= static_cast<uint64_t>(n);
        since_yield += static_cast<uint64_t>(n);
        if (since_yield >= kSendfileYieldBytes && remaining > 0) {
          // A fast reader never makes sendfile return EAGAIN; yield so other connections on this
          // thread get their turn.
          since_yield = 0;
          co_await asio::post(c_->stream.get_executor(), asio::use_awaitable);
        }
        continue;
      }
      if (n == 0) {
        co_return Fail("file ended before the requested range");
      }
      int err = errno;
      if (err == EINTR) {
        continue;
      }
      if (err == EAGAIN || err == EWOULDBLOCK) {
        since_yield = 0;
        error_code wait_ec = co_await WaitWritable();
        if (wait_ec) {
          co_return Fail("waiting for the client failed: " + wait_ec.message());
        }
        continue;
      }
      co_return Fail(std::string("sendfile failed: ") + std::strerror(err));
    }
    co_return Status::Ok();
  }

  std::shared_ptr<Connection> c_;
  std::chrono::seconds write_timeout_;
  bool chunked_;
  std::optional<uint64_t> length_;
  uint64_t written_ = 0;
  bool failed_ = false;
};

}  // namespace

struct Server::State {
  State(asio::io_context& ioc_in, ServerOptions options_in, Handler handler_in)
      : ioc(ioc_in),
        options(std::move(options_in)),
        handler(std::move(handler_in)),
        acceptor(ioc_in),
        accept_retry(ioc_in) {}

  asio::io_context& ioc;
  const ServerOptions options;
  const Handler handler;
  std::atomic<uint16_t> port{0};
  std::atomic<size_t> in_flight{0};

  std::mutex mu;
  // Initiating an accept and closing the acceptor both happen under mu, so BeginShutdown can
  // close it synchronously from any thread.
  tcp::acceptor acceptor;                                        // guarded by mu
  asio::steady_timer accept_retry;                               // guarded by mu
  bool stopped = false;                                          // guarded by mu
  std::map<Connection*, std::weak_ptr<Connection>> connections;  // guarded by mu
};

namespace {

using State = Server::State;

void DoAccept(const std::shared_ptr<State>& s);

void PostToAll(const std::shared_ptr<State>& s, std::function<void(Connection&)> fn) {
  std::vector<std::shared_ptr<Connection>> live;
  {
    std::lock_guard<std::mutex> lock(s->mu);
    for (auto& [ptr, weak] : s->connections) {
      if (auto c = weak.lock()) {
        live.push_back(std::move(c));
      }
    }
  }
  for (auto& c : live) {
    asio::post(c->stream.get_executor(), [c, fn] { fn(*c); });
  }
}

void CloseNow(Connection& c) {
  error_code ignored;
  c.stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  c.stream.close();
}

// After an error response the client may still be sending a body we will not read. Closing with
// unread data makes the kernel send RST, which can destroy our response before the client reads
// it, so stop sending, then read and discard for a short while.
Task<void> LingeringClose(State& s, Connection& c) {
  error_code ec;
  c.stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  c.stream.expires_after(
      std::min<std::chrono::seconds>(s.options.header_timeout, std::chrono::seconds(2)));
  std::vector<char> sink(16 * 1024);
  size_t total = 0;
  while (!ec && total < kLingerMaxBytes) {
    total += co_await c.stream.async_read_some(asio::buffer(sink),
                                               asio::redirect_error(asio::use_awaitable, ec));
  }
  c.stream.close();
}

template <typename Body>
void SetCommon(bhttp::response<Body>& out, const Response& res, bool& keep) {
  int status = (res.status >= 100 && res.status <= 999) ? res.status : 500;
  out.result(static_cast<unsigned>(status));
  if (CopyHeaders(res.headers, out)) {
    keep = false;
  }
  out.keep_alive(keep);
}

// Writes a response and says whether the connection may serve another request.
Task<bool> WriteResponse(State& s, const std::shared_ptr<Connection>& c, Response res,
                         unsigned version, bool keep, bool head) {
  error_code ec;
  if (!res.stream) {
    bhttp::response<bhttp::string_body> out;
    out.version(version);
    SetCommon(out, res, keep);
    const int code = out.result_int();
    if (code < 200 || code == 204 || code == 304) {
      // These statuses have no body and must not carry Content-Length (RFC 9110 8.6).
      out.body().clear();
    } else {
      out.body() = std::move(res.body);
      out.content_length(out.body().size());
    }
    c->stream.expires_after(s.options.write_timeout);
    if (head) {
      bhttp::response_serializer<bhttp::string_body> sr(out);
      co_await bhttp::async_write_header(c->stream, sr,
                                         asio::redirect_error(asio::use_awaitable, ec));
    } else {
      co_await bhttp::async_write(c->stream, out, asio::redirect_error(asio::use_awaitable, ec));
    }
    co_return !ec && keep;
  }

  bhttp::response<bhttp::empty_body> out;
  out.version(version);
  SetCommon(out, res, keep);
  const bool chunked = !res.stream_length.has_value();
  if (chunked) {
    out.chunked(true);
  } else {
    out.content_length(*res.stream_length);
  }
  bhttp::response_serializer<bhttp::empty_body> sr(out);
  c->stream.expires_after(s.options.write_timeout);
  co_await bhttp::async_write_header(c->stream, sr, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    co_return false;
  }
  if (head) {
    co_return keep;
  }
  StreamWriter writer(c, s.options.write_timeout, chunked, res.stream_length);
  Status st;
  try {
    st = co_await res.stream(writer);
  } catch (const std::exception& e) {
    log::Error("HTTP body producer threw", {{"error", e.what()}});
    st = InternalError("producer threw");
  } catch (...) {
    log::Error("HTTP body producer threw", {{"error", "unknown exception"}});
    st = InternalError("producer threw");
  }
  if (st.ok()) {
    st = co_await writer.Finish();
  }
  if (!st.ok()) {
    log::Debug("HTTP streamed response aborted", {{"reason", st.ToString()}});
    co_return false;
  }
  co_return keep;
}

// Reads, handles and answers one request whose first bytes are in `buf`. Returns whether the
// connection may serve another request.
Task<bool> HandleOne(State& s, const std::shared_ptr<Connection>& c, beast::flat_buffer& buf) {
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(kHeaderLimit);
  parser.body_limit(s.options.max_body_bytes);

  auto reject = [&](int status, std::string_view error, std::string_view message) -> Task<bool> {
    Response res = Response::MakeError(status, error, message);
    co_await WriteResponse(s, c, std::move(res), 11, /*keep=*/false, /*head=*/false);
    co_await LingeringClose(s, *c);
    co_return false;
  };
  auto on_read_error = [&](const error_code& ec) -> Task<bool> {
    if (ec == bhttp::error::body_limit) {
      co_return co_await reject(413, "Payload Too Large", "Request body too large");
    }
    if (ec == bhttp::error::header_limit) {
      co_return co_await reject(431, "Request Header Fields Too Large",
                                "Request header fields too large");
    }
    if (IsHttpParseError(ec)) {
      co_return co_await reject(400, "Bad Request", "Malformed request");
    }
    co_return false;  // Timeout, reset or EOF: nobody to answer.
  };

  error_code ec;
  c->stream.expires_after(s.options.header_timeout);
  co_await bhttp::async_read_header(c->stream, buf, parser,
                                    asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    co_return co_await on_read_error(ec);
  }
  const auto start = std::chrono::steady_clock::now();
  if (!parser.is_done()) {
    auto expect = parser.get()[bhttp::field::expect];
    if (IEquals(expect, "100-continue")) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      c->stream.expires_after(s.options.write_timeout);
      co_await asio::async_write(c->stream, asio::buffer(kContinue),
                                 asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        co_return false;
      }
      c->stream.expires_after(s.options.header_timeout);
    }
    co_await bhttp::async_read(c->stream, buf, parser,
                               asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      co_return co_await on_read_error(ec);
    }
  }

  const bhttp::request<bhttp::string_body>& msg = parser.get();
  Request req = BuildRequest(msg, *c);
  const bool head = req.method == "HEAD";
  const bool keep = msg.keep_alive() && !c->closing;
  const unsigned version = msg.version();

  Response res;
  try {
    res = co_await s.handler(req);
  } catch (const std::exception& e) {
    log::Error("Unhandled exception in HTTP handler",
               {{"method", req.method}, {"path", req.path}, {"error", e.what()}});
    res = Response::MakeError(500, "Internal Server Error", "Unexpected error");
  } catch (...) {
    log::Error("Unhandled exception in HTTP handler",
               {{"method", req.method}, {"path", req.path}, {"error", "unknown exception"}});
    res = Response::MakeError(500, "Internal Server Error", "Unexpected error");
  }
  const int status = res.status;
  // Shutdown may have begun while the handler ran: answer, then close.
  bool again = co_await WriteResponse(s, c, std::move(res), version, keep && !c->closing, head);
  if (log::Enabled(log::Level::kDebug)) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - start)
                  .count();
    log::Debug(
        "http",
        {{"method", req.method}, {"path", req.path}, {"status", status}, {"duration_ms", ms}});
  }
  co_return again;
}

Task<void> Session(std::shared_ptr<State> s, std::shared_ptr<Connection> c) {
  try {
    beast::flat_buffer buf;
    bool first = true;
    while (!c->closing) {
      if (buf.size() == 0) {
        // Wait for the first byte separately so an idle keep-alive connection can be told
        // apart from a request in progress (only the former is closed by BeginShutdown).
        error_code ec;
        c->stream.expires_after(first ? s->options.header_timeout : s->options.idle_timeout);
        size_t n = co_await c->stream.async_read_some(
            buf.prepare(8192), asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
          break;
        }
        buf.commit(n);
      }
      first = false;
      c->busy = true;
      s->in_flight.fetch_add(1);
      bool again = false;
      try {
        again = co_await HandleOne(*s, c, buf);
      } catch (...) {
        s->in_flight.fetch_sub(1);
        throw;
      }
      s->in_flight.fetch_sub(1);
      c->busy = false;
      if (!again) {
        break;
      }
    }
  } catch (const std::exception& e) {
    log::Error("HTTP connection failed", {{"error", e.what()}});
  }
  CloseNow(*c);
  std::lock_guard<std::mutex> lock(s->mu);
  s->connections.erase(c.get());
}

void OnAccepted(const std::shared_ptr<State>& s, tcp::socket sock) {
  error_code ec;
  sock.set_option(tcp::no_delay(true), ec);
  auto remote = sock.remote_endpoint(ec);
  std::string remote_address = ec ? std::string() : remote.address().to_string();
  auto c = std::make_shared<Connection>(std::move(sock), std::move(remote_address));
  {
    std::lock_guard<std::mutex> lock(s->mu);
    if (s->stopped) {
      return;  // Accepted just as shutdown began: dropping `c` closes it.
    }
    s->connections.emplace(c.get(), c);
  }
  auto ex = c->stream.get_executor();
  asio::co_spawn(ex, Session(s, std::move(c)), asio::detached);
}

void DoAccept(const std::shared_ptr<State>& s) {
  std::lock_guard<std::mutex> lock(s->mu);
  if (s->stopped) {
    return;
  }
  s->acceptor.async_accept(asio::make_strand(s->ioc), [s](error_code ec, tcp::socket sock) {
    if (ec == asio::error::operation_aborted) {
      return;
    }
    if (ec) {
      // Typically EMFILE: retry shortly instead of spinning on the same error.
      log::Warn("HTTP accept failed", {{"error", ec.message()}});
      std::lock_guard<std::mutex> lock(s->mu);
      if (s->stopped) {
        return;
      }
      s->accept_retry.expires_after(std::chrono::milliseconds(100));
      s->accept_retry.async_wait([s](error_code wait_ec) {
        if (!wait_ec) {
          DoAccept(s);
        }
      });
      return;
    }
    OnAccepted(s, std::move(sock));
    DoAccept(s);
  });
}

}  // namespace

Server::Server(asio::io_context& ioc, ServerOptions options, Handler handler)
    : state_(std::make_shared<State>(ioc, std::move(options), std::move(handler))) {}

Server::~Server() { BeginShutdown(); }

Status Server::Start() {
  const ServerOptions& o = state_->options;
  error_code ec;
  auto address = asio::ip::make_address(o.bind_address, ec);
  if (ec) {
    return InvalidArgumentError("invalid bind address '" + o.bind_address + "'");
  }
  tcp::endpoint endpoint(address, o.port);
  const std::string where = o.bind_address + ":" + std::to_string(o.port);
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    tcp::acceptor& acceptor = state_->acceptor;
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) {
      acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    }
    if (!ec) {
      acceptor.bind(endpoint, ec);
    }
    if (!ec) {
      acceptor.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
      error_code ignored;
      acceptor.close(ignored);
      return UnavailableError("cannot listen on " + where + ": " + ec.message());
    }
    state_->port = acceptor.local_endpoint(ec).port();
  }
  DoAccept(state_);
  return Status::Ok();
}

uint16_t Server::port() const { return state_->port.load(); }

size_t Server::in_flight() const { return state_->in_flight.load(); }

void Server::BeginShutdown() {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (state_->stopped) {
      return;
    }
    state_->stopped = true;
    error_code ignored;
    state_->acceptor.close(ignored);
    state_->accept_retry.cancel();
  }
  PostToAll(state_, [](Connection& c) {
    c.closing = true;
    if (!c.busy) {
      // Cancel rather than close: if a request's first bytes already arrived, the session
      // still serves it (with "Connection: close") instead of dropping it.
      error_code ignored;
      c.stream.socket().cancel(ignored);
    }
  });
}

Task<void> Server::Drain(std::chrono::milliseconds deadline) {
  BeginShutdown();
  auto state = state_;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  const auto until = std::chrono::steady_clock::now() + deadline;
  auto connection_count = [&] {
    std::lock_guard<std::mutex> lock(state->mu);
    return state->connections.size();
  };
  while (state->in_flight.load() > 0 && std::chrono::steady_clock::now() < until) {
    timer.expires_after(std::chrono::milliseconds(10));
    error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  PostToAll(state, [](Connection& c) {
    c.closing = true;
    CloseNow(c);
  });
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (connection_count() > 0 && std::chrono::steady_clock::now() < give_up) {
    timer.expires_after(std::chrono::milliseconds(10));
    error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

void IgnoreSigpipe() { ::signal(SIGPIPE, SIG_IGN); }

}  // namespace mr::http
