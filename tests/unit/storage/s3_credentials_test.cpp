// The AWS default credential chain (s3_credentials.hpp) on a scripted HttpClient and FakeClock:
// each source, the fall-through, caching and refresh driven by the clock, one shared fetch for
// concurrent callers, errors without secrets; the S3 store's use of it (session token header,
// error codes); and one end-to-end run where a real container-credentials endpoint (mr::http::
// Server on 127.0.0.1) hands out the S3 server peer's keys with a session token.

#include "storage/s3/s3_credentials.hpp"

#include <gtest/gtest.h>

#include <ctime>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/http/server.hpp"
#include "common/json.hpp"
#include "storage/s3/s3_object_store.hpp"
#include "unit/storage/s3_fake_http.hpp"
#include "unit/storage/s3_test_env.hpp"
#include "unit/storage/storage_test_env.hpp"

namespace mr::storage::s3 {
namespace {

using storage::testing::HeaderOf;
using storage::testing::Reply;
using storage::testing::RunWithClock;
using storage::testing::ScriptedHttp;
using EnvMap = std::map<std::string, std::string>;

constexpr const char* kSecret = "sEcReT/KEY+value";
constexpr const char* kToken = "ToKeN-session-value";
constexpr const char* kAuth = "AuThToKeN-container";

std::string Iso(WallTime t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string CredsJson(const std::string& access_key, WallTime expiration) {
  Json j = Json::object();
  j["Code"] = "Success";
  j["AccessKeyId"] = access_key;
  j["SecretAccessKey"] = kSecret;
  j["Token"] = kToken;
  j["Expiration"] = Iso(expiration);
  return j.dump();
}

Result<Credentials> GetNow(DefaultCredentialChain& chain, fakes::FakeClock& clock) {
  auto r = RunWithClock(chain.Get(), clock, Millis(1));
  if (!r) {
    return InternalError("Get did not finish");
  }
  return std::move(*r);
}

// No IMDS on this machine: tests that do not want it disable it.
EnvMap NoImds(EnvMap env) {
  env["AWS_EC2_METADATA_DISABLED"] = "true";
  return env;
}

TEST(S3Credentials, ParseIso8601) {
  const WallTime t0{std::chrono::seconds(1767323045)};  // 2026-01-02T03:04:05Z.
  EXPECT_EQ(ParseIso8601("2026-01-02T03:04:05Z"), t0);
  EXPECT_EQ(ParseIso8601("2026-01-02T03:04:05.123Z"), t0);
  EXPECT_EQ(ParseIso8601("2026-01-02T05:04:05+02:00"), t0);
  for (const char* bad : {"", "2026-01-02", "2026-01-02T03:04:05", "2026-13-02T03:04:05Z",
                          "2026-01-02T03:04:05Zjunk", "2026-01-02T03:04:05.Z"}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(ParseIso8601(bad).has_value());
  }
}

TEST(S3Credentials, EnvironmentNeverExpiresAndSendsNothing) {
  fakes::FakeClock clock;
  ScriptedHttp http;
  DefaultCredentialChain chain(http, clock,
                               {{"AWS_ACCESS_KEY_ID", "AKENV"},
                                {"AWS_SECRET_ACCESS_KEY", kSecret},
                                {"AWS_SESSION_TOKEN", kToken}});
  auto c = GetNow(chain, clock);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key, "AKENV");
  EXPECT_EQ(c->secret_key, kSecret);
  EXPECT_EQ(c->session_token, kToken);
  EXPECT_FALSE(c->expiration.has_value());
  clock.Advance(std::chrono::hours(24 * 365));
  ASSERT_TRUE(GetNow(chain, clock).ok());
  EXPECT_EQ(chain.FetchCountForTest(), 1);
  EXPECT_TRUE(http.Requests().empty());
}

TEST(S3Credentials, ContainerRelativeUriWithAuthorizationToken) {
  fakes::FakeClock clock;
  ScriptedHttp http;
  http.Queue(Reply(200, CredsJson("ASIACONTAINER", clock.Now() + std::chrono::hours(6))));
  DefaultCredentialChain chain(http, clock,
                               NoImds({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/creds/x"},
                                       {"AWS_CONTAINER_AUTHORIZATION_TOKEN", kAuth}}));
  auto c = GetNow(chain, clock);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key, "ASIACONTAINER");
  EXPECT_EQ(c->session_token, kToken);
  ASSERT_TRUE(c->expiration.has_value());
  auto reqs = http.Requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "GET");
  EXPECT_EQ(reqs[0].url, "http://169.254.170.2/v2/creds/x");
  EXPECT_EQ(HeaderOf(reqs[0], "authorization"), kAuth);
}

