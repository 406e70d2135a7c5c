#include "common/http/server.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <thread>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <random>

#include "common/http/router.hpp"
#include "common/beast_http_client.hpp"
#include "fakes/test_http.hpp"
#include "unit/common_http/test_support.hpp"

namespace mr::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using mr::test::Gate;
using mr::test::IoThreads;
using mr::test::TestHttpRequest;

// A blocking raw HTTP connection with its own io_context, for what TestHttpRequest cannot do:
// several requests on one connection, malformed bytes, or not reading at all. Every operation is
// bounded by 10 s.
class RawClient {
 public:
  explicit RawClient(uint16_t port) : stream_(ioc_) {
    Run([this, port]() -> Task<void> {
      stream_.expires_after(std::chrono::seconds(10));
      co_await stream_.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                                     asio::use_awaitable);
    });
  }

  void Write(std::string data) {
    Run([this, &data]() -> Task<void> {
      stream_.expires_after(std::chrono::seconds(10));
      co_await asio::async_write(stream_, asio::buffer(data), asio::use_awaitable);
    });
  }

  bhttp::response<bhttp::string_body> ReadResponse() {
    bhttp::response<bhttp::string_body> res;
    Run([this, &res]() -> Task<void> {
      stream_.expires_after(std::chrono::seconds(10));
      co_await bhttp::async_read(stream_, buf_, res, asio::use_awaitable);
    });
    return res;
  }

  std::string ReadRaw(size_t n) {
    std::string out(n, '\0');
    Run([this, &out]() -> Task<void> {
      stream_.expires_after(std::chrono::seconds(10));
      co_await asio::async_read(stream_, asio::buffer(out), asio::use_awaitable);
    });
    return out;
  }

  // Reads and discards until the server closes; returns the final error (eof when closed).
  error_code ReadUntilClosed() {
    error_code ec;
    Run([this, &ec]() -> Task<void> {
      char sink[4096];
      while (!ec) {
        stream_.expires_after(std::chrono::seconds(10));
        co_await stream_.async_read_some(asio::buffer(sink),
                                         asio::redirect_error(asio::use_awaitable, ec));
      }
    });
    return ec;
  }

 private:
  template <typename F>
  void Run(F f) {
    RunTask(ioc_, f());
  }

  asio::io_context ioc_;
  beast::tcp_stream stream_;
  beast::flat_buffer buf_;
};

std::string Request1(std::string_view method, std::string_view target,
                     std::string_view extra = "") {
  return std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: x\r\n" +
         std::string(extra) + "\r\n";
}

std::string RandomBytes(size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::string s(n, '\0');
  for (char& c : s) {
    c = static_cast<char>(gen() & 0xFF);
  }
  return s;
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "mr_http_XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
      throw std::runtime_error("mkdtemp failed");
    }
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::filesystem::path path() const { return path_; }

 private:
  std::filesystem::path path_;
};

class ServerTest : public ::testing::Test {
 protected:
  void StartServer(ServerOptions options = {}, int threads = 2) {
    io_ = std::make_unique<IoThreads>(threads);
    server_ = std::make_unique<Server>(io_->ioc(), options,
                                       [this](Request& r) { return router_.Dispatch(r); });
    Status st = server_->Start();
    ASSERT_TRUE(st.ok()) << st.ToString();
    ASSERT_NE(server_->port(), 0);
  }

  void TearDown() override {
    if (io_) {
      io_->Stop();
    }
    server_.reset();
    io_.reset();
  }

  uint16_t port() const { return server_->port(); }

  Router router_;
  std::unique_ptr<IoThreads> io_;
  std::unique_ptr<Server> server_;
};

