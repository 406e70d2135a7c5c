#include "config/service_options.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include "common/parse_int.hpp"

extern char** environ;

namespace mr::config {
namespace {

Status Invalid(const std::string& key, const std::string& what) {
  return InvalidArgumentError("invalid configuration: " + key + " " + what);
}


std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t c = s.find(',', start);
    if (c == std::string::npos) {
      c = s.size();
    }
    std::string item = s.substr(start, c - start);
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!item.empty()) {
      out.push_back(item);
    }
    start = c + 1;
  }
  return out;
}

Result<Environment> ReadConfigFile(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    return InvalidArgumentError("cannot read config file " + path + ": " + e.what());
  }
  Environment out;
  if (root.IsNull()) {
    return out;
  }
  if (!root.IsMap()) {
    return InvalidArgumentError("config file " + path + " must be a map of KEY: value");
  }
  const auto& known = KnownConfigKeys();
  for (const auto& kv : root) {
    std::string key = kv.first.as<std::string>();
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      return InvalidArgumentError("unknown key '" + key + "' in config file " + path);
    }
    if (!kv.second.IsScalar()) {
      return InvalidArgumentError("config key '" + key + "' must be a single value");
    }
    out[key] = kv.second.as<std::string>();
  }
  return out;
}

}  // namespace

const std::vector<std::string>& KnownConfigKeys() {
  static const std::vector<std::string> keys = {
      "SERVER_PORT",         "MEET_BIND_ADDRESS",      "MEET_BASE_URL",
      "MEET_HTTP_THREADS",   "MEET_SHUTDOWN_DRAIN_SECONDS", "MEET_MAX_BODY_BYTES",
      "MEET_INITIAL_API_KEY", "MEET_API_KEYS",         "MEET_LOG_LEVEL",
      "MEET_BLOB_STORAGE_MODE", "MEET_STORAGE_DIR",    "MEET_S3_SUBBUCKET",
      // Parsed by storage/s3 (s3_options.hpp): fleet storage.
      "MEET_S3_BUCKET",      "MEET_S3_SERVICE_ENDPOINT", "MEET_S3_ACCESS_KEY",
      "MEET_S3_SECRET_KEY",  "MEET_AWS_REGION",        "MEET_S3_WITH_PATH_STYLE_ACCESS",
      "MEET_S3_REQUEST_TIMEOUT_MS", "MEET_S3_MAX_RETRIES", "MEET_S3_RETRY_BASE_DELAY_MS",
      "MEET_S3_READ_CHUNK_BYTES", "MEET_S3_MULTIPART_THRESHOLD_BYTES",
      // Parsed by coordination/redis (redis_options.hpp): fleet coordination.
      "MEET_REDIS_HOST",     "MEET_REDIS_PORT",        "MEET_REDIS_USERNAME",
      "MEET_REDIS_PASSWORD", "MEET_REDIS_DB",          "MEET_REDIS_COMMAND_TIMEOUT_MS",
      "MEET_REDIS_SENTINEL_HOST_LIST", "MEET_REDIS_SENTINEL_PASSWORD",
      "MEET_REDIS_SENTINEL_MASTER_NAME", "MEET_CATALOGUE_INDEX_CHECK_INTERVAL",
      // Parsed by livekit/ and lksim/.
      "LIVEKIT_URL",         "LIVEKIT_URL_PRIVATE",    "LIVEKIT_API_KEY",
      "LIVEKIT_API_SECRET",  "LIVEKIT_WEBHOOK_URLS",   "MEET_EMBEDDED_LIVEKIT_PORT",
      "MEET_LKSIM_ENCODER",
      // Parsed by notify/ (outgoing webhooks).
      "MEET_INITIAL_WEBHOOK_ENABLED", "MEET_INITIAL_WEBHOOK_URL", "MEET_WEBHOOK_MAX_RETRIES",
      "MEET_WEBHOOK_TIMEOUT_MS",
      // Parsed by recording/ (recording_options.hpp).
      "MEET_RECORDING_STARTED_TIMEOUT", "MEET_RECORDING_LOCK_TTL",
      "MEET_RECORDING_LOCK_GC_INTERVAL", "MEET_RECORDING_ORPHANED_LOCK_GRACE_PERIOD",
      "MEET_RECORDING_STALE_CLEANUP_INTERVAL", "MEET_RECORDING_STALE_AFTER",
      "MEET_RECORDING_ENDING_TIMEOUT", "MEET_RECORDING_RECONCILE_MIN_AGE", "MEET_ROOM_GC_INTERVAL",
  };
  return keys;
}

