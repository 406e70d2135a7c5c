#include "peers/fault_proxy.hpp"

#include <atomic>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace mr::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Millis = std::chrono::milliseconds;

enum class Mode { kPass, kFail, kHang, kDelay };

struct Settings {
  Mode mode = Mode::kPass;
  int status = 503;
  std::set<std::string> methods;  // kFail: only these methods fail (all when empty).
  Millis delay{0};
};

// The error code S3 uses for a status, so the client sees what a real outage would send.
const char* S3Code(int status) {
  switch (status) {
    case 503:
      return "SlowDown";
    case 500:
      return "InternalError";
    case 429:
      return "TooManyRequests";
    default:
      return "ServiceUnavailable";
  }
}

// Upstream replies and request bodies are test-sized; no limit beyond memory.
constexpr std::uint64_t kNoBodyLimit = std::numeric_limits<std::uint64_t>::max();
// A forwarded exchange that takes longer than this is abandoned (the upstream is dead).
constexpr auto kUpstreamTimeout = std::chrono::seconds(60);

}  // namespace

class ProxySession;

struct FaultProxy::Impl {
  explicit Impl(uint16_t upstream) : upstream_port(upstream) {}

  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  uint16_t upstream_port;
  uint16_t port = 0;

  mutable std::mutex mu;
  Settings settings;            // Guarded by mu.
  std::vector<Entry> journal;   // Guarded by mu.
  std::atomic<uint64_t> seen{0};
  std::atomic<uint64_t> failed{0};
  std::atomic<uint64_t> hung{0};

  // Sessions holding a hung request; touched on the proxy thread only (or after it stopped).
  std::map<ProxySession*, std::shared_ptr<ProxySession>> hung_sessions;
  std::thread thread;

  void Accept();
  void ReleaseHung();
  void Apply(Settings s) {
    {
      std::lock_guard lock(mu);
      settings = std::move(s);
    }
    // Hung requests are let go as soon as the outage is over; sockets are only touched on the
    // proxy's thread.
    asio::post(ioc, [this] { ReleaseHungUnlessHanging(); });
  }
  void ReleaseHungUnlessHanging() {
    Mode mode;
    {
      std::lock_guard lock(mu);
      mode = settings.mode;
    }
    if (mode != Mode::kHang) {
      ReleaseHung();
    }
  }
  size_t Record(const http::request<http::string_body>& req) {
    std::lock_guard lock(mu);
    journal.push_back(Entry{std::string(req.method_string()), std::string(req.target()), ""});
    return journal.size() - 1;
  }
  void SetOutcome(size_t index, std::string outcome) {
    std::lock_guard lock(mu);
    journal.at(index).outcome = std::move(outcome);
  }
};

// One client connection: reads requests one after the other and answers each by the mode.
class ProxySession : public std::enable_shared_from_this<ProxySession> {
 public:
  ProxySession(FaultProxy::Impl& proxy, tcp::socket socket)
      : proxy_(proxy), client_(std::move(socket)), timer_(proxy.ioc) {}

