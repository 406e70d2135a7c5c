#include "livekit/livekit_json.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "common/jwt.hpp"

namespace mr::livekit {
namespace {

using recording::EgressInfo;
using recording::FileInfo;
using recording::LiveKitRoom;
using recording::ParticipantInfo;
using recording::TrackInfo;
using recording::WebhookEvent;

// Decoders throw this internally; every public function turns it into kInvalidArgument. The
// exception never leaves this file.
struct DecodeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct EnumName {
  std::string_view name;
  int32_t value;
};

constexpr EnumName kEgressStatusNames[] = {{"EGRESS_STARTING", 0},     {"EGRESS_ACTIVE", 1},
                                           {"EGRESS_ENDING", 2},       {"EGRESS_COMPLETE", 3},
                                           {"EGRESS_FAILED", 4},       {"EGRESS_ABORTED", 5},
                                           {"EGRESS_LIMIT_REACHED", 6}};
constexpr EnumName kSourceTypeNames[] = {{"EGRESS_SOURCE_TYPE_WEB", 0},
                                         {"EGRESS_SOURCE_TYPE_SDK", 1}};
constexpr EnumName kParticipantStateNames[] = {
    {"JOINING", 0}, {"JOINED", 1}, {"ACTIVE", 2}, {"DISCONNECTED", 3}};
constexpr EnumName kParticipantKindNames[] = {{"STANDARD", 0}, {"INGRESS", 1}, {"EGRESS", 2},
                                              {"SIP", 3},      {"AGENT", 4},   {"CONNECTOR", 7},
                                              {"BRIDGE", 8}};
constexpr EnumName kDisconnectReasonNames[] = {
    {"UNKNOWN_REASON", 0},  {"CLIENT_INITIATED", 1},    {"DUPLICATE_IDENTITY", 2},
    {"SERVER_SHUTDOWN", 3}, {"PARTICIPANT_REMOVED", 4}, {"ROOM_DELETED", 5},
    {"STATE_MISMATCH", 6},  {"JOIN_FAILURE", 7},        {"MIGRATION", 8},
    {"SIGNAL_CLOSE", 9},    {"ROOM_CLOSED", 10},        {"USER_UNAVAILABLE", 11},
    {"USER_REJECTED", 12},  {"SIP_TRUNK_FAILURE", 13},  {"CONNECTION_TIMEOUT", 14},
    {"MEDIA_FAILURE", 15},  {"AGENT_ERROR", 16}};
constexpr EnumName kTrackTypeNames[] = {{"AUDIO", 0}, {"VIDEO", 1}, {"DATA", 2}};
constexpr EnumName kTrackSourceNames[] = {{"UNKNOWN", 0},
                                          {"CAMERA", 1},
                                          {"MICROPHONE", 2},
                                          {"SCREEN_SHARE", 3},
                                          {"SCREEN_SHARE_AUDIO", 4}};
constexpr EnumName kFileTypeNames[] = {{"DEFAULT_FILETYPE", 0}, {"MP4", 1}, {"OGG", 2}, {"MP3", 3}};

// A view of one JSON object that looks every field up under both of its names.
class Obj {
 public:
  Obj(const Json& j, std::string path) : j_(j), path_(std::move(path)) {
    if (!j_.is_object()) {
      throw DecodeError(path_ + ": expected an object");
    }
  }

  // The value of the field, or nullptr when it is absent or null. `camel` defaults to `snake`
  // (one-word names are the same in both namings).
  const Json* Find(std::string_view snake, std::string_view camel = {}) const {
    auto it = j_.find(std::string(snake));
    if ((it == j_.end() || it->is_null()) && !camel.empty()) {
      it = j_.find(std::string(camel));
    }
    if (it == j_.end() || it->is_null()) {
      return nullptr;
    }
    return &*it;
  }

  std::string Path(std::string_view name) const { return path_ + "." + std::string(name); }

  std::string Str(std::string_view snake, std::string_view camel = {}) const {
    const Json* v = Find(snake, camel);
    if (v == nullptr) {
      return {};
    }
    if (!v->is_string()) {
      throw DecodeError(Path(snake) + ": expected a string");
    }
    return v->get<std::string>();
  }

