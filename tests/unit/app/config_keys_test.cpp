// The config file's allow-list (config/) must know every key the modules parse themselves, or a
// YAML file could not set them. config/ cannot depend on those modules, so the check lives here.

#include <gtest/gtest.h>

#include <algorithm>

#include "config/service_options.hpp"
#include "recording/recording_options.hpp"
#include "storage/s3/s3_options.hpp"

namespace mr {
namespace {

TEST(ConfigKeysTest, RecordingOptionKeysAreKnownToTheConfigFile) {
  const auto& known = config::KnownConfigKeys();
  for (const auto& key : recording::RecordingOptionKeys()) {
    EXPECT_NE(std::find(known.begin(), known.end(), key), known.end()) << key;
  }
}

TEST(ConfigKeysTest, S3OptionKeysAreKnownToTheConfigFile) {
  const auto& known = config::KnownConfigKeys();
  for (const auto& key : storage::S3OptionKeys()) {
    EXPECT_NE(std::find(known.begin(), known.end(), key), known.end()) << key;
  }
}

TEST(ConfigKeysTest, TheSampleConfigIsAValidRecordingConfig) {
  auto o = config::LoadServiceOptions({}, std::string(MR_SOURCE_DIR) + "/docs/config.sample.yaml");
  ASSERT_TRUE(o.ok()) << o.status().message();
  auto r = recording::RecordingOptionsFromEnv(o->raw);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->lifecycle.started_timeout, Millis(20000));
}

}  // namespace
}  // namespace mr
