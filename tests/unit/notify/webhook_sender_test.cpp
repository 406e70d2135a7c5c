// WebhookSender against a real HTTP receiver (mr::http::Server on 127.0.0.1, port 0) through the
// real BeastHttpClient. Retry waits use AsioTimers with backoffs of a few milliseconds, or a
// Timers wrapper that records the requested delays and fires at once.

#include "notify/webhook_sender.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/beast_http_client.hpp"
#include "common/http/server.hpp"
#include "common/timers.hpp"
#include "notify/webhook_signature.hpp"
#include "unit/common_http/test_support.hpp"

namespace mr::notify {
namespace {

using recording::AppEvent;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int64_t kNowMs = 1727000000123;
constexpr char kKey[] = "k3y";

class FixedClock final : public Clock {
 public:
  WallTime Now() const override { return WallTime(milliseconds(ms_.load())); }
  MonoTime Monotonic() const override { return MonoTime(milliseconds(ms_.load())); }
  void Set(int64_t ms) { ms_ = ms; }

 private:
  std::atomic<int64_t> ms_{kNowMs};
};

// Counts Send calls and forwards them to the real client.
class CountingHttpClient final : public HttpClient {
 public:
  explicit CountingHttpClient(HttpClient& inner) : inner_(inner) {}
  Task<Result<HttpClientResponse>> Send(HttpClientRequest request) override {
    ++sends_;
    co_return co_await inner_.Send(std::move(request));
  }
  int sends() const { return sends_.load(); }

 private:
  HttpClient& inner_;
  std::atomic<int> sends_{0};
};

// Records every requested delay and fires the callback right away (through the real timers, so it
// still runs on the io_context).
class RecordingTimers final : public Timers {
 public:
  explicit RecordingTimers(Timers& inner) : inner_(inner) {}
  std::shared_ptr<TimerHandle> After(Millis delay, std::function<void()> fn) override {
    {
      std::lock_guard lock(mu_);
      delays_.push_back(delay);
    }
    return inner_.After(Millis(0), std::move(fn));
  }
  std::vector<Millis> delays() const {
    std::lock_guard lock(mu_);
    return delays_;
  }

 private:
  Timers& inner_;
  mutable std::mutex mu_;
  std::vector<Millis> delays_;  // guarded by mu_
};

struct Received {
  std::string target;
  std::string method;
  std::string body;
  std::string content_type;
  std::string timestamp;
  std::string signature;
  std::string key;  // data.key of the event.
  int seq = 0;      // data.seq of the event.
};

// Polls `cond` every 2 ms for at most `limit`.
bool WaitUntil(const std::function<bool()>& cond, milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (int i = 0; i < 100000 && std::chrono::steady_clock::now() < deadline; ++i) {
    if (cond()) {
      return true;
    }
    std::this_thread::sleep_for(milliseconds(2));
  }
  return cond();
}

class WebhookSenderTest : public ::testing::Test {
 protected:
  // Decides the status of the nth request (0-based, over all requests) carrying `r`.
  using Decide = std::function<int(const Received& r, size_t nth)>;

  WebhookSenderTest() : io_(2), client_(io_.ioc().get_executor()), timers_(io_.ioc()) {}

  void TearDown() override { io_.Stop(); }

  void StartReceiver(Decide decide, milliseconds first_delay = milliseconds(0)) {
    decide_ = std::move(decide);
    server_ = std::make_unique<http::Server>(
        io_.ioc(), http::ServerOptions{}, [this, first_delay](http::Request& req) -> Task<http::Response> {
          Received r;
          r.target = req.target;
          r.method = req.method;
          r.body = req.body;
          r.content_type = std::string(req.Header("content-type").value_or(""));
          r.timestamp = std::string(req.Header("x-timestamp").value_or(""));
          r.signature = std::string(req.Header("x-signature").value_or(""));
          Json body = Json::parse(req.body, nullptr, false);
          if (body.is_object() && body.contains("data") && body["data"].is_object()) {
            r.key = body["data"].value("key", "");
            r.seq = body["data"].value("seq", 0);
          }
          size_t nth = 0;
          {
            std::lock_guard lock(mu_);
            nth = received_.size();
            received_.push_back(r);
          }
          if (nth == 0 && first_delay.count() > 0) {
            asio::steady_timer t(co_await asio::this_coro::executor, first_delay);
            co_await t.async_wait(asio::use_awaitable);
          }
          http::Response res;
          res.status = decide_(r, nth);
          res.body = "ok";
          co_return res;
        });
    ASSERT_TRUE(server_->Start().ok());
  }