  bool Bool(std::string_view snake, std::string_view camel = {}) const {
    const Json* v = Find(snake, camel);
    if (v == nullptr) {
      return false;
    }
    if (!v->is_boolean()) {
      throw DecodeError(Path(snake) + ": expected a boolean");
    }
    return v->get<bool>();
  }

  // An integer in [lo, hi], from a JSON number or (proto int64 style) a decimal string.
  int64_t Int(std::string_view snake, std::string_view camel, int64_t lo, int64_t hi) const {
    const Json* v = Find(snake, camel);
    if (v == nullptr) {
      return 0;
    }
    return IntValue(*v, Path(snake), lo, hi);
  }
  int64_t I64(std::string_view snake, std::string_view camel = {}) const {
    return Int(snake, camel, std::numeric_limits<int64_t>::min(),
               std::numeric_limits<int64_t>::max());
  }
  int32_t I32(std::string_view snake, std::string_view camel = {}) const {
    return static_cast<int32_t>(Int(snake, camel, std::numeric_limits<int32_t>::min(),
                                    std::numeric_limits<int32_t>::max()));
  }
  uint32_t U32(std::string_view snake, std::string_view camel = {}) const {
    return static_cast<uint32_t>(Int(snake, camel, 0, std::numeric_limits<uint32_t>::max()));
  }

  template <size_t N>
  int32_t Enum(std::string_view snake, std::string_view camel, const EnumName (&names)[N]) const {
    const Json* v = Find(snake, camel);
    if (v == nullptr) {
      return 0;
    }
    return EnumValue(*v, Path(snake), names);
  }

  // The elements of an array field (empty when absent or null).
  const Json* Array(std::string_view snake, std::string_view camel = {}) const {
    const Json* v = Find(snake, camel);
    if (v != nullptr && !v->is_array()) {
      throw DecodeError(Path(snake) + ": expected an array");
    }
    return v;
  }

  static int64_t IntValue(const Json& v, const std::string& path, int64_t lo, int64_t hi) {
    int64_t out = 0;
    if (v.is_number_integer() && !v.is_number_unsigned()) {
      out = v.get<int64_t>();
    } else if (v.is_number_unsigned()) {
      const uint64_t u = v.get<uint64_t>();
      if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        throw DecodeError(path + ": integer out of range");
      }
      out = static_cast<int64_t>(u);
    } else if (v.is_number_float()) {
      const double d = v.get<double>();
      if (!std::isfinite(d) || d != std::floor(d) || d < -9.2e18 || d > 9.2e18) {
        throw DecodeError(path + ": expected an integer");
      }
      out = static_cast<int64_t>(d);
    } else if (v.is_string()) {
      const std::string& s = v.get_ref<const std::string&>();
      const char* first = s.data();
      const char* last = s.data() + s.size();
      auto [ptr, ec] = std::from_chars(first, last, out);
      if (s.empty() || ec != std::errc() || ptr != last) {
        throw DecodeError(path + ": expected an integer string");
      }
    } else {
      throw DecodeError(path + ": expected an integer");
    }
    if (out < lo || out > hi) {
      throw DecodeError(path + ": integer out of range");
    }
    return out;
  }

  template <size_t N>
  static int32_t EnumValue(const Json& v, const std::string& path, const EnumName (&names)[N]) {
    if (v.is_string()) {
      const std::string& s = v.get_ref<const std::string&>();
      for (const auto& n : names) {
        if (n.name == s) {
          return n.value;
        }
      }
      return 0;  // Unknown names read as the zero value, as in protobuf-es.
    }
    if (v.is_number()) {
      return static_cast<int32_t>(IntValue(v, path, std::numeric_limits<int32_t>::min(),
                                           std::numeric_limits<int32_t>::max()));
    }
    throw DecodeError(path + ": expected an enum name or number");
  }

