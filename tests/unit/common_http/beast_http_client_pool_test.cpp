// Connection reuse in BeastHttpClient, against a real mr::http::Server on 127.0.0.1. The client
// talks to a counting TCP proxy in front of the server, so the tests see how many connections the
// client really opened (and can make the proxy drop them, or terminate TLS).

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <array>
#include <atomic>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <functional>
#include <memory>
#include <thread>

#include "common/beast_http_client.hpp"
#include "common/http/server.hpp"
#include "unit/common_http/test_support.hpp"

namespace mr {
namespace {

namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using mr::test::IoThreads;
using namespace std::chrono_literals;

// Polls `cond` every 5 ms for at most `limit`.
bool WaitFor(const std::function<bool()>& cond, std::chrono::milliseconds limit = 5s) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!cond()) {
    if (std::chrono::steady_clock::now() >= end) {
      return false;
    }
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

// Makes `ctx` serve a fresh self-signed P-256 certificate for "localhost".
void UseSelfSignedCertificate(ssl::context& ctx) {
  EVP_PKEY_CTX* pctx = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, nullptr);
  ASSERT_NE(pctx, nullptr);
  ASSERT_EQ(EVP_PKEY_keygen_init(pctx), 1);
  ASSERT_EQ(EVP_PKEY_CTX_set_ec_paramgen_curve_nid(pctx, NID_X9_62_prime256v1), 1);
  EVP_PKEY* key = nullptr;
  ASSERT_EQ(EVP_PKEY_keygen(pctx, &key), 1);
  EVP_PKEY_CTX_free(pctx);
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  ASSERT_GT(X509_sign(cert, key, EVP_sha256()), 0);
  ASSERT_EQ(SSL_CTX_use_certificate(ctx.native_handle(), cert), 1);
  ASSERT_EQ(SSL_CTX_use_PrivateKey(ctx.native_handle(), key), 1);
  X509_free(cert);
  EVP_PKEY_free(key);
}

// A TCP proxy from 127.0.0.1:port() to 127.0.0.1:upstream that counts the connections it
// accepts. With a TLS context it terminates TLS and forwards plain HTTP. When either side of a
// proxied connection ends, both are closed (so a server closing an idle keep-alive connection is
// seen by the client as a close). With close_on_accept it closes each new connection at once.
class CountingProxy {
 public:
  CountingProxy(asio::io_context& ioc, uint16_t upstream, ssl::context* tls = nullptr)
      : state_(std::make_shared<State>(ioc, upstream, tls)) {
    asio::co_spawn(ioc, AcceptLoop(state_), asio::detached);
  }

  uint16_t port() const { return state_->acceptor.local_endpoint().port(); }
  int accepted() const { return state_->accepted.load(); }
  int open() const { return state_->open.load(); }
  void set_upstream(uint16_t port) { state_->upstream.store(port); }
  void set_close_on_accept(bool on) { state_->close_on_accept.store(on); }

 private:
  struct State {
    State(asio::io_context& ioc, uint16_t up, ssl::context* t)
        : acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
          upstream(up),
          tls(t) {}
    tcp::acceptor acceptor;  // Only used by AcceptLoop.
    std::atomic<uint16_t> upstream;
    ssl::context* tls;
    std::atomic<int> accepted{0};
    std::atomic<int> open{0};
    std::atomic<bool> close_on_accept{false};
  };

  // Both ends of one proxied connection; everything runs on the strand of `up`.
  template <typename Down>
  struct Pair {
    Pair(std::shared_ptr<State> s, Down d, tcp::socket u)
        : state(std::move(s)), down(std::move(d)), up(std::move(u)) {
      state->open.fetch_add(1);
    }
    ~Pair() { state->open.fetch_sub(1); }
    void CloseBoth() {
      error_code ignored;
      Lowest(down).close(ignored);
      up.close(ignored);
    }
    std::shared_ptr<State> state;
    Down down;
    tcp::socket up;
  };

  static tcp::socket& Lowest(tcp::socket& s) { return s; }
  static tcp::socket& Lowest(ssl::stream<tcp::socket>& s) { return s.next_layer(); }

