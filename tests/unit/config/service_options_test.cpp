#include "config/service_options.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace mr::config {
namespace {

TEST(ServiceOptionsTest, Defaults) {
  auto o = LoadServiceOptions({});
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->bind_address, "127.0.0.1");
  EXPECT_EQ(o->port, 6080);
  EXPECT_EQ(o->storage_mode, "local");
  EXPECT_EQ(o->storage_dir, "./data");
  EXPECT_EQ(o->subbucket, "openvidu-meet");
  EXPECT_TRUE(o->api_keys.empty());
}

TEST(ServiceOptionsTest, EnvironmentValues) {
  auto o = LoadServiceOptions({{"SERVER_PORT", "7000"},
                               {"MEET_BASE_URL", "https://meet.example.com/"},
                               {"MEET_INITIAL_API_KEY", "k1"},
                               {"MEET_API_KEYS", "k2, k3"},
                               {"MEET_S3_SUBBUCKET", "sub/"},
                               {"UNRELATED", "x"}});
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->port, 7000);
  EXPECT_EQ(o->base_url, "https://meet.example.com");
  EXPECT_EQ(o->api_keys, (std::vector<std::string>{"k1", "k2", "k3"}));
  EXPECT_EQ(o->subbucket, "sub");
}

TEST(ServiceOptionsTest, InvalidValuesGiveOneClearLine) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"SERVER_PORT", "70000"},      {"SERVER_PORT", "abc"},
      {"MEET_BASE_URL", "ftp://x"},  {"MEET_LOG_LEVEL", "loud"},
      {"MEET_BLOB_STORAGE_MODE", "gcs"}, {"MEET_S3_SUBBUCKET", "../escape"},
      {"MEET_HTTP_THREADS", "-1"},   {"MEET_STORAGE_DIR", ""},
  };
  for (const auto& [k, v] : bad) {
    auto o = LoadServiceOptions({{k, v}});
    ASSERT_FALSE(o.ok()) << k << "=" << v;
    EXPECT_NE(o.status().message().find(k), std::string::npos) << o.status().message();
    EXPECT_EQ(o.status().message().find('\n'), std::string::npos);
  }
}

TEST(ServiceOptionsTest, ParsesTheSampleConfigFromTheDocs) {
  auto o = LoadServiceOptions({}, std::string(MR_SOURCE_DIR) + "/docs/config.sample.yaml");
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->api_keys, (std::vector<std::string>{"change-me"}));
  EXPECT_EQ(o->port, 6080);
}

TEST(ServiceOptionsTest, FileRejectsUnknownKeysAndEnvironmentWins) {
  auto path = std::filesystem::temp_directory_path() / "mr-config-test.yaml";
  std::ofstream(path) << "SERVER_PORT: 7001\nMEET_LOG_LEVEL: debug\n";
  auto o = LoadServiceOptions({{"SERVER_PORT", "7002"}}, path.string());
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->port, 7002);
  EXPECT_EQ(o->log_level, "debug");
  std::ofstream(path) << "SERVER_PROT: 7001\n";
  auto bad = LoadServiceOptions({}, path.string());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("SERVER_PROT"), std::string::npos);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace mr::config
