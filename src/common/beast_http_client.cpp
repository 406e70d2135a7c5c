#include "common/beast_http_client.hpp"

#include <openssl/ssl.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <chrono>
#include <stdexcept>
#include <utility>

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

}  // namespace

struct BeastHttpClient::Impl {
  Impl(asio::any_io_executor ex, BeastHttpClientOptions o)
      : executor(std::move(ex)), options(std::move(o)), tls(ssl::context::tls_client) {}

  asio::any_io_executor executor;
  const BeastHttpClientOptions options;
  ssl::context tls;  // Only read after construction; OpenSSL's SSL_CTX is safe to share.
};

namespace {

template <typename Stream>
Task<Outcome> Exchange(Stream& stream, beast::tcp_stream& lowest, Clock::time_point deadline,
                       const HttpClientRequest& req, const ParsedUrl& url, size_t max_body) {
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
  msg.keep_alive(false);
  msg.body() = req.body;
  msg.prepare_payload();

  error_code ec;
  lowest.expires_at(deadline);
  co_await bhttp::async_write(stream, msg, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    co_return NetFailure(ec, "sending the request failed");
  }
  beast::flat_buffer buf;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(max_body);
  if (req.method == "HEAD") {
    parser.skip(true);
  }
  lowest.expires_at(deadline);
  co_await bhttp::async_read(stream, buf, parser, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    co_return NetFailure(ec, "reading the response failed");
  }
  Outcome out;
  const auto& res = parser.get();
  out.response.status = static_cast<int>(res.result_int());
  for (const auto& field : res) {
    out.response.headers.emplace_back(Lower(field.name_string()), std::string(field.value()));
  }
  out.response.body = std::move(parser.get().body());
  co_return out;
}

Task<Outcome> DoSend(std::shared_ptr<BeastHttpClient::Impl> impl, HttpClientRequest req,
                     ParsedUrl url) {
  auto ex = co_await asio::this_coro::executor;
  const auto deadline = Clock::now() + req.timeout;

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
  beast::tcp_stream tcp_stream(ex);
  tcp_stream.expires_at(deadline);
  co_await tcp_stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    co_return NetFailure(ec, "connecting to " + where);
  }
  tcp_stream.socket().set_option(tcp::no_delay(true), ec);

  Outcome out;
  if (!url.https) {
    out = co_await Exchange(tcp_stream, tcp_stream, deadline, req, url,
                            impl->options.max_response_bytes);
    error_code ignored;
    tcp_stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    tcp_stream.close();
    co_return out;
  }

  beast::ssl_stream<beast::tcp_stream> tls_stream(std::move(tcp_stream), impl->tls);
  if (!IsIpLiteral(url.host)) {
    // SNI: name-based virtual hosts (and most CDNs) need it to pick the certificate.
    if (!SSL_set_tlsext_host_name(tls_stream.native_handle(), url.host.c_str())) {
      co_return Failure(StatusCode::kInvalidArgument, "cannot use host name for TLS SNI");
    }
  }
  if (impl->options.verify_peer) {
    tls_stream.set_verify_mode(ssl::verify_peer);
    tls_stream.set_verify_callback(ssl::host_name_verification(url.host));
  } else {
    tls_stream.set_verify_mode(ssl::verify_none);
  }
  beast::get_lowest_layer(tls_stream).expires_at(deadline);
  co_await tls_stream.async_handshake(ssl::stream_base::client,
                                      asio::redirect_error(asio::use_awaitable, ec));
  if (ec) {
    co_return NetFailure(ec, "TLS handshake with " + where);
  }
  out = co_await Exchange(tls_stream, beast::get_lowest_layer(tls_stream), deadline, req, url,
                          impl->options.max_response_bytes);
  error_code ignored;
  beast::get_lowest_layer(tls_stream).socket().shutdown(tcp::socket::shutdown_both, ignored);
  beast::get_lowest_layer(tls_stream).close();
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

BeastHttpClient::~BeastHttpClient() = default;

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
  // A strand per request: the resolve timer and the operations it cancels never run at once,
  // whatever thread awaits Send.
  auto strand = asio::make_strand(impl_->executor);
  Outcome out = co_await asio::co_spawn(strand, DoSend(impl_, std::move(request), std::move(*url)),
                                        asio::use_awaitable);
  if (!out.status.ok()) {
    co_return out.status;
  }
  co_return std::move(out.response);
}

}  // namespace mr
