// S3ObjectStore's retries, backoff and error mapping against a scripted HttpClient and FakeClock:
// no network, no real sleeping.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "storage/s3/s3_object_store.hpp"
#include "storage/s3/sigv4.hpp"
#include "unit/storage/s3_fake_http.hpp"

namespace mr::storage {
namespace {

using testing::ErrorXml;
using testing::FixedRandom;
using testing::HeaderOf;
using testing::Reply;
using testing::RunWithClock;
using testing::ScriptedHttp;

S3Options TestOptions() {
  S3Options o;
  o.bucket = "bkt";
  o.endpoint = "http://127.0.0.1:9000";
  o.host = "127.0.0.1";
  o.port = 9000;
  o.access_key = "AK";
  o.secret_key = "SECRET-never-printed";
  o.max_retries = 4;
  o.retry_base_delay = Millis(100);
  return o;
}

class S3RetryTest : public ::testing::Test {
 protected:
  explicit S3RetryTest(char jitter_digit = 'f', S3Options o = TestOptions())
      : random_(jitter_digit), store_(http_, clock_, clock_, random_, o) {}

  template <typename T>
  T Run(Task<T> task, Millis step = Millis(1)) {
    std::optional<T> out = RunWithClock(std::move(task), clock_, step);
    if (!out) {
      ADD_FAILURE() << "the store never finished";
      return T(InternalError("did not finish"));
    }
    return std::move(*out);
  }

