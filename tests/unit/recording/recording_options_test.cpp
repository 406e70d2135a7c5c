#include <gtest/gtest.h>

#include "common/duration.hpp"
#include "recording/recording_options.hpp"

namespace mr::recording {
namespace {

TEST(DurationTest, ParsesTheReferenceSyntax) {
  struct Case {
    const char* text;
    std::optional<int64_t> ms;
  } cases[] = {
      {"20s", 20000}, {"30m", 1800000}, {"6h", 21600000}, {"1d", 86400000}, {"250ms", 250},
      {"1500", 1500}, {"", std::nullopt}, {"-1s", std::nullopt}, {"1.5s", std::nullopt},
      {"5x", std::nullopt}, {"s", std::nullopt}, {"99999999999999999999", std::nullopt},
  };
  for (const auto& c : cases) {
    auto d = ParseDuration(c.text);
    EXPECT_EQ(d.has_value(), c.ms.has_value()) << c.text;
    if (d && c.ms) {
      EXPECT_EQ(d->count(), *c.ms) << c.text;
    }
  }
}

TEST(RecordingOptionsTest, DefaultsOverridesAndValidation) {
  auto defaults = RecordingOptionsFromEnv({});
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->lifecycle.started_timeout, Millis(20000));
  EXPECT_EQ(defaults->stale_after, Millis(300000));
  EXPECT_EQ(defaults->room_gc_interval, Millis(3600000));

  auto set = RecordingOptionsFromEnv({{"MEET_RECORDING_STARTED_TIMEOUT", "2s"},
                                      {"MEET_RECORDING_RECONCILE_MIN_AGE", "0s"}});
  EXPECT_FALSE(set.ok()) << "zero is not a positive duration";
  auto ok = RecordingOptionsFromEnv({{"MEET_RECORDING_STARTED_TIMEOUT", "2s"}});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->lifecycle.started_timeout, Millis(2000));

  auto bad = RecordingOptionsFromEnv({{"MEET_RECORDING_LOCK_TTL", "soon"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("MEET_RECORDING_LOCK_TTL"), std::string::npos);
  auto short_ttl = RecordingOptionsFromEnv({{"MEET_RECORDING_LOCK_TTL", "1m"}});
  EXPECT_FALSE(short_ttl.ok()) << "must be at least twice the keeper interval";
}

}  // namespace
}  // namespace mr::recording
