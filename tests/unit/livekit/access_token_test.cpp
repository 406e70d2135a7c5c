#include "livekit/access_token.hpp"

#include <gtest/gtest.h>

#include "common/jwt.hpp"
#include "livekit/livekit_options.hpp"
#include "unit/livekit/livekit_test_support.hpp"

namespace mr::livekit {
namespace {

TEST(AccessTokenTest, ClaimsPerGrantMatchTheJsSdk) {
  testing::SetClock clock(1795470891);
  ServiceTokenSigner signer("APIkey123", "secretsecretsecretsecretsecret12", clock);
  // §7.6, captured from the JS SDK for listParticipants('room1').
  EXPECT_EQ(signer.Claims(VideoGrant::RoomAdmin("room1")).dump(),
            R"({"video":{"roomAdmin":true,"room":"room1"},"iss":"APIkey123","exp":1795471491,)"
            R"("nbf":1795470891})");
  struct Case {
    VideoGrant grant;
    const char* video;
  };
  const Case cases[] = {
      {VideoGrant::RoomCreate(), R"({"roomCreate":true})"},
      {VideoGrant::RoomList(), R"({"roomList":true})"},
      {VideoGrant::RoomRecord(), R"({"roomRecord":true})"},
      {VideoGrant::RoomAdmin("r 2"), R"({"roomAdmin":true,"room":"r 2"})"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.video);
    const std::string token = signer.Sign(c.grant);
    auto claims = jwt::VerifyHs256(token, "secretsecretsecretsecretsecret12",
                                   {.now_s = 1795470891, .issuer = "APIkey123"});
    ASSERT_TRUE(claims.ok()) << claims.status().ToString();
    EXPECT_EQ((*claims)["video"].dump(), c.video);
    EXPECT_EQ((*claims)["iss"], "APIkey123");
    EXPECT_EQ((*claims)["nbf"], 1795470891);
    EXPECT_EQ((*claims)["exp"], 1795470891 + 600);
    EXPECT_FALSE(claims->contains("sub"));
  }
  // A fresh token per call follows the clock.
  clock.Set(1795471000);
  EXPECT_EQ(signer.Claims(VideoGrant::RoomList())["nbf"], 1795471000);
}

TEST(LiveKitOptionsTest, FromEnvTable) {
  struct Case {
    std::map<std::string, std::string> env;
    std::string url;
    std::string private_url;
    std::string key;
    std::string secret;
  };
  const std::vector<Case> cases = {
      {{}, "ws://localhost:7880", "http://localhost:7880", "devkey", "secret"},
      {{{"LIVEKIT_URL", "wss://lk.example.com/"}},
       "wss://lk.example.com/",
       "https://lk.example.com",
       "devkey",
       "secret"},
      {{{"LIVEKIT_URL", "wss://lk.example.com"},
        {"LIVEKIT_URL_PRIVATE", "http://livekit:7880"},
        {"LIVEKIT_API_KEY", "k"},
        {"LIVEKIT_API_SECRET", "s"}},
       "wss://lk.example.com",
       "http://livekit:7880",
       "k",
       "s"},
      {{{"LIVEKIT_URL", "WS://127.0.0.1:7880"}, {"LIVEKIT_URL_PRIVATE", ""}},
       "WS://127.0.0.1:7880",
       "http://127.0.0.1:7880",
       "devkey",
       "secret"},
      {{{"LIVEKIT_URL", "https://lk.example.com/base//"}},
       "https://lk.example.com/base//",
       "https://lk.example.com/base",
       "devkey",
       "secret"},
  };
  for (const auto& c : cases) {
    auto o = LiveKitOptionsFromEnv(c.env);
    ASSERT_TRUE(o.ok()) << o.status().ToString();
    EXPECT_EQ(o->url, c.url);
    EXPECT_EQ(o->private_url, c.private_url);
    EXPECT_EQ(o->api_key, c.key);
    EXPECT_EQ(o->api_secret, c.secret);
    EXPECT_EQ(o->request_timeout, std::chrono::seconds(10));
  }
}

TEST(LiveKitOptionsTest, RejectsOtherSchemesWithOneLine) {
  struct Case {
    std::map<std::string, std::string> env;
    std::string names;
  };
  const std::vector<Case> cases = {
      {{{"LIVEKIT_URL", "ftp://lk"}}, "LIVEKIT_URL"},
      {{{"LIVEKIT_URL", "localhost:7880"}}, "LIVEKIT_URL"},
      {{{"LIVEKIT_URL", "ws://"}}, "LIVEKIT_URL"},
      {{{"LIVEKIT_URL_PRIVATE", "grpc://lk:7880"}}, "LIVEKIT_URL_PRIVATE"},
  };
  for (const auto& c : cases) {
    auto o = LiveKitOptionsFromEnv(c.env);
    ASSERT_FALSE(o.ok());
    EXPECT_EQ(o.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(o.status().message().find('\n'), std::string::npos);
    EXPECT_EQ(o.status().message().rfind(c.names, 0), 0u) << o.status().message();
  }
}

}  // namespace
}  // namespace mr::livekit