TEST_F(ServerTest, JsonRoundTripWithClient) {
  router_.Add("POST", "/echo/:id", [](Request& req) -> Task<Response> {
    Json query = Json::array();
    for (const auto& [k, v] : req.query) {
      query.push_back(Json::array({k, v}));
    }
    co_return Response::MakeJson(201,
                                 Json{{"id", req.Param("id")},
                                      {"method", req.method},
                                      {"path", req.path},
                                      {"target", req.target},
                                      {"query", query},
                                      {"header", std::string(req.Header("x-test").value_or("-"))},
                                      {"remote", req.remote_address},
                                      {"body", Json::parse(req.body)}});
  });
  StartServer();

  BeastHttpClient client(io_->ioc().get_executor());
  HttpClientRequest req;
  req.method = "POST";
  req.url = "http://127.0.0.1:" + std::to_string(port()) + "/echo/a%20b?q=x+y&q=%C3%A9&flag";
  req.headers = {{"X-Test", "hello"}, {"Content-Type", "application/json"}};
  req.body = R"({"a":[1,2]})";
  Result<HttpClientResponse> res = io_->Await(client.Send(req));
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  EXPECT_EQ(res->status, 201);
  EXPECT_EQ(res->Header("Content-Type"), "application/json; charset=utf-8");
  EXPECT_EQ(res->Header("content-length"), std::to_string(res->body.size()));
  Json body = Json::parse(res->body);
  EXPECT_EQ(body["id"], "a b");
  EXPECT_EQ(body["method"], "POST");
  EXPECT_EQ(body["path"], "/echo/a%20b");
  EXPECT_EQ(body["target"], "/echo/a%20b?q=x+y&q=%C3%A9&flag");
  EXPECT_EQ(body["query"], Json::parse(R"([["q","x y"],["q","é"],["flag",""]])"));
  EXPECT_EQ(body["header"], "hello");
  EXPECT_EQ(body["remote"], "127.0.0.1");
  EXPECT_EQ(body["body"], Json::parse(R"({"a":[1,2]})"));
}

TEST_F(ServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  int calls = 0;
  router_.Add("GET", "/n", [&calls](Request&) -> Task<Response> {
    ++calls;  // One connection: its requests are handled one after the other.
    co_return Response::MakeJson(200, Json{{"n", calls}});
  });
  StartServer();
  RawClient raw(port());
  raw.Write(Request1("GET", "/n"));
  auto first = raw.ReadResponse();
  EXPECT_EQ(first.result_int(), 200u);
  EXPECT_TRUE(first.keep_alive());
  raw.Write(Request1("GET", "/n"));
  auto second = raw.ReadResponse();
  EXPECT_EQ(second.result_int(), 200u);
  EXPECT_EQ(first.body(), R"({"n":1})");
  EXPECT_EQ(second.body(), R"({"n":2})");
}

TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  router_.Add("GET", "/:x", [](Request& req) -> Task<Response> {
    co_return Response::MakeJson(200, Json{{"x", req.Param("x")}});
  });
  StartServer();
  RawClient raw(port());
  raw.Write(Request1("GET", "/a") + Request1("GET", "/b"));
  EXPECT_EQ(raw.ReadResponse().body(), R"({"x":"a"})");
  EXPECT_EQ(raw.ReadResponse().body(), R"({"x":"b"})");
}

TEST_F(ServerTest, ConnectionCloseIsHonoured) {
  router_.Add("GET", "/", [](Request&) -> Task<Response> { co_return Response::MakeJson(200, 1); });
  StartServer();
  RawClient raw(port());
  raw.Write(Request1("GET", "/", "Connection: close\r\n"));
  auto res = raw.ReadResponse();
  EXPECT_EQ(res.result_int(), 200u);
  EXPECT_FALSE(res.keep_alive());
  EXPECT_EQ(raw.ReadUntilClosed(), asio::error::eof);
}

TEST_F(ServerTest, BodyOverLimitIs413) {
  bool called = false;
  router_.Add("POST", "/up", [&called](Request&) -> Task<Response> {
    called = true;
    co_return Response::MakeJson(200, 1);
  });
  ServerOptions options;
  options.max_body_bytes = 1024;
  StartServer(options);
  auto ok = TestHttpRequest(port(), "POST", "/up", {}, std::string(1024, 'a'));
  EXPECT_EQ(ok.status, 200);
  called = false;
  auto res = TestHttpRequest(port(), "POST", "/up", {}, std::string(4096, 'a'));
  EXPECT_EQ(res.status, 413);
  EXPECT_EQ(res.body, R"({"error":"Payload Too Large","message":"Request body too large"})");
  EXPECT_EQ(res.Header("content-type"), "application/json; charset=utf-8");
  EXPECT_FALSE(called);
}

TEST_F(ServerTest, ChunkedBodyOverLimitIs413) {
  router_.Add("POST", "/up",
              [](Request&) -> Task<Response> { co_return Response::MakeJson(200, 1); });
  ServerOptions options;
  options.max_body_bytes = 10;
  StartServer(options);
  RawClient raw(port());
  raw.Write(Request1("POST", "/up", "Transfer-Encoding: chunked\r\n") + "14\r\n" +
            std::string(20, 'x') + "\r\n0\r\n\r\n");
  auto res = raw.ReadResponse();
  EXPECT_EQ(res.result_int(), 413u);
  EXPECT_EQ(raw.ReadUntilClosed(), asio::error::eof);
}