  void ReadRequest() {
    parser_.emplace();
    parser_->body_limit(kNoBodyLimit);
    http::async_read(client_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       self->OnRequest(ec);
                     });
  }

  // Ends a hung request: closed without an answer.
  void Close() {
    beast::error_code ec;
    client_.socket().shutdown(tcp::socket::shutdown_both, ec);
    client_.socket().close(ec);
  }

 private:
  void OnRequest(beast::error_code ec) {
    if (ec) {
      Close();  // The client went away (or sent garbage): nothing to answer.
      return;
    }
    request_ = parser_->release();
    proxy_.seen++;
    entry_ = proxy_.Record(request_);
    Settings s;
    {
      std::lock_guard lock(proxy_.mu);
      s = proxy_.settings;
    }
    const bool method_fails = s.methods.empty() || s.methods.count(std::string(request_.method_string())) > 0;
    if (s.mode == Mode::kFail && method_fails) {
      Fail(s.status);
    } else if (s.mode == Mode::kHang) {
      HangUp();
    } else if (s.mode == Mode::kDelay) {
      timer_.expires_after(s.delay);
      timer_.async_wait([self = shared_from_this()](beast::error_code) { self->Forward(); });
    } else {
      Forward();
    }
  }

  void Fail(int status) {
    proxy_.failed++;
    proxy_.SetOutcome(entry_, "failed " + std::to_string(status));
    response_ = {};
    response_.result(static_cast<unsigned>(status));
    response_.version(11);
    response_.set(http::field::content_type, "application/xml");
    response_.body() = std::string("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>") +
                       S3Code(status) + "</Code><Message>fault injected by the test proxy</Message>" +
                       "<Resource>" + std::string(request_.target()) + "</Resource></Error>";
    response_.keep_alive(request_.keep_alive());
    response_.prepare_payload();
    WriteResponse();
  }

  void HangUp() {
    proxy_.hung++;
    proxy_.SetOutcome(entry_, "hung");
    proxy_.hung_sessions[this] = shared_from_this();
    // Notices the client giving up (it closes its end), so the session does not linger.
    client_.socket().async_read_some(
        asio::buffer(&probe_, 1), [self = shared_from_this()](beast::error_code, size_t) {
          self->proxy_.hung_sessions.erase(self.get());
          self->Close();
        });
  }

  void Forward() {
    upstream_.emplace(proxy_.ioc);
    upstream_->expires_after(kUpstreamTimeout);
    upstream_->async_connect(
        tcp::endpoint(asio::ip::address_v4::loopback(), proxy_.upstream_port),
        [self = shared_from_this()](beast::error_code ec) {
          if (ec) {
            return self->UpstreamError();
          }
          http::async_write(*self->upstream_, self->request_,
                            [self](beast::error_code ec2, size_t) {
                              if (ec2) {
                                return self->UpstreamError();
                              }
                              self->ReadUpstream();
                            });
        });
  }

  void ReadUpstream() {
    upstream_parser_.emplace();
    upstream_parser_->body_limit(kNoBodyLimit);
    // A HEAD reply announces a Content-Length but carries no body.
    upstream_parser_->skip(request_.method() == http::verb::head);
    http::async_read(*upstream_, upstream_buffer_, *upstream_parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) {
                         return self->UpstreamError();
                       }
                       self->response_ = self->upstream_parser_->release();
                       self->upstream_.reset();
                       self->upstream_buffer_.clear();
                       self->proxy_.SetOutcome(self->entry_,
                                               "forwarded " + std::to_string(self->response_.result_int()));
                       self->response_.keep_alive(self->response_.keep_alive() &&
                                                  self->request_.keep_alive());
                       self->WriteResponse();
                     });
  }

  void UpstreamError() {
    upstream_.reset();
    upstream_buffer_.clear();
    proxy_.SetOutcome(entry_, "upstream error");
    Close();  // As the upstream did: the client sees a network failure.
  }

  void WriteResponse() {
    http::async_write(client_, response_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec || !self->response_.keep_alive()) {
        return self->Close();
      }
      self->ReadRequest();
    });
  }

  FaultProxy::Impl& proxy_;
  beast::tcp_stream client_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
  std::optional<beast::tcp_stream> upstream_;
  beast::flat_buffer upstream_buffer_;
  std::optional<http::response_parser<http::string_body>> upstream_parser_;
  asio::steady_timer timer_;
  size_t entry_ = 0;
  char probe_ = 0;
};

void FaultProxy::Impl::Accept() {
  acceptor.async_accept(ioc, [this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) {
      return;
    }
    if (!ec) {
      std::make_shared<ProxySession>(*this, std::move(socket))->ReadRequest();
    }
    Accept();
  });
}

void FaultProxy::Impl::ReleaseHung() {
  auto sessions = std::move(hung_sessions);
  hung_sessions.clear();
  for (auto& [raw, session] : sessions) {
    (void)raw;
    session->Close();
  }
}

FaultProxy::FaultProxy(uint16_t upstream_port) : impl_(std::make_unique<Impl>(upstream_port)) {
  const tcp::endpoint ep(asio::ip::address_v4::loopback(), 0);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  impl_->port = impl_->acceptor.local_endpoint().port();
  impl_->Accept();
  impl_->thread = std::thread([impl = impl_.get()] { impl->ioc.run(); });
}

FaultProxy::~FaultProxy() {
  // Stop the thread first; then nothing runs concurrently with the clean-up below. Pending
  // handlers (and the sessions they own) are destroyed with the io_context, closing their sockets.
  impl_->ioc.stop();
  impl_->thread.join();
  impl_->ReleaseHung();
  beast::error_code ec;
  impl_->acceptor.close(ec);
}

uint16_t FaultProxy::port() const { return impl_->port; }

void FaultProxy::PassThrough() { impl_->Apply(Settings{}); }

void FaultProxy::Fail(int status) { impl_->Apply(Settings{Mode::kFail, status, {}, Millis(0)}); }

void FaultProxy::FailMethods(std::set<std::string> methods, int status) {
  impl_->Apply(Settings{Mode::kFail, status, std::move(methods), Millis(0)});
}

void FaultProxy::Hang() { impl_->Apply(Settings{Mode::kHang, 503, {}, Millis(0)}); }

void FaultProxy::Delay(std::chrono::milliseconds delay) {
  impl_->Apply(Settings{Mode::kDelay, 503, {}, delay});
}

uint64_t FaultProxy::requests_seen() const { return impl_->seen.load(); }
uint64_t FaultProxy::requests_failed() const { return impl_->failed.load(); }
uint64_t FaultProxy::requests_hung() const { return impl_->hung.load(); }

std::vector<FaultProxy::Entry> FaultProxy::Journal() const {
  std::lock_guard lock(impl_->mu);
  return impl_->journal;
}

}  // namespace mr::test
