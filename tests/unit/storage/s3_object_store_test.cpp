// S3ObjectStore against a real S3 server (s3rver, which checks Signature V4) through the real
// HTTP client: outages, refused credentials, a missing bucket, multipart uploads, chunked reads,
// and a bucket written by the AWS SDK exactly as OpenVidu Meet writes it.

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "unit/storage/s3_test_env.hpp"
#include "unit/storage/storage_test_env.hpp"

namespace mr::storage {
namespace {

using recording::ByteRange;
using testing::ReadAll;
using testing::S3Env;
using testing::Sync;

// Deterministic bytes, the same as the python snippet below writes: (i * 7) % 251.
std::string Pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) {
    s[i] = static_cast<char>((i * 7) % 251);
  }
  return s;
}

TEST(S3ObjectStorePeer, CheckBucketAndRoundTrip) {
  S3Env env;
  EXPECT_TRUE(Sync(env.store->CheckBucket()).ok());
  ASSERT_TRUE(Sync(env.store->Put("openvidu-meet/rooms/r é+=/r.json", "{\"a\":1}")).ok());
  EXPECT_EQ(*Sync(env.store->Get("openvidu-meet/rooms/r é+=/r.json")), "{\"a\":1}");
  auto page = Sync(env.store->List("openvidu-meet/rooms/r é", 10, std::nullopt));
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->objects.size(), 1u);
  EXPECT_EQ(page->objects[0].key, "openvidu-meet/rooms/r é+=/r.json");
  EXPECT_GT(page->objects[0].last_modified_ms, 1'600'000'000'000);
  EXPECT_GT(env.store->RequestCount(), 3u);
}

