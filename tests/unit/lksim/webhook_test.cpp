// Webhook signing, headers, body form, retries and per-resource order (spec §6, §7.4.1).

#include "lksim/webhook_notifier.hpp"
#include "lksim_test_support.hpp"

namespace mr::lksim::test {
namespace {

class WebhookTest : public SimFixture {};

TEST(WebhookSign, MatchesTheSpecTestVector) {
  const std::string body =
      R"({"event":"egress_ended","room":{"sid":"RM_tV4bZ6kPq9Ld","name":"room1"},"egressInfo":{"egressId":"EG_8HbCmQJ2Rz7x","roomId":"RM_tV4bZ6kPq9Ld","roomName":"room1","status":"EGRESS_COMPLETE","startedAt":"1767225600123456789","endedAt":"1767225665432109876","updatedAt":"1767225665432109876","roomComposite":{"roomName":"room1","layout":"grid","fileOutputs":[{"fileType":"MP4","filepath":"rec/{room_name}-{time}","s3":{"accessKey":"{access_key}","secret":"{secret}","region":"us-east-1","bucket":"my-bucket"}}]},"fileResults":[{"filename":"rec/room1-2026-01-01T000000.mp4","startedAt":"1767225603000000000","endedAt":"1767225664000000000","duration":"61000000000","size":"7340032","location":"https://my-bucket.s3.amazonaws.com/rec/room1-2026-01-01T000000.mp4"}],"details":"End reason: StopEgress API","manifestLocation":"https://my-bucket.s3.amazonaws.com/rec/EG_8HbCmQJ2Rz7x.json","file":{"filename":"rec/room1-2026-01-01T000000.mp4","startedAt":"1767225603000000000","endedAt":"1767225664000000000","duration":"61000000000","size":"7340032","location":"https://my-bucket.s3.amazonaws.com/rec/room1-2026-01-01T000000.mp4"}},"id":"EV_3xKq7Tn9WbYz","createdAt":"1767225665"})";
  EXPECT_EQ(
      WebhookNotifier::SignBody(body, "APIkey123", "secretsecretsecretsecretsecret12", 1767225665),
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJBUElrZXkxMjMiLCJleHAiOjE3NjcyMjU5NjUsIm"
      "5iZiI6MTc2NzIyNTY2NSwiaWF0IjoxNzY3MjI1NjY1LCJzaGEyNTYiOiJBU2J2ZnJCSUJER0lkTThvejZWVGQ5"
      "VWZmOC9DNm5qUGVocHp4bmFMY004PSJ9.9Og0KnMSz_McEl8RuQed7UUhcVpsd-rARJ0SWMnyXv8");
}

TEST_F(WebhookTest, SignedHeadersAndBody) {
  ASSERT_EQ(Join("room1", "alice", "Alice").status, 201);
  ASSERT_TRUE(WaitFor([&] { return receiver_->All().size() == 2; }));
  for (const auto& d : receiver_->All()) {
    EXPECT_EQ(d.content_type, "application/webhook+json");
    EXPECT_EQ(d.user_agent, "LiveKit");
    EXPECT_NE(d.authorization.rfind("Bearer ", 0), 0u);
    jwt::VerifyOptions vo;
    vo.now_s = SystemClock().NowMs() / 1000;
    vo.issuer = kKey;
    auto claims = jwt::VerifyHs256(d.authorization, kSecret, vo);
    ASSERT_TRUE(claims.ok()) << claims.status().message();
    EXPECT_EQ((*claims)["sha256"], jwt::Base64Encode(jwt::Sha256(d.body)));
    EXPECT_EQ((*claims)["exp"].get<int64_t>() - (*claims)["nbf"].get<int64_t>(), 300);
    EXPECT_EQ(d.json["id"].get<std::string>().substr(0, 3), "EV_");
    EXPECT_TRUE(d.json["createdAt"].is_string());
  }
  Json joined = receiver_->Events("participant_joined")[0].json;
  EXPECT_EQ(joined["participant"]["identity"], "alice");
  EXPECT_EQ(joined["participant"]["state"], "ACTIVE");
  EXPECT_FALSE(joined["participant"].contains("kind"));  // STANDARD = 0 is omitted.
  EXPECT_FALSE(joined["room"].contains("metadata"));     // "" is omitted.
  EXPECT_TRUE(joined["room"].contains("creationTime"));  // camelCase.
}

TEST_F(WebhookTest, RetriesOn5xxAndKeepsOrder) {
  receiver_->FailNext({503, 500, 429});
  ASSERT_EQ(Join("room1", "alice").status, 201);
  ASSERT_EQ(Join("room1", "bob").status, 201);
  ASSERT_EQ(Leave("room1", "alice").status, 204);
  ASSERT_TRUE(WaitFor([&] { return receiver_->All().size() == 4; }));
  EXPECT_EQ(receiver_->attempts(), 7);
  std::vector<std::string> order;
  for (auto& d : receiver_->All()) {
    order.push_back(d.json["event"].get<std::string>() + ":" +
                    d.json.value("participant", Json::object()).value("identity", ""));
  }
  EXPECT_EQ(order, (std::vector<std::string>{"room_started:", "participant_joined:alice",
                                             "participant_joined:bob", "participant_left:alice"}));
}

TEST_F(WebhookTest, GivesUpAfterFourRetriesAndDoesNotRetry4xxOr501) {
  receiver_->FailNext({500, 500, 500, 500, 500, 501, 400});
  ASSERT_EQ(Join("room1", "alice").status, 201);  // room_started: 5 failures, dropped.
  ASSERT_EQ(Join("room1", "bob").status, 201);
  // alice's join got 501 and bob's 400: neither is retried.
  ASSERT_TRUE(WaitFor([&] { return receiver_->attempts() == 7; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(receiver_->attempts(), 7);
  EXPECT_TRUE(receiver_->All().empty());
}

}  // namespace
}  // namespace mr::lksim::test