  template <typename P, typename From, typename To>
  static Task<void> Pump(std::shared_ptr<P> pair, From* from, To* to) {
    std::array<char, 16384> buf;
    error_code ec;
    for (;;) {  // Ends when either side closes.
      size_t n = co_await from->async_read_some(asio::buffer(buf),
                                                asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        break;
      }
      co_await asio::async_write(*to, asio::buffer(buf.data(), n),
                                 asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        break;
      }
    }
    pair->CloseBoth();
  }

  template <typename Down>
  static Task<void> Serve(std::shared_ptr<State> s, Down down) {
    auto ex = co_await asio::this_coro::executor;
    tcp::socket up(ex);
    error_code ec;
    const tcp::endpoint target(asio::ip::make_address("127.0.0.1"), s->upstream.load());
    co_await up.async_connect(target, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      co_return;
    }
    auto pair = std::make_shared<Pair<Down>>(s, std::move(down), std::move(up));
    asio::co_spawn(ex, Pump(pair, &pair->down, &pair->up), asio::detached);
    asio::co_spawn(ex, Pump(pair, &pair->up, &pair->down), asio::detached);
  }

  static Task<void> ServeTls(std::shared_ptr<State> s, tcp::socket sock) {
    ssl::stream<tcp::socket> stream(std::move(sock), *s->tls);
    error_code ec;
    co_await stream.async_handshake(ssl::stream_base::server,
                                    asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      co_return;
    }
    co_await Serve(s, std::move(stream));
  }

  static Task<void> AcceptLoop(std::shared_ptr<State> s) {
    for (;;) {  // Ends when the io_context stops.
      error_code ec;
      auto strand = asio::make_strand(s->acceptor.get_executor());
      tcp::socket sock =
          co_await s->acceptor.async_accept(strand, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        co_return;
      }
      s->accepted.fetch_add(1);
      if (s->close_on_accept.load()) {
        sock.close(ec);
        continue;
      }
      auto ex = sock.get_executor();
      if (s->tls != nullptr) {
        asio::co_spawn(ex, ServeTls(s, std::move(sock)), asio::detached);
      } else {
        asio::co_spawn(ex, Serve(s, std::move(sock)), asio::detached);
      }
    }
  }

