#include "livekit/access_token.hpp"

#include <utility>

#include "common/jwt.hpp"

namespace mr::livekit {

Json VideoGrant::ToJson() const {
  Json video = Json::object();
  if (room_create) {
    video["roomCreate"] = true;
  }
  if (room_list) {
    video["roomList"] = true;
  }
  if (room_record) {
    video["roomRecord"] = true;
  }
  if (room_admin) {
    video["roomAdmin"] = true;
  }
  if (!room.empty()) {
    video["room"] = room;
  }
  return video;
}

ServiceTokenSigner::ServiceTokenSigner(std::string api_key, std::string api_secret,
                                       const Clock& clock, std::chrono::seconds ttl)
    : api_key_(std::move(api_key)), api_secret_(std::move(api_secret)), clock_(clock), ttl_(ttl) {}

Json ServiceTokenSigner::Claims(const VideoGrant& grant) const {
  const int64_t now_s =
      std::chrono::duration_cast<std::chrono::seconds>(clock_.Now().time_since_epoch()).count();
  Json claims = Json::object();
  claims["video"] = grant.ToJson();
  claims["iss"] = api_key_;
  claims["exp"] = now_s + ttl_.count();
  claims["nbf"] = now_s;
  return claims;
}

std::string ServiceTokenSigner::Sign(const VideoGrant& grant) const {
  return jwt::SignHs256(Claims(grant), api_secret_);
}

}  // namespace mr::livekit
