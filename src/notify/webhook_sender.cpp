#include "notify/webhook_sender.hpp"

#include <algorithm>
#include <atomic>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include <boost/asio/detached.hpp>

#include "common/beast_http_client.hpp"
#include "common/logging.hpp"
#include "common/one_shot.hpp"
#include "notify/webhook_signature.hpp"

namespace mr::notify {
namespace {

// One event, already in its final form: retries resend exactly these bytes.
struct Pending {
  std::string event;  // Event name, for logs.
  int64_t timestamp_ms = 0;
  std::string body;
  std::string signature;
};

}  // namespace

struct WebhookSender::State {
  State(asio::any_io_executor ex, HttpClient& h, Timers& t, const Clock& c, WebhookSenderOptions o)
      : executor(std::move(ex)), http(h), timers(t), clock(c), options(std::move(o)) {}

  const asio::any_io_executor executor;
  HttpClient& http;
  Timers& timers;
  const Clock& clock;
  const WebhookSenderOptions options;
  std::string target;  // host:port of the URL, the only part of it that is logged.
  std::atomic<bool> warned_no_key{false};

  mutable std::mutex mu;
  // Per key, the events not yet finished; the front one is the one being delivered. A key is in
  // the map exactly while a worker coroutine runs for it. Guarded by mu.
  std::map<std::string, std::deque<Pending>> queues;
  size_t total = 0;       // Events in `queues`. Guarded by mu.
  uint64_t dropped = 0;   // Events refused because the queues were full. Guarded by mu.
  bool closed = false;    // The sender was destroyed. Guarded by mu.
  std::vector<std::shared_ptr<OneShot>> drain_waiters;  // Guarded by mu.

  bool IsClosed() const {
    std::lock_guard lock(mu);
    return closed;
  }