  std::shared_ptr<State> state_;
};

// The server's handler: echoes the request's Connection header; /close answers with
// "Connection: close"; /slow waits 300 ms first.
// Bytes of a large test body: position-dependent, so a shifted or repeated piece shows.
std::string BigBody(size_t n) {
  std::string body(n, '\0');
  for (size_t i = 0; i < n; ++i) {
    body[i] = static_cast<char>('a' + (i * 7 + i / 4093) % 26);
  }
  return body;
}

Task<http::Response> Handle(http::Request& req) {
  if (req.path.starts_with("/big/")) {  // /big/{status}/{bytes}
    const std::string rest = req.path.substr(5);
    http::Response res;
    res.status = std::stoi(rest.substr(0, rest.find('/')));
    res.body = BigBody(std::stoul(rest.substr(rest.find('/') + 1)));
    co_return res;
  }
  if (req.path == "/slow") {
    asio::steady_timer timer(co_await asio::this_coro::executor, 300ms);
    error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  auto res = http::Response::MakeJson(
      200, Json{{"connection", std::string(req.Header("connection").value_or(""))},
                {"len", req.body.size()}});
  if (req.path == "/close") {
    res.SetHeader("Connection", "close");
  }
  co_return res;
}

// Sends `n` sequential POSTs; returns how many got a 200.
Task<int> SendMany(BeastHttpClient* client, std::string url, int n) {
  int ok = 0;
  for (int i = 0; i < n; ++i) {
    HttpClientRequest req;
    req.method = "POST";
    req.url = url;
    req.body = std::string(static_cast<size_t>(i) * 10, 'x');
    Result<HttpClientResponse> res = co_await client->Send(std::move(req));
    if (res.ok() && res->status == 200) {
      ++ok;
    }
  }
  co_return ok;
}

class HttpClientPoolTest : public ::testing::Test {
 protected:
  HttpClientPoolTest() : io_(2) {}

  void SetUp() override {
    server_ = StartServer();
    ASSERT_NE(server_, nullptr);
  }
  void TearDown() override { io_.Stop(); }

  std::unique_ptr<http::Server> StartServer() {
    auto server = std::make_unique<http::Server>(io_.ioc(), http::ServerOptions{}, Handle);
    if (!server->Start().ok()) {
      return nullptr;
    }
    return server;
  }

  // With `tls`, the proxy terminates TLS with a self-signed certificate.
  void MakeClient(BeastHttpClientOptions options = {}, bool tls = false) {
    if (tls) {
      proxy_tls_ = std::make_unique<ssl::context>(ssl::context::tls_server);
      UseSelfSignedCertificate(*proxy_tls_);
    }
    proxy_ = std::make_unique<CountingProxy>(io_.ioc(), server_->port(), proxy_tls_.get());
    client_ = std::make_unique<BeastHttpClient>(io_.ioc().get_executor(), std::move(options));
  }

  std::string Url(const std::string& path, const char* scheme = "http") {
    return std::string(scheme) + "://127.0.0.1:" + std::to_string(proxy_->port()) + path;
  }

  Result<HttpClientResponse> Get(const std::string& url, std::chrono::milliseconds timeout = 10s) {
    HttpClientRequest req;
    req.url = url;
    req.timeout = timeout;
    return io_.Await(client_->Send(std::move(req)));
  }

  // Declared first: destroyed last, after everything that owns its sockets.
  IoThreads io_;
  std::unique_ptr<http::Server> server_;
  std::unique_ptr<ssl::context> proxy_tls_;
  std::unique_ptr<CountingProxy> proxy_;
  std::unique_ptr<BeastHttpClient> client_;
};

TEST_F(HttpClientPoolTest, SequentialRequestsReuseOneConnection) {
  MakeClient();
  for (int i = 0; i < 50; ++i) {
    auto res = Get(Url("/x"));
    ASSERT_TRUE(res.ok()) << i << ": " << res.status().ToString();
    ASSERT_EQ(res->status, 200);
    EXPECT_EQ(Json::parse(res->body)["connection"], "") << "HTTP/1.1 keep-alive is the default";
  }
  EXPECT_EQ(proxy_->accepted(), 1);
  EXPECT_EQ(client_->IdleConnectionsForTest(), 1u);
}

TEST_F(HttpClientPoolTest, ConcurrentRequestsUseAtMostOneConnectionEach) {
  MakeClient();
  std::vector<std::future<std::optional<int>>> workers;
  for (int i = 0; i < 8; ++i) {
    workers.push_back(io_.Spawn(SendMany(client_.get(), Url("/p"), 20)));
  }
  for (auto& w : workers) {
    ASSERT_EQ(w.wait_for(20s), std::future_status::ready);
    EXPECT_EQ(*w.get(), 20);
  }
  EXPECT_GE(proxy_->accepted(), 1);
  EXPECT_LE(proxy_->accepted(), 8);
  EXPECT_EQ(client_->IdleConnectionsForTest(), static_cast<size_t>(proxy_->accepted()));
}

TEST_F(HttpClientPoolTest, ConnectionCloseFromServerMeansNewConnectionEachTime) {
  MakeClient();
  for (int i = 0; i < 5; ++i) {
    auto res = Get(Url("/close"));
    ASSERT_TRUE(res.ok()) << res.status().ToString();
    EXPECT_EQ(res->Header("connection"), "close");
  }
  EXPECT_EQ(proxy_->accepted(), 5);
  EXPECT_EQ(client_->IdleConnectionsForTest(), 0u);
}

TEST_F(HttpClientPoolTest, PooledConnectionClosedByServerIsRetriedOnce) {
  MakeClient();
  ASSERT_TRUE(Get(Url("/a")).ok());
  ASSERT_EQ(client_->IdleConnectionsForTest(), 1u);
  // The server closes its idle keep-alive connections; the proxy passes the close on.
  server_->BeginShutdown();
  ASSERT_TRUE(WaitFor([&] { return proxy_->open() == 0; }));
  auto second = StartServer();
  ASSERT_NE(second, nullptr);
  proxy_->set_upstream(second->port());

  // The pooled connection is dead: the request fails on it and succeeds on a new one.
  auto res = Get(Url("/b"));
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(proxy_->accepted(), 2);
  EXPECT_EQ(client_->IdleConnectionsForTest(), 1u);
  second->BeginShutdown();
}

TEST_F(HttpClientPoolTest, RetryHappensOnlyOnceAndNeverOnAFreshConnection) {
  MakeClient();
  ASSERT_TRUE(Get(Url("/a")).ok());
  server_->BeginShutdown();
  ASSERT_TRUE(WaitFor([&] { return proxy_->open() == 0; }));
  proxy_->set_close_on_accept(true);

  // Stale pooled connection, then a new one that is closed at once: one retry, then the error.
  auto res = Get(Url("/b"));
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), StatusCode::kUnavailable) << res.status().ToString();
  EXPECT_EQ(proxy_->accepted(), 2);

