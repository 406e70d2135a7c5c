#include "livekit/webhook_receiver.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "common/jwt.hpp"
#include "unit/livekit/livekit_test_support.hpp"

namespace mr::livekit {
namespace {

using testing::kWebhookBody;
using testing::kWebhookIat;
using testing::kWebhookKey;
using testing::kWebhookSecret;
using testing::kWebhookToken;

// Signs `body` the way LiveKit does (Go-style header, 5 minute token).
std::string SignLike(std::string_view body, int64_t now, const std::string& key = kWebhookKey,
                     const std::string& secret = kWebhookSecret) {
  Json claims = Json::object();
  claims["iss"] = key;
  claims["exp"] = now + 300;
  claims["nbf"] = now;
  claims["iat"] = now;
  claims["sha256"] = jwt::Base64Encode(jwt::Sha256(body));
  return jwt::SignHs256(claims, secret);
}

class WebhookReceiverTest : public ::testing::Test {
 protected:
  WebhookReceiverTest() : clock_(kWebhookIat + 1), receiver_(kWebhookKey, kWebhookSecret, clock_) {}
  testing::SetClock clock_;
  WebhookReceiver receiver_;
};

TEST_F(WebhookReceiverTest, AuthoritativeVectorVerifiesAndDecodes) {
  EXPECT_EQ(jwt::Base64Encode(jwt::Sha256(kWebhookBody)), testing::kWebhookSha256);
  auto ev = receiver_.Receive(kWebhookBody, kWebhookToken);
  ASSERT_TRUE(ev.ok()) << ev.status().ToString();
  EXPECT_EQ(ev->event, "egress_ended");
  EXPECT_EQ(ev->id, "EV_3xKq7Tn9WbYz");
  EXPECT_EQ(ev->created_at_s, 1767225665);
  ASSERT_TRUE(ev->room.has_value());
  EXPECT_EQ(ev->room->sid, "RM_tV4bZ6kPq9Ld");
  EXPECT_EQ(ev->room->name, "room1");
  EXPECT_FALSE(ev->participant.has_value());
  ASSERT_TRUE(ev->egress_info.has_value());
  const auto& e = *ev->egress_info;
  EXPECT_EQ(e.egress_id, "EG_8HbCmQJ2Rz7x");
  EXPECT_EQ(e.room_id, "RM_tV4bZ6kPq9Ld");
  EXPECT_EQ(e.room_name, "room1");
  EXPECT_EQ(e.status, recording::EgressStatus::kComplete);
  EXPECT_EQ(e.source_type, 0);
  EXPECT_EQ(e.started_at_ns, 1767225600123456789);
  EXPECT_EQ(e.ended_at_ns, 1767225665432109876);
  EXPECT_EQ(e.updated_at_ns, 1767225665432109876);
  EXPECT_EQ(e.details, "End reason: StopEgress API");
  EXPECT_EQ(e.error, "");
  EXPECT_EQ(e.error_code, 0);
  EXPECT_EQ(e.manifest_location, "https://my-bucket.s3.amazonaws.com/rec/EG_8HbCmQJ2Rz7x.json");
  ASSERT_TRUE(e.room_composite.has_value());
  EXPECT_EQ(e.room_composite->layout, "grid");
  ASSERT_EQ(e.file_results.size(), 1u);
  const auto& f = e.file_results[0];
  EXPECT_EQ(f.filename, "rec/room1-2026-01-01T000000.mp4");
  EXPECT_EQ(f.started_at_ns, 1767225603000000000);
  EXPECT_EQ(f.ended_at_ns, 1767225664000000000);
  EXPECT_EQ(f.duration_ns, 61000000000);
  EXPECT_EQ(f.size_bytes, 7340032);
  EXPECT_EQ(f.location, "https://my-bucket.s3.amazonaws.com/rec/room1-2026-01-01T000000.mp4");
  EXPECT_EQ(e.stream_result_count, 0u);
}

TEST_F(WebhookReceiverTest, BearerPrefixAndLeewayAreTolerated) {
  EXPECT_TRUE(receiver_.Receive(kWebhookBody, std::string("Bearer ") + kWebhookToken).ok());
  // exp = iat + 300; 10 s of leeway.
  clock_.Set(kWebhookIat + 310);
  EXPECT_TRUE(receiver_.Receive(kWebhookBody, kWebhookToken).ok());
  clock_.Set(kWebhookIat - 10);
  EXPECT_TRUE(receiver_.Receive(kWebhookBody, kWebhookToken).ok());
}

TEST_F(WebhookReceiverTest, RefusalsAreUnauthorized) {
  std::string tampered = kWebhookBody;
  tampered.replace(tampered.find("7340032"), 7, "7340033");
  // Re-serialized JSON (same content, different bytes) is refused too.
  const std::string reserialized = Json::parse(kWebhookBody).dump(2);
  const int64_t now = kWebhookIat + 1;
  Json no_sha = {{"iss", kWebhookKey}, {"exp", now + 300}, {"nbf", now}};
  Json no_exp = {
      {"iss", kWebhookKey}, {"nbf", now}, {"sha256", jwt::Base64Encode(jwt::Sha256(kWebhookBody))}};
  Json hex_sha = {{"iss", kWebhookKey}, {"exp", now + 300}, {"nbf", now}, {"sha256", "0123abcd"}};
  struct Case {
    const char* name;
    std::string body;
    std::string header;
    int64_t now;
  };
  const std::vector<Case> cases = {
      {"tampered body", tampered, kWebhookToken, now},
      {"re-serialized body", reserialized, kWebhookToken, now},
      {"wrong secret", kWebhookBody, SignLike(kWebhookBody, now, kWebhookKey, "other"), now},
      {"wrong iss", kWebhookBody, SignLike(kWebhookBody, now, "someone", kWebhookSecret), now},
      {"expired", kWebhookBody, kWebhookToken, kWebhookIat + 311},
      {"not yet valid", kWebhookBody, kWebhookToken, kWebhookIat - 11},
      {"missing sha256", kWebhookBody, jwt::SignHs256(no_sha, kWebhookSecret), now},
      {"hex sha256", kWebhookBody, jwt::SignHs256(hex_sha, kWebhookSecret), now},
      {"missing exp", kWebhookBody, jwt::SignHs256(no_exp, kWebhookSecret), now},
      {"empty header", kWebhookBody, "", now},
      {"bearer only", kWebhookBody, "Bearer ", now},
      {"garbage token", kWebhookBody, "abc.def", now},
      {"truncated signature", kWebhookBody,
       std::string(kWebhookToken).substr(0, std::string(kWebhookToken).size() - 2), now},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    clock_.Set(c.now);
    auto ev = receiver_.Receive(c.body, c.header);
    ASSERT_FALSE(ev.ok());
    EXPECT_EQ(ev.status().code(), StatusCode::kUnauthorized) << ev.status().ToString();
    EXPECT_EQ(ev.status().message().find(kWebhookSecret), std::string::npos);
  }
}

TEST_F(WebhookReceiverTest, SignedButMalformedBodyIsInvalidArgument) {
  const int64_t now = kWebhookIat + 1;
  for (std::string body : {"not json", "[1,2]", R"({"event":"x","createdAt":"abc"})"}) {
    SCOPED_TRACE(body);
    auto ev = receiver_.Receive(body, SignLike(body, now));
    ASSERT_FALSE(ev.ok());
    EXPECT_EQ(ev.status().code(), StatusCode::kInvalidArgument);
  }
  // A freshly signed egress_started without `status` decodes as STARTING.
  const std::string started =
      R"({"event":"egress_started", "egressInfo":{"egressId":"EG_1"},"id":"EV_2","createdAt":"1"})";
  auto ev = receiver_.Receive(started, SignLike(started, now));
  ASSERT_TRUE(ev.ok()) << ev.status().ToString();
  EXPECT_EQ(ev->egress_info->status, recording::EgressStatus::kStarting);
}

TEST(WebhookDeduplicatorTest, RemembersWithinTtlAndBound) {
  WebhookDeduplicator dedup(std::chrono::minutes(10), 3);
  const MonoTime t0{};
  EXPECT_TRUE(dedup.FirstSeen("EV_1", t0));
  EXPECT_FALSE(dedup.FirstSeen("EV_1", t0 + std::chrono::minutes(9)));
  EXPECT_TRUE(dedup.FirstSeen("EV_1", t0 + std::chrono::minutes(10)));  // Expired, seen anew.
  EXPECT_TRUE(dedup.FirstSeen("", t0));
  EXPECT_TRUE(dedup.FirstSeen("", t0));
  const MonoTime t1 = t0 + std::chrono::minutes(11);
  EXPECT_TRUE(dedup.FirstSeen("EV_2", t1));
  EXPECT_TRUE(dedup.FirstSeen("EV_3", t1));
  EXPECT_EQ(dedup.size(), 3u);
  EXPECT_TRUE(dedup.FirstSeen("EV_4", t1));  // Evicts the oldest (EV_1).
  EXPECT_EQ(dedup.size(), 3u);
  EXPECT_TRUE(dedup.FirstSeen("EV_1", t1));
  EXPECT_FALSE(dedup.FirstSeen("EV_4", t1));
  // Everything expires.
  EXPECT_TRUE(dedup.FirstSeen("EV_5", t1 + std::chrono::hours(1)));
  EXPECT_EQ(dedup.size(), 1u);
}

TEST(WebhookDeduplicatorTest, ConcurrentDeliveriesOfOneIdWinOnce) {
  WebhookDeduplicator dedup;
  std::atomic<int> wins{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        if (dedup.FirstSeen("EV_" + std::to_string(i), MonoTime{})) {
          wins.fetch_add(1);
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(wins.load(), 1000);
}

}  // namespace
}  // namespace mr::livekit
