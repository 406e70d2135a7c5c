#include "storage/s3/s3_credentials.hpp"

#include <cstdio>
#include <ctime>
#include <utility>

#include "common/beast_http_client.hpp"
#include "common/json.hpp"
#include "common/logging.hpp"
#include "common/one_shot.hpp"

namespace mr::storage::s3 {
namespace {

constexpr const char* kEcsHost = "http://169.254.170.2";
constexpr const char* kImdsDefault = "http://169.254.169.254";

std::string Lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c + 32);
    }
  }
  return s;
}

// "HTTP 404" or the transport error, for messages. Reply bodies are never quoted: they may hold
// credentials.
std::string Failure(const Result<HttpClientResponse>& r) {
  if (!r.ok()) {
    return r.status().message();
  }
  return "HTTP " + std::to_string(r->status);
}

bool Is2xx(const Result<HttpClientResponse>& r) {
  return r.ok() && r->status >= 200 && r->status <= 299;
}

// The credentials document of the container endpoint and of IMDS.
Result<Credentials> ParseCredentialsJson(const std::string& body, const std::string& source) {
  const Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    return InvalidArgumentError("the reply is not a JSON object");
  }
  auto str = [&](const char* name) -> std::optional<std::string> {
    auto it = j.find(name);
    if (it == j.end() || !it->is_string()) {
      return std::nullopt;
    }
    return it->get<std::string>();
  };
  if (auto code = str("Code"); code && *code != "Success") {
    return InvalidArgumentError("the reply's Code is '" + *code + "', not 'Success'");
  }
  Credentials c;
  c.source = source;
  auto ak = str("AccessKeyId");
  auto sk = str("SecretAccessKey");
  if (!ak || ak->empty() || !sk || sk->empty()) {
    return InvalidArgumentError("the reply has no AccessKeyId or SecretAccessKey");
  }
  c.access_key = std::move(*ak);
  c.secret_key = std::move(*sk);
  c.session_token = str("Token").value_or("");
  if (auto e = str("Expiration")) {
    c.expiration = ParseIso8601(*e);
    if (!c.expiration) {
      return InvalidArgumentError("the reply's Expiration '" + *e + "' is not an ISO 8601 time");
    }
  }
  return c;
}

// The SDKs only send the container authorization token over https or to the container agents'
// own addresses, never to an arbitrary host over plain http.
bool AllowedFullUri(const ParsedUrl& u) {
  if (u.https) {
    return true;
  }
  return u.host == "localhost" || u.host == "::1" || u.host.rfind("127.", 0) == 0 ||
         u.host == "169.254.170.2" || u.host == "169.254.170.23";
}

}  // namespace

std::optional<WallTime> ParseIso8601(std::string_view s) {
  std::string str(s);
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, used = 0;
  if (std::sscanf(str.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &used) !=
          6 ||
      used != 19) {
    return std::nullopt;
  }
  std::string_view rest = s.substr(19);
  if (!rest.empty() && rest.front() == '.') {
    rest.remove_prefix(1);
    if (rest.empty() || rest.front() < '0' || rest.front() > '9') {
      return std::nullopt;
    }
    while (!rest.empty() && rest.front() >= '0' && rest.front() <= '9') {
      rest.remove_prefix(1);
    }
  }
  long offset_s = 0;
  if (rest == "Z") {
    // UTC.
  } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
    int oh = 0, om = 0;
    if (std::sscanf(std::string(rest.substr(1)).c_str(), "%2d:%2d", &oh, &om) != 2) {
      return std::nullopt;
    }
    offset_s = (rest[0] == '+' ? 1 : -1) * (oh * 3600L + om * 60L);
  } else {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  const std::time_t t = ::timegm(&tm) - offset_s;
  return std::chrono::system_clock::from_time_t(t);
}

struct DefaultCredentialChain::Fetch {
  std::optional<Result<Credentials>> result;      // Guarded by the chain's mu_.
  std::vector<std::shared_ptr<OneShot>> waiters;  // Guarded by the chain's mu_.
};

DefaultCredentialChain::DefaultCredentialChain(HttpClient& http, Clock& clock,
                                               std::map<std::string, std::string> env)
    : http_(http), clock_(clock), env_(std::move(env)) {}

DefaultCredentialChain::~DefaultCredentialChain() = default;

int DefaultCredentialChain::FetchCountForTest() const {
  std::lock_guard lock(mu_);
  return fetches_;
}

