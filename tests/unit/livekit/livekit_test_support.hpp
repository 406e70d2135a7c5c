#pragma once
// Helpers for the livekit tests: a settable clock, the JSON examples of the LiveKit protocol
// spec §7 (verbatim), and key-naming converters to feed the same example in both namings.

#include <cctype>
#include <chrono>
#include <cstdint>
#include <string>

#include "common/clock.hpp"
#include "common/json.hpp"

namespace mr::livekit::testing {

class SetClock final : public Clock {
 public:
  explicit SetClock(int64_t now_s) : now_s_(now_s) {}
  WallTime Now() const override { return WallTime(std::chrono::seconds(now_s_)); }
  MonoTime Monotonic() const override { return MonoTime(std::chrono::seconds(now_s_)); }
  void Set(int64_t now_s) { now_s_ = now_s; }

 private:
  int64_t now_s_;
};

// Renames every object key recursively: snake_case -> lowerCamelCase.
inline Json ToCamel(const Json& j) {
  if (j.is_array()) {
    Json out = Json::array();
    for (const auto& e : j) {
      out.push_back(ToCamel(e));
    }
    return out;
  }
  if (!j.is_object()) {
    return j;
  }
  Json out = Json::object();
  for (const auto& [k, v] : j.items()) {
    std::string name;
    bool up = false;
    for (char c : k) {
      if (c == '_') {
        up = true;
      } else {
        name += up ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
        up = false;
      }
    }
    out[name] = ToCamel(v);
  }
  return out;
}

// Renames every object key recursively: lowerCamelCase -> snake_case.
inline Json ToSnake(const Json& j) {
  if (j.is_array()) {
    Json out = Json::array();
    for (const auto& e : j) {
      out.push_back(ToSnake(e));
    }
    return out;
  }
  if (!j.is_object()) {
    return j;
  }
  Json out = Json::object();
  for (const auto& [k, v] : j.items()) {
    std::string name;
    for (char c : k) {
      if (std::isupper(static_cast<unsigned char>(c))) {
        name += '_';
        name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      } else {
        name += c;
      }
    }
    out[name] = ToSnake(v);
  }
  return out;
}

// §7.2: EgressInfo returned by StartRoomCompositeEgress (server form).
inline constexpr const char* kStartEgressReply = R"json({
  "egress_id": "EG_8HbCmQJ2Rz7x",
  "room_id": "RM_tV4bZ6kPq9Ld",
  "room_name": "room1",
  "source_type": "EGRESS_SOURCE_TYPE_WEB",
  "status": "EGRESS_STARTING",
  "started_at": "1767225600123456789",
  "ended_at": "0",
  "updated_at": "1767225600123456789",
  "room_composite": {
    "room_name": "room1",
    "layout": "grid",
    "audio_only": false,
    "audio_mixing": "DEFAULT_MIXING",
    "video_only": false,
    "custom_base_url": "",
    "file_outputs": [
      {
        "file_type": "MP4",
        "filepath": "rec/{room_name}-{time}",
        "disable_manifest": false,
        "s3": {
          "access_key": "{access_key}",
          "secret": "{secret}",
          "session_token": "",
          "assume_role_arn": "",
          "assume_role_external_id": "",
          "region": "us-east-1",
          "endpoint": "",
          "bucket": "my-bucket",
          "force_path_style": false,
          "metadata": {},
          "tagging": "",
          "content_disposition": "",
          "proxy": null
        }
      }
    ],
    "stream_outputs": [],
    "segment_outputs": [],
    "image_outputs": [],
    "webhooks": []
  },
  "stream_results": [],
  "file_results": [
    {
      "filename": "rec/room1-2026-01-01T000000.mp4",
      "started_at": "0",
      "ended_at": "0",
      "duration": "0",
      "size": "0",
      "location": ""
    }
  ],
  "segment_results": [],
  "image_results": [],
  "error": "",
  "error_code": 0,
  "details": "",
  "manifest_location": "",
  "backup_storage_used": false,
  "retry_count": 0,
  "file": {
    "filename": "rec/room1-2026-01-01T000000.mp4",
    "started_at": "0",
    "ended_at": "0",
    "duration": "0",
    "size": "0",
    "location": ""
  }
})json";

// §7.3: ListEgress reply with one ACTIVE item (the room_composite echo is abbreviated in the spec
// too).
inline constexpr const char* kListEgressReply = R"json({
  "items": [
    {
      "egress_id": "EG_8HbCmQJ2Rz7x",
      "room_id": "RM_tV4bZ6kPq9Ld",
      "room_name": "room1",
      "source_type": "EGRESS_SOURCE_TYPE_WEB",
      "status": "EGRESS_ACTIVE",
      "started_at": "1767225600123456789",
      "ended_at": "0",
      "updated_at": "1767225603051234567",
      "room_composite": { "room_name": "room1", "layout": "grid" },
      "stream_results": [],
      "file_results": [
        {
          "filename": "rec/room1-2026-01-01T000000.mp4",
          "started_at": "1767225603000000000",
          "ended_at": "0",
          "duration": "0",
          "size": "0",
          "location": ""
        }
      ],
      "segment_results": [],
      "image_results": [],
      "error": "",
      "error_code": 0,
      "details": "",
      "manifest_location": "",
      "backup_storage_used": false,
      "retry_count": 0,
      "file": {
        "filename": "rec/room1-2026-01-01T000000.mp4",
        "started_at": "1767225603000000000",
        "ended_at": "0",
        "duration": "0",
        "size": "0",
        "location": ""
      }
    }
  ],
  "next_page_token": null
})json";

