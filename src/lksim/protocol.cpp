#include "lksim/protocol.hpp"

#include <fmt/format.h>

#include <cctype>
#include <ctime>
#include <map>
#include <set>

namespace mr::lksim {
namespace {

const std::map<std::string_view, int>& TwirpCodes() {
  static const std::map<std::string_view, int> kCodes = {
      {"canceled", 408},
      {"unknown", 500},
      {"invalid_argument", 400},
      {"malformed", 400},
      {"deadline_exceeded", 408},
      {"not_found", 404},
      {"bad_route", 404},
      {"already_exists", 409},
      {"permission_denied", 403},
      {"unauthenticated", 401},
      {"resource_exhausted", 429},
      {"failed_precondition", 412},
      {"aborted", 409},
      {"out_of_range", 400},
      {"unimplemented", 501},
      {"internal", 500},
      {"unavailable", 503},
      {"data_loss", 500},
  };
  return kCodes;
}

bool IsMapField(std::string_view key, const Json& v) {
  return v.is_object() && (key == "metadata" || key == "tags" || key == "attributes");
}

std::string CamelToSnake(const std::string& k) {
  if (k == "aliOSS") {
    return k;
  }
  std::string out;
  for (char c : k) {
    if (c >= 'A' && c <= 'Z') {
      out.push_back('_');
      out.push_back(static_cast<char>(c - 'A' + 'a'));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string SnakeToCamel(const std::string& k) {
  std::string out;
  bool up = false;
  for (char c : k) {
    if (c == '_') {
      up = true;
    } else if (up) {
      out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
      up = false;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

bool IsDefault(const std::string& proto_key, const Json& v) {
  static const std::set<std::string_view> kInt64 = {
      "started_at",       "ended_at",  "updated_at",   "duration",   "size",      "creation_time",
      "creation_time_ms", "joined_at", "joined_at_ms", "created_at", "unix_micro"};
  static const std::map<std::string_view, std::string_view> kZeroEnum = {
      {"status", "EGRESS_STARTING"},
      {"source_type", "EGRESS_SOURCE_TYPE_WEB"},
      {"audio_mixing", "DEFAULT_MIXING"},
      {"file_type", "DEFAULT_FILETYPE"},
      {"state", "JOINING"},
      {"kind", "STANDARD"},
      {"disconnect_reason", "UNKNOWN_REASON"},
      {"audio_codec", "DEFAULT_AC"},
      {"video_codec", "DEFAULT_VC"}};
  if (v.is_null()) {
    return true;
  }
  if (v.is_boolean()) {
    return !v.get<bool>();
  }
  if (v.is_number()) {
    return v.get<double>() == 0;
  }
  if (v.is_array() || v.is_object()) {
    return v.empty();
  }
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    if (s.empty()) {
      return true;
    }
    if (s == "0" && kInt64.count(proto_key) > 0) {
      return true;
    }
    auto it = kZeroEnum.find(proto_key);
    return it != kZeroEnum.end() && it->second == s;
  }
  return false;
}

std::optional<int> ParseEnum(const Json& obj, const char* key,
                             const std::vector<std::string_view>& names) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    return 0;
  }
  if (it->is_number_integer()) {
    int n = it->get<int>();
    return n >= 0 && n < static_cast<int>(names.size()) ? std::optional<int>(n) : std::nullopt;
  }
  if (it->is_string()) {
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == it->get_ref<const std::string&>()) {
        return static_cast<int>(i);
      }
    }
  }
  return std::nullopt;
}

const std::vector<std::string_view> kFileTypes = {"DEFAULT_FILETYPE", "MP4", "OGG", "MP3"};
const std::vector<std::string_view> kAudioMixing = {"DEFAULT_MIXING", "DUAL_CHANNEL_AGENT",
                                                    "DUAL_CHANNEL_ALTERNATE"};
const std::vector<std::string_view> kPresets = {
    "H264_720P_30",           "H264_720P_60",           "H264_1080P_30",
    "H264_1080P_60",          "PORTRAIT_H264_720P_30",  "PORTRAIT_H264_720P_60",
    "PORTRAIT_H264_1080P_30", "PORTRAIT_H264_1080P_60", "PASSTHROUGH"};
const std::vector<std::string_view> kAudioCodecs = {"DEFAULT_AC", "OPUS", "AAC", "AC_MP3"};
const std::vector<std::string_view> kVideoCodecs = {"DEFAULT_VC", "H264_BASELINE", "H264_MAIN",
                                                    "H264_HIGH", "VP8"};

struct Malformed {};

// Field readers that throw Malformed on a type error, so the echo builders stay linear.
std::string Str(const Json& o, const char* k) {
  auto v = GetString(o, k);
  if (!v) {
    throw Malformed{};
  }
  return *v;
}
int64_t Int(const Json& o, const char* k) {
  auto v = GetInt(o, k);
  if (!v) {
    throw Malformed{};
  }
  return *v;
}
bool Bool(const Json& o, const char* k) {
  auto v = GetBool(o, k);
  if (!v) {
    throw Malformed{};
  }
  return *v;
}
int Enum(const Json& o, const char* k, const std::vector<std::string_view>& names) {
  auto v = ParseEnum(o, k, names);
  if (!v) {
    throw Malformed{};
  }
  return *v;
}
const Json& Obj(const Json& o, const char* k) {
  static const Json kNull;
  auto it = o.find(k);
  if (it == o.end() || it->is_null()) {
    return kNull;
  }
  if (!it->is_object()) {
    throw Malformed{};
  }
  return *it;
}
Json StrMap(const Json& o, const char* k) {
  Json out = Json::object();
  const Json& m = Obj(o, k);
  if (m.is_null()) {
    return out;
  }
  for (auto& [mk, mv] : m.items()) {
    if (!mv.is_string()) {
      throw Malformed{};
    }
    out[mk] = mv;
  }
  return out;
}
std::string Redact(const std::string& v, const char* placeholder) {
  return v.empty() ? v : std::string(placeholder);
}

Json ProxyEcho(const Json& o) {
  const Json& p = Obj(o, "proxy");
  if (p.is_null()) {
    return nullptr;
  }
  Json out = Json::object();
  out["url"] = Str(p, "url");
  out["username"] = Str(p, "username");
  out["password"] = Redact(Str(p, "password"), "{password}");
  return out;
}

Json S3Echo(const Json& s) {
  Json out = Json::object();
  out["access_key"] = Redact(Str(s, "access_key"), "{access_key}");
  out["secret"] = Redact(Str(s, "secret"), "{secret}");
  out["session_token"] = Redact(Str(s, "session_token"), "{session_token}");
  out["assume_role_arn"] = Str(s, "assume_role_arn");
  out["assume_role_external_id"] = Redact(Str(s, "assume_role_external_id"), "{external_id}");
  out["region"] = Str(s, "region");
  out["endpoint"] = Str(s, "endpoint");
  out["bucket"] = Str(s, "bucket");
  out["force_path_style"] = Bool(s, "force_path_style");
  out["metadata"] = StrMap(s, "metadata");
  out["tagging"] = Str(s, "tagging");
  out["content_disposition"] = Str(s, "content_disposition");
  out["proxy"] = ProxyEcho(s);
  return out;
}

// Echoes one EncodedFileOutput; counts the upload oneof members into `uploads`.
Json FileOutputEcho(const Json& f, int* uploads) {
  if (!f.is_object()) {
    throw Malformed{};
  }
  Json out = Json::object();
  out["file_type"] = std::string(kFileTypes[Enum(f, "file_type", kFileTypes)]);
  out["filepath"] = Str(f, "filepath");
  out["disable_manifest"] = Bool(f, "disable_manifest");
  *uploads = 0;
  if (const Json& s3 = Obj(f, "s3"); !s3.is_null()) {
    out["s3"] = S3Echo(s3);
    ++*uploads;
  }
  if (const Json& g = Obj(f, "gcp"); !g.is_null()) {
    out["gcp"] = Json{{"credentials", Redact(Str(g, "credentials"), "{credentials}")},
                      {"bucket", Str(g, "bucket")},
                      {"proxy", ProxyEcho(g)}};
    ++*uploads;
  }
  if (const Json& a = Obj(f, "azure"); !a.is_null()) {
    out["azure"] = Json{{"account_name", Redact(Str(a, "account_name"), "{account_name}")},
                        {"account_key", Redact(Str(a, "account_key"), "{account_key}")},
                        {"container_name", Str(a, "container_name")}};
    ++*uploads;
  }
  if (const Json& a = Obj(f, "aliOSS"); !a.is_null()) {
    out["aliOSS"] = Json{{"access_key", Redact(Str(a, "access_key"), "{access_key}")},
                         {"secret", Redact(Str(a, "secret"), "{secret}")},
                         {"region", Str(a, "region")},
                         {"endpoint", Str(a, "endpoint")},
                         {"bucket", Str(a, "bucket")}};
    ++*uploads;
  }
  return out;
}

Json AdvancedEcho(const Json& a) {
  Json out = Json::object();
  out["width"] = Int(a, "width");
  out["height"] = Int(a, "height");
  out["depth"] = Int(a, "depth");
  out["framerate"] = Int(a, "framerate");
  out["audio_codec"] = std::string(kAudioCodecs[Enum(a, "audio_codec", kAudioCodecs)]);
  out["audio_bitrate"] = Int(a, "audio_bitrate");
  out["audio_quality"] = Int(a, "audio_quality");
  out["audio_frequency"] = Int(a, "audio_frequency");
  out["video_codec"] = std::string(kVideoCodecs[Enum(a, "video_codec", kVideoCodecs)]);
  out["video_bitrate"] = Int(a, "video_bitrate");
  out["video_quality"] = Int(a, "video_quality");
  double kfi = 0;
  if (auto it = a.find("key_frame_interval"); it != a.end() && !it->is_null()) {
    if (it->is_number()) {
      kfi = it->get<double>();
    } else {
      throw Malformed{};
    }
  }
  out["key_frame_interval"] = kfi;
  return out;
}

size_t ListSize(const Json& o, const char* k) {
  auto it = o.find(k);
  if (it == o.end() || it->is_null()) {
    return 0;
  }
  if (!it->is_array()) {
    throw Malformed{};
  }
  return it->size();
}

// Go's path.Clean, then leading "../" removed; a trailing '/' survives (E: output_file.go).
std::string CleanPath(std::string_view p) {
  if (p.empty()) {
    return "";
  }
  const bool rooted = p.front() == '/';
  const bool trailing = p.size() > 1 && p.back() == '/';
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string_view::npos) {
      j = p.size();
    }
    std::string seg(p.substr(i, j - i));
    if (seg.empty() || seg == ".") {
      // Dropped.
    } else if (seg == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!rooted) {
        parts.push_back(seg);
      }
    } else {
      parts.push_back(seg);
    }
    i = j + 1;
  }
  size_t skip = 0;
  while (skip < parts.size() && parts[skip] == "..") {
    ++skip;
  }
  std::string out = rooted ? "/" : "";
  for (size_t k = skip; k < parts.size(); ++k) {
    out += parts[k];
    if (k + 1 < parts.size()) {
      out += "/";
    }
  }
  if (trailing && !out.empty() && out.back() != '/') {
    out += "/";
  }
  return out;
}