 private:
  const Json& j_;
  std::string path_;
};

FileInfo DecodeFileInfo(const Json& j, const std::string& path) {
  Obj o(j, path);
  FileInfo f;
  f.filename = o.Str("filename");
  f.started_at_ns = o.I64("started_at", "startedAt");
  f.ended_at_ns = o.I64("ended_at", "endedAt");
  f.duration_ns = o.I64("duration");
  f.size_bytes = o.I64("size");
  f.location = o.Str("location");
  return f;
}

size_t ArraySize(const Obj& o, std::string_view snake, std::string_view camel) {
  const Json* a = o.Array(snake, camel);
  return a == nullptr ? 0 : a->size();
}

EgressInfo DecodeEgressInfo(const Json& j, const std::string& path) {
  Obj o(j, path);
  EgressInfo e;
  e.egress_id = o.Str("egress_id", "egressId");
  e.room_id = o.Str("room_id", "roomId");
  e.room_name = o.Str("room_name", "roomName");
  e.status = static_cast<recording::EgressStatus>(o.Enum("status", {}, kEgressStatusNames));
  e.source_type = o.Enum("source_type", "sourceType", kSourceTypeNames);
  e.started_at_ns = o.I64("started_at", "startedAt");
  e.ended_at_ns = o.I64("ended_at", "endedAt");
  e.updated_at_ns = o.I64("updated_at", "updatedAt");
  e.details = o.Str("details");
  e.error = o.Str("error");
  e.error_code = o.I32("error_code", "errorCode");
  if (const Json* files = o.Array("file_results", "fileResults")) {
    for (size_t i = 0; i < files->size(); ++i) {
      e.file_results.push_back(
          DecodeFileInfo((*files)[i], o.Path("file_results[" + std::to_string(i) + "]")));
    }
  }
  if (e.file_results.empty()) {
    if (const Json* file = o.Find("file")) {
      e.file_results.push_back(DecodeFileInfo(*file, o.Path("file")));
    }
  }
  e.stream_result_count = ArraySize(o, "stream_results", "streamResults");
  e.segment_result_count = ArraySize(o, "segment_results", "segmentResults");
  e.image_result_count = ArraySize(o, "image_results", "imageResults");
  e.manifest_location = o.Str("manifest_location", "manifestLocation");
  e.backup_storage_used = o.Bool("backup_storage_used", "backupStorageUsed");
  e.retry_count = o.I32("retry_count", "retryCount");
  if (const Json* rc = o.Find("room_composite", "roomComposite")) {
    Obj r(*rc, o.Path("room_composite"));
    recording::RoomCompositeEcho echo;
    echo.room_name = r.Str("room_name", "roomName");
    echo.layout = r.Str("layout");
    echo.audio_only = r.Bool("audio_only", "audioOnly");
    echo.video_only = r.Bool("video_only", "videoOnly");
    e.room_composite = std::move(echo);
  }
  return e;
}

LiveKitRoom DecodeRoom(const Json& j, const std::string& path) {
  Obj o(j, path);
  LiveKitRoom r;
  r.sid = o.Str("sid");
  r.name = o.Str("name");
  r.empty_timeout_s = o.U32("empty_timeout", "emptyTimeout");
  r.departure_timeout_s = o.U32("departure_timeout", "departureTimeout");
  r.max_participants = o.U32("max_participants", "maxParticipants");
  r.creation_time_s = o.I64("creation_time", "creationTime");
  r.creation_time_ms = o.I64("creation_time_ms", "creationTimeMs");
  r.metadata = o.Str("metadata");
  r.num_participants = o.U32("num_participants", "numParticipants");
  r.num_publishers = o.U32("num_publishers", "numPublishers");
  r.active_recording = o.Bool("active_recording", "activeRecording");
  return r;
}

ParticipantInfo DecodeParticipant(const Json& j, const std::string& path) {
  Obj o(j, path);
  ParticipantInfo p;
  p.sid = o.Str("sid");
  p.identity = o.Str("identity");
  p.name = o.Str("name");
  p.metadata = o.Str("metadata");
  p.state = static_cast<recording::ParticipantState>(o.Enum("state", {}, kParticipantStateNames));
  p.kind = static_cast<recording::ParticipantKind>(o.Enum("kind", {}, kParticipantKindNames));
  p.is_publisher = o.Bool("is_publisher", "isPublisher");
  p.joined_at_s = o.I64("joined_at", "joinedAt");
  p.joined_at_ms = o.I64("joined_at_ms", "joinedAtMs");
  p.disconnect_reason = o.Enum("disconnect_reason", "disconnectReason", kDisconnectReasonNames);
  if (const Json* perm = o.Find("permission")) {
    Obj po(*perm, o.Path("permission"));
    p.hidden = po.Bool("hidden");
    p.recorder = po.Bool("recorder");
  }
  if (const Json* attrs = o.Find("attributes")) {
    if (!attrs->is_object()) {
      throw DecodeError(o.Path("attributes") + ": expected an object");
    }
    for (const auto& [k, v] : attrs->items()) {
      if (!v.is_string()) {
        throw DecodeError(o.Path("attributes." + k) + ": expected a string");
      }
      p.attributes[k] = v.get<std::string>();
    }
  }
  if (const Json* tracks = o.Array("tracks")) {
    for (size_t i = 0; i < tracks->size(); ++i) {
      Obj t((*tracks)[i], o.Path("tracks[" + std::to_string(i) + "]"));
      TrackInfo track;
      track.sid = t.Str("sid");
      track.name = t.Str("name");
      track.type = t.Enum("type", {}, kTrackTypeNames);
      track.source = t.Enum("source", {}, kTrackSourceNames);
      track.muted = t.Bool("muted");
      track.mime_type = t.Str("mime_type", "mimeType");
      p.tracks.push_back(std::move(track));
    }
  }
  return p;
}

WebhookEvent DecodeWebhookEvent(const Json& j) {
  Obj o(j, "event");
  WebhookEvent ev;
  ev.id = o.Str("id");
  ev.event = o.Str("event");
  ev.created_at_s = o.I64("created_at", "createdAt");
  if (const Json* room = o.Find("room")) {
    ev.room = DecodeRoom(*room, o.Path("room"));
  }
  if (const Json* p = o.Find("participant")) {
    ev.participant = DecodeParticipant(*p, o.Path("participant"));
  }
  if (const Json* e = o.Find("egress_info", "egressInfo")) {
    ev.egress_info = DecodeEgressInfo(*e, o.Path("egress_info"));
  }
  return ev;
}

template <typename T, typename F>
std::vector<T> DecodeList(const Json& j, std::string_view field, F decode) {
  Obj o(j, "response");
  std::vector<T> out;
  if (const Json* items = o.Array(field)) {
    for (size_t i = 0; i < items->size(); ++i) {
      out.push_back(
          decode((*items)[i], o.Path(std::string(field) + "[" + std::to_string(i) + "]")));
    }
  }
  return out;
}

// Runs a throwing decoder and turns its failures into kInvalidArgument.
template <typename F>
auto Decode(F f) -> Result<decltype(f())> {
  try {
    return f();
  } catch (const DecodeError& e) {
    return InvalidArgumentError(e.what());
  } catch (const Json::exception& e) {
    return InvalidArgumentError(std::string("malformed LiveKit JSON: ") + e.what());
  }
}

}  // namespace