  // REQUIRES: StartReceiver was called.
  std::string Url() const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + "/hooks/meet?token=t";
  }

  WebhookSenderOptions Options() const {
    WebhookSenderOptions o;
    o.enabled = true;
    o.url = server_ ? Url() : "";
    o.signing_key = kKey;
    o.attempt_timeout = seconds(5);
    o.first_backoff = milliseconds(1);
    return o;
  }

  std::unique_ptr<WebhookSender> Make(WebhookSenderOptions o, HttpClient* http = nullptr,
                                      Timers* timers = nullptr) {
    return std::make_unique<WebhookSender>(io_.ioc().get_executor(), http ? *http : client_,
                                           timers ? *timers : timers_, clock_, std::move(o));
  }

  static Json Data(const std::string& key, int seq) {
    Json d = Json::object();
    d["key"] = key;
    d["seq"] = seq;
    return d;
  }

  std::vector<Received> All() {
    std::lock_guard lock(mu_);
    return received_;
  }
  std::vector<int> SeqsOf(const std::string& key) {
    std::vector<int> out;
    for (const auto& r : All()) {
      if (r.key == key) {
        out.push_back(r.seq);
      }
    }
    return out;
  }

  mr::test::IoThreads io_;
  BeastHttpClient client_;
  AsioTimers timers_;
  FixedClock clock_;
  Decide decide_;
  std::mutex mu_;
  std::vector<Received> received_;  // guarded by mu_
  std::unique_ptr<http::Server> server_;
};

TEST_F(WebhookSenderTest, DeliversSignedBodyAndHeaders) {
  StartReceiver([](const Received&, size_t) { return 200; });
  auto sender = Make(Options());
  Json data = Json::object();
  data["a"] = 1;
  sender->Enqueue(AppEvent::kRecordingEnded, "room--EG_1--u1", data);
  io_.Await(sender->Drain(seconds(10)));
  EXPECT_EQ(sender->QueuedForTest(), 0u);

  auto got = All();
  ASSERT_EQ(got.size(), 1u);
  const auto& r = got[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/hooks/meet?token=t");
  EXPECT_EQ(r.body, R"({"event":"recordingEnded","creationDate":1727000000123,"data":{"a":1}})");
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.timestamp, "1727000000123");
  // Computed independently with `openssl dgst -sha256 -hmac k3y` (see webhook_signature_test).
  EXPECT_EQ(r.signature, "b45b41c61c7d3ec55c5d37391ea38e8aad9bb0e77735f4b4e8965672f1df6b82");
  EXPECT_TRUE(VerifyWebhook(kKey, std::stoll(r.timestamp), r.body, r.signature));
}

TEST_F(WebhookSenderTest, EventNamesAndCreationDateAtEnqueue) {
  StartReceiver([](const Received&, size_t) { return 200; });
  auto sender = Make(Options());
  const std::vector<std::pair<AppEvent, std::string>> events = {
      {AppEvent::kRecordingStarted, "recordingStarted"},
      {AppEvent::kRecordingUpdated, "recordingUpdated"},
      {AppEvent::kRecordingEnded, "recordingEnded"},
      {AppEvent::kMeetingStarted, "meetingStarted"},
      {AppEvent::kMeetingEnded, "meetingEnded"},
  };
  for (size_t i = 0; i < events.size(); ++i) {
    clock_.Set(kNowMs + static_cast<int64_t>(i));
    sender->Enqueue(events[i].first, "one-key", Data("one-key", static_cast<int>(i)));
  }
  io_.Await(sender->Drain(seconds(10)));
  auto got = All();
  ASSERT_EQ(got.size(), events.size());
  for (size_t i = 0; i < got.size(); ++i) {
    Json body = Json::parse(got[i].body);
    EXPECT_EQ(body["event"], events[i].second);
    EXPECT_EQ(body["creationDate"], kNowMs + static_cast<int64_t>(i));
    EXPECT_EQ(got[i].timestamp, std::to_string(kNowMs + static_cast<int64_t>(i)));
    EXPECT_TRUE(VerifyWebhook(kKey, kNowMs + static_cast<int64_t>(i), got[i].body, got[i].signature));
  }
}

TEST_F(WebhookSenderTest, OrderPerKeyPreservedUnderRetries) {
  // The first two requests fail: the first event is retried twice, and the events behind it wait.
  StartReceiver([](const Received&, size_t nth) { return nth < 2 ? 500 : 200; });
  auto sender = Make(Options());
  for (int seq = 1; seq <= 3; ++seq) {
    clock_.Set(kNowMs + seq);
    sender->Enqueue(AppEvent::kRecordingUpdated, "rec-1", Data("rec-1", seq));
  }
  io_.Await(sender->Drain(seconds(10)));
  EXPECT_EQ(sender->QueuedForTest(), 0u);
  auto got = All();
  EXPECT_EQ(SeqsOf("rec-1"), (std::vector<int>{1, 1, 1, 2, 3}));
  ASSERT_EQ(got.size(), 5u);
  // A retry is byte-identical: same body, same timestamp, same signature.
  for (size_t i = 1; i < 3; ++i) {
    EXPECT_EQ(got[i].body, got[0].body);
    EXPECT_EQ(got[i].timestamp, got[0].timestamp);
    EXPECT_EQ(got[i].signature, got[0].signature);
  }
  EXPECT_TRUE(VerifyWebhook(kKey, std::stoll(got[0].timestamp), got[0].body, got[0].signature));
}

TEST_F(WebhookSenderTest, OrderPerKeyPreservedAcrossParallelKeys) {
  // Every third request fails, whichever key it belongs to.
  StartReceiver([](const Received&, size_t nth) { return nth % 3 == 0 ? 503 : 204; });
  auto sender = Make(Options());
  const std::vector<std::string> keys = {"a", "b", "c"};
  for (int seq = 1; seq <= 4; ++seq) {
    for (const auto& k : keys) {
      sender->Enqueue(AppEvent::kRecordingUpdated, k, Data(k, seq));
    }
  }
  io_.Await(sender->Drain(seconds(10)));
  EXPECT_EQ(sender->QueuedForTest(), 0u);
  for (const auto& k : keys) {
    SCOPED_TRACE(k);
    auto seqs = SeqsOf(k);
    ASSERT_GE(seqs.size(), 4u);
    EXPECT_TRUE(std::is_sorted(seqs.begin(), seqs.end()));
    EXPECT_EQ(seqs.front(), 1);
    EXPECT_EQ(seqs.back(), 4);
  }
}

TEST_F(WebhookSenderTest, FailingKeyDoesNotBlockOtherKeys) {
  StartReceiver([](const Received& r, size_t) { return r.key == "bad" ? 500 : 200; });
  auto o = Options();
  o.first_backoff = milliseconds(200);  // "bad" needs 200 + 400 + 800 ms to give up.
  o.max_retries = 3;
  auto sender = Make(o);
  sender->Enqueue(AppEvent::kRecordingUpdated, "bad", Data("bad", 1));
  sender->Enqueue(AppEvent::kRecordingUpdated, "good", Data("good", 1));
  sender->Enqueue(AppEvent::kRecordingUpdated, "good", Data("good", 2));
  // "good" is finished while "bad" is still being retried.
  ASSERT_TRUE(WaitUntil([&] { return sender->QueuedForTest() == 1; }, seconds(5)));
  EXPECT_EQ(SeqsOf("good"), (std::vector<int>{1, 2}));
  EXPECT_LT(SeqsOf("bad").size(), 4u);

  io_.Await(sender->Drain(seconds(10)));
  EXPECT_EQ(sender->QueuedForTest(), 0u);
  EXPECT_EQ(SeqsOf("bad"), (std::vector<int>{1, 1, 1, 1}));
}

TEST_F(WebhookSenderTest, GivesUpAfterMaxRetriesAndMovesOn) {
  StartReceiver([](const Received&, size_t) { return 500; });
  auto o = Options();
  o.max_retries = 3;
  auto sender = Make(o);
  sender->Enqueue(AppEvent::kRecordingEnded, "rec-1", Data("rec-1", 1));
  sender->Enqueue(AppEvent::kRecordingEnded, "rec-1", Data("rec-1", 2));
  io_.Await(sender->Drain(seconds(10)));
  EXPECT_EQ(sender->QueuedForTest(), 0u);
  EXPECT_EQ(SeqsOf("rec-1"), (std::vector<int>{1, 1, 1, 1, 2, 2, 2, 2}));
}

TEST_F(WebhookSenderTest, ZeroRetriesMeansOneAttempt) {
  StartReceiver([](const Received&, size_t) { return 404; });
  auto o = Options();
  o.max_retries = 0;
  auto sender = Make(o);
  sender->Enqueue(AppEvent::kMeetingStarted, "room", Data("room", 1));
  io_.Await(sender->Drain(seconds(10)));
  EXPECT_EQ(SeqsOf("room"), (std::vector<int>{1}));
}

TEST_F(WebhookSenderTest, DefaultBackoffDoublesFrom300Ms) {
  StartReceiver([](const Received&, size_t) { return 500; });
  RecordingTimers timers(timers_);
  auto o = Options();
  o.first_backoff = WebhookSenderOptions{}.first_backoff;
  o.max_retries = WebhookSenderOptions{}.max_retries;
  auto sender = Make(o, nullptr, &timers);
  sender->Enqueue(AppEvent::kRecordingEnded, "rec-1", Data("rec-1", 1));
  // Not Drain: its own timeout would go through the recording timers and fire at once.
  ASSERT_TRUE(WaitUntil([&] { return sender->QueuedForTest() == 0; }, seconds(10)));
  EXPECT_EQ(timers.delays(), (std::vector<Millis>{Millis(300), Millis(600), Millis(1200),
                                                   Millis(2400), Millis(4800)}));
  EXPECT_EQ(SeqsOf("rec-1").size(), 6u);
}

TEST_F(WebhookSenderTest, NetworkErrorIsRetriedThenGivenUp) {
  uint16_t port = 0;
  {
    // Bind a free port, then release it: nobody listens there any more.
    asio::ip::tcp::acceptor probe(io_.ioc(), {asio::ip::make_address("127.0.0.1"), 0});
    port = probe.local_endpoint().port();
  }
  CountingHttpClient counting(client_);
  auto o = Options();
  o.url = "http://127.0.0.1:" + std::to_string(port) + "/hook";
  o.max_retries = 2;
  auto sender = Make(o, &counting);
  sender->Enqueue(AppEvent::kRecordingEnded, "rec-1", Data("rec-1", 1));
  io_.Await(sender->Drain(seconds(10)));
  EXPECT_EQ(sender->QueuedForTest(), 0u);
  EXPECT_EQ(counting.sends(), 3);
}

TEST_F(WebhookSenderTest, AttemptTimeoutIsAFailure) {
  // The first request is answered only after 1 s; the attempt gives up after 100 ms and retries.
  StartReceiver([](const Received&, size_t) { return 200; }, milliseconds(1000));
  CountingHttpClient counting(client_);
  auto o = Options();
  o.attempt_timeout = milliseconds(100);
  auto sender = Make(o, &counting);
  const auto start = std::chrono::steady_clock::now();
  sender->Enqueue(AppEvent::kRecordingEnded, "rec-1", Data("rec-1", 1));
  io_.Await(sender->Drain(seconds(10)));
  EXPECT_EQ(sender->QueuedForTest(), 0u);
  EXPECT_EQ(counting.sends(), 2);
  EXPECT_EQ(SeqsOf("rec-1"), (std::vector<int>{1, 1}));
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(900));
}

