#include "storage/s3/s3_options.hpp"

#include <optional>

#include "common/beast_http_client.hpp"
#include "common/parse_int.hpp"

namespace mr::storage {
namespace {

Status Invalid(const std::string& key, const std::string& what) {
  return InvalidArgumentError("invalid configuration: " + key + " " + what);
}

bool ValidBucketName(const std::string& b) {
  if (b.size() < 3 || b.size() > 63) {
    return false;
  }
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  for (char c : b) {
    if (!alnum(c) && c != '.' && c != '-') {
      return false;
    }
  }
  return alnum(b.front()) && alnum(b.back()) && b.find("..") == std::string::npos;
}

// An IPv4 or IPv6 literal cannot take a bucket name in front of it (virtual-hosted style).
bool IsIpLiteral(const std::string& host) {
  if (host.find(':') != std::string::npos) {
    return true;
  }
  return host.find_first_not_of("0123456789.") == std::string::npos;
}

}  // namespace

const std::vector<std::string>& S3OptionKeys() {
  static const std::vector<std::string> keys = {
      "MEET_S3_BUCKET",           "MEET_S3_SERVICE_ENDPOINT",       "MEET_S3_ACCESS_KEY",
      "MEET_S3_SECRET_KEY",       "MEET_AWS_REGION",                "MEET_S3_WITH_PATH_STYLE_ACCESS",
      "MEET_S3_REQUEST_TIMEOUT_MS", "MEET_S3_MAX_RETRIES",          "MEET_S3_RETRY_BASE_DELAY_MS",
      "MEET_S3_READ_CHUNK_BYTES", "MEET_S3_MULTIPART_THRESHOLD_BYTES"};
  return keys;
}

Result<S3Options> S3OptionsFromEnv(const std::map<std::string, std::string>& env) {
  auto get = [&](const char* key) -> std::optional<std::string> {
    auto it = env.find(key);
    if (it == env.end()) {
      return std::nullopt;
    }
    return it->second;
  };
  // A bounded integer, or an error naming the key.
  auto get_int = [&](const char* key, long long min, long long max, long long& out) -> Status {
    if (auto v = get(key)) {
      auto n = ParseInt(*v);
      if (!n || *n < min || *n > max) {
        return Invalid(key, "must be a number from " + std::to_string(min) + " to " +
                                std::to_string(max) + ", got '" + *v + "'");
      }
      out = *n;
    }
    return Status::Ok();
  };

  S3Options o;
  if (auto v = get("MEET_S3_BUCKET")) {
    if (!ValidBucketName(*v)) {
      return Invalid("MEET_S3_BUCKET",
                     "must be an S3 bucket name (3-63 characters: a-z, 0-9, '.', '-'), got '" +
                         *v + "'");
    }
    o.bucket = *v;
  }
  if (auto v = get("MEET_S3_SERVICE_ENDPOINT")) {
    o.endpoint = *v;
  }
  {
    Result<ParsedUrl> url = ParseHttpUrl(o.endpoint);
    if (!url.ok()) {
      return Invalid("MEET_S3_SERVICE_ENDPOINT",
                     "must be an http:// or https:// URL, got '" + o.endpoint + "'");
    }
    if (url->target != "/") {
      return Invalid("MEET_S3_SERVICE_ENDPOINT",
                     "must not have a path or query, got '" + o.endpoint + "'");
    }
    o.https = url->https;
    o.host = url->host;
    o.port = url->port;
  }
  if (auto v = get("MEET_S3_ACCESS_KEY")) {
    o.access_key = *v;
  }
  if (auto v = get("MEET_S3_SECRET_KEY")) {
    o.secret_key = *v;
  }
  if (o.access_key.empty() != o.secret_key.empty()) {
    // Both empty selects the default credential chain (reference §4.8). The reference would also
    // fall back to it when only one is empty; a half-configured pair is far more likely a mistake
    // than a wish to ignore the other key, so it is refused.
    const bool access_empty = o.access_key.empty();
    return Invalid(access_empty ? "MEET_S3_ACCESS_KEY" : "MEET_S3_SECRET_KEY",
                   std::string("must not be empty when ") +
                       (access_empty ? "MEET_S3_SECRET_KEY" : "MEET_S3_ACCESS_KEY") +
                       " is set (leave both empty for the AWS default credential chain)");
  }
  for (const auto& [k, v] : env) {
    if (k.rfind("AWS_", 0) == 0) {
      o.aws_env[k] = v;
    }
  }
  if (auto v = get("MEET_AWS_REGION")) {
    if (v->empty() || v->find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") !=
                          std::string::npos) {
      return Invalid("MEET_AWS_REGION", "must be a region name such as us-east-1, got '" + *v + "'");
    }
    o.region = *v;
  }
  if (auto v = get("MEET_S3_WITH_PATH_STYLE_ACCESS")) {
    if (*v == "true") {
      o.path_style = true;
    } else if (*v == "false") {
      o.path_style = false;
    } else {
      return Invalid("MEET_S3_WITH_PATH_STYLE_ACCESS", "must be true or false, got '" + *v + "'");
    }
  }
  if (!o.path_style && IsIpLiteral(o.host)) {
    return Invalid("MEET_S3_WITH_PATH_STYLE_ACCESS",
                   "false needs a DNS name in MEET_S3_SERVICE_ENDPOINT (virtual-hosted "
                   "addressing puts the bucket in front of the host), got '" + o.endpoint + "'");
  }
  long long n = 0;
  n = o.request_timeout.count();
  if (Status s = get_int("MEET_S3_REQUEST_TIMEOUT_MS", 100, 600000, n); !s.ok()) {
    return s;
  }
  o.request_timeout = std::chrono::milliseconds(n);
  n = o.max_retries;
  if (Status s = get_int("MEET_S3_MAX_RETRIES", 0, 10, n); !s.ok()) {
    return s;
  }
  o.max_retries = static_cast<int>(n);
  n = o.retry_base_delay.count();
  if (Status s = get_int("MEET_S3_RETRY_BASE_DELAY_MS", 1, 60000, n); !s.ok()) {
    return s;
  }
  o.retry_base_delay = std::chrono::milliseconds(n);
  n = static_cast<long long>(o.read_chunk_bytes);
  if (Status s = get_int("MEET_S3_READ_CHUNK_BYTES", 64ll << 10, 32ll << 20, n); !s.ok()) {
    return s;
  }
  o.read_chunk_bytes = static_cast<uint64_t>(n);
  n = static_cast<long long>(o.multipart_threshold_bytes);
  if (Status s = get_int("MEET_S3_MULTIPART_THRESHOLD_BYTES", 5ll << 20, 5ll << 30, n); !s.ok()) {
    return s;
  }
  o.multipart_threshold_bytes = static_cast<uint64_t>(n);
  return o;
}

}  // namespace mr::storage