Result<FileInfo> FileInfoFromJson(const Json& j) {
  return Decode([&] { return DecodeFileInfo(j, "file_info"); });
}
Result<EgressInfo> EgressInfoFromJson(const Json& j) {
  return Decode([&] { return DecodeEgressInfo(j, "egress_info"); });
}
Result<LiveKitRoom> RoomFromJson(const Json& j) {
  return Decode([&] { return DecodeRoom(j, "room"); });
}
Result<ParticipantInfo> ParticipantInfoFromJson(const Json& j) {
  return Decode([&] { return DecodeParticipant(j, "participant"); });
}
Result<WebhookEvent> WebhookEventFromJson(const Json& j) {
  return Decode([&] { return DecodeWebhookEvent(j); });
}
Result<std::vector<LiveKitRoom>> ListRoomsResponseFromJson(const Json& j) {
  return Decode([&] { return DecodeList<LiveKitRoom>(j, "rooms", DecodeRoom); });
}
Result<std::vector<ParticipantInfo>> ListParticipantsResponseFromJson(const Json& j) {
  return Decode([&] { return DecodeList<ParticipantInfo>(j, "participants", DecodeParticipant); });
}
Result<std::vector<EgressInfo>> ListEgressResponseFromJson(const Json& j) {
  return Decode([&] { return DecodeList<EgressInfo>(j, "items", DecodeEgressInfo); });
}

