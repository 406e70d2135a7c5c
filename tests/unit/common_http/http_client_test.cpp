#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <chrono>

#include "common/http/server.hpp"
#include "common/beast_http_client.hpp"
#include "unit/common_http/test_support.hpp"

namespace mr {
namespace {

using tcp = asio::ip::tcp;
using mr::test::IoThreads;

class HttpClientTest : public ::testing::Test {
 protected:
  HttpClientTest() : io_(2), client_(io_.ioc().get_executor()) {}

  Result<HttpClientResponse> Send(std::string method, std::string url,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    HttpClientRequest req;
    req.method = std::move(method);
    req.url = std::move(url);
    req.timeout = timeout;
    return io_.Await(client_.Send(std::move(req)));
  }

  IoThreads io_;
  BeastHttpClient client_;
};

TEST_F(HttpClientTest, TimeoutAgainstServerThatNeverAnswers) {
  // Listening but never accepting: the kernel completes the handshake, nobody ever answers.
  tcp::acceptor silent(io_.ioc(), tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const uint16_t port = silent.local_endpoint().port();
  const auto start = std::chrono::steady_clock::now();
  auto res =
      Send("GET", "http://127.0.0.1:" + std::to_string(port) + "/", std::chrono::milliseconds(200));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), StatusCode::kTimeout) << res.status().ToString();
  EXPECT_GE(elapsed, std::chrono::milliseconds(190));
  EXPECT_LT(elapsed, std::chrono::seconds(5));
}

TEST_F(HttpClientTest, ConnectionRefusedIsUnavailable) {
  uint16_t port;
  {
    // Bind a free port, then release it: nobody listens there any more.
    tcp::acceptor probe(io_.ioc(), tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = probe.local_endpoint().port();
  }
  auto res = Send("GET", "http://127.0.0.1:" + std::to_string(port) + "/x");
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), StatusCode::kUnavailable) << res.status().ToString();
}

TEST_F(HttpClientTest, BadUrlOrMethodIsInvalidArgument) {
  for (std::string url : {"ftp://127.0.0.1/", "127.0.0.1:80/x", "http:///x", "http://h:99999/"}) {
    SCOPED_TRACE(url);
    auto res = Send("GET", url);
    ASSERT_FALSE(res.ok());
    EXPECT_EQ(res.status().code(), StatusCode::kInvalidArgument);
  }
  auto res = Send("G ET", "http://127.0.0.1:1/");
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), StatusCode::kInvalidArgument);

  HttpClientRequest req;
  req.url = "http://127.0.0.1:1/";
  req.headers = {{"X-A", "1\r\nX-Injected: 2"}};
  res = io_.Await(client_.Send(req));
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), StatusCode::kInvalidArgument);
}

class HttpClientServerTest : public HttpClientTest {
 protected:
  void SetUp() override {
    server_ = std::make_unique<http::Server>(
        io_.ioc(), http::ServerOptions{},
        [](http::Request& req) -> Task<http::Response> {
          auto res = http::Response::MakeJson(
              req.path == "/missing" ? 404 : 200,
              Json{{"method", req.method},
                   {"host", std::string(req.Header("host").value_or(""))},
                   {"len", req.body.size()}});
          res.SetHeader("X-Mixed-Case", "v");
          co_return res;
        });
    ASSERT_TRUE(server_->Start().ok());
  }
  void TearDown() override { io_.Stop(); }

  std::string Base(const std::string& host = "127.0.0.1") {
    return "http://" + host + ":" + std::to_string(server_->port());
  }

  std::unique_ptr<http::Server> server_;
};

TEST_F(HttpClientServerTest, StatusHeadersAndBody) {
  auto res = Send("GET", Base() + "/missing");
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(res->status, 404);  // An HTTP error status is still a successful Send.
  EXPECT_EQ(res->Header("x-mixed-case"), "v");
  EXPECT_EQ(res->Header("X-MIXED-CASE"), "v");
  bool lower = true;
  for (const auto& [name, value] : res->headers) {
    for (char c : name) {
      lower = lower && !(c >= 'A' && c <= 'Z');
    }
  }
  EXPECT_TRUE(lower);
  Json body = Json::parse(res->body);
  EXPECT_EQ(body["host"], "127.0.0.1:" + std::to_string(server_->port()));
}

TEST_F(HttpClientServerTest, DnsNameResolves) {
  // "localhost" comes from /etc/hosts; it may resolve to ::1 first, which nobody serves here.
  auto res = Send("DELETE", Base("localhost") + "/x");
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(Json::parse(res->body)["method"], "DELETE");
}

TEST_F(HttpClientServerTest, ConcurrentRequests) {
  std::vector<std::future<std::optional<Result<HttpClientResponse>>>> futures;
  for (int i = 0; i < 8; ++i) {
    HttpClientRequest req;
    req.method = "POST";
    req.url = Base() + "/p";
    req.body = std::string(static_cast<size_t>(i) * 1000, 'x');
    futures.push_back(io_.Spawn(client_.Send(req)));
  }
  for (size_t i = 0; i < futures.size(); ++i) {
    ASSERT_EQ(futures[i].wait_for(std::chrono::seconds(10)), std::future_status::ready);
    auto res = *futures[i].get();
    ASSERT_TRUE(res.ok()) << res.status().ToString();
    EXPECT_EQ(Json::parse(res->body)["len"], i * 1000);
  }
}

TEST_F(HttpClientServerTest, HttpsAgainstPlainServerIsUnavailable) {
  auto res = Send("GET", "https://127.0.0.1:" + std::to_string(server_->port()) + "/");
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), StatusCode::kUnavailable) << res.status().ToString();
}

}  // namespace
}  // namespace mr
