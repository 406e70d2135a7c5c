#pragma once
// The S3 back-end's settings (reference §4.8, plus our retry, timeout and streaming knobs),
// parsed from the configuration map (ServiceOptions::raw: the config file merged with the
// environment). The sub-bucket prefix (MEET_S3_SUBBUCKET) is not here: StorageLayout owns it.
//
//   MEET_S3_BUCKET                    openvidu-appdata       S3 bucket naming rules (3-63 chars,
//                                                            a-z 0-9 . -, starts/ends a-z 0-9)
//   MEET_S3_SERVICE_ENDPOINT          http://localhost:9000  http:// or https://, host[:port],
//                                                            no path
//   MEET_S3_ACCESS_KEY                minioadmin             static keys; both empty: the AWS
//   MEET_S3_SECRET_KEY                minioadmin             default credential chain (environment
//                                                            AWS_*, container, EC2 instance role:
//                                                            s3_credentials.hpp); only one of the
//                                                            two empty is an error
//   MEET_AWS_REGION                   us-east-1
//   MEET_S3_WITH_PATH_STYLE_ACCESS    true                   false: virtual-hosted bucket.host
//                                                            (needs a DNS name, not an IP)
//   MEET_S3_REQUEST_TIMEOUT_MS        10000                  per attempt, 100-600000
//   MEET_S3_MAX_RETRIES               4                      retries after the first attempt, 0-10
//   MEET_S3_RETRY_BASE_DELAY_MS       100                    first backoff ceiling, 1-60000
//   MEET_S3_READ_CHUNK_BYTES          4194304 (4 MiB)        ranged GET size of streamed reads,
//                                                            64 KiB - 32 MiB
//   MEET_S3_MULTIPART_THRESHOLD_BYTES 16777216 (16 MiB)      Puts larger than this use multipart
//                                                            uploads of 8 MiB parts; 5 MiB - 5 GiB
//
// The AWS_* variables of `env` (not configuration keys: the app adds them from the process
// environment) are kept in aws_env for the default credential chain.
//
// Every invalid value is kInvalidArgument with one line naming the key ("invalid configuration:
// KEY ..."); the secret key's value never appears in a message. Side-effect free.
// Thread safety: pure functions; S3Options is a plain value.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/status.hpp"

namespace mr::storage {

struct S3Options {
  std::string bucket = "openvidu-appdata";
  std::string endpoint = "http://localhost:9000";  // As configured, for messages.
  bool https = false;
  std::string host = "localhost";  // Endpoint host, without IPv6 brackets.
  uint16_t port = 9000;
  std::string access_key = "minioadmin";
  std::string secret_key = "minioadmin";  // Never logged.
  // Every AWS_* variable given to S3OptionsFromEnv, for the default credential chain (used only
  // when access_key and secret_key are both empty). May hold secrets: never logged.
  std::map<std::string, std::string> aws_env;
  std::string region = "us-east-1";
  bool path_style = true;
  std::chrono::milliseconds request_timeout{10000};
  int max_retries = 4;
  std::chrono::milliseconds retry_base_delay{100};
  uint64_t read_chunk_bytes = 4ull << 20;
  uint64_t multipart_threshold_bytes = 16ull << 20;
  // Not configurable (S3 needs parts of at least 5 MiB but the last); tests lower it.
  uint64_t multipart_part_bytes = 8ull << 20;
};

Result<S3Options> S3OptionsFromEnv(const std::map<std::string, std::string>& env);

// True when the default credential chain is used (both static keys empty).
inline bool UsesCredentialChain(const S3Options& o) {
  return o.access_key.empty() && o.secret_key.empty();
}

// The keys above, for the config file's allow-list.
const std::vector<std::string>& S3OptionKeys();

}  // namespace mr::storage