TEST(S3Credentials, ContainerFullUriOnlyToLocalAddressesOrHttps) {
  fakes::FakeClock clock;
  ScriptedHttp http;
  DefaultCredentialChain chain(
      http, clock,
      NoImds({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://example.com/creds"},
              {"AWS_CONTAINER_AUTHORIZATION_TOKEN", kAuth}}));
  auto c = GetNow(chain, clock);
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(http.Requests().empty());  // The token never went to example.com.
  EXPECT_NE(c.status().message().find("AWS_CONTAINER_CREDENTIALS_FULL_URI"), std::string::npos);
}

TEST(S3Credentials, ImdsV2TokenThenRoleThenCredentials) {
  fakes::FakeClock clock;
  ScriptedHttp http;
  const std::string base = "http://127.0.0.1:9";
  http.SetHandler([&](const HttpClientRequest& r) -> Result<HttpClientResponse> {
    if (r.method == "PUT" && r.url == base + "/latest/api/token") {
      return Reply(200, "IMDS-TOKEN");
    }
    if (HeaderOf(r, "x-aws-ec2-metadata-token") != "IMDS-TOKEN") {
      return Reply(401);
    }
    if (r.url == base + "/latest/meta-data/iam/security-credentials/") {
      return Reply(200, "meet-role\n");
    }
    if (r.url == base + "/latest/meta-data/iam/security-credentials/meet-role") {
      return Reply(200, CredsJson("ASIAIMDS", clock.Now() + std::chrono::hours(6)));
    }
    return Reply(404);
  });
  // The environment and container sources have nothing: the chain falls through to IMDS.
  DefaultCredentialChain chain(http, clock, {{"AWS_EC2_METADATA_SERVICE_ENDPOINT", base + "/"}});
  auto c = GetNow(chain, clock);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key, "ASIAIMDS");
  EXPECT_EQ(c->session_token, kToken);
  auto reqs = http.Requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].method, "PUT");
  EXPECT_EQ(HeaderOf(reqs[0], "x-aws-ec2-metadata-token-ttl-seconds"), "21600");
  EXPECT_EQ(reqs[1].method, "GET");
  EXPECT_EQ(reqs[2].method, "GET");
  for (const auto& r : reqs) {
    EXPECT_EQ(r.timeout, DefaultCredentialChain::kImdsTimeout);
  }
}

// A source that fails (here the container endpoint answers 500) falls through to the next.
TEST(S3Credentials, FailingSourceFallsThrough) {
  fakes::FakeClock clock;
  ScriptedHttp http;
  const std::string base = "http://127.0.0.1:9";
  http.SetHandler([&](const HttpClientRequest& r) -> Result<HttpClientResponse> {
    if (r.url == "http://127.0.0.1:8/creds") {
      return Reply(500);
    }
    if (r.method == "PUT") {
      return Reply(200, "T");
    }
    if (r.url == base + "/latest/meta-data/iam/security-credentials/") {
      return Reply(200, "role");
    }
    return Reply(200, CredsJson("ASIAIMDS", clock.Now() + std::chrono::hours(1)));
  });
  DefaultCredentialChain chain(http, clock,
                               {{"AWS_ACCESS_KEY_ID", "only-one-half"},
                                {"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:8/creds"},
                                {"AWS_EC2_METADATA_SERVICE_ENDPOINT", base}});
  auto c = GetNow(chain, clock);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key, "ASIAIMDS");
  EXPECT_EQ(http.Requests().size(), 4u);
}

TEST(S3Credentials, NothingWorksIsOneLineWithoutSecrets) {
  fakes::FakeClock clock;
  ScriptedHttp http;
  http.SetHandler([&](const HttpClientRequest& r) -> Result<HttpClientResponse> {
    if (r.method == "PUT") {
      return UnavailableError("connection refused");
    }
    // A container endpoint that echoes secrets in an error body: never quoted.
    return Reply(403, std::string("denied ") + kSecret + kToken);
  });
  DefaultCredentialChain chain(http, clock,
                               {{"AWS_SECRET_ACCESS_KEY", kSecret},
                                {"AWS_SESSION_TOKEN", kToken},
                                {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/creds"},
                                {"AWS_CONTAINER_AUTHORIZATION_TOKEN", kAuth},
                                {"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9"}});
  auto c = GetNow(chain, clock);
  ASSERT_FALSE(c.ok());
  const std::string m = c.status().message();
  EXPECT_EQ(c.status().code(), StatusCode::kDestination) << m;
  for (const char* part : {"environment", "container", "HTTP 403", "EC2 instance metadata",
                           "connection refused", "MEET_S3_ACCESS_KEY"}) {
    EXPECT_NE(m.find(part), std::string::npos) << part << " in " << m;
  }
  for (const char* secret : {kSecret, kToken, kAuth}) {
    EXPECT_EQ(m.find(secret), std::string::npos) << m;
  }
  EXPECT_EQ(m.find('\n'), std::string::npos);
  // A failure is not cached: the next Get runs the chain again.
  EXPECT_FALSE(GetNow(chain, clock).ok());
  EXPECT_EQ(chain.FetchCountForTest(), 2);

  ScriptedHttp none;
  DefaultCredentialChain disabled(none, clock, NoImds({}));
  auto d = GetNow(disabled, clock);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("AWS_EC2_METADATA_DISABLED"), std::string::npos);
  EXPECT_TRUE(none.Requests().empty());
}

