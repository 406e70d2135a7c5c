#pragma once
// Reads the outgoing-webhook settings (reference §5.7) from the service's configuration map
// (ServiceOptions::raw: the config file merged with the environment) and the configured API keys.
//
// Keys:
//   MEET_INITIAL_WEBHOOK_ENABLED  "true" or "false" (default false). Webhooks are enabled iff it
//                                 is "true" AND at least one API key is configured.
//   MEET_INITIAL_WEBHOOK_URL      Where events are POSTed. When MEET_INITIAL_WEBHOOK_ENABLED is
//                                 "true" it must be an http:// or https:// URL with a host.
//   MEET_WEBHOOK_MAX_RETRIES      Retries after the first attempt, 0-10 (default 5).
//   MEET_WEBHOOK_TIMEOUT_MS       Per-attempt timeout in ms, 100-600000 (default 5000).
// The signing key is the first API key. Every invalid value is kInvalidArgument with a one-line
// message naming the key. Side-effect free (STYLE rule 14).
// Thread safety: a pure function.

#include <map>
#include <string>
#include <vector>

#include "common/status.hpp"
#include "notify/webhook_sender.hpp"

namespace mr::notify {

Result<WebhookSenderOptions> WebhookSenderOptionsFrom(const std::map<std::string, std::string>& env,
                                                      const std::vector<std::string>& api_keys);

}  // namespace mr::notify