  // REQUIRES: mu held. Hands back the Drain waiters to wake (outside the lock) when nothing is
  // left.
  std::vector<std::shared_ptr<OneShot>> TakeWaitersIfIdle() {
    std::vector<std::shared_ptr<OneShot>> out;
    if (total == 0) {
      out.swap(drain_waiters);
    }
    return out;
  }
};

namespace {

using State = WebhookSender::State;

Json LogFields(const State& s, const std::string& key, const Pending& ev) {
  Json f = Json::object();
  f["event"] = ev.event;
  f["order_key"] = key;
  f["target"] = s.target;
  return f;
}

// Sends one event until it is accepted or retries are exhausted (true), or until the sender is
// closed (false: the event was abandoned).
Task<bool> Deliver(std::shared_ptr<State> s, std::string key, const Pending& ev) {
  const int attempts = 1 + std::max(0, s->options.max_retries);
  Millis backoff = s->options.first_backoff;
  std::string last_error;
  int attempt = 1;
  for (; attempt <= attempts; ++attempt) {
    if (attempt > 1) {
      co_await SleepFor(s->timers, backoff);
      backoff *= 2;
    }
    if (s->IsClosed()) {
      co_return false;  // The worker drops what is left and logs it.
    }
    HttpClientRequest req;
    req.method = "POST";
    req.url = s->options.url;
    req.headers.emplace_back("Content-Type", "application/json");
    req.headers.emplace_back("X-Timestamp", std::to_string(ev.timestamp_ms));
    req.headers.emplace_back("X-Signature", ev.signature);
    req.body = ev.body;
    req.timeout = s->options.attempt_timeout;
    bool permanent = false;
    try {
      auto res = co_await s->http.Send(std::move(req));
      if (!res.ok()) {
        last_error = res.status().ToString();
        // A URL or header the client cannot use will not become usable by waiting.
        permanent = res.status().code() == StatusCode::kInvalidArgument;
      } else if (res->status < 200 || res->status > 299) {
        last_error = "HTTP status " + std::to_string(res->status);
      } else {
        Json f = LogFields(*s, key, ev);
        f["attempts"] = attempt;
        log::Debug("webhook delivered", f);
        co_return true;
      }
    } catch (const std::exception& e) {
      last_error = std::string("unexpected error: ") + e.what();
    }
    if (permanent) {
      break;
    }
    if (attempt < attempts) {
      Json f = LogFields(*s, key, ev);
      f["attempt"] = attempt;
      f["error"] = last_error;
      f["retry_in_ms"] = backoff.count();
      log::Warn("webhook attempt failed; retrying", f);
    }
  }
  Json f = LogFields(*s, key, ev);
  f["attempts"] = std::min(attempt, attempts);
  f["error"] = last_error;
  log::Error("webhook delivery failed; giving up", f);
  co_return true;
}

// The one worker of `key`: delivers the key's events in order, then leaves when its queue is
// empty. Enqueue starts a new worker for a key that has none.
Task<void> Worker(std::shared_ptr<State> s, std::string key) {
  for (;;) {
    Pending ev;
    {
      std::lock_guard lock(s->mu);
      // The front stays in the deque (moved-from) until it is finished, so `total` counts it.
      ev = std::move(s->queues.at(key).front());
    }
    const bool finished = co_await Deliver(s, key, ev);
    std::vector<std::shared_ptr<OneShot>> wake;
    bool done = false;
    size_t abandoned = finished ? 0 : 1;
    {
      std::lock_guard lock(s->mu);
      auto& q = s->queues.at(key);
      q.pop_front();
      --s->total;
      if (s->closed) {
        abandoned += q.size();
        s->total -= q.size();
        q.clear();
      }
      if (q.empty()) {
        s->queues.erase(key);
        done = true;
      }
      wake = s->TakeWaitersIfIdle();
    }
    for (auto& w : wake) {
      w->Set();
    }
    if (abandoned > 0) {
      Json f = Json::object();
      f["order_key"] = key;
      f["events"] = abandoned;
      log::Error("webhook sender destroyed; undelivered events dropped", f);
    }
    if (done) {
      co_return;
    }
  }
}

}  // namespace

WebhookSender::WebhookSender(asio::any_io_executor executor, HttpClient& http, Timers& timers,
                             const Clock& clock, WebhookSenderOptions options)
    : state_(std::make_shared<State>(std::move(executor), http, timers, clock,
                                     std::move(options))) {
  if (auto url = ParseHttpUrl(state_->options.url); url.ok()) {
    state_->target = url->host + ":" + std::to_string(url->port);
  } else {
    state_->target = "(invalid URL)";
  }
}

WebhookSender::~WebhookSender() {
  // Workers hold the state; they notice this at their next step and stop.
  std::lock_guard lock(state_->mu);
  state_->closed = true;
}

void WebhookSender::Enqueue(recording::AppEvent event, std::string order_key, Json data) {
  const auto& o = state_->options;
  if (!o.enabled || o.url.empty()) {
    return;
  }
  if (o.signing_key.empty()) {
    if (!state_->warned_no_key.exchange(true)) {
      log::Warn("There are no API keys configured yet. Please, create one to use webhooks.");
    }
    return;
  }
  Pending p;
  p.event = recording::AppEventName(event);
  p.timestamp_ms = state_->clock.NowMs();
  Json body = Json::object();
  body["event"] = p.event;
  body["creationDate"] = p.timestamp_ms;
  body["data"] = std::move(data);
  // `replace` keeps dump() from throwing on invalid UTF-8 in the data: Enqueue never fails.
  p.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  p.signature = SignWebhook(o.signing_key, p.timestamp_ms, p.body);

  bool start_worker = false;
  bool full = false;
  uint64_t dropped = 0;
  {
    std::lock_guard lock(state_->mu);
    if (state_->closed) {
      return;
    }
    if (state_->total >= o.max_queued) {
      full = true;
      dropped = ++state_->dropped;
    } else {
      auto [it, inserted] = state_->queues.try_emplace(order_key);
      it->second.push_back(std::move(p));
      ++state_->total;
      start_worker = inserted;
    }
  }
  if (full) {
    Json f = Json::object();
    f["event"] = recording::AppEventName(event);
    f["order_key"] = order_key;
    f["max_queued"] = o.max_queued;
    f["dropped_total"] = dropped;
    log::Error("webhook queue full; event dropped", f);
    return;
  }
  if (start_worker) {
    asio::co_spawn(state_->executor, Worker(state_, std::move(order_key)), asio::detached);
  }
}

Task<void> WebhookSender::Drain(Millis timeout) {
  auto done = OneShot::Make();
  {
    std::lock_guard lock(state_->mu);
    if (state_->total == 0) {
      done->Set();
    } else {
      state_->drain_waiters.push_back(done);
    }
  }
  std::shared_ptr<TimerHandle> timer;
  if (!done->is_set()) {
    timer = state_->timers.After(timeout, [done] { done->Set(); });
    co_await done->Wait();
    timer->Cancel();
  }
  size_t left = 0;
  {
    std::lock_guard lock(state_->mu);
    left = state_->total;
    auto& w = state_->drain_waiters;
    w.erase(std::remove(w.begin(), w.end(), done), w.end());
  }
  if (left > 0) {
    Json f = Json::object();
    f["events"] = left;
    log::Error("webhook drain timed out; events not yet delivered", f);
  }
}

size_t WebhookSender::QueuedForTest() const {
  std::lock_guard lock(state_->mu);
  return state_->total;
}

}  // namespace mr::notify
