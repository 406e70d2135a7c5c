#pragma once
// Service access tokens for LiveKit API calls, signed the way the official JS server SDK signs
// them (npm livekit-server-sdk src/ServiceBase.ts): a fresh HS256 token per call carrying only the
// grant that call needs, claims {"video":{...},"iss":<api key>,"exp":now+600,"nbf":now}, no `sub`.
//
// Grants per method (LiveKit protocol spec §2.4):
//   RoomService.CreateRoom, DeleteRoom                    -> {"roomCreate":true}
//   RoomService.ListRooms                                 -> {"roomList":true}
//   ListParticipants, GetParticipant, RemoveParticipant,
//   SendData, UpdateRoomMetadata (per room)               -> {"roomAdmin":true,"room":<room>}
//   every Egress method                                   -> {"roomRecord":true}
//
// Thread safety: const methods, safe from any thread (the Clock must be too).

#include <chrono>
#include <string>

#include "common/clock.hpp"
#include "common/json.hpp"

namespace mr::livekit {

// The `video` claim of a service token. Only the set flags are emitted.
struct VideoGrant {
  bool room_create = false;
  bool room_list = false;
  bool room_admin = false;
  bool room_record = false;
  std::string room;  // Emitted when non-empty; REQUIRED with room_admin.

  static VideoGrant RoomCreate() { return {.room_create = true}; }
  static VideoGrant RoomList() { return {.room_list = true}; }
  static VideoGrant RoomAdmin(std::string room_name) {
    return {.room_admin = true, .room = std::move(room_name)};
  }
  static VideoGrant RoomRecord() { return {.room_record = true}; }

  // {"roomCreate":true,...} in the JS SDK's key order.
  Json ToJson() const;
};

class ServiceTokenSigner {
 public:
  static constexpr std::chrono::seconds kDefaultTtl{600};

  // `clock` must outlive the signer. The secret is kept in memory only, never logged.
  ServiceTokenSigner(std::string api_key, std::string api_secret, const Clock& clock,
                     std::chrono::seconds ttl = kDefaultTtl);

  // The claims a token for `grant` carries at the clock's current time.
  Json Claims(const VideoGrant& grant) const;
  // A signed JWT (header {"alg":"HS256","typ":"JWT"}) for `grant`.
  std::string Sign(const VideoGrant& grant) const;

 private:
  std::string api_key_;
  std::string api_secret_;
  const Clock& clock_;
  std::chrono::seconds ttl_;
};

}  // namespace mr::livekit