TEST_F(ServerTest, Expect100ContinueGetsInterimResponse) {
  router_.Add("POST", "/up", [](Request& req) -> Task<Response> {
    co_return Response::MakeJson(200, Json{{"body", req.body}});
  });
  StartServer();
  RawClient raw(port());
  raw.Write(Request1("POST", "/up", "Expect: 100-continue\r\nContent-Length: 3\r\n"));
  const std::string interim = "HTTP/1.1 100 Continue\r\n\r\n";
  EXPECT_EQ(raw.ReadRaw(interim.size()), interim);
  raw.Write("abc");
  EXPECT_EQ(raw.ReadResponse().body(), R"({"body":"abc"})");
}

TEST_F(ServerTest, MalformedRequestIs400AndCloses) {
  StartServer();
  for (std::string garbage :
       {std::string("NOT A REQUEST\r\n\r\n"), std::string("GET / HTTP/1.1\r\nBad Header\r\n\r\n"),
        std::string("GET / HTTP/1.1\r\nContent-Length: zz\r\n\r\n")}) {
    SCOPED_TRACE(garbage);
    RawClient raw(port());
    raw.Write(garbage);
    auto res = raw.ReadResponse();
    EXPECT_EQ(res.result_int(), 400u);
    EXPECT_EQ(res.body(), R"({"error":"Bad Request","message":"Malformed request"})");
    EXPECT_EQ(raw.ReadUntilClosed(), asio::error::eof);
  }
}

TEST_F(ServerTest, HandlerExceptionIs500) {
  router_.Add("GET", "/boom", [](Request&) -> Task<Response> {
    throw std::runtime_error("kaboom");
    co_return Response{};
  });
  StartServer();
  auto res = TestHttpRequest(port(), "GET", "/boom");
  EXPECT_EQ(res.status, 500);
  EXPECT_EQ(res.body, R"({"error":"Internal Server Error","message":"Unexpected error"})");
  // The server keeps serving.
  EXPECT_EQ(TestHttpRequest(port(), "GET", "/boom").status, 500);
}

TEST_F(ServerTest, FallbackAndHead) {
  router_.Add("HEAD", "/h", [](Request&) -> Task<Response> {
    co_return Response::MakeJson(200, Json{{"x", "yz"}});
  });
  StartServer();
  auto res = TestHttpRequest(port(), "HEAD", "/h");
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body, "");
  EXPECT_EQ(res.Header("content-length"), "10");
  EXPECT_EQ(TestHttpRequest(port(), "GET", "/h").status, 404);
}

TEST_F(ServerTest, NoContentHasNoBodyOrLength) {
  router_.Add("DELETE", "/x", [](Request&) -> Task<Response> {
    Response res;
    res.status = 204;
    res.body = "ignored";
    co_return res;
  });
  StartServer();
  RawClient raw(port());
  for (int i = 0; i < 2; ++i) {
    raw.Write(Request1("DELETE", "/x"));
    auto res = raw.ReadResponse();
    EXPECT_EQ(res.result_int(), 204u);
    EXPECT_EQ(res.count(bhttp::field::content_length), 0u);
    EXPECT_EQ(res.body(), "");
  }
}

TEST_F(ServerTest, StreamedBodyWithLength) {
  router_.Add("GET", "/s", [](Request&) -> Task<Response> {
    Response res;
    res.SetHeader("Content-Type", "text/plain");
    res.stream_length = 11;
    res.stream = [](BodyWriter& w) -> Task<Status> {
      if (Status st = co_await w.Write("hello "); !st.ok()) {
        co_return st;
      }
      co_return co_await w.Write("world");
    };
    co_return res;
  });
  StartServer();
  auto res = TestHttpRequest(port(), "GET", "/s");
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body, "hello world");
  EXPECT_EQ(res.Header("content-length"), "11");
  EXPECT_EQ(res.Header("transfer-encoding"), std::nullopt);
  EXPECT_EQ(res.Header("content-type"), "text/plain");
}