TEST_F(WebhookSenderTest, DisabledSendsNothing) {
  StartReceiver([](const Received&, size_t) { return 200; });
  auto disabled = Options();
  disabled.enabled = false;
  auto no_url = Options();
  no_url.url.clear();
  auto no_key = Options();
  no_key.signing_key.clear();
  for (const auto& o : {disabled, no_url, no_key}) {
    auto sender = Make(o);
    for (int i = 0; i < 2; ++i) {  // The second no-key event is not warned about again.
      sender->Enqueue(AppEvent::kRecordingStarted, "rec-1", Data("rec-1", i));
    }
    EXPECT_EQ(sender->QueuedForTest(), 0u);
    io_.Await(sender->Drain(seconds(1)));
  }
  // Nothing was queued, so nothing can arrive later; a real request takes well under this.
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_TRUE(All().empty());
}

TEST_F(WebhookSenderTest, QueueIsBoundedAndDropsTheNewest) {
  StartReceiver([](const Received&, size_t) { return 200; });
  // The sender's own io_context is not run until Drain, so nothing completes while queueing.
  asio::io_context ioc;
  BeastHttpClient client(ioc.get_executor());
  AsioTimers timers(ioc);
  auto o = Options();
  o.max_queued = 3;
  WebhookSender sender(ioc.get_executor(), client, timers, clock_, o);
  sender.Enqueue(AppEvent::kRecordingUpdated, "a", Data("a", 1));
  sender.Enqueue(AppEvent::kRecordingUpdated, "a", Data("a", 2));
  sender.Enqueue(AppEvent::kRecordingUpdated, "b", Data("b", 1));
  sender.Enqueue(AppEvent::kRecordingUpdated, "c", Data("c", 1));  // Dropped.
  sender.Enqueue(AppEvent::kRecordingUpdated, "a", Data("a", 3));  // Dropped.
  EXPECT_EQ(sender.QueuedForTest(), 3u);
  RunTask(ioc, sender.Drain(seconds(10)));
  EXPECT_EQ(sender.QueuedForTest(), 0u);
  EXPECT_EQ(SeqsOf("a"), (std::vector<int>{1, 2}));
  EXPECT_EQ(SeqsOf("b"), (std::vector<int>{1}));
  EXPECT_TRUE(SeqsOf("c").empty());

  // Room again once delivered.
  sender.Enqueue(AppEvent::kRecordingUpdated, "c", Data("c", 2));
  EXPECT_EQ(sender.QueuedForTest(), 1u);
  RunTask(ioc, sender.Drain(seconds(10)));
  EXPECT_EQ(SeqsOf("c"), (std::vector<int>{2}));
}