void ReplaceAll(std::string& s, std::string_view from, std::string_view to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
}

}  // namespace

int TwirpHttpStatus(std::string_view code) {
  auto it = TwirpCodes().find(code);
  return it == TwirpCodes().end() ? 500 : it->second;
}

bool IsTwirpCode(std::string_view code) { return TwirpCodes().count(code) > 0; }

std::string PsrpcMsg(std::string_view m) { return "twirp error unknown: " + std::string(m); }

http::Response TwirpErrorResponse(const TwirpError& e) {
  Json body = Json::object();
  body["code"] = e.code;
  body["msg"] = e.msg;
  if (!e.meta.empty()) {
    body["meta"] = e.meta;
  }
  http::Response r;
  r.status = TwirpHttpStatus(e.code);
  r.SetHeader("Content-Type", "application/json");
  r.body = body.dump();
  return r;
}

http::Response TwirpOkResponse(const Json& body) {
  http::Response r;
  r.status = 200;
  r.SetHeader("Content-Type", "application/json");
  r.body = body.dump();
  return r;
}

Json NormalizeRequest(const Json& in) {
  if (in.is_array()) {
    Json out = Json::array();
    for (const auto& v : in) {
      out.push_back(NormalizeRequest(v));
    }
    return out;
  }
  if (!in.is_object()) {
    return in;
  }
  Json out = Json::object();
  for (auto& [k, v] : in.items()) {
    std::string key = CamelToSnake(k);
    out[key] = IsMapField(key, v) ? v : NormalizeRequest(v);
  }
  return out;
}