TEST_F(ServerTest, StreamedBodyChunked) {
  router_.Add("GET", "/c", [](Request&) -> Task<Response> {
    Response res;
    res.stream = [](BodyWriter& w) -> Task<Status> {
      for (std::string part :
           std::vector<std::string>{"alpha,", "", "beta,", std::string(70000, 'g')}) {
        if (Status st = co_await w.Write(part); !st.ok()) {
          co_return st;
        }
      }
      co_return Status::Ok();
    };
    co_return res;
  });
  StartServer();
  RawClient raw(port());
  for (int i = 0; i < 2; ++i) {  // The terminating chunk keeps the connection reusable.
    raw.Write(Request1("GET", "/c"));
    auto res = raw.ReadResponse();
    EXPECT_EQ(res.result_int(), 200u);
    EXPECT_TRUE(res.chunked());
    EXPECT_EQ(res.body(), "alpha,beta," + std::string(70000, 'g'));
  }
}

TEST_F(ServerTest, ShortOrFailingStreamClosesConnection) {
  router_.Add("GET", "/short", [](Request&) -> Task<Response> {
    Response res;
    res.stream_length = 100;
    res.stream = [](BodyWriter& w) -> Task<Status> { co_return co_await w.Write("12345"); };
    co_return res;
  });
  router_.Add("GET", "/fail", [](Request&) -> Task<Response> {
    Response res;
    res.stream = [](BodyWriter& w) -> Task<Status> {
      co_await w.Write("partial");
      co_return UnavailableError("storage went away");
    };
    co_return res;
  });
  router_.Add("GET", "/long", [](Request&) -> Task<Response> {
    Response res;
    res.stream_length = 2;
    res.stream = [](BodyWriter& w) -> Task<Status> { co_return co_await w.Write("12345"); };
    co_return res;
  });
  StartServer();
  EXPECT_THROW(TestHttpRequest(port(), "GET", "/short"), std::runtime_error);
  EXPECT_THROW(TestHttpRequest(port(), "GET", "/fail"), std::runtime_error);
  RawClient raw(port());
  raw.Write(Request1("GET", "/long"));
  // The headers promised 2 bytes; the producer's 5-byte write is refused and the connection closed.
  EXPECT_THROW(raw.ReadResponse(), boost::system::system_error);
}

class SendFileTest : public ServerTest {
 protected:
  void SetUp() override {
    data_ = RandomBytes(3 << 20, 7);
    file_ = dir_.path() / "media.bin";
    std::ofstream(file_, std::ios::binary).write(data_.data(), static_cast<long>(data_.size()));
    // GET /file?offset=&length=[&chunked=1]
    router_.Add("GET", "/file", [this](Request& req) -> Task<Response> {
      uint64_t offset = std::stoull(std::string(req.Query("offset").value_or("0")));
      uint64_t length = std::stoull(std::string(req.Query("length").value_or("0")));
      Response res;
      if (!req.Query("chunked")) {
        res.stream_length = length;
      }
      std::string path = file_.string();
      res.stream = [path, offset, length](BodyWriter& w) -> Task<Status> {
        int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
          co_return InternalError("open failed");
        }
        Status st = co_await w.SendFile(fd, offset, length);
        ::close(fd);
        co_return st;
      };
      co_return res;
    });
  }

  std::string Target(uint64_t offset, uint64_t length, bool chunked = false) {
    return "/file?offset=" + std::to_string(offset) + "&length=" + std::to_string(length) +
           (chunked ? "&chunked=1" : "");
  }

  TempDir dir_;
  std::filesystem::path file_;
  std::string data_;
};

TEST_F(SendFileTest, WholeFileAndRanges) {
  StartServer();
  auto whole = TestHttpRequest(port(), "GET", Target(0, data_.size()));
  EXPECT_EQ(whole.status, 200);
  EXPECT_EQ(whole.Header("content-length"), std::to_string(data_.size()));
  EXPECT_TRUE(whole.body == data_);

  const uint64_t off = 1000003;
  const uint64_t len = 777777;
  auto middle = TestHttpRequest(port(), "GET", Target(off, len));
  EXPECT_EQ(middle.status, 200);
  EXPECT_TRUE(middle.body == data_.substr(off, len));

  auto chunked = TestHttpRequest(port(), "GET", Target(off, len, true));
  EXPECT_EQ(chunked.Header("transfer-encoding"), "chunked");
  EXPECT_TRUE(chunked.body == data_.substr(off, len));
}

TEST_F(SendFileTest, RangePastEndOfFileClosesConnection) {
  StartServer();
  EXPECT_THROW(TestHttpRequest(port(), "GET", Target(data_.size() - 10, 20)), std::runtime_error);
}