  ScriptedHttp http_;
  fakes::FakeClock clock_;
  FixedRandom random_;
  S3ObjectStore store_;
};

TEST_F(S3RetryTest, GetIsRetriedOnTransientFailuresWithExponentialBackoff) {
  http_.Queue(Reply(503, ErrorXml("SlowDown")));
  http_.Queue(Reply(429));
  http_.Queue(Status(StatusCode::kUnavailable, "connection refused"));
  http_.Queue(Status(StatusCode::kTimeout, "timed out"));
  http_.Queue(Reply(200, "{\"a\":1}"));
  const MonoTime start = clock_.Monotonic();
  Result<std::string> got = Run(store_.Get("k/v.json"));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, "{\"a\":1}");
  EXPECT_EQ(store_.RequestCount(), 5u);
  // Jitter at its ceiling: 100 + 200 + 400 + 800 ms of (fake) waiting, no more.
  EXPECT_EQ(std::chrono::duration_cast<Millis>(clock_.Monotonic() - start), Millis(1500));
  for (const auto& r : http_.Requests()) {
    EXPECT_EQ(r.method, "GET");
    EXPECT_EQ(r.url, "http://127.0.0.1:9000/bkt/k/v.json");
  }
}

TEST_F(S3RetryTest, BackoffWaitsBeforeEachRetry) {
  http_.SetHandler([](const HttpClientRequest&) -> Result<HttpClientResponse> {
    return Reply(500, ErrorXml("InternalError"));
  });
  asio::io_context ioc;
  std::optional<Result<std::string>> out;
  auto run = [](S3ObjectStore& s, std::optional<Result<std::string>>* o) -> Task<void> {
    o->emplace(co_await s.Get("k"));
  };
  asio::co_spawn(ioc, run(store_, &out), asio::detached);
  ioc.poll();
  EXPECT_EQ(http_.Requests().size(), 1u);
  clock_.Advance(Millis(99));
  ioc.restart();
  ioc.poll();
  EXPECT_EQ(http_.Requests().size(), 1u);  // The first backoff is 100 ms.
  clock_.Advance(Millis(1));
  ioc.restart();
  ioc.poll();
  EXPECT_EQ(http_.Requests().size(), 2u);
  clock_.Advance(Millis(199));
  ioc.restart();
  ioc.poll();
  EXPECT_EQ(http_.Requests().size(), 2u);  // Then 200 ms.
  clock_.Advance(Millis(1));
  ioc.restart();
  ioc.poll();
  EXPECT_EQ(http_.Requests().size(), 3u);
  clock_.Advance(Millis(10000));
  ioc.restart();
  ioc.poll();
  clock_.Advance(Millis(10000));
  ioc.restart();
  ioc.poll();
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(http_.Requests().size(), 5u);  // 1 + max_retries.
  EXPECT_EQ(out->status().code(), StatusCode::kUnavailable);
}

TEST_F(S3RetryTest, OutageAfterRetriesIsUnavailableNeverNotFound) {
  http_.SetHandler([](const HttpClientRequest&) -> Result<HttpClientResponse> {
    return Status(StatusCode::kUnavailable, "connection refused");
  });
  Result<std::string> got = Run(store_.Get("a"));
  EXPECT_EQ(got.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(got.status().message().rfind("S3 Error", 0), 0u) << got.status().message();
  EXPECT_EQ(http_.Requests().size(), 5u);
  EXPECT_EQ(Run(store_.Head("a")).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(Run(store_.List("a", 10, std::nullopt)).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(Run(store_.Put("a", "x")).code(), StatusCode::kUnavailable);
  EXPECT_EQ(Run(store_.DeleteMany({"a"})).code(), StatusCode::kUnavailable);
  EXPECT_EQ(Run(store_.Open("a", std::nullopt)).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(Run(store_.CheckBucket()).code(), StatusCode::kUnavailable);
  EXPECT_EQ(http_.Requests().size(), 35u);
  // A timeout is an outage too.
  http_.SetHandler([](const HttpClientRequest&) -> Result<HttpClientResponse> {
    return Status(StatusCode::kTimeout, "timed out");
  });
  EXPECT_EQ(Run(store_.Get("a")).status().code(), StatusCode::kUnavailable);
}

TEST_F(S3RetryTest, ClientErrorsAreFinalAndMapped) {
  struct Case {
    int status;
    std::string code;
    StatusCode want;
  };
  const std::vector<Case> cases = {
      {404, "NoSuchKey", StatusCode::kNotFound},
      {404, "NoSuchBucket", StatusCode::kDestination},
      {403, "AccessDenied", StatusCode::kDestination},
      {403, "SignatureDoesNotMatch", StatusCode::kDestination},
      {403, "InvalidAccessKeyId", StatusCode::kDestination},
      {301, "PermanentRedirect", StatusCode::kDestination},
      {400, "AuthorizationHeaderMalformed", StatusCode::kDestination},
      {400, "InvalidRequest", StatusCode::kInternal},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.code);
    const size_t before = http_.Requests().size();
    http_.Queue(Reply(c.status, ErrorXml(c.code)));
    Result<std::string> got = Run(store_.Get("k"));
    EXPECT_EQ(got.status().code(), c.want) << got.status().ToString();
    EXPECT_EQ(http_.Requests().size(), before + 1);  // Never retried.
    EXPECT_EQ(got.status().message().find("never-printed"), std::string::npos);
    if (c.want == StatusCode::kDestination) {
      EXPECT_NE(got.status().message().find("'bkt'"), std::string::npos) << got.status().message();
    }
  }
  // 400 RequestTimeout is transient.
  http_.Queue(Reply(400, ErrorXml("RequestTimeout")));
  http_.Queue(Reply(200, "ok"));
  EXPECT_TRUE(Run(store_.Get("k")).ok());
}

TEST_F(S3RetryTest, PutSignsTheBodyAndRetriesWithTheSameBytes) {
  http_.Queue(Status(StatusCode::kUnavailable, "reset"));
  http_.Queue(Reply(200));
  ASSERT_TRUE(Run(store_.Put("rooms/a b+c.json", "{\"x\":1}")).ok());
  auto reqs = http_.Requests();
  ASSERT_EQ(reqs.size(), 2u);
  for (const auto& r : reqs) {
    EXPECT_EQ(r.method, "PUT");
    EXPECT_EQ(r.url, "http://127.0.0.1:9000/bkt/rooms/a%20b%2Bc.json");
    EXPECT_EQ(r.body, "{\"x\":1}");
    EXPECT_EQ(HeaderOf(r, "x-amz-content-sha256"), s3::Sha256Hex("{\"x\":1}"));
    EXPECT_EQ(HeaderOf(r, "x-amz-date"), "20260101T000000Z");
    EXPECT_EQ(HeaderOf(r, "authorization").rfind("AWS4-HMAC-SHA256 Credential=AK/20260101/", 0),
              0u);
    EXPECT_EQ(HeaderOf(r, "content-type"), "");  // As the reference: no content type.
  }
  // The backoff of the retry was waited on the fake clock (jitter at its ceiling: 100 ms).
  EXPECT_EQ(clock_.PendingTimers(), 0u);
}

TEST_F(S3RetryTest, DeleteManyBatchesOf1000WithContentMd5AndChecksPerKeyErrors) {
  std::vector<std::string> keys;
  for (int i = 0; i < 2500; ++i) {
    keys.push_back("d/" + std::to_string(i));
  }
  http_.SetHandler([](const HttpClientRequest&) -> Result<HttpClientResponse> {
    return Reply(200, "<DeleteResult></DeleteResult>");
  });
  ASSERT_TRUE(Run(store_.DeleteMany(keys)).ok());
  auto reqs = http_.Requests();
  ASSERT_EQ(reqs.size(), 3u);
  size_t total = 0;
  for (const auto& r : reqs) {
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.url, "http://127.0.0.1:9000/bkt?delete=");
    EXPECT_EQ(HeaderOf(r, "content-md5"), s3::Md5Base64(r.body));
    size_t n = 0;
    for (size_t p = r.body.find("<Key>"); p != std::string::npos; p = r.body.find("<Key>", p + 1)) {
      ++n;
    }
    EXPECT_LE(n, 1000u);
    total += n;
  }
  EXPECT_EQ(total, 2500u);
  EXPECT_TRUE(Run(store_.DeleteMany({})).ok());
  EXPECT_EQ(http_.Requests().size(), 3u);

  // Keys are XML-escaped.
  http_.Queue(Reply(200, "<DeleteResult/>"));
  ASSERT_TRUE(Run(store_.DeleteMany({"a&b<c>'\""})).ok());
  EXPECT_NE(http_.Requests().back().body.find("<Key>a&amp;b&lt;c&gt;&apos;&quot;</Key>"),
            std::string::npos);

  // A per-key error fails the call.
  http_.Queue(Reply(200,
                    "<DeleteResult><Deleted><Key>x</Key></Deleted><Error><Key>y</Key><Code>"
                    "InternalError</Code><Message>We encountered an internal error"
                    "</Message></Error></DeleteResult>"));
  Status s = Run(store_.DeleteMany({"x", "y"}));
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("'y'"), std::string::npos) << s.message();
  http_.Queue(Reply(200,
                    "<DeleteResult><Error><Key>y</Key><Code>AccessDenied</Code><Message>no"
                    "</Message></Error></DeleteResult>"));
  EXPECT_EQ(Run(store_.DeleteMany({"y"})).code(), StatusCode::kDestination);
  // Invalid keys are refused before anything is sent.
  const size_t before = http_.Requests().size();
  EXPECT_EQ(Run(store_.DeleteMany({"ok", "../bad"})).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(http_.Requests().size(), before);
}

TEST_F(S3RetryTest, HeadNotFoundIsConfirmedByAListing) {
  HttpHeaderList h = {{"content-length", "42"}, {"last-modified", "Thu, 01 Jan 2026 00:00:01 GMT"}};
  http_.Queue(Reply(200, "", h));
  auto head = Run(store_.Head("m.mp4"));
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->size, 42u);
  EXPECT_EQ(head->last_modified_ms, 1767225601000);

  http_.Queue(Reply(404));
  http_.Queue(Reply(200, "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>"));
  EXPECT_EQ(Run(store_.Head("m.mp4")).status().code(), StatusCode::kNotFound);
  EXPECT_NE(http_.Requests().back().url.find("list-type=2"), std::string::npos);

  http_.Queue(Reply(404));
  http_.Queue(Reply(404, ErrorXml("NoSuchBucket")));
  EXPECT_EQ(Run(store_.Head("m.mp4")).status().code(), StatusCode::kDestination);
}

TEST_F(S3RetryTest, ListUsesStartAfterTokensAndParsesTheReply) {
  http_.Queue(Reply(200,
                    "<ListBucketResult><IsTruncated>true</IsTruncated><Contents><Key>p/a&amp;b"
                    "</Key><LastModified>2026-01-01T00:00:00.250Z</LastModified><Size>3</Size>"
                    "</Contents><NextContinuationToken>opaque</NextContinuationToken>"
                    "</ListBucketResult>"));
  auto page = Run(store_.List("p/", 1, std::nullopt));
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->objects.size(), 1u);
  EXPECT_EQ(page->objects[0].key, "p/a&b");
  EXPECT_EQ(page->objects[0].size, 3u);
  EXPECT_EQ(page->objects[0].last_modified_ms, 1767225600250);
  ASSERT_TRUE(page->next_token);
  EXPECT_EQ(http_.Requests().back().url,
            "http://127.0.0.1:9000/bkt?list-type=2&max-keys=1&prefix=p%2F");

  http_.Queue(Reply(200, "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>"));
  auto next = Run(store_.List("p/", 1, page->next_token));
  ASSERT_TRUE(next.ok());
  EXPECT_TRUE(next->objects.empty());
  EXPECT_FALSE(next->next_token);
  EXPECT_EQ(http_.Requests().back().url,
            "http://127.0.0.1:9000/bkt?list-type=2&max-keys=1&prefix=p%2F&start-after=p%2Fa%26b");

  const size_t before = http_.Requests().size();
  EXPECT_EQ(Run(store_.List("p/", 1, std::string("opaque"))).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(http_.Requests().size(), before);
  http_.Queue(Reply(200, "<html>not xml"));
  EXPECT_EQ(Run(store_.List("p/", 1, std::nullopt)).status().code(), StatusCode::kInternal);
}

// A fake S3 object served in ranges; `etag` can be changed to simulate a replacement.
struct RangeServer {
  std::string data;
  std::string etag = "\"v1\"";
  bool honour_if_match = true;

  Result<HttpClientResponse> operator()(const HttpClientRequest& r) const {
    const std::string range = HeaderOf(r, "range");
    const std::string if_match = HeaderOf(r, "if-match");
    if (honour_if_match && !if_match.empty() && if_match != etag) {
      return Reply(412, ErrorXml("PreconditionFailed"));
    }
    uint64_t a = 0;
    uint64_t b = 0;
    if (std::sscanf(range.c_str(), "bytes=%lu-%lu", &a, &b) != 2) {
      return Reply(200, data, {{"etag", etag}});
    }
    if (a >= data.size()) {
      return Reply(416, ErrorXml("InvalidRange"));
    }
    b = std::min<uint64_t>(b, data.size() - 1);
    std::string cr = "bytes " + std::to_string(a) + "-" + std::to_string(b) + "/";
    cr += std::to_string(data.size());
    return Reply(206, data.substr(a, b - a + 1), {{"etag", etag}, {"content-range", cr}});
  }
};

class S3ChunkedReadTest : public S3RetryTest {
 protected:
  static S3Options SmallChunks() {
    S3Options o = TestOptions();
    o.read_chunk_bytes = 4;
    return o;
  }
  S3ChunkedReadTest() : S3RetryTest('f', SmallChunks()) {}

  Result<std::string> ReadAll(recording::ObjectReader& reader, size_t step = 3) {
    std::string out;
    std::string buf(step, '\0');
    while (true) {
      Result<size_t> n = Run(reader.Read(std::span<char>(buf.data(), buf.size())));
      if (!n.ok()) {
        return n.status();
      }
      if (*n == 0) {
        return out;
      }
      out.append(buf.data(), *n);
    }
  }
};

TEST_F(S3ChunkedReadTest, ReadsInRangedChunksWithIfMatch) {
  auto server = std::make_shared<RangeServer>();
  server->data = "0123456789abcdefghij";  // 20 bytes: 5 chunks of 4.
  http_.SetHandler([server](const HttpClientRequest& r) { return (*server)(r); });
  auto reader = Run(store_.Open("m", std::nullopt));
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ((*reader)->object_size(), 20u);
  EXPECT_EQ(http_.Requests().size(), 1u);  // Open fetched the first chunk only.
  EXPECT_EQ(*ReadAll(**reader), server->data);
  auto reqs = http_.Requests();
  ASSERT_EQ(reqs.size(), 5u);
  EXPECT_EQ(HeaderOf(reqs[0], "range"), "bytes=0-3");
  EXPECT_EQ(HeaderOf(reqs[0], "if-match"), "");
  EXPECT_EQ(HeaderOf(reqs[4], "range"), "bytes=16-19");
  EXPECT_EQ(HeaderOf(reqs[4], "if-match"), "\"v1\"");

  // A range: bytes 5..13 in chunks 5-8, 9-12, 13-13.
  auto ranged = Run(store_.Open("m", recording::ByteRange{5, 13}));
  ASSERT_TRUE(ranged.ok());
  EXPECT_EQ(*ReadAll(**ranged, 100), "56789abcd");
  reqs = http_.Requests();
  EXPECT_EQ(HeaderOf(reqs[5], "range"), "bytes=5-8");
  EXPECT_EQ(HeaderOf(reqs[7], "range"), "bytes=13-13");
  EXPECT_EQ(reqs.size(), 8u);

  EXPECT_EQ(Run(store_.Open("m", recording::ByteRange{18, 20})).status().code(),
            StatusCode::kRangeNotSatisfiable);
  EXPECT_EQ(Run(store_.Open("m", recording::ByteRange{20, 20})).status().code(),
            StatusCode::kRangeNotSatisfiable);
}

TEST_F(S3ChunkedReadTest, ReadsOneChunkAheadOnceTheConsumerComesBack) {
  auto server = std::make_shared<RangeServer>();
  server->data = "0123456789abcdefghij";  // 20 bytes: 5 chunks of 4.
  http_.SetHandler([server](const HttpClientRequest& r) { return (*server)(r); });
  auto reader = Run(store_.Open("m", std::nullopt));
  ASSERT_TRUE(reader.ok());
  std::string buf(2, '\0');
  ASSERT_EQ(*Run((*reader)->Read(std::span<char>(buf.data(), 2))), 2u);
  // A client that leaves after the first piece costs no extra chunk.
  EXPECT_EQ(http_.Requests().size(), 1u);
  ASSERT_EQ(*Run((*reader)->Read(std::span<char>(buf.data(), 2))), 2u);
  EXPECT_EQ(buf, "23");
  // It came back: the next chunk was asked for before the consumer reached it.
  ASSERT_EQ(http_.Requests().size(), 2u);
  EXPECT_EQ(HeaderOf(http_.Requests()[1], "range"), "bytes=4-7");
  EXPECT_EQ(*ReadAll(**reader, 2), "456789abcdefghij");
  auto reqs = http_.Requests();
  ASSERT_EQ(reqs.size(), 5u);  // Each chunk once, in order.
  for (size_t i = 0; i < reqs.size(); ++i) {
    EXPECT_EQ(HeaderOf(reqs[i], "range"),
              "bytes=" + std::to_string(4 * i) + "-" + std::to_string(4 * i + 3));
  }

  // A reader dropped with a chunk fetched ahead, and one dropped before its fetch ran.
  auto dropped = Run(store_.Open("m", std::nullopt));
  ASSERT_TRUE(dropped.ok());
  ASSERT_EQ(*Run((*dropped)->Read(std::span<char>(buf.data(), 2))), 2u);
  ASSERT_EQ(*Run((*dropped)->Read(std::span<char>(buf.data(), 2))), 2u);
  dropped->reset();
  EXPECT_EQ(http_.Requests().size(), 7u);
  {
    asio::io_context ioc;
    auto early = Run(store_.Open("m", std::nullopt));
    ASSERT_TRUE(early.ok());
    bool read = false;
    auto read_twice = [](recording::ObjectReader* r, std::string* b, bool* done) -> Task<void> {
      co_await r->Read(std::span<char>(b->data(), 2));
      co_await r->Read(std::span<char>(b->data(), 2));
      *done = true;
    };
    asio::co_spawn(ioc, read_twice(early->get(), &buf, &read), asio::detached);
    while (!read && ioc.run_one() > 0) {
    }
    ASSERT_TRUE(read);
    EXPECT_EQ(http_.Requests().size(), 8u);
    early->reset();  // The fetch ahead is queued on `ioc`, not run yet.
    ioc.run();
  }
  EXPECT_EQ(http_.Requests().size(), 9u);
  EXPECT_EQ(buf, "23");
}

TEST_F(S3ChunkedReadTest, ChunkReadsAreRetried) {
  auto server = std::make_shared<RangeServer>();
  server->data = "0123456789";
  http_.SetHandler([server](const HttpClientRequest& r) { return (*server)(r); });
  auto reader = Run(store_.Open("m", std::nullopt));
  ASSERT_TRUE(reader.ok());
  http_.Queue(Reply(503, ErrorXml("SlowDown")));
  http_.Queue(Status(StatusCode::kUnavailable, "reset"));
  EXPECT_EQ(*ReadAll(**reader), "0123456789");
}

TEST_F(S3ChunkedReadTest, ReplacedObjectFailsTheReadWithConflict) {
  for (bool honour : {true, false}) {
    SCOPED_TRACE(honour ? "server checks If-Match" : "server ignores If-Match");
    auto server = std::make_shared<RangeServer>();
    server->data = "0123456789";
    server->honour_if_match = honour;
    http_.SetHandler([server](const HttpClientRequest& r) { return (*server)(r); });
    auto reader = Run(store_.Open("m", std::nullopt));
    ASSERT_TRUE(reader.ok());
    server->etag = "\"v2\"";
    server->data = "ABCDEFGHIJ";
    std::string buf(4, '\0');
    EXPECT_EQ(*Run((*reader)->Read(std::span<char>(buf.data(), 4))), 4u);  // Buffered chunk.
    EXPECT_EQ(buf, "0123");
    EXPECT_EQ(Run((*reader)->Read(std::span<char>(buf.data(), 4))).status().code(),
              StatusCode::kConflict);
  }
}

TEST_F(S3ChunkedReadTest, EmptyObjectAndMissingKey) {
  auto server = std::make_shared<RangeServer>();
  http_.SetHandler([server](const HttpClientRequest& r) -> Result<HttpClientResponse> {
    if (r.method == "HEAD") {
      return Reply(200, "", {{"content-length", "0"}, {"etag", server->etag}});
    }
    return (*server)(r);
  });
  auto reader = Run(store_.Open("empty", std::nullopt));
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ((*reader)->object_size(), 0u);
  EXPECT_EQ(*ReadAll(**reader), "");
  EXPECT_EQ(Run(store_.Open("empty", recording::ByteRange{0, 0})).status().code(),
            StatusCode::kRangeNotSatisfiable);

  http_.Queue(Reply(404, ErrorXml("NoSuchKey")));
  EXPECT_EQ(Run(store_.Open("gone", std::nullopt)).status().code(), StatusCode::kNotFound);
}

class S3MultipartTest : public S3RetryTest {
 protected:
  static S3Options SmallParts() {
    S3Options o = TestOptions();
    o.multipart_threshold_bytes = 10;
    o.multipart_part_bytes = 4;
    return o;
  }
  S3MultipartTest() : S3RetryTest('f', SmallParts()) {}
};

TEST_F(S3MultipartTest, LargePutUsesMultipartUpload) {
  int part = 0;
  http_.SetHandler([&part](const HttpClientRequest& r) -> Result<HttpClientResponse> {
    if (r.method == "POST" && r.url.find("?uploads=") != std::string::npos) {
      return Reply(200,
                   "<InitiateMultipartUploadResult><UploadId>U1</UploadId>"
                   "</InitiateMultipartUploadResult>");
    }
    if (r.method == "PUT") {
      return Reply(200, "", {{"etag", "\"e" + std::to_string(++part) + "\""}});
    }
    return Reply(200, "<CompleteMultipartUploadResult/>");
  });
  ASSERT_TRUE(Run(store_.Put("big", "0123456789A")).ok());  // 11 bytes > 10: parts 4+4+3.
  auto reqs = http_.Requests();
  ASSERT_EQ(reqs.size(), 5u);
  EXPECT_EQ(reqs[1].url, "http://127.0.0.1:9000/bkt/big?partNumber=1&uploadId=U1");
  EXPECT_EQ(reqs[1].body, "0123");
  EXPECT_EQ(reqs[3].body, "89A");
  EXPECT_EQ(reqs[4].url, "http://127.0.0.1:9000/bkt/big?uploadId=U1");
  EXPECT_NE(reqs[4].body.find("<Part><PartNumber>3</PartNumber><ETag>&quot;e3&quot;</ETag></Part>"),
            std::string::npos)
      << reqs[4].body;
  // Up to the threshold it is one PutObject.
  http_.SetHandler([](const HttpClientRequest&) -> Result<HttpClientResponse> { return Reply(200); });
  ASSERT_TRUE(Run(store_.Put("small", "0123456789")).ok());
  EXPECT_EQ(http_.Requests().back().url, "http://127.0.0.1:9000/bkt/small");
}

TEST_F(S3MultipartTest, FailedPartAbortsTheUpload) {
  http_.SetHandler([](const HttpClientRequest& r) -> Result<HttpClientResponse> {
    if (r.method == "POST") {
      return Reply(200,
                   "<InitiateMultipartUploadResult><UploadId>U9</UploadId>"
                   "</InitiateMultipartUploadResult>");
    }
    if (r.method == "PUT") {
      return Reply(403, ErrorXml("AccessDenied"));
    }
    return Reply(204);
  });
  EXPECT_EQ(Run(store_.Put("big", "0123456789ABCDEF")).code(), StatusCode::kDestination);
  auto reqs = http_.Requests();
  ASSERT_EQ(reqs.size(), 3u);  // Create, the refused part (not retried), abort.
  EXPECT_EQ(reqs[2].method, "DELETE");
  EXPECT_EQ(reqs[2].url, "http://127.0.0.1:9000/bkt/big?uploadId=U9");

  // A completion that fails inside a 200 reply fails the Put too (and aborts).
  http_.SetHandler([](const HttpClientRequest& r) -> Result<HttpClientResponse> {
    if (r.method == "POST" && r.url.find("uploads=") != std::string::npos) {
      return Reply(200,
                   "<InitiateMultipartUploadResult><UploadId>U2</UploadId>"
                   "</InitiateMultipartUploadResult>");
    }
    if (r.method == "PUT") {
      return Reply(200, "", {{"etag", "\"e\""}});
    }
    if (r.method == "POST") {
      return Reply(200, ErrorXml("InvalidPart"));
    }
    return Reply(204);
  });
  EXPECT_FALSE(Run(store_.Put("big", "0123456789ABCDEF")).ok());
  EXPECT_EQ(http_.Requests().back().method, "DELETE");
}

TEST(S3Addressing, VirtualHostedStyleOnTheDefaultPort) {
  S3Options o = TestOptions();
  o.path_style = false;
  o.https = true;
  o.host = "s3.eu-west-3.amazonaws.com";
  o.port = 443;
  ScriptedHttp http;
  fakes::FakeClock clock;
  FixedRandom random('0');
  S3ObjectStore store(http, clock, clock, random, o);
  http.Queue(Reply(200, "x"));
  ASSERT_TRUE(RunWithClock(store.Get("a/b c.json"), clock, Millis(1))->ok());
  EXPECT_EQ(http.Requests()[0].url, "https://bkt.s3.eu-west-3.amazonaws.com/a/b%20c.json");
  http.Queue(Reply(200, "<ListBucketResult/>"));
  ASSERT_TRUE(RunWithClock(store.CheckBucket(), clock, Millis(1))->ok());
  EXPECT_EQ(http.Requests()[1].url,
            "https://bkt.s3.eu-west-3.amazonaws.com/?list-type=2&max-keys=1");
}

}  // namespace
}  // namespace mr::storage