std::optional<std::string> DefaultCredentialChain::Env(const char* name) const {
  auto it = env_.find(name);
  if (it == env_.end() || it->second.empty()) {
    return std::nullopt;
  }
  return it->second;
}

Task<Result<Credentials>> DefaultCredentialChain::Get() {
  std::shared_ptr<Fetch> fetch;
  std::shared_ptr<OneShot> wake;
  {
    std::lock_guard lock(mu_);
    if (cached_ && (!cached_->expiration || clock_.Now() < *cached_->expiration - kRefreshBefore)) {
      Credentials c = *cached_;
      co_return c;
    }
    if (fetch_) {
      fetch = fetch_;
      wake = OneShot::Make();
      fetch->waiters.push_back(wake);
    } else {
      fetch_ = fetch = std::make_shared<Fetch>();
      ++fetches_;
    }
  }
  if (wake) {
    co_await wake->Wait();
    std::lock_guard lock(mu_);
    Result<Credentials> r = *fetch->result;
    co_return r;
  }
  // This caller runs the fetch. Should its coroutine be destroyed before the chain finishes
  // (shutdown), the guard still releases the waiters and lets the next Get fetch again.
  struct Guard {
    DefaultCredentialChain* self;
    std::shared_ptr<Fetch> fetch;
    bool published = false;
    ~Guard() {
      if (!published) {
        self->Publish(fetch, UnavailableError("the credential fetch was abandoned"));
      }
    }
  } guard{this, fetch};
  Result<Credentials> r = co_await RunChain();
  guard.published = true;
  Publish(fetch, r);
  std::lock_guard lock(mu_);
  Result<Credentials> out = *fetch->result;
  co_return out;
}

void DefaultCredentialChain::Publish(const std::shared_ptr<Fetch>& fetch, Result<Credentials> r) {
  std::vector<std::shared_ptr<OneShot>> waiters;
  {
    std::lock_guard lock(mu_);
    if (r.ok()) {
      cached_ = *r;
      ever_succeeded_ = true;
      Json f = Json::object();
      f["source"] = r->source;
      f["access_key"] = r->access_key;  // An id, not a secret (it is in every Authorization).
      if (r->expiration) {
        f["expires_in_s"] =
            std::chrono::duration_cast<std::chrono::seconds>(*r->expiration - clock_.Now()).count();
      }
      log::Info("S3 credentials obtained from the default credential chain", f);
    } else if (cached_ && cached_->expiration && clock_.Now() < *cached_->expiration) {
      // The refresh failed but the old credentials are still valid for a few minutes: use them,
      // as the AWS SDKs do; the next Get tries again.
      log::Warn("S3 credential refresh failed; using the current ones until they expire",
                {{"error", r.status().message()}});
      r = *cached_;
    } else {
      // Never had credentials: a configuration error. Had some: a transient outage.
      r = Status(ever_succeeded_ ? StatusCode::kUnavailable : StatusCode::kDestination,
                 r.status().message());
    }
    fetch->result = std::move(r);
    waiters = std::move(fetch->waiters);
    if (fetch_ == fetch) {
      fetch_ = nullptr;
    }
  }
  for (const auto& w : waiters) {
    w->Set();
  }
}

Task<Result<Credentials>> DefaultCredentialChain::RunChain() {
  std::string tried;
  auto add = [&](const std::string& source, const Status& why) {
    if (!tried.empty()) {
      tried += "; ";
    }
    tried += source;
    tried += ": ";
    tried += why.message();
  };
  // 1. Environment.
  {
    auto ak = Env("AWS_ACCESS_KEY_ID");
    auto sk = Env("AWS_SECRET_ACCESS_KEY");
    if (ak && sk) {
      Credentials c;
      c.access_key = *ak;
      c.secret_key = *sk;
      c.session_token = Env("AWS_SESSION_TOKEN").value_or("");
      c.source = "environment";
      co_return c;
    }
    add("environment", InvalidArgumentError(
                           ak || sk ? "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must both be set"
                                    : "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set"));
  }
  // 2. Container credentials.
  Result<Credentials> container = co_await FromContainer();
  if (container.ok()) {
    co_return container;
  }
  add("container", container.status());
  // 3. EC2 instance metadata.
  Result<Credentials> imds = co_await FromImds();
  if (imds.ok()) {
    co_return imds;
  }
  add("EC2 instance metadata", imds.status());
  co_return Status(StatusCode::kDestination,
                   "no AWS credentials: MEET_S3_ACCESS_KEY and MEET_S3_SECRET_KEY are empty and "
                   "no source of the default credential chain worked (" +
                       tried + ")");
}

