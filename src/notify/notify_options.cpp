#include "notify/notify_options.hpp"

#include "common/parse_int.hpp"
#include <optional>

#include "common/beast_http_client.hpp"

namespace mr::notify {
namespace {

Status Invalid(const std::string& key, const std::string& what) {
  return InvalidArgumentError("invalid configuration: " + key + " " + what);
}


}  // namespace

Result<WebhookSenderOptions> WebhookSenderOptionsFrom(const std::map<std::string, std::string>& env,
                                                      const std::vector<std::string>& api_keys) {
  auto get = [&](const char* key) -> std::optional<std::string> {
    auto it = env.find(key);
    if (it == env.end()) {
      return std::nullopt;
    }
    return it->second;
  };

  WebhookSenderOptions o;
  bool flag = false;
  if (auto v = get("MEET_INITIAL_WEBHOOK_ENABLED"); v && !v->empty()) {
    if (*v == "true") {
      flag = true;
    } else if (*v != "false") {
      return Invalid("MEET_INITIAL_WEBHOOK_ENABLED", "must be true or false, got '" + *v + "'");
    }
  }
  o.url = get("MEET_INITIAL_WEBHOOK_URL").value_or("");
  if (flag) {
    if (o.url.rfind("http://", 0) != 0 && o.url.rfind("https://", 0) != 0) {
      return Invalid("MEET_INITIAL_WEBHOOK_URL",
                     "must be an http:// or https:// URL when webhooks are enabled, got '" + o.url +
                         "'");
    }
    if (auto parsed = ParseHttpUrl(o.url); !parsed.ok()) {
      return Invalid("MEET_INITIAL_WEBHOOK_URL", "is not a usable URL: " + parsed.status().message());
    }
  }
  if (!api_keys.empty()) {
    o.signing_key = api_keys.front();
  }
  o.enabled = flag && !o.signing_key.empty();
  if (auto v = get("MEET_WEBHOOK_MAX_RETRIES")) {
    auto n = ParseInt(*v);
    if (!n || *n < 0 || *n > 10) {
      return Invalid("MEET_WEBHOOK_MAX_RETRIES", "must be a number from 0 to 10, got '" + *v + "'");
    }
    o.max_retries = static_cast<int>(*n);
  }
  if (auto v = get("MEET_WEBHOOK_TIMEOUT_MS")) {
    auto n = ParseInt(*v);
    if (!n || *n < 100 || *n > 600000) {
      return Invalid("MEET_WEBHOOK_TIMEOUT_MS", "must be 100 to 600000 ms, got '" + *v + "'");
    }
    o.attempt_timeout = Millis(*n);
  }
  return o;
}

}  // namespace mr::notify