// A client that stops reading must not hold the (only) worker thread, and is disconnected after
// write_timeout.
TEST_F(ServerTest, StalledReaderDoesNotBlockOtherRequests) {
  TempDir dir;
  const auto path = dir.path() / "big.bin";
  const size_t size = 32 << 20;
  {
    std::ofstream out(path, std::ios::binary);
    std::string block(1 << 20, 'b');
    for (size_t i = 0; i < size / block.size(); ++i) {
      out.write(block.data(), static_cast<long>(block.size()));
    }
  }
  std::promise<void> started;
  std::promise<Status> finished;
  router_.Add("GET", "/big", [&](Request&) -> Task<Response> {
    Response res;
    res.stream_length = size;
    res.stream = [&](BodyWriter& w) -> Task<Status> {
      int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      started.set_value();
      Status st = co_await w.SendFile(fd, 0, size);
      ::close(fd);
      finished.set_value(st);
      co_return st;
    };
    co_return res;
  });
  router_.Add("GET", "/ping",
              [](Request&) -> Task<Response> { co_return Response::MakeJson(200, "pong"); });
  ServerOptions options;
  options.write_timeout = std::chrono::seconds(1);
  StartServer(options, /*threads=*/1);

  RawClient stalled(port());
  stalled.Write(Request1("GET", "/big"));  // And never read.
  ASSERT_EQ(started.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(TestHttpRequest(port(), "GET", "/ping").body, R"("pong")");
  }
  auto done = finished.get_future();
  ASSERT_EQ(done.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  Status st = done.get();
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("timeout"), std::string::npos) << st.ToString();
  EXPECT_EQ(TestHttpRequest(port(), "GET", "/ping").status, 200);
}

TEST_F(ServerTest, DrainFinishesInFlightRequestAndRefusesNewConnections) {
  Gate gate;
  std::promise<void> entered;
  router_.Add("GET", "/slow", [&](Request&) -> Task<Response> {
    entered.set_value();
    co_await gate.Wait();
    co_return Response::MakeJson(200, "done");
  });
  router_.Add("GET", "/fast",
              [](Request&) -> Task<Response> { co_return Response::MakeJson(200, "fast"); });
  StartServer();
  const uint16_t p = port();

  RawClient idle(p);  // A keep-alive connection with no request in progress.
  idle.Write(Request1("GET", "/fast"));
  EXPECT_EQ(idle.ReadResponse().result_int(), 200u);

  auto slow = std::async(std::launch::async, [p] { return TestHttpRequest(p, "GET", "/slow"); });
  ASSERT_EQ(entered.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  // The /fast request's count is released just after its response was written, which the
  // client may read first (seen under ASan): wait, bounded, for only /slow to be in flight.
  for (int i = 0; i < 200 && server_->in_flight() != 1u; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(server_->in_flight(), 1u);

  server_->BeginShutdown();
  // The idle connection is closed; new connections are refused.
  EXPECT_EQ(idle.ReadUntilClosed(), asio::error::eof);
  {
    asio::io_context ioc;
    tcp::socket sock(ioc);
    error_code ec;
    sock.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), p), ec);
    EXPECT_EQ(ec, asio::error::connection_refused);
  }

  auto drained =
      asio::co_spawn(io_->ioc(), server_->Drain(std::chrono::seconds(10)), asio::use_future);
  gate.Open();
  auto res = slow.get();
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body, R"("done")");
  EXPECT_EQ(res.Header("connection"), "close");
  ASSERT_EQ(drained.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_EQ(server_->in_flight(), 0u);
}

TEST_F(ServerTest, DrainForceClosesAfterDeadline) {
  Gate gate;
  std::promise<void> entered;
  router_.Add("GET", "/stuck", [&](Request&) -> Task<Response> {
    entered.set_value();
    co_await gate.Wait();
    co_return Response::MakeJson(200, "late");
  });
  StartServer();
  RawClient raw(port());
  raw.Write(Request1("GET", "/stuck"));
  ASSERT_EQ(entered.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
  io_->Await(server_->Drain(std::chrono::milliseconds(200)));
  // The client sees the connection closed without a response.
  EXPECT_NE(raw.ReadUntilClosed(), error_code());
  gate.Open();
}

TEST_F(ServerTest, StartReportsAddressInUse) {
  StartServer();
  ServerOptions options;
  options.port = port();
  Server second(io_->ioc(), options, [](Request&) -> Task<Response> { co_return Response{}; });
  Status st = second.Start();
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_NE(st.message().find("in use"), std::string::npos) << st.message();

  ServerOptions bad;
  bad.bind_address = "not-an-ip";
  Server third(io_->ioc(), bad, [](Request&) -> Task<Response> { co_return Response{}; });
  EXPECT_EQ(third.Start().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mr::http
