#include "livekit/webhook_receiver.hpp"

#include <openssl/crypto.h>

#include <utility>

#include "common/json.hpp"
#include "common/jwt.hpp"
#include "livekit/livekit_json.hpp"

namespace mr::livekit {
namespace {

Status Unauthorized(std::string m) { return Status(StatusCode::kUnauthorized, std::move(m)); }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

WebhookReceiver::WebhookReceiver(std::string api_key, std::string api_secret, const Clock& clock,
                                 std::chrono::seconds leeway)
    : api_key_(std::move(api_key)),
      api_secret_(std::move(api_secret)),
      clock_(clock),
      leeway_(leeway) {}

Result<recording::WebhookEvent> WebhookReceiver::Receive(
    std::string_view raw_body, std::string_view authorization_header) const {
  std::string_view token = Trim(authorization_header);
  // LiveKit sends the bare token; tolerate a "Bearer " prefix from proxies or other senders.
  constexpr std::string_view kBearer = "Bearer ";
  if (token.size() >= kBearer.size()) {
    std::string prefix(token.substr(0, kBearer.size()));
    for (char& c : prefix) {
      c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    if (prefix == "bearer ") {
      token = Trim(token.substr(kBearer.size()));
    }
  }
  if (token.empty()) {
    return Unauthorized("authorization header is empty");
  }
  jwt::VerifyOptions vo;
  vo.now_s =
      std::chrono::duration_cast<std::chrono::seconds>(clock_.Now().time_since_epoch()).count();
  vo.leeway_s = leeway_.count();
  vo.require_exp = true;
  vo.issuer = api_key_;
  auto claims = jwt::VerifyHs256(token, api_secret_, vo);
  if (!claims.ok()) {
    return Unauthorized("webhook signature: " + claims.status().message());
  }
  auto it = claims->find("sha256");
  if (it == claims->end() || !it->is_string()) {
    return Unauthorized("webhook token has no sha256 claim");
  }
  const std::string& claimed = it->get_ref<const std::string&>();
  const std::string computed = jwt::Base64Encode(jwt::Sha256(raw_body));
  if (claimed.size() != computed.size() ||
      CRYPTO_memcmp(claimed.data(), computed.data(), computed.size()) != 0) {
    return Unauthorized("sha256 checksum of body does not match");
  }
  Json body = Json::parse(raw_body.begin(), raw_body.end(), nullptr, false);
  if (body.is_discarded()) {
    return InvalidArgumentError("webhook body is not JSON");
  }
  auto event = WebhookEventFromJson(body);
  if (!event.ok()) {
    return InvalidArgumentError("webhook body: " + event.status().message());
  }
  return event;
}

WebhookDeduplicator::WebhookDeduplicator(std::chrono::steady_clock::duration ttl, size_t max_ids)
    : ttl_(ttl), max_ids_(max_ids == 0 ? 1 : max_ids) {}

bool WebhookDeduplicator::FirstSeen(const std::string& event_id, MonoTime now) {
  if (event_id.empty()) {
    return true;
  }
  std::lock_guard<std::mutex> lock(mu_);
  EvictLocked(now);
  if (seen_.count(event_id) != 0) {
    return false;
  }
  while (seen_.size() >= max_ids_ && !order_.empty()) {
    seen_.erase(order_.front().second);
    order_.pop_front();
  }
  seen_.emplace(event_id, now);
  order_.emplace_back(now, event_id);
  return true;
}

void WebhookDeduplicator::Forget(const std::string& event_id) {
  // Its entry in order_ stays until it expires; evicting it then at worst forgets a re-delivery
  // early, which only means handling it once more.
  std::lock_guard<std::mutex> lock(mu_);
  seen_.erase(event_id);
}

size_t WebhookDeduplicator::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return seen_.size();
}

void WebhookDeduplicator::EvictLocked(MonoTime now) {
  // order_ is in insertion order; callers on several threads may pass slightly out-of-order
  // `now` values, which only delays an eviction a little.
  while (!order_.empty() && order_.front().first + ttl_ <= now) {
    seen_.erase(order_.front().second);
    order_.pop_front();
  }
}

}  // namespace mr::livekit
