#include "lksim/webhook_notifier.hpp"

#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>

#include "common/jwt.hpp"
#include "common/logging.hpp"

namespace mr::lksim {
namespace {
constexpr size_t kMaxQueue = 200;
}  // namespace

WebhookNotifier::WebhookNotifier(asio::any_io_executor executor, std::shared_ptr<HttpClient> http,
                                 const Clock& clock, WebhookOptions options)
    : executor_(std::move(executor)),
      http_(std::move(http)),
      clock_(clock),
      options_(std::move(options)) {}

std::string WebhookNotifier::SignBody(const std::string& body, const std::string& key,
                                      const std::string& secret, int64_t now_s) {
  Json claims = Json::object();
  claims["iss"] = key;
  claims["exp"] = now_s + 300;
  claims["nbf"] = now_s;
  claims["iat"] = now_s;
  claims["sha256"] = jwt::Base64Encode(jwt::Sha256(body));
  return jwt::SignHs256(claims, secret);
}

void WebhookNotifier::Notify(const std::string& key, const Json& event) {
  const std::string body = event.dump();
  std::lock_guard<std::mutex> lock(mu_);
  if (stopped_) {
    return;
  }
  for (const auto& url : options_.urls) {
    const std::string qk = url + '\n' + key;
    Queue& q = queues_[qk];
    if (q.bodies.size() >= kMaxQueue) {
      log::Warn("lksim webhook queue is full; event dropped", {{"key", key}});
      continue;
    }
    q.bodies.push_back(body);
    if (!q.running) {
      q.running = true;
      // Spawned through post so the coroutine never starts inside this locked section.
      asio::post(executor_, [self = shared_from_this(), url, qk] {
        asio::co_spawn(self->executor_, self->Work(url, qk), asio::detached);
      });
    }
  }
}

void WebhookNotifier::Stop() {
  std::lock_guard<std::mutex> lock(mu_);
  stopped_ = true;
  for (auto& [k, q] : queues_) {
    q.bodies.clear();
  }
}

Task<void> WebhookNotifier::Work(std::string url, std::string queue_key) {
  auto self = shared_from_this();  // Keeps the notifier alive while this queue is worked.
  for (;;) {
    std::string body;
    {
      std::lock_guard<std::mutex> lock(mu_);
      Queue& q = queues_[queue_key];
      if (stopped_ || q.bodies.empty()) {
        q.running = false;
        q.bodies.clear();
        co_return;
      }
      body = std::move(q.bodies.front());
      q.bodies.pop_front();
    }
    co_await Deliver(url, body);
  }
}

Task<void> WebhookNotifier::Deliver(const std::string& url, const std::string& body) {
  const int64_t now_s = clock_.NowMs() / 1000;
  const std::string token = SignBody(body, options_.api_key, options_.api_secret, now_s);
  for (int attempt = 0; attempt <= options_.max_retries; ++attempt) {
    if (attempt > 0) {
      asio::steady_timer timer(executor_, options_.backoff_base * (1 << (attempt - 1)));
      boost::system::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      std::lock_guard<std::mutex> lock(mu_);
      if (stopped_) {
        co_return;
      }
    }
    HttpClientRequest req;
    req.method = "POST";
    req.url = url;
    req.headers.emplace_back("Authorization", token);
    req.headers.emplace_back("Content-Type", "application/webhook+json");
    req.headers.emplace_back("User-Agent", "LiveKit");
    req.body = body;
    auto res = co_await http_->Send(std::move(req));
    if (res.ok()) {
      const int s = res->status;
      if (s != 429 && (s < 500 || s == 501)) {
        co_return;
      }
    }
  }
  log::Warn("lksim webhook dropped after retries");
}

}  // namespace mr::lksim