  // A fresh connection closed before any byte of the reply is not retried.
  res = Get(Url("/c"));
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), StatusCode::kUnavailable) << res.status().ToString();
  EXPECT_EQ(proxy_->accepted(), 3);
}

TEST_F(HttpClientPoolTest, TimedOutRequestClosesItsConnection) {
  MakeClient();
  ASSERT_TRUE(Get(Url("/a")).ok());
  auto res = Get(Url("/slow"), 100ms);
  ASSERT_FALSE(res.ok());
  EXPECT_EQ(res.status().code(), StatusCode::kTimeout) << res.status().ToString();
  EXPECT_EQ(client_->IdleConnectionsForTest(), 0u);
  ASSERT_TRUE(Get(Url("/b")).ok());
  EXPECT_EQ(proxy_->accepted(), 2);  // Not retried after the timeout; a new one afterwards.
}

TEST_F(HttpClientPoolTest, IdleTimeoutIsHonoured) {
  BeastHttpClientOptions options;
  options.idle_timeout = 50ms;
  MakeClient(options);
  ASSERT_TRUE(Get(Url("/a")).ok());
  ASSERT_TRUE(Get(Url("/b")).ok());  // Well within 50 ms: reused.
  // Bounded by the 10 s request timeout even on a very slow machine; normally a few ms.
  EXPECT_EQ(proxy_->accepted(), 1);
  std::this_thread::sleep_for(120ms);
  ASSERT_TRUE(Get(Url("/c")).ok());
  EXPECT_EQ(proxy_->accepted(), 2);
  // The expired connection was closed at checkout, not just skipped.
  EXPECT_TRUE(WaitFor([&] { return proxy_->open() == 1; }));
  EXPECT_EQ(client_->IdleConnectionsForTest(), 1u);
}

TEST_F(HttpClientPoolTest, ZeroMaxIdleDisablesReuse) {
  BeastHttpClientOptions options;
  options.max_idle_per_host = 0;
  MakeClient(options);
  for (int i = 0; i < 5; ++i) {
    auto res = Get(Url("/x"));
    ASSERT_TRUE(res.ok()) << res.status().ToString();
    EXPECT_EQ(Json::parse(res->body)["connection"], "close");
  }
  EXPECT_EQ(proxy_->accepted(), 5);
  EXPECT_EQ(client_->IdleConnectionsForTest(), 0u);
}

TEST_F(HttpClientPoolTest, IdleConnectionsPerHostAreBounded) {
  BeastHttpClientOptions options;
  options.max_idle_per_host = 2;
  MakeClient(options);
  std::vector<std::future<std::optional<Result<HttpClientResponse>>>> futures;
  for (int i = 0; i < 6; ++i) {
    HttpClientRequest req;
    req.url = Url("/slow");  // They overlap, so each needs a connection of its own.
    futures.push_back(io_.Spawn(client_->Send(std::move(req))));
  }
  for (auto& f : futures) {
    ASSERT_EQ(f.wait_for(20s), std::future_status::ready);
    auto res = *f.get();
    ASSERT_TRUE(res.ok()) << res.status().ToString();
  }
  EXPECT_EQ(proxy_->accepted(), 6);
  EXPECT_EQ(client_->IdleConnectionsForTest(), 2u);
  EXPECT_TRUE(WaitFor([&] { return proxy_->open() == 2; }));
}

