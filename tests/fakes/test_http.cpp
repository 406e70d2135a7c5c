#include "fakes/test_http.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <chrono>
#include <stdexcept>
#include <utility>

#include "common/async.hpp"

namespace mr::test {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// Async under the hood only because tcp_stream's timeouts apply to async operations.
Task<TestHttpResponse> Run(uint16_t port, std::string method, std::string target,
                           HeaderList headers, std::string body) {
  auto ex = co_await asio::this_coro::executor;
  beast::tcp_stream stream(ex);
  stream.expires_after(std::chrono::seconds(10));
  co_await stream.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                                asio::use_awaitable);
  bhttp::request<bhttp::string_body> req;
  req.version(11);
  req.method_string(method);
  req.target(target);
  req.set(bhttp::field::host, "127.0.0.1:" + std::to_string(port));
  for (const auto& [name, value] : headers) {
    req.insert(name, value);
  }
  req.body() = std::move(body);
  req.prepare_payload();
  co_await bhttp::async_write(stream, req, asio::use_awaitable);
  beast::flat_buffer buf;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(1ull << 32);
  if (method == "HEAD") {
    parser.skip(true);
  }
  co_await bhttp::async_read(stream, buf, parser, asio::use_awaitable);
  TestHttpResponse out;
  out.status = static_cast<int>(parser.get().result_int());
  for (const auto& field : parser.get()) {
    out.headers.emplace_back(Lower(field.name_string()), std::string(field.value()));
  }
  out.body = std::move(parser.get().body());
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  co_return out;
}

}  // namespace

std::optional<std::string> TestHttpResponse::Header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) {
      return value;
    }
  }
  return std::nullopt;
}

TestHttpResponse TestHttpRequest(uint16_t port, std::string method, std::string target,
                                 HeaderList headers, std::string body) {
  asio::io_context ioc;
  try {
    return RunTask(
        ioc, Run(port, std::move(method), std::move(target), std::move(headers), std::move(body)));
  } catch (const boost::system::system_error& e) {
    throw std::runtime_error(std::string("TestHttpRequest failed: ") + e.what());
  }
}

}  // namespace mr::test