std::optional<std::string> GetString(const Json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    return std::string();
  }
  if (!it->is_string()) {
    return std::nullopt;
  }
  return it->get<std::string>();
}

std::optional<int64_t> GetInt(const Json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    return 0;
  }
  if (it->is_number_integer()) {
    return it->get<int64_t>();
  }
  if (it->is_number_float()) {
    double d = it->get<double>();
    if (d == static_cast<double>(static_cast<int64_t>(d))) {
      return static_cast<int64_t>(d);
    }
    return std::nullopt;
  }
  if (it->is_string()) {
    const auto& s = it->get_ref<const std::string&>();
    if (s.empty() || s.size() > 19) {
      return std::nullopt;
    }
    size_t i = s[0] == '-' ? 1 : 0;
    if (i == s.size()) {
      return std::nullopt;
    }
    for (size_t k = i; k < s.size(); ++k) {
      if (!std::isdigit(static_cast<unsigned char>(s[k]))) {
        return std::nullopt;
      }
    }
    return std::stoll(s);
  }
  return std::nullopt;
}

std::optional<bool> GetBool(const Json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    return false;
  }
  if (!it->is_boolean()) {
    return std::nullopt;
  }
  return it->get<bool>();
}

std::optional<std::vector<std::string>> GetStringList(const Json& obj, const char* key) {
  std::vector<std::string> out;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    return out;
  }
  if (!it->is_array()) {
    return std::nullopt;
  }
  for (const auto& v : *it) {
    if (!v.is_string()) {
      return std::nullopt;
    }
    out.push_back(v.get<std::string>());
  }
  return out;
}