TEST_F(WebhookSenderTest, DrainReturnsAtItsTimeout) {
  StartReceiver([](const Received&, size_t) { return 500; });
  auto o = Options();
  o.first_backoff = milliseconds(600);
  o.max_retries = 1;
  auto sender = Make(o);
  sender->Enqueue(AppEvent::kRecordingEnded, "rec-1", Data("rec-1", 1));
  const auto start = std::chrono::steady_clock::now();
  io_.Await(sender->Drain(milliseconds(200)));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, milliseconds(190));
  EXPECT_LT(elapsed, milliseconds(590));
  EXPECT_EQ(sender->QueuedForTest(), 1u);
  // A second Drain sees the retry through (no worker is left suspended at the end of the test).
  io_.Await(sender->Drain(seconds(10)));
  EXPECT_EQ(sender->QueuedForTest(), 0u);
  EXPECT_EQ(SeqsOf("rec-1"), (std::vector<int>{1, 1}));
}

TEST_F(WebhookSenderTest, ConcurrentEnqueueKeepsEachKeysOrder) {
  StartReceiver([](const Received&, size_t nth) { return nth % 5 == 0 ? 500 : 200; });
  auto sender = Make(Options());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int seq = 1; seq <= 10; ++seq) {
        const std::string key = "t" + std::to_string(t) + "-k" + std::to_string(seq % 2);
        sender->Enqueue(AppEvent::kRecordingUpdated, key, Data(key, seq));
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  io_.Await(sender->Drain(seconds(20)));
  EXPECT_EQ(sender->QueuedForTest(), 0u);
  for (int t = 0; t < 4; ++t) {
    for (int k = 0; k < 2; ++k) {
      const std::string key = "t" + std::to_string(t) + "-k" + std::to_string(k);
      SCOPED_TRACE(key);
      auto seqs = SeqsOf(key);
      EXPECT_TRUE(std::is_sorted(seqs.begin(), seqs.end()));
      std::vector<int> unique = seqs;
      unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
      EXPECT_EQ(unique.size(), 5u);
    }
  }
}

}  // namespace
}  // namespace mr::notify
