#include "notify/notify_options.hpp"

#include <gtest/gtest.h>

namespace mr::notify {
namespace {

using Env = std::map<std::string, std::string>;
const std::vector<std::string> kKeys = {"first-key", "second-key"};

TEST(NotifyOptionsTest, DefaultsAreDisabled) {
  auto o = WebhookSenderOptionsFrom({}, kKeys);
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_FALSE(o->enabled);
  EXPECT_EQ(o->max_retries, 5);
  EXPECT_EQ(o->attempt_timeout, Millis(5000));
  EXPECT_EQ(o->first_backoff, Millis(300));
  EXPECT_EQ(o->max_queued, 10000u);
}

TEST(NotifyOptionsTest, EnabledNeedsTheFlagAndAnApiKey) {
  const Env env = {{"MEET_INITIAL_WEBHOOK_ENABLED", "true"},
                   {"MEET_INITIAL_WEBHOOK_URL", "https://app.example.com/hook"},
                   {"MEET_WEBHOOK_MAX_RETRIES", "3"},
                   {"MEET_WEBHOOK_TIMEOUT_MS", "2500"}};
  auto o = WebhookSenderOptionsFrom(env, kKeys);
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_TRUE(o->enabled);
  EXPECT_EQ(o->url, "https://app.example.com/hook");
  EXPECT_EQ(o->signing_key, "first-key");
  EXPECT_EQ(o->max_retries, 3);
  EXPECT_EQ(o->attempt_timeout, Millis(2500));

  auto no_keys = WebhookSenderOptionsFrom(env, {});
  ASSERT_TRUE(no_keys.ok());
  EXPECT_FALSE(no_keys->enabled);

  auto off = WebhookSenderOptionsFrom(
      {{"MEET_INITIAL_WEBHOOK_ENABLED", "false"}, {"MEET_INITIAL_WEBHOOK_URL", "not a url"}}, kKeys);
  ASSERT_TRUE(off.ok()) << "the URL is only checked when webhooks are enabled";
  EXPECT_FALSE(off->enabled);
}

TEST(NotifyOptionsTest, RejectsBadValuesNamingTheKey) {
  const std::vector<std::pair<Env, std::string>> bad = {
      {{{"MEET_INITIAL_WEBHOOK_ENABLED", "yes"}}, "MEET_INITIAL_WEBHOOK_ENABLED"},
      {{{"MEET_INITIAL_WEBHOOK_ENABLED", "TRUE"}}, "MEET_INITIAL_WEBHOOK_ENABLED"},
      {{{"MEET_INITIAL_WEBHOOK_ENABLED", "true"}}, "MEET_INITIAL_WEBHOOK_URL"},
      {{{"MEET_INITIAL_WEBHOOK_ENABLED", "true"}, {"MEET_INITIAL_WEBHOOK_URL", "ftp://x/"}},
       "MEET_INITIAL_WEBHOOK_URL"},
      {{{"MEET_INITIAL_WEBHOOK_ENABLED", "true"}, {"MEET_INITIAL_WEBHOOK_URL", "http:///x"}},
       "MEET_INITIAL_WEBHOOK_URL"},
      {{{"MEET_WEBHOOK_MAX_RETRIES", "-1"}}, "MEET_WEBHOOK_MAX_RETRIES"},
      {{{"MEET_WEBHOOK_MAX_RETRIES", "11"}}, "MEET_WEBHOOK_MAX_RETRIES"},
      {{{"MEET_WEBHOOK_MAX_RETRIES", "3x"}}, "MEET_WEBHOOK_MAX_RETRIES"},
      {{{"MEET_WEBHOOK_TIMEOUT_MS", "0"}}, "MEET_WEBHOOK_TIMEOUT_MS"},
      {{{"MEET_WEBHOOK_TIMEOUT_MS", ""}}, "MEET_WEBHOOK_TIMEOUT_MS"},
  };
  for (const auto& [env, key] : bad) {
    auto o = WebhookSenderOptionsFrom(env, kKeys);
    ASSERT_FALSE(o.ok()) << key;
    EXPECT_EQ(o.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(o.status().message().find(key), std::string::npos) << o.status().message();
    EXPECT_EQ(o.status().message().find('\n'), std::string::npos);
  }
}

}  // namespace
}  // namespace mr::notify