uint32_t RoomState::NumParticipants() const {
  uint32_t n = 0;
  for (const auto& p : participants) {
    n += p.recorder ? 0 : 1;
  }
  return n;
}

bool RoomState::ActiveRecording() const {
  for (const auto& p : participants) {
    if (p.recorder) {
      return true;
    }
  }
  return false;
}

const char* EgressStatusName(EgressStatus s) {
  switch (s) {
    case EgressStatus::kStarting:
      return "EGRESS_STARTING";
    case EgressStatus::kActive:
      return "EGRESS_ACTIVE";
    case EgressStatus::kEnding:
      return "EGRESS_ENDING";
    case EgressStatus::kComplete:
      return "EGRESS_COMPLETE";
    case EgressStatus::kFailed:
      return "EGRESS_FAILED";
    case EgressStatus::kAborted:
      return "EGRESS_ABORTED";
    case EgressStatus::kLimitReached:
      return "EGRESS_LIMIT_REACHED";
  }
  return "EGRESS_STARTING";
}

bool IsFinished(EgressStatus s) {
  return s == EgressStatus::kComplete || s == EgressStatus::kFailed ||
         s == EgressStatus::kAborted || s == EgressStatus::kLimitReached;
}

Json RoomJson(const RoomState& r) {
  Json codecs = Json::array();
  for (const char* mime :
       {"audio/opus", "audio/red", "video/VP8", "video/H264", "video/VP9", "video/AV1"}) {
    codecs.push_back(Json{{"mime", mime}, {"fmtp_line", ""}});
  }
  Json j = Json::object();
  j["sid"] = r.sid;
  j["name"] = r.name;
  j["empty_timeout"] = r.empty_timeout;
  j["departure_timeout"] = r.departure_timeout;
  j["max_participants"] = r.max_participants;
  j["creation_time"] = std::to_string(r.creation_time_ms / 1000);
  j["creation_time_ms"] = std::to_string(r.creation_time_ms);
  j["turn_password"] = r.turn_password;
  j["enabled_codecs"] = codecs;
  j["metadata"] = r.metadata;
  j["num_participants"] = r.NumParticipants();
  // Simulated participants stand for people sending camera and microphone (the encoder draws
  // them), so each counts as a publisher; the recorder does not. Jobs that abort recordings of
  // rooms nobody publishes to (reference §6.7) then leave embedded recordings alone.
  j["num_publishers"] = r.NumParticipants();
  j["active_recording"] = r.ActiveRecording();
  j["version"] = nullptr;
  return j;
}

