// The LiveKit webhook route de-duplicates across a fleet: instances share a LockService, and a
// webhook delivered to several of them is handled by one.

#include "api/livekit_webhook_route.hpp"

#include <gtest/gtest.h>

#include "common/jwt.hpp"
#include "coordination/lock_service.hpp"
#include "fakes/fake_clock.hpp"

namespace mr::api {
namespace {

constexpr const char* kKey = "devkey";
constexpr const char* kSecret = "secret-secret-secret-secret-secret";

std::string Sign(const std::string& body, int64_t now_s) {
  Json claims = Json::object();
  claims["iss"] = kKey;
  claims["exp"] = now_s + 300;
  claims["nbf"] = now_s;
  claims["sha256"] = jwt::Base64Encode(jwt::Sha256(body));
  return jwt::SignHs256(claims, kSecret);
}

// A lock service whose back-end is down.
class DownLocks final : public coordination::LockService {
 public:
  Task<Result<bool>> Acquire(std::string, std::string, std::chrono::milliseconds) override {
    co_return UnavailableError("redis down");
  }
  Task<Result<bool>> Renew(std::string, std::string, std::chrono::milliseconds) override {
    co_return UnavailableError("redis down");
  }
  Task<Result<bool>> Release(std::string, std::string) override {
    co_return UnavailableError("redis down");
  }
  Task<Result<std::optional<coordination::LockInfo>>> Get(std::string) override {
    co_return UnavailableError("redis down");
  }
  Task<Result<std::vector<coordination::LockInfo>>> List(std::string) override {
    co_return UnavailableError("redis down");
  }
};

// One instance of the fleet: its own router, receiver and in-process de-duplicator.
struct Instance {
  // `failing`, when given and true, makes the event fail to apply (its record not stored).
  Instance(const Clock& clock, coordination::LockService* locks, std::string id, int* handled,
           const bool* failing = nullptr)
      : receiver(kKey, kSecret, clock) {
    AddLiveKitWebhookRoute(router, {&receiver, &dedup, &clock, locks, std::move(id),
                                    [handled, failing](recording::WebhookEvent) -> Task<Status> {
                                      ++*handled;
                                      if (failing && *failing) {
                                        co_return UnavailableError("S3 Error: down");
                                      }
                                      co_return Status::Ok();
                                    }});
  }
  int Post(asio::io_context& ioc, const std::string& body, const std::string& token) {
    http::Request req;
    req.method = "POST";
    req.target = "/livekit/webhook";
    req.path = "/livekit/webhook";
    req.body = body;
    req.headers.push_back({"authorization", token});
    return RunTask(ioc, router.Dispatch(req)).status;
  }
  livekit::WebhookReceiver receiver;
  livekit::WebhookDeduplicator dedup;
  http::Router router;
};

std::string Event(const std::string& id) {
  std::string body = R"({"event":"room_started","room":{"name":"r"},"id":")";
  body += id;
  body += R"(","createdAt":"1767225600"})";
  return body;
}

TEST(LiveKitWebhookFleetTest, AWebhookDeliveredToThreeInstancesIsHandledOnce) {
  asio::io_context ioc;
  fakes::FakeClock clock;
  coordination::InProcessLockService shared(clock);
  int handled = 0;
  Instance a(clock, &shared, "A", &handled), b(clock, &shared, "B", &handled),
      c(clock, &shared, "C", &handled);
  const int64_t now_s = clock.NowMs() / 1000;
  const std::string body = Event("EV_1");
  const std::string token = Sign(body, now_s);
  EXPECT_EQ(a.Post(ioc, body, token), 200);
  EXPECT_EQ(b.Post(ioc, body, token), 200);
  EXPECT_EQ(c.Post(ioc, body, token), 200);
  EXPECT_EQ(handled, 1);
  // Another event is handled; the claim of the first is held for kDoneTtl, then forgotten.
  const std::string other = Event("EV_2");
  EXPECT_EQ(b.Post(ioc, other, Sign(other, now_s)), 200);
  EXPECT_EQ(handled, 2);
  auto claim = RunTask(ioc, shared.Get("ov_meet_lock:webhook_room_started_EV_1"));
  ASSERT_TRUE(claim.ok() && claim->has_value());
  EXPECT_EQ((*claim)->owner, "A");
  EXPECT_EQ((*claim)->expires_at_ms, clock.NowMs() + kDoneTtl.count());
  clock.Advance(kDoneTtl + std::chrono::milliseconds(1));
  claim = RunTask(ioc, shared.Get("ov_meet_lock:webhook_room_started_EV_1"));
  ASSERT_TRUE(claim.ok());
  EXPECT_FALSE(claim->has_value());
}

TEST(LiveKitWebhookFleetTest, AnEventThatCannotBeAppliedIsAnswered503AndItsRetryIsHandled) {
  asio::io_context ioc;
  fakes::FakeClock clock;
  coordination::InProcessLockService shared(clock);
  int handled = 0;
  bool failing = true;
  Instance a(clock, &shared, "A", &handled, &failing), b(clock, &shared, "B", &handled, &failing);
  const std::string body = Event("EV_1");
  const std::string token = Sign(body, clock.NowMs() / 1000);
  EXPECT_EQ(a.Post(ioc, body, token), 503);  // LiveKit resends on 5xx.
  EXPECT_EQ(handled, 1);
  // Neither the instance's own memory nor the fleet claim keeps the retry out.
  EXPECT_FALSE(RunTask(ioc, shared.Get("ov_meet_lock:webhook_room_started_EV_1"))->has_value());
  failing = false;
  EXPECT_EQ(a.Post(ioc, body, token), 200);
  EXPECT_EQ(handled, 2);
  EXPECT_EQ(b.Post(ioc, body, token), 200);  // Applied now: a copy elsewhere is a duplicate.
  EXPECT_EQ(handled, 2);
}

TEST(LiveKitWebhookFleetTest, WithTheLockServiceDownEveryDeliveryIsStillHandled) {
  asio::io_context ioc;
  fakes::FakeClock clock;
  DownLocks down;
  int handled = 0;
  Instance a(clock, &down, "A", &handled), b(clock, &down, "B", &handled);
  const std::string body = Event("EV_1");
  const std::string token = Sign(body, clock.NowMs() / 1000);
  EXPECT_EQ(a.Post(ioc, body, token), 200);
  EXPECT_EQ(b.Post(ioc, body, token), 200);
  EXPECT_EQ(handled, 2);  // At least once: a repeat is harmless, a lost event is not.
  EXPECT_EQ(a.Post(ioc, body, token), 200);
  EXPECT_EQ(handled, 2);  // The in-process level still catches a repeat on one instance.
}

}  // namespace
}  // namespace mr::api
