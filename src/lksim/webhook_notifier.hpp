#pragma once
// WebhookNotifier: sends LiveKit webhooks the way the server does (spec §6.2-§6.5).
//
// Notify(key, event) queues one event, already in webhook form (camelCase, defaults omitted),
// for every configured URL. Each (url, key) pair has its own FIFO queue worked by one coroutine,
// so events of one egress (key = egress id) or one room (key = room name) arrive in order while
// different resources proceed in parallel. Per delivery the body is the compact JSON dump;
// headers are `Authorization: <jwt>` (no "Bearer "), `Content-Type: application/webhook+json`,
// `User-Agent: LiveKit`; the JWT (HS256, header {"alg":"HS256","typ":"JWT"}) has claims
// {"iss": api_key, "exp": now+300, "nbf": now, "iat": now, "sha256": base64(SHA-256(body))}.
// A delivery is retried up to `max_retries` times after a network error, 429, or a 5xx other
// than 501, waiting backoff_base * 1, 2, 4, 8; the same body and token are re-sent. Other
// statuses count as delivered. After the last attempt the event is dropped (logged). A queue
// holds at most 200 events; overflow is dropped (logged).
// Thread safety: Notify and Stop may be called from any thread. After Stop, queued events are
// dropped and no new delivery starts.

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/async.hpp"
#include "common/clock.hpp"
#include "common/http_client.hpp"
#include "common/json.hpp"

namespace mr::lksim {

struct WebhookOptions {
  std::vector<std::string> urls;
  std::string api_key;
  std::string api_secret;
  std::chrono::milliseconds backoff_base{1000};
  int max_retries = 4;
};

class WebhookNotifier : public std::enable_shared_from_this<WebhookNotifier> {
 public:
  // `clock` must outlive the notifier; delivery coroutines share ownership of the notifier and
  // of `http`, so destroying the owner while a delivery is in flight is safe.
  WebhookNotifier(asio::any_io_executor executor, std::shared_ptr<HttpClient> http,
                  const Clock& clock, WebhookOptions options);

  void Notify(const std::string& key, const Json& event);
  void Stop();

  // The Authorization value for `body` at `now_s` (exposed for tests).
  static std::string SignBody(const std::string& body, const std::string& key,
                              const std::string& secret, int64_t now_s);

 private:
  struct Queue {
    std::deque<std::string> bodies;
    bool running = false;
  };
  Task<void> Work(std::string url, std::string queue_key);
  Task<void> Deliver(const std::string& url, const std::string& body);

  asio::any_io_executor executor_;
  std::shared_ptr<HttpClient> http_;
  const Clock& clock_;
  WebhookOptions options_;
  std::mutex mu_;
  std::map<std::string, Queue> queues_;  // guarded by mu_; key = url + '\n' + resource key.
  bool stopped_ = false;                 // guarded by mu_
};

}  // namespace mr::lksim