Json ParticipantJson(const ParticipantState& p) {
  Json perm = Json::object();
  perm["can_subscribe"] = true;
  perm["can_publish"] = !p.recorder;
  perm["can_publish_data"] = !p.recorder;
  perm["can_publish_sources"] = Json::array();
  perm["hidden"] = p.recorder;
  perm["recorder"] = p.recorder;
  perm["can_update_metadata"] = false;
  perm["agent"] = false;
  perm["can_subscribe_metrics"] = false;
  perm["can_manage_agent_session"] = false;
  Json j = Json::object();
  j["sid"] = p.sid;
  j["identity"] = p.identity;
  j["state"] = "ACTIVE";
  j["tracks"] = Json::array();
  j["metadata"] = p.metadata;
  j["joined_at"] = std::to_string(p.joined_at_ms / 1000);
  j["joined_at_ms"] = std::to_string(p.joined_at_ms);
  j["name"] = p.name;
  j["version"] = p.version;
  j["permission"] = perm;
  j["region"] = "";
  j["is_publisher"] = !p.recorder;
  j["kind"] = p.recorder ? "EGRESS" : "STANDARD";
  j["attributes"] = Json::object();
  j["disconnect_reason"] = "UNKNOWN_REASON";
  j["kind_details"] = Json::array();
  j["data_tracks"] = Json::array();
  j["client_protocol"] = 1;
  j["capabilities"] = Json::array();
  return j;
}

namespace {
Json FileInfoJson(const FileInfoState& f) {
  Json j = Json::object();
  j["filename"] = f.filename;
  j["started_at"] = std::to_string(f.started_at_ns);
  j["ended_at"] = std::to_string(f.ended_at_ns);
  j["duration"] = std::to_string(f.duration_ns);
  j["size"] = std::to_string(f.size);
  j["location"] = f.location;
  return j;
}
}  // namespace

Json EgressJson(const EgressState& e) {
  Json j = Json::object();
  j["egress_id"] = e.egress_id;
  j["room_id"] = e.room_id;
  j["room_name"] = e.room_name;
  j["source_type"] = "EGRESS_SOURCE_TYPE_WEB";
  j["status"] = EgressStatusName(e.status);
  j["started_at"] = std::to_string(e.started_at_ns);
  j["ended_at"] = std::to_string(e.ended_at_ns);
  j["updated_at"] = std::to_string(e.updated_at_ns);
  j["room_composite"] = e.room_composite;
  j["stream_results"] = Json::array();
  j["file_results"] = Json::array({FileInfoJson(e.file)});
  j["segment_results"] = Json::array();
  j["image_results"] = Json::array();
  j["error"] = e.error;
  j["error_code"] = e.error_code;
  j["details"] = e.details;
  j["manifest_location"] = e.manifest_location;
  j["backup_storage_used"] = false;
  j["retry_count"] = 0;
  j["file"] = FileInfoJson(e.file);
  return j;
}