TEST(S3ObjectStorePeer, OutageIsUnavailableThenRecovers) {
  S3Env env;
  ASSERT_TRUE(Sync(env.store->Put("k.json", "v")).ok());
  env.peer.Stop();
  const uint64_t before = env.store->RequestCount();
  auto got = Sync(env.store->Get("k.json"));
  EXPECT_EQ(got.status().code(), StatusCode::kUnavailable) << got.status().ToString();
  EXPECT_EQ(got.status().message().rfind("S3 Error", 0), 0u);
  EXPECT_EQ(env.store->RequestCount() - before, 3u);  // 1 + max_retries (2).
  EXPECT_EQ(Sync(env.store->Head("k.json")).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(Sync(env.store->Head("missing")).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(Sync(env.store->List("", 10, std::nullopt)).status().code(),
            StatusCode::kUnavailable);
  EXPECT_EQ(Sync(env.store->Open("k.json", std::nullopt)).status().code(),
            StatusCode::kUnavailable);
  EXPECT_EQ(Sync(env.store->Put("k2.json", "v")).code(), StatusCode::kUnavailable);
  EXPECT_EQ(Sync(env.store->DeleteMany({"k.json"})).code(), StatusCode::kUnavailable);
  EXPECT_EQ(Sync(env.store->CheckBucket()).code(), StatusCode::kUnavailable);
  env.peer.Start();
  auto again = Sync(env.store->Get("k.json"));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*again, "v");
}

TEST(S3ObjectStorePeer, WrongSecretKeyIsADestinationError) {
  S3Env good;
  ASSERT_TRUE(Sync(good.store->Put("k.json", "v")).ok());
  S3Options o = good.options;
  o.secret_key = "not-the-secret";
  S3ObjectStore bad(good.http, good.clock, good.timers, good.random, o);
  const uint64_t before = bad.RequestCount();
  Status check = Sync(bad.CheckBucket());
  EXPECT_EQ(check.code(), StatusCode::kDestination) << check.ToString();
  EXPECT_EQ(bad.RequestCount() - before, 1u);  // Not retried.
  EXPECT_EQ(check.message().find("not-the-secret"), std::string::npos);
  EXPECT_NE(check.message().find("MEET_S3_SECRET_KEY"), std::string::npos) << check.message();
  EXPECT_EQ(Sync(bad.Get("k.json")).status().code(), StatusCode::kDestination);
  EXPECT_EQ(Sync(bad.Head("k.json")).status().code(), StatusCode::kDestination);
  EXPECT_EQ(Sync(bad.Put("k.json", "w")).code(), StatusCode::kDestination);
  EXPECT_EQ(Sync(bad.DeleteMany({"k.json"})).code(), StatusCode::kDestination);
  EXPECT_EQ(Sync(bad.Open("k.json", std::nullopt)).status().code(), StatusCode::kDestination);
  EXPECT_EQ(*Sync(good.store->Get("k.json")), "v");
}

TEST(S3ObjectStorePeer, MissingBucketIsADestinationError) {
  S3Env env("openvidu-appdata", [](S3Options& o) { o.bucket = "no-such-bucket"; });
  Status check = Sync(env.store->CheckBucket());
  EXPECT_EQ(check.code(), StatusCode::kDestination) << check.ToString();
  EXPECT_NE(check.message().find("no-such-bucket"), std::string::npos);
  EXPECT_EQ(Sync(env.store->Get("k")).status().code(), StatusCode::kDestination);
  // HEAD has no error body: the store's follow-up listing names the bucket problem.
  EXPECT_EQ(Sync(env.store->Head("k")).status().code(), StatusCode::kDestination);
  EXPECT_EQ(Sync(env.store->List("", 5, std::nullopt)).status().code(),
            StatusCode::kDestination);
}

TEST(S3ObjectStorePeer, MultipartUploadAndChunkedReads) {
  S3Env env("openvidu-appdata", [](S3Options& o) {
    o.multipart_threshold_bytes = 100 << 10;
    o.multipart_part_bytes = 64 << 10;
    o.read_chunk_bytes = 64 << 10;
  });
  const std::string big = Pattern(300'000);  // 5 parts: 4 x 64 KiB + the rest.
  uint64_t before = env.store->RequestCount();
  ASSERT_TRUE(Sync(env.store->Put("media/r/r--1.mp4", big)).ok());
  EXPECT_EQ(env.store->RequestCount() - before, 7u);  // Create, 5 parts, complete.
  EXPECT_EQ(Sync(env.store->Head("media/r/r--1.mp4"))->size, big.size());

  before = env.store->RequestCount();
  auto reader = Sync(env.store->Open("media/r/r--1.mp4", std::nullopt));
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ((*reader)->object_size(), big.size());
  auto all = ReadAll(**reader, 10'000);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_TRUE(*all == big);
  EXPECT_EQ(env.store->RequestCount() - before, 5u);  // ceil(300000 / 65536) ranged GETs.

  auto ranged = Sync(env.store->Open("media/r/r--1.mp4", ByteRange{65'000, 200'000}));
  ASSERT_TRUE(ranged.ok());
  auto part = ReadAll(**ranged, 4096);
  ASSERT_TRUE(part.ok()) << part.status().ToString();
  EXPECT_TRUE(*part == big.substr(65'000, 135'001));

  // Replaced between chunks: the reader refuses to mix the two objects.
  auto stale = Sync(env.store->Open("media/r/r--1.mp4", std::nullopt));
  ASSERT_TRUE(stale.ok());
  ASSERT_TRUE(Sync(env.store->Put("media/r/r--1.mp4", Pattern(200'000).substr(1))).ok());
  auto mixed = ReadAll(**stale, 65'536);
  EXPECT_EQ(mixed.status().code(), StatusCode::kConflict) << mixed.status().ToString();
}

// Writes objects with the AWS SDK for Python (boto3), the way OpenVidu Meet does (compact JSON,
// no content type, media from egress), then reads and deletes them through the store.
TEST(S3ObjectStorePeer, BucketWrittenByTheReferenceWithBoto3) {
  S3Env env;
  const std::string script = std::string(MR_SOURCE_DIR) + "/tests/peers/write_meet_bucket.py";
  std::string cmd = "timeout 60 /usr/bin/python3 " + script + " " + env.peer.endpoint() + " " +
                    env.peer.bucket() + " " + test::S3Peer::kAccessKey + " " +
                    test::S3Peer::kSecretKey + " 2>&1";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  std::array<char, 4096> buf;
  size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) {
    out.append(buf.data(), n);
  }
  ASSERT_EQ(::pclose(pipe), 0) << out;

  const std::string meta = "openvidu-meet/recordings/.metadata/R-abc/EG_x1/0123456789.json";
  const std::string media = "openvidu-meet/recordings/R-abc/R-abc--0123456789.mp4";
  auto page = Sync(env.store->List("openvidu-meet/recordings/.metadata/R-abc", 50, std::nullopt));
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->objects.size(), 1u);
  EXPECT_EQ(page->objects[0].key, meta);
  auto all = Sync(env.store->List("openvidu-meet/", 2, std::nullopt));
  ASSERT_TRUE(all.ok() && all->next_token);
  auto rest = Sync(env.store->List("openvidu-meet/", 2, all->next_token));
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->objects.size(), 2u);
  EXPECT_FALSE(rest->next_token);

  auto record = Sync(env.store->Get(meta));
  ASSERT_TRUE(record.ok()) << record.status().ToString();
  EXPECT_EQ(record->rfind("{\"recordingId\":\"R-abc--EG_x1--0123456789\",", 0), 0u) << *record;
  EXPECT_EQ(*Sync(env.store->Get("openvidu-meet/recordings/.secrets/R-abc/EG_x1/0123456789.json")),
            "{\"publicAccessSecret\":\"pub\",\"privateAccessSecret\":\"priv\"}");

  auto head = Sync(env.store->Head(media));
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->size, 300000u);
  auto reader = Sync(env.store->Open(media, ByteRange{1000, 1999}));
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ((*reader)->object_size(), 300000u);
  auto bytes = ReadAll(**reader, 300);
  ASSERT_TRUE(bytes.ok());
  EXPECT_TRUE(*bytes == Pattern(300000).substr(1000, 1000));

  std::vector<std::string> keys;
  for (const auto& o : all->objects) {
    keys.push_back(o.key);
  }
  for (const auto& o : rest->objects) {
    keys.push_back(o.key);
  }
  ASSERT_EQ(keys.size(), 4u);
  ASSERT_TRUE(Sync(env.store->DeleteMany(keys)).ok());
  auto empty = Sync(env.store->List("", 10, std::nullopt));
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->objects.empty());
}

}  // namespace
}  // namespace mr::storage