// Cached until 5 minutes before Expiration, then fetched again; a failed refresh keeps the old
// credentials while they are valid, then fails with kUnavailable (they worked once).
TEST(S3Credentials, CachedUntilFiveMinutesBeforeExpiration) {
  fakes::FakeClock clock;
  ScriptedHttp http;
  int served = 0;
  bool fail = false;
  http.SetHandler([&](const HttpClientRequest&) -> Result<HttpClientResponse> {
    if (fail) {
      return UnavailableError("connection refused");
    }
    ++served;
    return Reply(200,
                 CredsJson("ASIA" + std::to_string(served), clock.Now() + std::chrono::hours(1)));
  });
  DefaultCredentialChain chain(
      http, clock, NoImds({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:8/c"}}));
  ASSERT_EQ(GetNow(chain, clock)->access_key, "ASIA1");
  clock.Advance(std::chrono::minutes(54));
  EXPECT_EQ(GetNow(chain, clock)->access_key, "ASIA1");
  EXPECT_EQ(http.Requests().size(), 1u);
  clock.Advance(std::chrono::minutes(2));  // 4 minutes left: refreshed.
  EXPECT_EQ(GetNow(chain, clock)->access_key, "ASIA2");
  EXPECT_EQ(http.Requests().size(), 2u);
  EXPECT_EQ(GetNow(chain, clock)->access_key, "ASIA2");
  EXPECT_EQ(http.Requests().size(), 2u);

  fail = true;
  clock.Advance(std::chrono::minutes(57));  // ASIA2 has 3 minutes left; the refresh fails.
  auto stale = GetNow(chain, clock);
  ASSERT_TRUE(stale.ok());
  EXPECT_EQ(stale->access_key, "ASIA2");
  clock.Advance(std::chrono::minutes(4));  // Expired.
  auto gone = GetNow(chain, clock);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.status().code(), StatusCode::kUnavailable);
  fail = false;
  EXPECT_EQ(GetNow(chain, clock)->access_key, "ASIA3");
}

// An HttpClient that answers after `delay` on the fake clock, so several Gets overlap.
class SlowHttp final : public HttpClient {
 public:
  SlowHttp(ScriptedHttp& inner, fakes::FakeClock& clock) : inner_(inner), clock_(clock) {}
  Task<Result<HttpClientResponse>> Send(HttpClientRequest request) override {
    co_await SleepFor(clock_, Millis(100));
    co_return co_await inner_.Send(std::move(request));
  }

 private:
  ScriptedHttp& inner_;
  fakes::FakeClock& clock_;
};

TEST(S3Credentials, ConcurrentCallersShareOneFetch) {
  fakes::FakeClock clock;
  ScriptedHttp inner;
  inner.SetHandler([&](const HttpClientRequest&) -> Result<HttpClientResponse> {
    return Reply(200, CredsJson("ASIASHARED", clock.Now() + std::chrono::hours(1)));
  });
  SlowHttp http(inner, clock);
  DefaultCredentialChain chain(
      http, clock, NoImds({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:8/c"}}));
  asio::io_context ioc;
  std::vector<std::optional<Result<Credentials>>> out(5);
  auto one = [](DefaultCredentialChain* c, std::optional<Result<Credentials>>* o) -> Task<void> {
    o->emplace(co_await c->Get());
  };
  for (auto& o : out) {
    asio::co_spawn(ioc, one(&chain, &o), asio::detached);
  }
  for (int i = 0; i < 100; ++i) {
    ioc.restart();
    ioc.poll();
    clock.Advance(Millis(10));
  }
  for (const auto& o : out) {
    ASSERT_TRUE(o.has_value());
    ASSERT_TRUE(o->ok()) << o->status().ToString();
    EXPECT_EQ((*o)->access_key, "ASIASHARED");
  }
  EXPECT_EQ(chain.FetchCountForTest(), 1);
  EXPECT_EQ(inner.Requests().size(), 1u);
}

// The store signs with the chain's credentials and sends the session token; without credentials
// a request fails with the chain's message: kDestination at first (start-up refuses to run),
// kUnavailable "S3 Error: ..." when a later refresh fails; never kNotFound.
TEST(S3Credentials, StoreUsesTheChain) {
  fakes::FakeClock clock;
  ScriptedHttp http;
  storage::testing::FixedRandom random('0');
  bool creds_up = false;
  http.SetHandler([&](const HttpClientRequest& r) -> Result<HttpClientResponse> {
    if (r.url.rfind("http://169.254.170.2/", 0) == 0) {
      if (!creds_up) {
        return UnavailableError("connection refused");
      }
      return Reply(200, CredsJson("ASIASTORE", clock.Now() + std::chrono::hours(1)));
    }
    return Reply(200, "v");
  });
  S3Options o;
  o.access_key = "";
  o.secret_key = "";
  o.max_retries = 1;
  o.aws_env = NoImds({{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/c"}});
  S3ObjectStore store(http, clock, clock, random, o);

  auto first = RunWithClock(store.CheckBucket(), clock, Millis(1));
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->code(), StatusCode::kDestination) << first->ToString();
  EXPECT_NE(first->message().find("S3 Error: ListObjectsV2"), std::string::npos);
  EXPECT_NE(first->message().find("default credential chain"), std::string::npos);

  creds_up = true;
  auto got = RunWithClock(store.Get("k.json"), clock, Millis(1));
  ASSERT_TRUE(got.has_value());
  ASSERT_TRUE(got->ok()) << got->status().ToString();
  const HttpClientRequest last = http.Requests().back();
  EXPECT_EQ(HeaderOf(last, "x-amz-security-token"), kToken);
  EXPECT_NE(HeaderOf(last, "authorization").find("Credential=ASIASTORE/"), std::string::npos);
  EXPECT_NE(HeaderOf(last, "authorization").find("x-amz-security-token"), std::string::npos);

  creds_up = false;
  clock.Advance(std::chrono::hours(2));
  auto later = RunWithClock(store.Get("k.json"), clock, Millis(1));
  ASSERT_TRUE(later.has_value());
  ASSERT_FALSE(later->ok());
  EXPECT_EQ(later->status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(later->status().message().rfind("S3 Error: GetObject", 0), 0u)
      << later->status().message();
  EXPECT_EQ(later->status().message().find(kSecret), std::string::npos);
}

// End to end: a container-credentials endpoint (a real HTTP server) hands out the S3 peer's keys
// with a session token; the store fetches them once and a put/get round trip verifies SigV4 on
// the real S3 server.
TEST(S3Credentials, EndToEndContainerCredentialsAgainstS3Peer) {
  test::S3Peer peer;
  test::IoThreads io;
  std::atomic<int> served{0};
  std::string seen_auth;  // Written by the server's thread before the reply.
  std::mutex mu;
  http::Server server(
      io.ioc(), http::ServerOptions{}, [&](http::Request& req) -> Task<http::Response> {
        {
          std::lock_guard lock(mu);
          seen_auth = std::string(req.Header("authorization").value_or(""));
        }
        ++served;
        Json j = Json::object();
        j["AccessKeyId"] = test::S3Peer::kAccessKey;
        j["SecretAccessKey"] = test::S3Peer::kSecretKey;
        j["Token"] = kToken;
        j["Expiration"] = Iso(std::chrono::system_clock::now() + std::chrono::hours(6));
        co_return http::Response::MakeJson(req.path == "/creds" ? 200 : 404, j);
      });
  ASSERT_TRUE(server.Start().ok());

  BeastHttpClient client(io.ioc().get_executor());
  SystemClock clock;
  AsioTimers timers(io.ioc());
  SystemRandom random;
  S3Options o = storage::testing::S3OptionsFor(peer);
  o.access_key = "";
  o.secret_key = "";
  o.aws_env = NoImds({{"AWS_CONTAINER_CREDENTIALS_FULL_URI",
                       "http://127.0.0.1:" + std::to_string(server.port()) + "/creds"},
                      {"AWS_CONTAINER_AUTHORIZATION_TOKEN", kAuth}});
  auto store = std::make_unique<S3ObjectStore>(client, clock, timers, random, o);
  EXPECT_TRUE(io.Await(store->CheckBucket()).ok());
  ASSERT_TRUE(io.Await(store->Put("iam/role é.json", "{\"a\":1}")).ok());
  auto got = io.Await(store->Get("iam/role é.json"));
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, "{\"a\":1}");
  EXPECT_EQ(served.load(), 1);
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(seen_auth, kAuth);
  }
  store.reset();
}

}  // namespace
}  // namespace mr::storage::s3
