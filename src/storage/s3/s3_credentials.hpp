#pragma once
// Where the S3 store gets the keys it signs with (reference §4.8): the static MEET_S3_ACCESS_KEY /
// MEET_S3_SECRET_KEY when both are set (StaticCredentialsProvider), otherwise the AWS default
// credential chain (DefaultCredentialChain), e.g. an IAM role of the task or instance.
//
// The chain tries, in the AWS SDKs' order, these sources (and only these):
//   1. environment: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY, plus AWS_SESSION_TOKEN when set;
//      they never expire. Only one of the two keys set is a failure of this source.
//   2. container credentials (ECS task roles, EKS Pod Identity): GET
//      "http://169.254.170.2" + AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, or else
//      AWS_CONTAINER_CREDENTIALS_FULL_URI (as the SDKs: https, or http to a loopback address,
//      169.254.170.2 or 169.254.170.23 only), with AWS_CONTAINER_AUTHORIZATION_TOKEN as the
//      Authorization header when set. Reply: JSON AccessKeyId, SecretAccessKey, Token,
//      Expiration (ISO 8601, UTC). Timeout 2 s.
//   3. EC2 instance metadata, IMDSv2 only: PUT /latest/api/token (X-aws-ec2-metadata-token-ttl-
//      seconds: 21600), then GET /latest/meta-data/iam/security-credentials/ (the role name, its
//      first line) and GET .../security-credentials/{role} (the same JSON fields, plus Code, which
//      must be "Success" when present), both with X-aws-ec2-metadata-token. The endpoint is
//      http://169.254.169.254 unless AWS_EC2_METADATA_SERVICE_ENDPOINT says otherwise;
//      AWS_EC2_METADATA_DISABLED=true skips it. Timeout 1 s per request, so a machine that is not
//      on EC2 fails fast.
// Not covered: web identity tokens (AWS_WEB_IDENTITY_TOKEN_FILE with STS
// AssumeRoleWithWebIdentity, i.e. EKS IRSA), the shared files ~/.aws/credentials and
// ~/.aws/config (profiles, SSO, credential_process), AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, and
// the IMDSv1 fallback. The first source that yields credentials wins; a failing source falls
// through to the next.
//
// Caching. Credentials are kept until 5 minutes before their Expiration (environment ones
// forever) and fetched again, by the whole chain, by the first Get after that; concurrent callers
// of Get during a fetch wait for that one fetch and share its outcome. A failed fetch is not
// cached: the next Get tries again.
//
// Errors. When no source works, Get fails with one line naming every source tried and why each
// failed (never a key, secret or token): kDestination (a configuration error: the service does
// not start) when this provider never had credentials, kUnavailable when a refresh fails after
// earlier credentials worked (a metadata outage is transient).
//
// Thread safety: Get may be called concurrently from any thread and executor. The provider must
// outlive every Get in progress; the HttpClient and Clock must outlive the provider.

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/async.hpp"
#include "common/clock.hpp"
#include "common/http_client.hpp"
#include "common/status.hpp"

namespace mr::storage::s3 {

struct Credentials {
  std::string access_key;
  std::string secret_key;              // Never logged.
  std::string session_token;           // Empty for long-term keys. Never logged.
  std::optional<WallTime> expiration;  // None: never expires.
  std::string source;                  // Where they came from ("environment", ...), for logs.
};

class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  // Credentials valid for at least a few more minutes, or the error described above.
  virtual Task<Result<Credentials>> Get() = 0;
};

// The same credentials every time.
class StaticCredentialsProvider final : public CredentialsProvider {
 public:
  explicit StaticCredentialsProvider(Credentials c) : credentials_(std::move(c)) {}
  Task<Result<Credentials>> Get() override { co_return credentials_; }

 private:
  const Credentials credentials_;
};

class DefaultCredentialChain final : public CredentialsProvider {
 public:
  // How long before their expiration cached credentials are fetched again.
  static constexpr std::chrono::minutes kRefreshBefore{5};
  static constexpr std::chrono::milliseconds kContainerTimeout{2000};
  static constexpr std::chrono::milliseconds kImdsTimeout{1000};

  // `env`: the AWS_* variables of the process environment (S3Options::aws_env); read here and
  // nowhere else, so tests give the map.
  DefaultCredentialChain(HttpClient& http, Clock& clock, std::map<std::string, std::string> env);
  ~DefaultCredentialChain() override;

  Task<Result<Credentials>> Get() override;

  // Fetches done so far (each runs the chain once), for tests.
  int FetchCountForTest() const;

  struct Fetch;  // One fetch in progress, shared by its waiters.

 private:
  Task<Result<Credentials>> RunChain();
  // Each source: its credentials, or why it gave none (the Status message, without secrets).
  Task<Result<Credentials>> FromContainer();
  Task<Result<Credentials>> FromImds();
  std::optional<std::string> Env(const char* name) const;
  void Publish(const std::shared_ptr<Fetch>& fetch, Result<Credentials> r);

  HttpClient& http_;
  Clock& clock_;
  const std::map<std::string, std::string> env_;

  mutable std::mutex mu_;
  std::optional<Credentials> cached_;  // Guarded by mu_.
  std::shared_ptr<Fetch> fetch_;       // Guarded by mu_. The fetch in progress, if any.
  bool ever_succeeded_ = false;        // Guarded by mu_.
  int fetches_ = 0;                    // Guarded by mu_.
};

// "2026-01-02T03:04:05Z" (fraction of seconds and a "+00:00" offset also accepted), or none.
std::optional<WallTime> ParseIso8601(std::string_view s);

}  // namespace mr::storage::s3
