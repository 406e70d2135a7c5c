#pragma once
// ServiceOptions: everything `meet-recorder serve` is configured with, and how it is loaded.
// Sources, later ones winning: built-in defaults, an optional YAML file (MEET_CONFIG_FILE or
// --config; a flat map whose keys are the environment variable names), the environment.
// Loading is side-effect free: it only reads the map and the file it is given (STYLE rule 14).
// Unknown keys in the file are rejected; unknown environment variables are ignored (the
// environment is shared with other programs). Every value is validated; the first problem is
// returned as one clear line.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.hpp"

namespace mr::config {

struct ServiceOptions {
  // HTTP server.
  std::string bind_address = "127.0.0.1";  // MEET_BIND_ADDRESS
  uint16_t port = 6080;                    // SERVER_PORT (0 = any free port)
  std::string base_url;                    // MEET_BASE_URL (empty: the request's own Host)
  int http_threads = 0;                    // MEET_HTTP_THREADS (0 = one per core)
  int drain_seconds = 20;                  // MEET_SHUTDOWN_DRAIN_SECONDS
  size_t max_body_bytes = 1 << 20;         // MEET_MAX_BODY_BYTES

  // Authentication: MEET_INITIAL_API_KEY plus MEET_API_KEYS (comma list, for rotation).
  std::vector<std::string> api_keys;

  std::string log_level = "info";  // MEET_LOG_LEVEL

  // Storage.
  std::string storage_mode = "local";     // MEET_BLOB_STORAGE_MODE: local or s3 (MEET_S3_*)
  std::string storage_dir = "./data";     // MEET_STORAGE_DIR: the local-disk bucket root
  std::string subbucket = "openvidu-meet";  // MEET_S3_SUBBUCKET: key prefix inside the bucket

  // Every known key as configured (file merged with the environment), for the modules that parse
  // their own options: livekit/ (LIVEKIT_*), lksim/ (MEET_EMBEDDED_LIVEKIT_PORT, ...) and
  // notify/ (MEET_INITIAL_WEBHOOK_*, MEET_WEBHOOK_*).
  std::map<std::string, std::string> raw;
};

using Environment = std::map<std::string, std::string>;

// Reads the process environment into a map.
Environment ProcessEnvironment();

// Loads and validates options. `config_file` overrides MEET_CONFIG_FILE from `env`.
Result<ServiceOptions> LoadServiceOptions(const Environment& env,
                                          std::optional<std::string> config_file = std::nullopt);

// The keys a config file may contain (also documented in docs/configuration.md).
const std::vector<std::string>& KnownConfigKeys();

}  // namespace mr::config