Json ToWebhookForm(const Json& v) {
  if (v.is_array()) {
    Json out = Json::array();
    for (const auto& x : v) {
      out.push_back(ToWebhookForm(x));
    }
    return out;
  }
  if (!v.is_object()) {
    return v;
  }
  Json out = Json::object();
  for (auto& [k, x] : v.items()) {
    Json c = IsMapField(k, x) ? x : ToWebhookForm(x);
    if (IsDefault(k, c)) {
      continue;
    }
    out[k == "aliOSS" ? k : SnakeToCamel(k)] = std::move(c);
  }
  return out;
}

std::variant<RoomCompositeRequest, TwirpError> ParseRoomComposite(const Json& req) {
  const TwirpError malformed{"malformed", "the json request could not be decoded"};
  auto invalid = [](std::string_view what) {
    return TwirpError{"invalid_argument",
                      PsrpcMsg("request has missing or invalid field: " + std::string(what))};
  };
  try {
    RoomCompositeRequest out;
    out.room_name = Str(req, "room_name");
    out.layout = Str(req, "layout");
    out.audio_only = Bool(req, "audio_only");
    out.video_only = Bool(req, "video_only");
    const int mixing = Enum(req, "audio_mixing", kAudioMixing);
    const std::string custom_base_url = Str(req, "custom_base_url");
    const bool has_preset = req.contains("preset") && !req["preset"].is_null();
    const Json& advanced = Obj(req, "advanced");
    if (has_preset && !advanced.is_null()) {
      return malformed;  // Two members of one oneof.
    }
    int outputs_oneof = 0;
    for (const char* k : {"file", "stream", "segments"}) {
      outputs_oneof += Obj(req, k).is_null() ? 0 : 1;
    }
    if (outputs_oneof > 1) {
      return malformed;
    }
    const size_t n_files = ListSize(req, "file_outputs");
    if (ListSize(req, "stream_outputs") + ListSize(req, "segment_outputs") +
                ListSize(req, "image_outputs") >
            0 ||
        !Obj(req, "stream").is_null() || !Obj(req, "segments").is_null()) {
      return invalid("lksim records file outputs only");
    }
    Json echo = Json::object();
    echo["room_name"] = out.room_name;
    echo["layout"] = out.layout;
    echo["audio_only"] = out.audio_only;
    echo["audio_mixing"] = std::string(kAudioMixing[mixing]);
    echo["video_only"] = out.video_only;
    echo["custom_base_url"] = custom_base_url;
    int uploads = 0;
    const Json& legacy_file = Obj(req, "file");
    if (!legacy_file.is_null()) {
      echo["file"] = FileOutputEcho(legacy_file, &uploads);
      if (uploads > 1) {
        return malformed;
      }
    }
    int audio_codec = 0;
    if (has_preset) {
      echo["preset"] = std::string(kPresets[Enum(req, "preset", kPresets)]);
    } else if (!advanced.is_null()) {
      echo["advanced"] = AdvancedEcho(advanced);
      audio_codec = Enum(advanced, "audio_codec", kAudioCodecs);
    }
    Json file_outputs = Json::array();
    for (size_t i = 0; i < n_files; ++i) {
      file_outputs.push_back(FileOutputEcho(req["file_outputs"][i], &uploads));
      if (uploads > 1) {
        return malformed;
      }
    }
    echo["file_outputs"] = file_outputs;
    echo["stream_outputs"] = Json::array();
    echo["segment_outputs"] = Json::array();
    echo["image_outputs"] = Json::array();
    Json hooks = Json::array();
    for (size_t i = 0; i < ListSize(req, "webhooks"); ++i) {
      const Json& w = req["webhooks"][i];
      if (!w.is_object()) {
        throw Malformed{};
      }
      hooks.push_back(Json{{"url", Str(w, "url")}, {"signing_key", Str(w, "signing_key")}});
    }
    echo["webhooks"] = hooks;

    if (out.audio_only && out.video_only) {
      return invalid("audio_only and video_only");
    }
    if (n_files > 1) {
      return invalid("multiple file outputs");
    }
    const Json* file = nullptr;
    if (n_files == 1) {
      file = &req["file_outputs"][0];
    } else if (!legacy_file.is_null()) {
      file = &legacy_file;
    }
    if (file == nullptr) {
      return invalid("output");
    }
    int type = Enum(*file, "file_type", kFileTypes);
    if (type == 0) {
      // DEFAULT_FILETYPE: the first type compatible with the audio codec (§4.5).
      type = !out.audio_only ? 1 : audio_codec == 2 ? 1 : audio_codec == 3 ? 3 : 2;
    }
    if (out.video_only && type != 1) {
      return invalid("file_type");
    }
    out.file_type = std::string(kFileTypes[type]);
    out.filepath = Str(*file, "filepath");
    out.disable_manifest = Bool(*file, "disable_manifest");
    out.s3 = Obj(*file, "s3");
    out.echo = std::move(echo);
    return out;
  } catch (const Malformed&) {
    return malformed;
  }
}