// §7.5: ListParticipants reply (server form).
inline constexpr const char* kListParticipantsReply = R"json({
  "participants": [
    {
      "sid": "PA_hY6tGm3QxW2e",
      "identity": "alice",
      "state": "ACTIVE",
      "tracks": [
        {
          "sid": "TR_AMkb8Hq3Zt5v",
          "type": "AUDIO",
          "name": "microphone",
          "muted": false,
          "width": 0,
          "height": 0,
          "simulcast": false,
          "disable_dtx": false,
          "source": "MICROPHONE",
          "layers": [],
          "mime_type": "audio/opus",
          "mid": "0",
          "codecs": [],
          "stereo": false,
          "disable_red": false,
          "encryption": "NONE",
          "stream": "camera",
          "version": { "unix_micro": "1767225590123456", "ticks": 0 },
          "audio_features": [],
          "backup_codec_policy": "PREFER_REGRESSION",
          "packet_trailer_features": []
        }
      ],
      "metadata": "",
      "joined_at": "1767225590",
      "joined_at_ms": "1767225590123",
      "name": "Alice",
      "version": 7,
      "permission": {
        "can_subscribe": true,
        "can_publish": true,
        "can_publish_data": true,
        "can_publish_sources": [],
        "hidden": false,
        "recorder": false,
        "can_update_metadata": false,
        "agent": false,
        "can_subscribe_metrics": false,
        "can_manage_agent_session": false
      },
      "region": "",
      "is_publisher": true,
      "kind": "STANDARD",
      "attributes": {},
      "disconnect_reason": "UNKNOWN_REASON",
      "kind_details": [],
      "data_tracks": [],
      "client_protocol": 1,
      "capabilities": []
    }
  ]
})json";

// §7.5: the egress recorder as a participant (server form, one line).
inline constexpr const char* kRecorderParticipant =
    R"json({"sid":"PA_Qw7nD3kLm9Tz","identity":"EG_8HbCmQJ2Rz7x","state":"ACTIVE","tracks":[],"metadata":"","joined_at":"1767225601","joined_at_ms":"1767225601480","name":"","version":3,"permission":{"can_subscribe":true,"can_publish":false,"can_publish_data":false,"can_publish_sources":[],"hidden":true,"recorder":true,"can_update_metadata":false,"agent":false,"can_subscribe_metrics":false,"can_manage_agent_session":false},"region":"","is_publisher":false,"kind":"EGRESS","attributes":{},"disconnect_reason":"UNKNOWN_REASON","kind_details":[],"data_tracks":[],"client_protocol":1,"capabilities":[]})json";

// §7.5: Room in server form.
inline constexpr const char* kRoomReply =
    R"json({"sid":"RM_tV4bZ6kPq9Ld","name":"room1","empty_timeout":300,"departure_timeout":20,"max_participants":10,"creation_time":"1767225500","creation_time_ms":"1767225500456","turn_password":"x9Kd2...","enabled_codecs":[{"mime":"audio/opus","fmtp_line":""},{"mime":"video/VP8","fmtp_line":""}],"metadata":"m","num_participants":2,"num_publishers":1,"active_recording":true,"version":null})json";

// §7.4.1: the authoritative webhook test vector (exact bytes).
inline constexpr const char* kWebhookKey = "APIkey123";
inline constexpr const char* kWebhookSecret = "secretsecretsecretsecretsecret12";
inline constexpr int64_t kWebhookIat = 1767225665;
inline constexpr const char* kWebhookBody =
    R"json({"event":"egress_ended","room":{"sid":"RM_tV4bZ6kPq9Ld","name":"room1"},"egressInfo":{"egressId":"EG_8HbCmQJ2Rz7x","roomId":"RM_tV4bZ6kPq9Ld","roomName":"room1","status":"EGRESS_COMPLETE","startedAt":"1767225600123456789","endedAt":"1767225665432109876","updatedAt":"1767225665432109876","roomComposite":{"roomName":"room1","layout":"grid","fileOutputs":[{"fileType":"MP4","filepath":"rec/{room_name}-{time}","s3":{"accessKey":"{access_key}","secret":"{secret}","region":"us-east-1","bucket":"my-bucket"}}]},"fileResults":[{"filename":"rec/room1-2026-01-01T000000.mp4","startedAt":"1767225603000000000","endedAt":"1767225664000000000","duration":"61000000000","size":"7340032","location":"https://my-bucket.s3.amazonaws.com/rec/room1-2026-01-01T000000.mp4"}],"details":"End reason: StopEgress API","manifestLocation":"https://my-bucket.s3.amazonaws.com/rec/EG_8HbCmQJ2Rz7x.json","file":{"filename":"rec/room1-2026-01-01T000000.mp4","startedAt":"1767225603000000000","endedAt":"1767225664000000000","duration":"61000000000","size":"7340032","location":"https://my-bucket.s3.amazonaws.com/rec/room1-2026-01-01T000000.mp4"}},"id":"EV_3xKq7Tn9WbYz","createdAt":"1767225665"})json";
inline constexpr const char* kWebhookSha256 = "ASbvfrBIBDGIdM8oz6VTd9Uff8/C6njPehpzxnaLcM8=";
inline constexpr const char* kWebhookToken =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJBUElrZXkxMjMiLCJleHAiOjE3NjcyMjU5NjUsIm5iZiI6"
    "MTc2NzIyNTY2NSwiaWF0IjoxNzY3MjI1NjY1LCJzaGEyNTYiOiJBU2J2ZnJCSUJER0lkTThvejZWVGQ5VWZmOC9DNm5q"
    "UGVocHp4bmFMY004PSJ9.9Og0KnMSz_McEl8RuQed7UUhcVpsd-rARJ0SWMnyXv8";

}  // namespace mr::livekit::testing
