#pragma once
// TwirpLiveKitClient: the recording::LiveKit port over LiveKit's Twirp HTTP API (LiveKit protocol
// spec §1-§4), speaking exactly like the official JS server SDK v2:
//   POST {private_url}/twirp/livekit.RoomService/<Method> or /twirp/livekit.Egress/<Method>
//   Authorization: Bearer <fresh service token with only the grant the method needs>
//   Content-Type: application/json
//   body: camelCase JSON, defaults omitted (livekit_json.hpp)
// One attempt per call, bounded by options.request_timeout. Nothing is retried here: callers
// decide (a StartRoomCompositeEgress retried blindly could start two recordings).
//
// Replies:
//   - 200 with a JSON body: decoded tolerantly (either naming, int64 as string or number); a body
//     that is not the expected JSON -> kInternal;
//   - a Twirp error ({"code","msg"} JSON) -> LiveKitErrorStatus(code, msg) (livekit_port.hpp);
//   - a non-Twirp error body (the server's plain-text 401 for a bad token, a proxy's HTML 502/503)
//     -> by HTTP status: 401 kUnauthorized (with the server's one-line text), 403 kForbidden,
//     404 kNotFound, 408 kTimeout, 429 and 5xx kUnavailable, anything else kInternal. HTML bodies
//     are not copied into the message;
//   - connection refused, DNS or TLS failure -> kUnavailable; deadline passed -> kTimeout.
//   - a private_url the HttpClient cannot use -> kInvalidArgument (a configuration error).
// Tokens and the secret are never logged; each call logs method, HTTP status and outcome at debug.
//
// Thread safety: all methods may be called concurrently (HttpClient and Clock must allow it).

#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "common/http_client.hpp"
#include "common/json.hpp"
#include "livekit/access_token.hpp"
#include "livekit/livekit_options.hpp"
#include "recording/livekit_port.hpp"

namespace mr::livekit {

class TwirpLiveKitClient final : public recording::LiveKit {
 public:
  // `http` and `clock` must outlive the client. REQUIRES: options.private_url is an http(s) base
  // URL (LiveKitOptionsFromEnv produces one).
  TwirpLiveKitClient(HttpClient& http, LiveKitOptions options, const Clock& clock);

  Task<Result<recording::LiveKitRoom>> CreateRoom(std::string name,
                                                  recording::CreateRoomOptions options) override;
  Task<Result<std::vector<recording::LiveKitRoom>>> ListRooms(
      std::vector<std::string> names) override;
  Task<Status> DeleteRoom(std::string name) override;
  Task<Result<std::vector<recording::ParticipantInfo>>> ListParticipants(std::string room) override;
  Task<Result<recording::ParticipantInfo>> GetParticipant(std::string room,
                                                          std::string identity) override;
  Task<Status> RemoveParticipant(std::string room, std::string identity) override;
  Task<Status> SendData(std::string room, recording::DataMessage message) override;
  Task<Result<recording::LiveKitRoom>> UpdateRoomMetadata(std::string room,
                                                          std::string metadata) override;
  Task<Result<recording::EgressInfo>> StartRoomCompositeEgress(
      recording::RoomCompositeRequest request) override;
  Task<Result<recording::EgressInfo>> StopEgress(std::string egress_id) override;
  Task<Result<std::vector<recording::EgressInfo>>> ListEgress(
      recording::ListEgressFilter filter) override;

 private:
  // POSTs `body` to /twirp/livekit.<service>/<method> with a token for `grant` and returns the
  // reply's JSON on 200, else the mapped error (see the header comment).
  Task<Result<Json>> Call(std::string_view service, std::string_view method, VideoGrant grant,
                          Json body);

  HttpClient& http_;
  const LiveKitOptions options_;
  const ServiceTokenSigner signer_;
};

// Maps a non-200 Twirp reply to a Status (exposed for tests): Twirp JSON errors by their code,
// other bodies by HTTP status, as described above.
Status TwirpReplyError(const HttpClientResponse& response);

}  // namespace mr::livekit
