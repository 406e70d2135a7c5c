// WebhookSender retry timing driven by mr::fakes::FakeClock (STYLE rule 2): the backoff schedule
// and the Drain timeout are checked to the millisecond without sleeping. HTTP is a scripted fake;
// the sender's io_context is polled from the test thread.
// Built only once tests/fakes/fake_clock.hpp exists (it is written alongside this module).

#if __has_include("fakes/fake_clock.hpp")

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/detached.hpp>

#include "fakes/fake_clock.hpp"
#include "notify/webhook_sender.hpp"
#include "notify/webhook_signature.hpp"

namespace mr::notify {
namespace {

using recording::AppEvent;
using fakes::FakeClock;

// Answers each Send at once with the next scripted status (the last one repeats) and records the
// requests.
class ScriptedHttpClient final : public HttpClient {
 public:
  explicit ScriptedHttpClient(std::vector<int> statuses) : statuses_(std::move(statuses)) {}

  Task<Result<HttpClientResponse>> Send(HttpClientRequest request) override {
    HttpClientResponse res;
    {
      std::lock_guard lock(mu_);
      size_t i = std::min(requests_.size(), statuses_.size() - 1);
      res.status = statuses_[i];
      requests_.push_back(std::move(request));
    }
    co_return res;
  }

  std::vector<HttpClientRequest> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  size_t sends() const { return requests().size(); }

 private:
  const std::vector<int> statuses_;
  mutable std::mutex mu_;
  std::vector<HttpClientRequest> requests_;  // guarded by mu_
};

std::string HeaderOf(const HttpClientRequest& r, const std::string& name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) {
      return v;
    }
  }
  return "";
}

class WebhookSenderFakeClockTest : public ::testing::Test {
 protected:
  // Runs every ready handler of the sender's io_context (bounded).
  void Pump() {
    for (int i = 0; i < 1000; ++i) {
      ioc_.restart();
      if (ioc_.poll() == 0) {
        return;
      }
    }
  }

  // Destroys the sender and lets its worker run out: a worker left suspended on a timer that
  // never fires would keep its coroutine frame (and the state) alive until process exit.
  void Finish(std::unique_ptr<WebhookSender>& sender) {
    sender.reset();
    for (int i = 0; i < 20 && clock_.PendingTimers() > 0; ++i) {
      clock_.Advance(Millis(60000));
      Pump();
    }
    EXPECT_EQ(clock_.PendingTimers(), 0u);
  }

  std::unique_ptr<WebhookSender> Make(HttpClient& http) {
    WebhookSenderOptions o;
    o.enabled = true;
    o.url = "http://app.invalid/hook";
    o.signing_key = "k3y";
    return std::make_unique<WebhookSender>(ioc_.get_executor(), http, clock_, clock_, o);
  }

  FakeClock clock_;
  asio::io_context ioc_;
};

TEST_F(WebhookSenderFakeClockTest, RetriesAfter300600120024004800Ms) {
  ScriptedHttpClient http({500, 500, 502, 503, 500, 200});
  auto sender = Make(http);
  Json data = Json::object();
  data["a"] = 1;
  sender->Enqueue(AppEvent::kRecordingEnded, "rec-1", data);
  Pump();
  ASSERT_EQ(http.sends(), 1u);
  size_t expected_sends = 1;
  for (int wait : {300, 600, 1200, 2400, 4800}) {
    SCOPED_TRACE(wait);
    clock_.Advance(Millis(wait - 1));
    Pump();
    EXPECT_EQ(http.sends(), expected_sends) << "retried too early";
    clock_.Advance(Millis(1));
    Pump();
    EXPECT_EQ(http.sends(), ++expected_sends);
  }
  EXPECT_EQ(sender->QueuedForTest(), 0u);
  EXPECT_EQ(clock_.PendingTimers(), 0u);

  // Every attempt carries the same bytes, stamped when the event was queued.
  auto reqs = http.requests();
  ASSERT_EQ(reqs.size(), 6u);
  const std::string ts = std::to_string(FakeClock::kDefaultStartMs);
  for (const auto& r : reqs) {
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.url, "http://app.invalid/hook");
    EXPECT_EQ(r.timeout, Millis(5000));
    EXPECT_EQ(r.body, reqs[0].body);
    EXPECT_EQ(HeaderOf(r, "X-Timestamp"), ts);
    EXPECT_EQ(HeaderOf(r, "Content-Type"), "application/json");
    EXPECT_TRUE(VerifyWebhook("k3y", FakeClock::kDefaultStartMs, r.body, HeaderOf(r, "X-Signature")));
  }
  EXPECT_EQ(reqs[0].body,
            R"({"event":"recordingEnded","creationDate":)" + ts + R"(,"data":{"a":1}})");
}