std::string FinalFilename(std::string_view filepath, std::string_view file_type,
                          std::string_view room_name, std::string_view room_id, int64_t now_ms) {
  const std::time_t secs = static_cast<std::time_t>(now_ms / 1000);
  std::tm local{};
  std::tm utc{};
  localtime_r(&secs, &local);
  gmtime_r(&secs, &utc);
  const std::string time_str =
      fmt::format("{:04}-{:02}-{:02}T{:02}{:02}{:02}", local.tm_year + 1900, local.tm_mon + 1,
                  local.tm_mday, local.tm_hour, local.tm_min, local.tm_sec);
  const std::string utc_str =
      fmt::format("{:04}{:02}{:02}{:02}{:02}{:02}{:03}", utc.tm_year + 1900, utc.tm_mon + 1,
                  utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, now_ms % 1000);
  const std::string ext = file_type == "OGG" ? ".ogg" : file_type == "MP3" ? ".mp3" : ".mp4";

  std::string p(filepath);
  ReplaceAll(p, "{room_name}", room_name);
  ReplaceAll(p, "{room_id}", room_id);
  ReplaceAll(p, "{time}", time_str);
  ReplaceAll(p, "{utc}", utc_str);
  p = CleanPath(p);
  if (p.empty() || p.back() == '/') {
    return p + std::string(room_name) + "-" + time_str + ext;
  }
  if (p.size() >= ext.size() && p.compare(p.size() - ext.size(), ext.size(), ext) == 0) {
    return p;
  }
  static const std::set<std::string_view> kKnown = {".mp4", ".ogg",  ".mp3",  ".ivf", ".webm",
                                                    ".ts",  ".m3u8", ".jpeg", ".raw"};
  const size_t slash = p.rfind('/');
  const size_t dot = p.rfind('.');
  if (dot != std::string::npos && (slash == std::string::npos || dot > slash) &&
      kKnown.count(std::string_view(p).substr(dot)) > 0) {
    return p.substr(0, dot) + ext;
  }
  return p + ext;
}

std::string S3Location(const Json& s3, std::string_view key) {
  const std::string bucket = GetString(s3, "bucket").value_or("");
  const std::string endpoint = GetString(s3, "endpoint").value_or("");
  const bool path_style = GetBool(s3, "force_path_style").value_or(false);
  std::string k(key);
  if (!k.empty() && k.front() == '/') {
    k.erase(0, 1);
  }
  if (endpoint.empty()) {
    return fmt::format("https://{}.s3.amazonaws.com/{}", bucket, k);
  }
  if (path_style) {
    return fmt::format("{}/{}/{}", endpoint, bucket, k);
  }
  std::string host = endpoint;
  if (auto pos = host.find("://"); pos != std::string::npos) {
    host = host.substr(pos + 3);
  }
  return fmt::format("https://{}.{}/{}", bucket, host, k);
}

}  // namespace mr::lksim