TEST_F(HttpClientPoolTest, HttpsConnectionsArePooled) {
  BeastHttpClientOptions options;
  options.verify_peer = false;
  MakeClient(options, /*tls=*/true);
  for (int i = 0; i < 20; ++i) {
    auto res = Get(Url("/x", "https"));
    ASSERT_TRUE(res.ok()) << i << ": " << res.status().ToString();
    ASSERT_EQ(res->status, 200);
  }
  EXPECT_EQ(proxy_->accepted(), 1);

  // A pooled TLS connection closed by the server is retried like a plain one.
  server_->BeginShutdown();
  ASSERT_TRUE(WaitFor([&] { return proxy_->open() == 0; }));
  auto second = StartServer();
  ASSERT_NE(second, nullptr);
  proxy_->set_upstream(second->port());
  auto res = Get(Url("/y", "https"));
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(proxy_->accepted(), 2);
  second->BeginShutdown();
}

// Large length-delimited bodies are read straight into the response (not through Beast's 64 KiB
// reads); smaller ones and other statuses through the parser. Either way: exact bytes, and the
// connection is reused after them.
TEST_F(HttpClientPoolTest, LargeBodiesArriveExactlyAndKeepTheConnection) {
  BeastHttpClientOptions options;
  options.max_response_bytes = 4 << 20;
  MakeClient(options);
  const std::vector<std::pair<int, size_t>> cases = {
      {200, (256 << 10) - 1}, {200, 256 << 10}, {206, (3 << 20) + 17}, {404, 300 << 10},
      {200, 0},               {200, 4 << 20},   {200, 1}};
  for (const auto& [status, n] : cases) {
    SCOPED_TRACE(std::to_string(status) + " with " + std::to_string(n) + " bytes");
    auto res = Get(Url("/big/" + std::to_string(status) + "/" + std::to_string(n)));
    ASSERT_TRUE(res.ok()) << res.status().ToString();
    EXPECT_EQ(res->status, status);
    ASSERT_EQ(res->body.size(), n);
    EXPECT_TRUE(res->body == BigBody(n));
  }
  EXPECT_EQ(proxy_->accepted(), 1);

  // Over the limit: refused, and the connection is not reused for the next request.
  auto too_big = Get(Url("/big/200/" + std::to_string((4 << 20) + 1)));
  EXPECT_FALSE(too_big.ok());
  auto after = Get(Url("/big/200/" + std::to_string(1 << 20)));
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_TRUE(after->body == BigBody(1 << 20));
  EXPECT_EQ(proxy_->accepted(), 2);
}

TEST_F(HttpClientPoolTest, LargeBodiesOverTls) {
  BeastHttpClientOptions options;
  options.verify_peer = false;
  MakeClient(options, /*tls=*/true);
  for (size_t n : {size_t{2 << 20} + 3, size_t{300} << 10}) {
    auto res = Get(Url("/big/200/" + std::to_string(n), "https"));
    ASSERT_TRUE(res.ok()) << res.status().ToString();
    EXPECT_TRUE(res->body == BigBody(n));
  }
  EXPECT_EQ(proxy_->accepted(), 1);
}

TEST_F(HttpClientPoolTest, PoolsAreKeptPerSchemeHostAndPort) {
  MakeClient();
  ASSERT_TRUE(Get(Url("/a")).ok());
  // Same server through "localhost": another pool key, so another connection.
  auto res = Get("http://localhost:" + std::to_string(proxy_->port()) + "/b");
  if (!res.ok()) {
    GTEST_SKIP() << "localhost does not reach 127.0.0.1 here: " << res.status().ToString();
  }
  EXPECT_EQ(proxy_->accepted(), 2);
  ASSERT_TRUE(Get(Url("/c")).ok());
  EXPECT_EQ(proxy_->accepted(), 2);
  EXPECT_EQ(client_->IdleConnectionsForTest(), 2u);
}


}  // namespace
}  // namespace mr