TEST_F(WebhookSenderFakeClockTest, GivesUpAfterFiveRetriesThenSendsTheNextEvent) {
  ScriptedHttpClient http({500});
  auto sender = Make(http);
  sender->Enqueue(AppEvent::kRecordingUpdated, "rec-1", Json::object());
  sender->Enqueue(AppEvent::kRecordingEnded, "rec-1", Json::object());
  Pump();
  for (int i = 0; i < 5; ++i) {
    clock_.Advance(Millis(5000));  // More than any single backoff.
    Pump();
  }
  // Six attempts of the first event, then the second event's first attempt.
  auto reqs = http.requests();
  ASSERT_EQ(reqs.size(), 7u);
  EXPECT_NE(reqs[0].body.find("recordingUpdated"), std::string::npos);
  EXPECT_NE(reqs[5].body.find("recordingUpdated"), std::string::npos);
  EXPECT_NE(reqs[6].body.find("recordingEnded"), std::string::npos);
  EXPECT_EQ(sender->QueuedForTest(), 1u);
  Finish(sender);
  EXPECT_EQ(http.sends(), 7u) << "a destroyed sender makes no further attempts";
}

TEST_F(WebhookSenderFakeClockTest, DrainWaitsForItsTimeoutOnTheTimers) {
  ScriptedHttpClient http({500});
  auto sender = Make(http);
  sender->Enqueue(AppEvent::kMeetingEnded, "room", Json::object());
  Pump();
  std::atomic<bool> drained{false};
  asio::co_spawn(
      ioc_,
      [](WebhookSender* s, std::atomic<bool>* done) -> Task<void> {
        co_await s->Drain(Millis(1000));
        *done = true;
      }(sender.get(), &drained),
      asio::detached);
  Pump();
  EXPECT_FALSE(drained);
  clock_.Advance(Millis(999));
  Pump();
  EXPECT_FALSE(drained);
  clock_.Advance(Millis(1));
  Pump();
  EXPECT_TRUE(drained);
  EXPECT_EQ(sender->QueuedForTest(), 1u);
  Finish(sender);
}

TEST_F(WebhookSenderFakeClockTest, DrainCompletesWhenTheQueueEmpties) {
  ScriptedHttpClient http({500, 200});
  auto sender = Make(http);
  sender->Enqueue(AppEvent::kMeetingStarted, "room", Json::object());
  std::atomic<bool> drained{false};
  asio::co_spawn(
      ioc_,
      [](WebhookSender* s, std::atomic<bool>* done) -> Task<void> {
        co_await s->Drain(Millis(60000));
        *done = true;
      }(sender.get(), &drained),
      asio::detached);
  Pump();
  EXPECT_FALSE(drained);
  clock_.Advance(Millis(300));
  Pump();
  EXPECT_TRUE(drained);
  EXPECT_EQ(http.sends(), 2u);
  EXPECT_EQ(clock_.PendingTimers(), 0u) << "the drain timer is cancelled";
}

}  // namespace
}  // namespace mr::notify

#endif  // __has_include("fakes/fake_clock.hpp")