const char* EncodedFileTypeName(recording::EncodedFileType type) {
  for (const auto& n : kFileTypeNames) {
    if (n.value == static_cast<int32_t>(type)) {
      return n.name.data();
    }
  }
  return "DEFAULT_FILETYPE";
}

Json CreateRoomRequestJson(const std::string& name, const recording::CreateRoomOptions& options) {
  Json j = Json::object();
  j["name"] = name;
  if (options.empty_timeout_s != 0) {
    j["emptyTimeout"] = options.empty_timeout_s;
  }
  if (options.max_participants != 0) {
    j["maxParticipants"] = options.max_participants;
  }
  if (!options.metadata.empty()) {
    j["metadata"] = options.metadata;
  }
  if (options.departure_timeout_s != 0) {
    j["departureTimeout"] = options.departure_timeout_s;
  }
  return j;
}

Json ListRoomsRequestJson(const std::vector<std::string>& names) {
  Json j = Json::object();
  if (!names.empty()) {
    Json arr = Json::array();
    for (const auto& n : names) {
      arr.push_back(n);
    }
    j["names"] = std::move(arr);
  }
  return j;
}

Json RoomRequestJson(const std::string& room) {
  Json j = Json::object();
  j["room"] = room;
  return j;
}

Json RoomParticipantIdentityJson(const std::string& room, const std::string& identity) {
  Json j = Json::object();
  j["room"] = room;
  j["identity"] = identity;
  return j;
}

Json SendDataRequestJson(const std::string& room, const recording::DataMessage& message) {
  Json j = Json::object();
  j["room"] = room;
  if (!message.payload.empty()) {
    j["data"] = jwt::Base64Encode(message.payload);
  }
  if (!message.reliable) {
    j["kind"] = "LOSSY";
  }
  if (message.topic) {
    // A proto3 optional field: sent when set, even if empty.
    j["topic"] = *message.topic;
  }
  if (!message.destination_identities.empty()) {
    Json ids = Json::array();
    for (const auto& id : message.destination_identities) {
      ids.push_back(id);
    }
    j["destinationIdentities"] = std::move(ids);
  }
  return j;
}

Json UpdateRoomMetadataRequestJson(const std::string& room, const std::string& metadata) {
  Json j = Json::object();
  j["room"] = room;
  if (!metadata.empty()) {
    j["metadata"] = metadata;
  }
  return j;
}

Json RoomCompositeEgressRequestJson(const recording::RoomCompositeRequest& request) {
  Json j = Json::object();
  j["roomName"] = request.room_name;
  if (!request.layout.empty()) {
    j["layout"] = request.layout;
  }
  if (request.audio_only) {
    j["audioOnly"] = true;
  }
  if (request.video_only) {
    j["videoOnly"] = true;
  }
  Json file = Json::object();
  if (request.file.file_type != recording::EncodedFileType::kDefault) {
    file["fileType"] = EncodedFileTypeName(request.file.file_type);
  }
  if (!request.file.filepath.empty()) {
    file["filepath"] = request.file.filepath;
  }
  if (request.file.disable_manifest) {
    file["disableManifest"] = true;
  }
  Json outputs = Json::array();
  outputs.push_back(std::move(file));
  j["fileOutputs"] = std::move(outputs);
  return j;
}

Json StopEgressRequestJson(const std::string& egress_id) {
  Json j = Json::object();
  j["egressId"] = egress_id;
  return j;
}

Json ListEgressRequestJson(const recording::ListEgressFilter& filter) {
  Json j = Json::object();
  if (filter.room_name && !filter.room_name->empty()) {
    j["roomName"] = *filter.room_name;
  }
  if (filter.egress_id && !filter.egress_id->empty()) {
    j["egressId"] = *filter.egress_id;
  }
  if (filter.active) {
    j["active"] = true;
  }
  return j;
}

}  // namespace mr::livekit
