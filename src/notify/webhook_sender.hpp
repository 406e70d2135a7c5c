#pragma once
// WebhookSender: the AppWebhooks port over signed HTTP POSTs to the application (reference §5.7,
// scope Q26: retried with backoff and signed, instead of the reference's fire-and-forget).
//
// Enqueue turns an event into its final request at once:
//   body    = {"event":<name>,"creationDate":<ms>,"data":<data>} (compact, in this key order),
//             creationDate = clock.NowMs() at Enqueue;
//   headers = Content-Type: application/json, X-Timestamp: <creationDate in decimal>,
//             X-Signature: SignWebhook(signing_key, creationDate, body).
// Every retry of one event sends these same bytes, timestamp and signature, so a receiver that got
// an event whose response was lost can recognise the retry by its X-Signature and drop it.
//
// Delivery: events are queued per `order_key` (FIFO). Each key has at most one request in flight,
// so a key's events arrive in the order queued; different keys are delivered in parallel and a
// failing key never holds up another. An attempt fails on a network error, after
// `attempt_timeout`, or on any status outside 200-299; it is then retried after `first_backoff`,
// doubling each time (300, 600, 1200, 2400, 4800 ms by default), up to `max_retries` retries. After
// the last failure the event is logged with log::Error and the key moves on to its next event.
// Waits go through the injected Timers, so a test's FakeClock drives them.
//
// Bounds: at most `max_queued` events (queued plus in flight, over all keys) are held; an event
// beyond that is dropped and logged with log::Error (STYLE rule 8: a full queue is an error).
// Disabled senders (enabled false, or no url, or no signing key) drop every event; the missing
// key is logged once at warn, as the reference does. The signing key is never logged, and the
// URL is logged only as host and port (a query string may carry a token).
//
// Thread safety: Enqueue, QueuedForTest and Drain may be called from any thread concurrently.
// Enqueue takes one mutex and posts work to the executor; it never waits for I/O.
// Lifetime: the HttpClient, Timers and Clock must outlive the executor's io_context run (or a
// Drain that returned with nothing queued). Destroying the sender while events are pending is
// allowed: delivery workers then stop before their next attempt and drop what is left.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "common/async.hpp"
#include "common/clock.hpp"
#include "common/http_client.hpp"
#include "common/json.hpp"
#include "common/timers.hpp"
#include "recording/app_webhooks.hpp"

namespace mr::notify {

struct WebhookSenderOptions {
  bool enabled = false;       // False: every event is dropped silently.
  std::string url;            // http:// or https:// URL to POST to. Empty: events are dropped.
  std::string signing_key;    // HMAC key (the first API key). Empty: dropped, warned once.
  Millis attempt_timeout{5000};  // Bound on each attempt (connect, send, response).
  int max_retries = 5;           // Retries after the first attempt; 0 = one attempt only.
  Millis first_backoff{300};     // Wait before the first retry; doubles for each next one.
  size_t max_queued = 10000;     // Events held at once (queued plus in flight).
};

class WebhookSender final : public recording::AppWebhooks {
 public:
  // Delivery coroutines run on `executor`; `http` sends, `timers` waits between attempts, `clock`
  // stamps creationDate. Nothing is sent until an event is queued.
  WebhookSender(asio::any_io_executor executor, HttpClient& http, Timers& timers,
                const Clock& clock, WebhookSenderOptions options);
  ~WebhookSender() override;
  WebhookSender(const WebhookSender&) = delete;
  WebhookSender& operator=(const WebhookSender&) = delete;

  // Queues the event for `order_key` and returns at once (see the class comment for when it is
  // dropped instead). Never throws for a full queue or a delivery failure; those are logged.
  void Enqueue(recording::AppEvent event, std::string order_key, Json data) override;

  // For shutdown: completes once no event is queued or in flight, or after `timeout` of the
  // Timers' time, whichever is first; on timeout the number of undelivered events is logged with
  // log::Error. Queued events keep being delivered afterwards if the io_context keeps running.
  Task<void> Drain(Millis timeout);

  // Events queued or in flight, over all keys.
  size_t QueuedForTest() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace mr::notify