Task<Result<Credentials>> DefaultCredentialChain::FromContainer() {
  HttpClientRequest req;
  req.method = "GET";
  if (auto rel = Env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
    req.url = kEcsHost;
    if (rel->front() != '/') {
      req.url += '/';
    }
    req.url += *rel;
  } else if (auto full = Env("AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
    Result<ParsedUrl> u = ParseHttpUrl(*full);
    if (!u.ok()) {
      co_return InvalidArgumentError("AWS_CONTAINER_CREDENTIALS_FULL_URI is not an http(s) URL");
    }
    if (!AllowedFullUri(*u)) {
      co_return InvalidArgumentError(
          "AWS_CONTAINER_CREDENTIALS_FULL_URI must be https or a loopback, 169.254.170.2 or "
          "169.254.170.23 address, got host '" +
          u->host + "'");
    }
    req.url = *full;
  } else {
    co_return InvalidArgumentError(
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and AWS_CONTAINER_CREDENTIALS_FULL_URI are not "
        "set");
  }
  if (auto token = Env("AWS_CONTAINER_AUTHORIZATION_TOKEN")) {
    req.headers.emplace_back("Authorization", *token);
  }
  req.timeout = kContainerTimeout;
  const std::string url = req.url;
  Result<HttpClientResponse> r = co_await http_.Send(std::move(req));
  if (!Is2xx(r)) {
    co_return UnavailableError("GET " + url + ": " + Failure(r));
  }
  Result<Credentials> c = ParseCredentialsJson(r->body, "container");
  if (!c.ok()) {
    co_return InvalidArgumentError("GET " + url + ": " + c.status().message());
  }
  co_return c;
}

Task<Result<Credentials>> DefaultCredentialChain::FromImds() {
  if (auto disabled = Env("AWS_EC2_METADATA_DISABLED"); disabled && Lower(*disabled) == "true") {
    co_return InvalidArgumentError("disabled by AWS_EC2_METADATA_DISABLED");
  }
  std::string base = Env("AWS_EC2_METADATA_SERVICE_ENDPOINT").value_or(kImdsDefault);
  while (!base.empty() && base.back() == '/') {
    base.pop_back();
  }
  const std::string where = " at " + base;

  HttpClientRequest token_req;
  token_req.method = "PUT";
  token_req.url = base + "/latest/api/token";
  token_req.headers.emplace_back("X-aws-ec2-metadata-token-ttl-seconds", "21600");
  token_req.timeout = kImdsTimeout;
  Result<HttpClientResponse> token = co_await http_.Send(std::move(token_req));
  if (!Is2xx(token) || token->body.empty()) {
    co_return UnavailableError("PUT /latest/api/token" + where + ": " +
                               (Is2xx(token) ? std::string("empty token") : Failure(token)));
  }
  const std::string path = "/latest/meta-data/iam/security-credentials/";

  HttpClientRequest role_req;
  role_req.url = base + path;
  role_req.headers.emplace_back("X-aws-ec2-metadata-token", token->body);
  role_req.timeout = kImdsTimeout;
  Result<HttpClientResponse> role = co_await http_.Send(std::move(role_req));
  if (!Is2xx(role)) {
    co_return UnavailableError("GET " + path + where + ": " + Failure(role) +
                               (role.ok() && role->status == 404
                                    ? std::string(" (no IAM role attached to the instance?)")
                                    : std::string()));
  }
  std::string name = role->body.substr(0, role->body.find('\n'));
  while (!name.empty() && (name.back() == '\r' || name.back() == ' ')) {
    name.pop_back();
  }
  if (name.empty() || name.find('/') != std::string::npos) {
    co_return UnavailableError("GET " + path + where + ": no IAM role name in the reply");
  }

  HttpClientRequest creds_req;
  creds_req.url = base + path + name;
  creds_req.headers.emplace_back("X-aws-ec2-metadata-token", token->body);
  creds_req.timeout = kImdsTimeout;
  Result<HttpClientResponse> creds = co_await http_.Send(std::move(creds_req));
  if (!Is2xx(creds)) {
    co_return UnavailableError("GET " + path + name + where + ": " + Failure(creds));
  }
  Result<Credentials> c = ParseCredentialsJson(creds->body, "EC2 instance role '" + name + "'");
  if (!c.ok()) {
    co_return InvalidArgumentError("GET " + path + name + where + ": " + c.status().message());
  }
  co_return c;
}

}  // namespace mr::storage::s3