Environment ProcessEnvironment() {
  Environment env;
  for (char** e = environ; e && *e; ++e) {
    std::string kv(*e);
    size_t eq = kv.find('=');
    if (eq != std::string::npos) {
      env[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
  }
  return env;
}

Result<ServiceOptions> LoadServiceOptions(const Environment& env,
                                          std::optional<std::string> config_file) {
  Environment merged;
  if (!config_file) {
    if (auto it = env.find("MEET_CONFIG_FILE"); it != env.end() && !it->second.empty()) {
      config_file = it->second;
    }
  }
  if (config_file) {
    auto file = ReadConfigFile(*config_file);
    if (!file.ok()) {
      return file.status();
    }
    merged = std::move(*file);
  }
  for (const auto& key : KnownConfigKeys()) {
    if (auto it = env.find(key); it != env.end()) {
      merged[key] = it->second;
    }
  }
  auto get = [&](const char* key) -> std::optional<std::string> {
    auto it = merged.find(key);
    if (it == merged.end()) {
      return std::nullopt;
    }
    return it->second;
  };

  ServiceOptions o;
  o.raw = merged;
  if (auto v = get("SERVER_PORT")) {
    auto n = ParseInt(*v);
    if (!n || *n < 0 || *n > 65535) {
      return Invalid("SERVER_PORT", "must be a port number (0-65535), got '" + *v + "'");
    }
    o.port = static_cast<uint16_t>(*n);
  }
  if (auto v = get("MEET_BIND_ADDRESS")) {
    if (v->empty()) {
      return Invalid("MEET_BIND_ADDRESS", "must not be empty");
    }
    o.bind_address = *v;
  }
  if (auto v = get("MEET_BASE_URL"); v && !v->empty()) {
    if (v->rfind("http://", 0) != 0 && v->rfind("https://", 0) != 0) {
      return Invalid("MEET_BASE_URL", "must start with http:// or https://, got '" + *v + "'");
    }
    o.base_url = *v;
    while (!o.base_url.empty() && o.base_url.back() == '/') {
      o.base_url.pop_back();
    }
  }
  if (auto v = get("MEET_HTTP_THREADS")) {
    auto n = ParseInt(*v);
    if (!n || *n < 0 || *n > 256) {
      return Invalid("MEET_HTTP_THREADS", "must be a number from 0 to 256, got '" + *v + "'");
    }
    o.http_threads = static_cast<int>(*n);
  }
  if (auto v = get("MEET_SHUTDOWN_DRAIN_SECONDS")) {
    auto n = ParseInt(*v);
    if (!n || *n < 0 || *n > 3600) {
      return Invalid("MEET_SHUTDOWN_DRAIN_SECONDS", "must be 0-3600 seconds, got '" + *v + "'");
    }
    o.drain_seconds = static_cast<int>(*n);
  }
  if (auto v = get("MEET_MAX_BODY_BYTES")) {
    auto n = ParseInt(*v);
    if (!n || *n < 1024 || *n > (1LL << 30)) {
      return Invalid("MEET_MAX_BODY_BYTES", "must be 1024 to 1073741824, got '" + *v + "'");
    }
    o.max_body_bytes = static_cast<size_t>(*n);
  }
  if (auto v = get("MEET_INITIAL_API_KEY"); v && !v->empty()) {
    o.api_keys.push_back(*v);
  }
  if (auto v = get("MEET_API_KEYS")) {
    for (auto& k : SplitComma(*v)) {
      o.api_keys.push_back(k);
    }
  }
  if (auto v = get("MEET_LOG_LEVEL")) {
    static const std::vector<std::string> levels = {"debug", "verbose", "info", "warn", "error"};
    if (std::find(levels.begin(), levels.end(), *v) == levels.end()) {
      return Invalid("MEET_LOG_LEVEL", "must be one of debug, info, warn, error, got '" + *v + "'");
    }
    o.log_level = *v;
  }
  if (auto v = get("MEET_BLOB_STORAGE_MODE")) {
    if (*v != "local" && *v != "s3") {
      return Invalid("MEET_BLOB_STORAGE_MODE",
                     "'" + *v + "' is not supported by this build (supported: local, s3)");
    }
    o.storage_mode = *v;
  }
  if (auto v = get("MEET_STORAGE_DIR")) {
    if (v->empty()) {
      return Invalid("MEET_STORAGE_DIR", "must not be empty");
    }
    o.storage_dir = *v;
  }
  if (auto v = get("MEET_S3_SUBBUCKET")) {
    std::string s = *v;
    while (!s.empty() && s.back() == '/') {
      s.pop_back();
    }
    // The sub-bucket becomes path segments of every key; it must not escape the bucket root.
    if (s.find("..") != std::string::npos || (!s.empty() && s.front() == '/') ||
        s.find('\\') != std::string::npos || s.find("//") != std::string::npos) {
      return Invalid("MEET_S3_SUBBUCKET", "must be a relative key prefix, got '" + *v + "'");
    }
    o.subbucket = s;
  }
  return o;
}

}  // namespace mr::config
