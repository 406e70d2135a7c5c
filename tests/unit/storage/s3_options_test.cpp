// S3OptionsFromEnv: defaults (the reference's), every key, and one clear error per bad value.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>

#include "storage/s3/s3_options.hpp"

namespace mr::storage {
namespace {

using Env = std::map<std::string, std::string>;

TEST(S3Options, DefaultsAreTheReferences) {
  auto o = S3OptionsFromEnv({});
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->bucket, "openvidu-appdata");
  EXPECT_EQ(o->endpoint, "http://localhost:9000");
  EXPECT_FALSE(o->https);
  EXPECT_EQ(o->host, "localhost");
  EXPECT_EQ(o->port, 9000);
  EXPECT_EQ(o->access_key, "minioadmin");
  EXPECT_EQ(o->secret_key, "minioadmin");
  EXPECT_EQ(o->region, "us-east-1");
  EXPECT_TRUE(o->path_style);
  EXPECT_EQ(o->request_timeout.count(), 10000);
  EXPECT_EQ(o->max_retries, 4);
  EXPECT_EQ(o->retry_base_delay.count(), 100);
  EXPECT_EQ(o->read_chunk_bytes, 4u << 20);
  EXPECT_EQ(o->multipart_threshold_bytes, 16u << 20);
  EXPECT_EQ(o->multipart_part_bytes, 8u << 20);
}

TEST(S3Options, EveryKeyIsRead) {
  Env env = {{"MEET_S3_BUCKET", "my.bucket-1"},
             {"MEET_S3_SERVICE_ENDPOINT", "https://s3.eu-west-3.amazonaws.com"},
             {"MEET_S3_ACCESS_KEY", "AK"},
             {"MEET_S3_SECRET_KEY", "SK"},
             {"MEET_AWS_REGION", "eu-west-3"},
             {"MEET_S3_WITH_PATH_STYLE_ACCESS", "false"},
             {"MEET_S3_REQUEST_TIMEOUT_MS", "2500"},
             {"MEET_S3_MAX_RETRIES", "0"},
             {"MEET_S3_RETRY_BASE_DELAY_MS", "50"},
             {"MEET_S3_READ_CHUNK_BYTES", "1048576"},
             {"MEET_S3_MULTIPART_THRESHOLD_BYTES", "5242880"}};
  auto o = S3OptionsFromEnv(env);
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(o->bucket, "my.bucket-1");
  EXPECT_TRUE(o->https);
  EXPECT_EQ(o->host, "s3.eu-west-3.amazonaws.com");
  EXPECT_EQ(o->port, 443);
  EXPECT_EQ(o->access_key, "AK");
  EXPECT_EQ(o->secret_key, "SK");
  EXPECT_EQ(o->region, "eu-west-3");
  EXPECT_FALSE(o->path_style);
  EXPECT_EQ(o->request_timeout.count(), 2500);
  EXPECT_EQ(o->max_retries, 0);
  EXPECT_EQ(o->retry_base_delay.count(), 50);
  EXPECT_EQ(o->read_chunk_bytes, 1u << 20);
  EXPECT_EQ(o->multipart_threshold_bytes, 5u << 20);
  // Every key is in the allow-list.
  for (const auto& [k, v] : env) {
    EXPECT_NE(std::find(S3OptionKeys().begin(), S3OptionKeys().end(), k), S3OptionKeys().end())
        << k;
  }
}

TEST(S3Options, InvalidValuesNameTheKey) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"MEET_S3_BUCKET", "UPPER"},
      {"MEET_S3_BUCKET", "ab"},
      {"MEET_S3_BUCKET", "-bucket"},
      {"MEET_S3_SERVICE_ENDPOINT", "ftp://x"},
      {"MEET_S3_SERVICE_ENDPOINT", "localhost:9000"},
      {"MEET_S3_SERVICE_ENDPOINT", "http://minio:9000/path"},
      {"MEET_S3_ACCESS_KEY", ""},
      {"MEET_AWS_REGION", "US EAST"},
      {"MEET_S3_WITH_PATH_STYLE_ACCESS", "yes"},
      {"MEET_S3_REQUEST_TIMEOUT_MS", "10"},
      {"MEET_S3_REQUEST_TIMEOUT_MS", "1s"},
      {"MEET_S3_MAX_RETRIES", "11"},
      {"MEET_S3_MAX_RETRIES", "-1"},
      {"MEET_S3_RETRY_BASE_DELAY_MS", "0"},
      {"MEET_S3_READ_CHUNK_BYTES", "1024"},
      {"MEET_S3_MULTIPART_THRESHOLD_BYTES", "1048576"},
  };
  for (const auto& [key, value] : bad) {
    SCOPED_TRACE(key + "=" + value);
    auto o = S3OptionsFromEnv({{key, value}});
    ASSERT_FALSE(o.ok());
    EXPECT_EQ(o.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(o.status().message().find(key), std::string::npos) << o.status().message();
    EXPECT_EQ(o.status().message().find('\n'), std::string::npos);
  }
  // Virtual-hosted addressing needs a DNS name.
  auto ip = S3OptionsFromEnv({{"MEET_S3_SERVICE_ENDPOINT", "http://127.0.0.1:9000"},
                              {"MEET_S3_WITH_PATH_STYLE_ACCESS", "false"}});
  EXPECT_EQ(ip.status().code(), StatusCode::kInvalidArgument);
}

TEST(S3Options, SecretKeyNeverInMessages) {
  auto o = S3OptionsFromEnv({{"MEET_S3_SECRET_KEY", "s3cr3t-value"}, {"MEET_S3_ACCESS_KEY", ""}});
  ASSERT_FALSE(o.ok());
  EXPECT_EQ(o.status().message().find("s3cr3t-value"), std::string::npos);
  auto empty = S3OptionsFromEnv({{"MEET_S3_SECRET_KEY", ""}});
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("MEET_S3_SECRET_KEY"), std::string::npos);
}

// Both keys empty select the AWS default credential chain (reference §4.8); it gets the AWS_*
// variables, and nothing else, of the map.
TEST(S3Options, BothKeysEmptyUseTheDefaultCredentialChain) {
  auto o = S3OptionsFromEnv({{"MEET_S3_ACCESS_KEY", ""},
                             {"MEET_S3_SECRET_KEY", ""},
                             {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/creds"},
                             {"AWS_EC2_METADATA_DISABLED", "true"},
                             {"MEET_S3_BUCKET", "some-bucket"}});
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_TRUE(UsesCredentialChain(*o));
  EXPECT_EQ(o->aws_env.size(), 2u);
  EXPECT_EQ(o->aws_env.at("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"), "/v2/creds");
  auto defaults = S3OptionsFromEnv({});
  ASSERT_TRUE(defaults.ok());
  EXPECT_FALSE(UsesCredentialChain(*defaults));
  // Only one of the pair empty is a configuration mistake, named in the message.
  auto half = S3OptionsFromEnv({{"MEET_S3_ACCESS_KEY", "AK"}, {"MEET_S3_SECRET_KEY", ""}});
  ASSERT_FALSE(half.ok());
  EXPECT_NE(half.status().message().find("leave both empty"), std::string::npos);
}

}  // namespace
}  // namespace mr::storage
