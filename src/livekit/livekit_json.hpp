#pragma once
// JSON encoding of LiveKit API requests and decoding of LiveKit objects (LiveKit protocol spec
// §1.2 and §7).
//
// Decoding is tolerant in the way the official JS SDK is (protobuf-es fromJson with
// ignoreUnknownFields), so it reads both what the Go server's Twirp API emits (snake_case, every
// field present, null for unset messages) and what its webhooks emit (lowerCamelCase, defaults
// omitted):
//   - every field is looked up under its proto name and its JSON name (`room_name`/`roomName`);
//   - int64/uint64 values may be JSON strings ("1767225600") or numbers;
//   - enums may be names ("EGRESS_ACTIVE") or numbers (1); an unknown name decodes as 0, like
//     protobuf-es (so an unknown egress status reads as EGRESS_STARTING);
//   - a missing field or `null` is the proto default (so a missing `status` is EGRESS_STARTING);
//   - unknown fields are ignored.
// A value of the wrong JSON type (a string where an object is expected, a non-integral number, a
// string that is not an integer, a number out of range) is kInvalidArgument naming the field.
//
// Encoding follows the JS SDK v2 (protobuf-es toJson): lowerCamelCase, default values omitted,
// int64 as strings, enums as names, bytes as standard base64.
// Thread safety: pure functions.

#include <string>
#include <vector>

#include "common/json.hpp"
#include "common/status.hpp"
#include "recording/livekit_port.hpp"

namespace mr::livekit {

// --- Decoding -----------------------------------------------------------------------------------

Result<recording::FileInfo> FileInfoFromJson(const Json& j);
// When only the deprecated `file` result is present, it becomes file_results[0].
Result<recording::EgressInfo> EgressInfoFromJson(const Json& j);
Result<recording::LiveKitRoom> RoomFromJson(const Json& j);
Result<recording::ParticipantInfo> ParticipantInfoFromJson(const Json& j);
Result<recording::WebhookEvent> WebhookEventFromJson(const Json& j);

// Response messages of list calls: {"rooms":[...]}, {"participants":[...]}, {"items":[...]}.
Result<std::vector<recording::LiveKitRoom>> ListRoomsResponseFromJson(const Json& j);
Result<std::vector<recording::ParticipantInfo>> ListParticipantsResponseFromJson(const Json& j);
Result<std::vector<recording::EgressInfo>> ListEgressResponseFromJson(const Json& j);

// --- Encoding (request bodies) ------------------------------------------------------------------

// {"name":..,"emptyTimeout":..,"maxParticipants":..,"metadata":..,"departureTimeout":..}
Json CreateRoomRequestJson(const std::string& name, const recording::CreateRoomOptions& options);
// {} or {"names":[...]}
Json ListRoomsRequestJson(const std::vector<std::string>& names);
// {"room":..}: DeleteRoom, ListParticipants.
Json RoomRequestJson(const std::string& room);
// {"room":..,"identity":..}: GetParticipant, RemoveParticipant.
Json RoomParticipantIdentityJson(const std::string& room, const std::string& identity);
// {"room":..,"data":<base64>,"kind":"LOSSY"?,"topic":..?,"destinationIdentities":[..]?}.
// No nonce is sent (it is optional; the JS SDK adds a random one).
Json SendDataRequestJson(const std::string& room, const recording::DataMessage& message);
// {"room":..,"metadata":..}
Json UpdateRoomMetadataRequestJson(const std::string& room, const std::string& metadata);
// {"roomName":..,"layout":..,"audioOnly":true?,"videoOnly":true?,
//  "fileOutputs":[{"fileType":"MP4","filepath":..,"disableManifest":true?}]}: the JS SDK's
// EncodedOutputs form ({file: ...}), which sends only `fileOutputs`, not the deprecated `file`.
Json RoomCompositeEgressRequestJson(const recording::RoomCompositeRequest& request);
// {"egressId":..}
Json StopEgressRequestJson(const std::string& egress_id);
// {}, {"roomName":..,"active":true}, {"egressId":..}
Json ListEgressRequestJson(const recording::ListEgressFilter& filter);

// "MP4", "OGG", ...
const char* EncodedFileTypeName(recording::EncodedFileType type);

}  // namespace mr::livekit
