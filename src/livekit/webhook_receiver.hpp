#pragma once
// Checking and decoding LiveKit webhooks (LiveKit protocol spec §6), and deduplicating their
// deliveries.
//
// LiveKit POSTs each event with `Authorization: <jwt>` (no "Bearer "), signed HS256 with the
// API secret of `iss` = the API key, carrying claim `sha256` = standard base64 of the SHA-256 of
// the exact body bytes. The body is camelCase protojson with default values omitted.
// Thread safety: WebhookReceiver is immutable after construction (Receive is const and safe from
// any thread); WebhookDeduplicator is internally locked.

#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/clock.hpp"
#include "common/status.hpp"
#include "recording/livekit_port.hpp"

namespace mr::livekit {

class WebhookReceiver {
 public:
  // Clock skew tolerated on `exp` and `nbf`: 10 s, the JS SDK's default (the Go receiver uses
  // 60 s). LiveKit signs webhook tokens for 5 minutes and re-sends the same token on retries
  // (1+2+4+8 s), so a retried delivery is still inside the window.
  static constexpr std::chrono::seconds kDefaultLeeway{10};

  // `clock` must outlive the receiver. The secret is never logged.
  WebhookReceiver(std::string api_key, std::string api_secret, const Clock& clock,
                  std::chrono::seconds leeway = kDefaultLeeway);

  // Checks one delivery and decodes its event. `raw_body` must be the body exactly as received
  // (never re-serialized); `authorization_header` the raw header value (a "Bearer " prefix is
  // tolerated). In order:
  //   1. empty header, malformed token, algorithm other than HS256, bad signature, expired or
  //      not-yet-valid token (beyond the leeway), token without `exp`, `iss` != our API key,
  //      missing or non-string `sha256` claim, or `sha256` != base64(SHA-256(raw_body))
  //      (compared in constant time, before the body is parsed) -> kUnauthorized;
  //   2. a body that is not JSON, or not a WebhookEvent -> kInvalidArgument;
  //   3. otherwise the decoded event.
  // Failure messages are short reasons and never contain the token or the secret.
  Result<recording::WebhookEvent> Receive(std::string_view raw_body,
                                          std::string_view authorization_header) const;

 private:
  std::string api_key_;
  std::string api_secret_;
  const Clock& clock_;
  std::chrono::seconds leeway_;
};

// Remembers webhook event ids so a re-delivered event (LiveKit retries on network errors, 429
// and 5xx) is handled once. An id is remembered for `ttl` after it was first seen, and at most
// `max_ids` ids are kept (the oldest are forgotten first), so memory stays bounded.
// LiveKit drops events older than 30 s and retries for about 15 s, so the 10-minute default is
// ample.
class WebhookDeduplicator {
 public:
  static constexpr std::chrono::minutes kDefaultTtl{10};
  static constexpr size_t kDefaultMaxIds = 100000;

  explicit WebhookDeduplicator(std::chrono::steady_clock::duration ttl = kDefaultTtl,
                               size_t max_ids = kDefaultMaxIds);

  // True the first time `event_id` is seen (within the ttl and size bounds), false for a repeat.
  // An empty id cannot be deduplicated and is always "first seen". `now` should come from
  // Clock::Monotonic(). Thread-safe.
  bool FirstSeen(const std::string& event_id, MonoTime now);

  // Forgets `event_id`, so its next delivery is handled (the first one could not be applied).
  void Forget(const std::string& event_id);

  // Ids currently remembered.
  size_t size() const;

 private:
  void EvictLocked(MonoTime now);

  const std::chrono::steady_clock::duration ttl_;
  const size_t max_ids_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, MonoTime> seen_;      // guarded by mu_
  std::deque<std::pair<MonoTime, std::string>> order_;  // guarded by mu_; first-seen order
};

}  // namespace mr::livekit
