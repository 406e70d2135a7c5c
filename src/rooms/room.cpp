#include "rooms/room.hpp"

#include <cctype>
#include <cmath>

#include "recording/ids.hpp"

namespace mr::rooms {
namespace {

template <typename E, size_t N>
std::optional<E> ParseEnum(std::string_view s, const E (&values)[N]) {
  for (E v : values) {
    if (s == WireName(v)) {
      return v;
    }
  }
  return std::nullopt;
}

constexpr RoomStatus kRoomStatuses[] = {RoomStatus::kOpen, RoomStatus::kActiveMeeting,
                                        RoomStatus::kClosed};
constexpr MeetingEndAction kEndActions[] = {MeetingEndAction::kNone, MeetingEndAction::kClose,
                                            MeetingEndAction::kDelete};
constexpr WithMeeting kWithMeetings[] = {WithMeeting::kForce, WithMeeting::kWhenMeetingEnds,
                                         WithMeeting::kFail};
constexpr WithRecordings kWithRecordings[] = {WithRecordings::kForce, WithRecordings::kClose,
                                              WithRecordings::kFail};
constexpr RecordingAccess kAccesses[] = {RecordingAccess::kAdmin, RecordingAccess::kAdminModerator,
                                         RecordingAccess::kAdminModeratorSpeaker};

// The validator library's name for a JSON value's type ("Expected string, received number").
const char* JsTypeName(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return "boolean";
    case Json::value_t::string:
      return "string";
    case Json::value_t::array:
      return "array";
    case Json::value_t::object:
      return "object";
    default:
      return "number";
  }
}

std::string Join(std::string_view prefix, std::string_view key) {
  if (prefix.empty()) {
    return std::string(key);
  }
  return std::string(prefix) + "." + std::string(key);
}

std::string ExpectedType(std::string_view type, const Json& got) {
  return "Expected " + std::string(type) + ", received " + JsTypeName(got);
}

template <typename E, size_t N>
std::string EnumError(const Json& got, const E (&values)[N]) {
  std::string expected;
  for (size_t i = 0; i < N; ++i) {
    expected += (i == 0 ? "'" : " | '") + std::string(WireName(values[i])) + "'";
  }
  if (got.is_string()) {
    return "Invalid enum value. Expected " + expected + ", received '" + got.get<std::string>() +
           "'";
  }
  return "Expected " + expected + ", received " + JsTypeName(got);
}

// Parses one enum member of `obj`; records an error and returns nullopt when invalid or missing.
template <typename E, size_t N>
std::optional<E> EnumMember(const Json& obj, std::string_view key, std::string_view prefix,
                            const E (&values)[N], std::vector<FieldError>& errors) {
  auto it = obj.find(key);
  if (it == obj.end()) {
    errors.push_back({Join(prefix, key), "Required"});
    return std::nullopt;
  }
  std::optional<E> v;
  if (it->is_string()) {
    v = ParseEnum(it->template get_ref<const std::string&>(), values);
  }
  if (!v) {
    errors.push_back({Join(prefix, key), EnumError(*it, values)});
  }
  return v;
}

// Parses `{enabled: boolean}` at `prefix`.
std::optional<bool> EnabledFlag(const Json& obj, std::string_view prefix,
                                std::vector<FieldError>& errors) {
  auto it = obj.find("enabled");
  if (it == obj.end()) {
    errors.push_back({Join(prefix, "enabled"), "Required"});
    return std::nullopt;
  }
  if (!it->is_boolean()) {
    errors.push_back({Join(prefix, "enabled"), ExpectedType("boolean", *it)});
    return std::nullopt;
  }
  return it->get<bool>();
}

// Finds a required object member; records "Required" or a type error.
const Json* ObjectMember(const Json& obj, std::string_view key, std::string_view prefix,
                         std::vector<FieldError>& errors) {
  auto it = obj.find(key);
  if (it == obj.end()) {
    errors.push_back({Join(prefix, key), "Required"});
    return nullptr;
  }
  if (!it->is_object()) {
    errors.push_back({Join(prefix, key), ExpectedType("object", *it)});
    return nullptr;
  }
  return &*it;
}

// Validates a whole API `config` object found at `prefix` (normally "config"). Unknown keys are
// stripped, as the reference's schema does.
std::optional<RoomConfig> ParseApiConfig(const Json& cfg, std::string_view prefix,
                                         std::vector<FieldError>& errors) {
  size_t before = errors.size();
  RoomConfig out;
  if (const Json* rec = ObjectMember(cfg, "recording", prefix, errors)) {
    std::string rp = Join(prefix, "recording");
    size_t rec_before = errors.size();
    auto enabled = EnabledFlag(*rec, rp, errors);
    std::optional<RecordingAccess> access;
    if (auto it = rec->find("allowAccessTo"); it != rec->end()) {
      if (it->is_string()) {
        access = ParseRecordingAccess(it->get_ref<const std::string&>());
      }
      if (!access) {
        errors.push_back({Join(rp, "allowAccessTo"), EnumError(*it, kAccesses)});
      }
    }
    // The cross-field rule runs only on an otherwise valid object, as in the reference.
    if (errors.size() == rec_before && *enabled && !access) {
      errors.push_back(
          {Join(rp, "allowAccessTo"), "allowAccessTo is required when recording is enabled"});
    }
    if (enabled) {
      out.recording.enabled = *enabled;
    }
    out.recording.allow_access_to = access;
  }
  if (const Json* chat = ObjectMember(cfg, "chat", prefix, errors)) {
    if (auto e = EnabledFlag(*chat, Join(prefix, "chat"), errors)) {
      out.chat.enabled = *e;
    }
  }
  if (const Json* vb = ObjectMember(cfg, "virtualBackground", prefix, errors)) {
    if (auto e = EnabledFlag(*vb, Join(prefix, "virtualBackground"), errors)) {
      out.virtual_background.enabled = *e;
    }
  }
  if (errors.size() != before) {
    return std::nullopt;
  }
  return out;
}

// Length in characters as the reference counts them (UTF-16 code units); for the ASCII names
// this matters for, code points and code units agree.
size_t CharCount(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) {
      n += (c >= 0xF0) ? 2 : 1;  // A 4-byte sequence is a surrogate pair in UTF-16.
    }
  }
  return n;
}

Status Corrupt(std::string what) {
  return InternalError("stored room is invalid: " + std::move(what));
}

}  // namespace

// -------------------------------------------------------------------------------------------------

const char* WireName(RoomStatus v) {
  switch (v) {
    case RoomStatus::kOpen:
      return "open";
    case RoomStatus::kActiveMeeting:
      return "active_meeting";
    case RoomStatus::kClosed:
      return "closed";
  }
  return "open";
}

const char* WireName(MeetingEndAction v) {
  switch (v) {
    case MeetingEndAction::kNone:
      return "none";
    case MeetingEndAction::kClose:
      return "close";
    case MeetingEndAction::kDelete:
      return "delete";
  }
  return "none";
}

const char* WireName(WithMeeting v) {
  switch (v) {
    case WithMeeting::kForce:
      return "force";
    case WithMeeting::kWhenMeetingEnds:
      return "when_meeting_ends";
    case WithMeeting::kFail:
      return "fail";
  }
  return "fail";
}

const char* WireName(WithRecordings v) {
  switch (v) {
    case WithRecordings::kForce:
      return "force";
    case WithRecordings::kClose:
      return "close";
    case WithRecordings::kFail:
      return "fail";
  }
  return "fail";
}

const char* WireName(RecordingAccess v) {
  switch (v) {
    case RecordingAccess::kAdmin:
      return "admin";
    case RecordingAccess::kAdminModerator:
      return "admin_moderator";
    case RecordingAccess::kAdminModeratorSpeaker:
      return "admin_moderator_speaker";
  }
  return "admin";
}

std::optional<RoomStatus> ParseRoomStatus(std::string_view s) {
  return ParseEnum(s, kRoomStatuses);
}
std::optional<MeetingEndAction> ParseMeetingEndAction(std::string_view s) {
  return ParseEnum(s, kEndActions);
}
std::optional<WithMeeting> ParseWithMeeting(std::string_view s) {
  return ParseEnum(s, kWithMeetings);
}
std::optional<WithRecordings> ParseWithRecordings(std::string_view s) {
  return ParseEnum(s, kWithRecordings);
}
std::optional<RecordingAccess> ParseRecordingAccess(std::string_view s) {
  return ParseEnum(s, kAccesses);
}

// -------------------------------------------------------------------------------------------------

Json RoomConfigToJson(const RoomConfig& config) {
  Json rec = Json::object();
  rec["enabled"] = config.recording.enabled;
  if (config.recording.allow_access_to) {
    rec["allowAccessTo"] = WireName(*config.recording.allow_access_to);
  }
  for (const auto& [k, v] : config.recording.extra.items()) {
    if (!rec.contains(k)) {
      rec[k] = v;
    }
  }
  Json out = Json::object();
  out["recording"] = std::move(rec);
  out["chat"] = Json{{"enabled", config.chat.enabled}};
  out["virtualBackground"] = Json{{"enabled", config.virtual_background.enabled}};
  for (const auto& [k, v] : config.extra.items()) {
    if (!out.contains(k)) {
      out[k] = v;
    }
  }
  return out;
}

Json RoomToStoredJson(const Room& room) {
  Json j = Json::object();
  j["roomId"] = room.room_id;
  j["roomName"] = room.room_name;
  j["creationDate"] = room.creation_date_ms;
  if (room.auto_deletion_date_ms) {
    j["autoDeletionDate"] = *room.auto_deletion_date_ms;
  }
  if (room.auto_deletion_policy) {
    j["autoDeletionPolicy"] =
        Json{{"withMeeting", WireName(room.auto_deletion_policy->with_meeting)},
             {"withRecordings", WireName(room.auto_deletion_policy->with_recordings)}};
  }
  j["config"] = RoomConfigToJson(room.config);
  j["moderatorUrl"] = room.moderator_url;
  j["speakerUrl"] = room.speaker_url;
  j["status"] = WireName(room.status);
  j["meetingEndAction"] = WireName(room.meeting_end_action);
  for (const auto& [k, v] : room.extra.items()) {
    if (!j.contains(k)) {
      j[k] = v;
    }
  }
  return j;
}

Json RoomToApiJson(const Room& room, std::string_view base_url) {
  Json j = RoomToStoredJson(room);
  j["moderatorUrl"] = std::string(base_url) + room.moderator_url;
  j["speakerUrl"] = std::string(base_url) + room.speaker_url;
  return j;
}

Result<Room> RoomFromStoredJson(const Json& json) {
  if (!json.is_object()) {
    return Corrupt("not a JSON object");
  }
  Room room;
  auto str = [&](const char* key, std::string& out) -> bool {
    auto it = json.find(key);
    if (it == json.end() || !it->is_string()) {
      return false;
    }
    out = it->get<std::string>();
    return true;
  };
  auto ms = [&](const char* key) -> std::optional<int64_t> {
    auto it = json.find(key);
    if (it == json.end() || !it->is_number() || !std::isfinite(it->get<double>())) {
      return std::nullopt;
    }
    if (it->is_number_integer()) {
      return it->get<int64_t>();
    }
    return static_cast<int64_t>(std::llround(it->get<double>()));  // Q19: integer ms.
  };
  if (!str("roomId", room.room_id) || !str("roomName", room.room_name)) {
    return Corrupt("roomId and roomName must be strings");
  }
  auto created = ms("creationDate");
  if (!created) {
    return Corrupt("creationDate must be a number");
  }
  room.creation_date_ms = *created;
  if (json.contains("autoDeletionDate") && !json["autoDeletionDate"].is_null()) {
    room.auto_deletion_date_ms = ms("autoDeletionDate");
    if (!room.auto_deletion_date_ms) {
      return Corrupt("autoDeletionDate must be a number");
    }
  }
  if (auto it = json.find("autoDeletionPolicy"); it != json.end() && !it->is_null()) {
    std::vector<FieldError> errs;
    if (!it->is_object()) {
      return Corrupt("autoDeletionPolicy must be an object");
    }
    auto wm = EnumMember(*it, "withMeeting", "", kWithMeetings, errs);
    auto wr = EnumMember(*it, "withRecordings", "", kWithRecordings, errs);
    if (!wm || !wr) {
      return Corrupt("autoDeletionPolicy has unknown values");
    }
    room.auto_deletion_policy = AutoDeletionPolicy{*wm, *wr};
  }
  // Config: the known keys are read when valid; everything else is carried along verbatim.
  if (auto it = json.find("config"); it != json.end() && it->is_object()) {
    for (const auto& [k, v] : it->items()) {
      if (k == "recording" && v.is_object()) {
        for (const auto& [rk, rv] : v.items()) {
          if (rk == "enabled" && rv.is_boolean()) {
            room.config.recording.enabled = rv.get<bool>();
          } else if (rk == "allowAccessTo" && rv.is_string() &&
                     ParseRecordingAccess(rv.get_ref<const std::string&>())) {
            room.config.recording.allow_access_to =
                ParseRecordingAccess(rv.get_ref<const std::string&>());
          } else {
            room.config.recording.extra[rk] = rv;
          }
        }
        if (!v.contains("allowAccessTo")) {
          room.config.recording.allow_access_to.reset();
        }
      } else if (k == "chat" && v.is_object() && v.value("enabled", Json()).is_boolean()) {
        room.config.chat.enabled = v["enabled"].get<bool>();
      } else if (k == "virtualBackground" && v.is_object() &&
                 v.value("enabled", Json()).is_boolean()) {
        room.config.virtual_background.enabled = v["enabled"].get<bool>();
      } else {
        room.config.extra[k] = v;
      }
    }
  }
  std::string url;
  if (!str("moderatorUrl", url)) {
    return Corrupt("moderatorUrl must be a string");
  }
  room.moderator_url = StripToPathAndQuery(url);
  if (!str("speakerUrl", url)) {
    return Corrupt("speakerUrl must be a string");
  }
  room.speaker_url = StripToPathAndQuery(url);
  if (auto it = json.find("status"); it != json.end()) {
    auto s = it->is_string() ? ParseRoomStatus(it->get_ref<const std::string&>()) : std::nullopt;
    if (!s) {
      return Corrupt("unknown status");
    }
    room.status = *s;
  }
  if (auto it = json.find("meetingEndAction"); it != json.end()) {
    auto a =
        it->is_string() ? ParseMeetingEndAction(it->get_ref<const std::string&>()) : std::nullopt;
    if (!a) {
      return Corrupt("unknown meetingEndAction");
    }
    room.meeting_end_action = *a;
  }
  static const char* const kKnown[] = {
      "roomId", "roomName",     "creationDate", "autoDeletionDate", "autoDeletionPolicy",
      "config", "moderatorUrl", "speakerUrl",   "status",           "meetingEndAction"};
  for (const auto& [k, v] : json.items()) {
    bool known = false;
    for (const char* name : kKnown) {
      known = known || k == name;
    }
    if (!known) {
      room.extra[k] = v;
    }
  }
  return room;
}

// -------------------------------------------------------------------------------------------------

std::string SanitizeRoomName(std::string_view raw) { return recording::SanitizeRoomNameChars(raw); }

std::string RoomIdPrefix(std::string_view room_name) {
  std::string prefix = recording::SanitizeRoomIdChars(room_name);
  return prefix.empty() ? "room" : prefix;
}

std::string RoomAccessPath(std::string_view room_id, std::string_view secret) {
  return "/room/" + std::string(room_id) + "?secret=" + std::string(secret);
}

std::string StripToPathAndQuery(std::string_view url) {
  size_t scheme = url.find("://");
  if (scheme == std::string_view::npos ||
      url.substr(0, scheme).find('/') != std::string_view::npos) {
    return std::string(url);
  }
  size_t path = url.find('/', scheme + 3);
  if (path == std::string_view::npos) {
    size_t query = url.find('?', scheme + 3);
    return query == std::string_view::npos ? "/" : "/" + std::string(url.substr(query));
  }
  return std::string(url.substr(path));
}

std::string SecretOfRoomUrl(std::string_view url) {
  size_t q = url.find('?');
  if (q == std::string_view::npos) {
    return "";
  }
  std::string_view query = url.substr(q + 1);
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    if (pair.substr(0, 7) == "secret=") {
      return std::string(pair.substr(7));
    }
    if (amp == std::string_view::npos) {
      break;
    }
    query.remove_prefix(amp + 1);
  }
  return "";
}

// -------------------------------------------------------------------------------------------------

std::string ShortDuration(int64_t ms) {
  struct Unit {
    int64_t size;
    const char* suffix;
  };
  static constexpr Unit kUnits[] = {
      {86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1'000, "s"}};
  if (ms == 0) {
    return "0s";
  }
  for (const auto& u : kUnits) {
    if (ms % u.size == 0) {
      return std::to_string(ms / u.size) + u.suffix;
    }
  }
  return std::to_string(ms) + "ms";
}

Validated<CreateRoomRequest> ValidateCreateRoomBody(const Json& body, int64_t now_ms,
                                                    int64_t min_future_ms) {
  Validated<CreateRoomRequest> out;
  auto& errors = out.errors;
  if (!body.is_object()) {
    errors.push_back({"", ExpectedType("object", body)});
    return out;
  }
  CreateRoomRequest req;

  if (auto it = body.find("roomName"); it != body.end()) {
    if (!it->is_string()) {
      errors.push_back({"roomName", ExpectedType("string", *it)});
    } else if (CharCount(it->get_ref<const std::string&>()) > 50) {
      errors.push_back({"roomName", "roomName cannot exceed 50 characters"});
    } else {
      std::string name = SanitizeRoomName(it->get_ref<const std::string&>());
      if (!name.empty()) {
        req.room_name = std::move(name);
      }
    }
  }

  if (auto it = body.find("autoDeletionDate"); it != body.end()) {
    if (!it->is_number()) {
      errors.push_back({"autoDeletionDate", ExpectedType("number", *it)});
    } else {
      double d = it->get<double>();
      if (!it->is_number_integer() && (d != std::floor(d) || std::fabs(d) > 9.0e15)) {
        errors.push_back({"autoDeletionDate", "Expected integer, received float"});
      } else {
        int64_t date =
            it->is_number_unsigned() && it->get<uint64_t>() > INT64_MAX
                ? INT64_MAX
                : (it->is_number_integer() ? it->get<int64_t>() : static_cast<int64_t>(d));
        bool bad = false;
        if (date <= 0) {
          errors.push_back({"autoDeletionDate", "autoDeletionDate must be a positive integer"});
          bad = true;
        }
        if (date < now_ms + min_future_ms) {
          errors.push_back({"autoDeletionDate", "autoDeletionDate must be at least " +
                                                    ShortDuration(min_future_ms) +
                                                    " in the future"});
          bad = true;
        }
        if (!bad) {
          req.auto_deletion_date_ms = date;
        }
      }
    }
  }

  if (auto it = body.find("autoDeletionPolicy"); it != body.end()) {
    if (!it->is_object()) {
      errors.push_back({"autoDeletionPolicy", ExpectedType("object", *it)});
    } else {
      auto wm = EnumMember(*it, "withMeeting", "autoDeletionPolicy", kWithMeetings, errors);
      auto wr = EnumMember(*it, "withRecordings", "autoDeletionPolicy", kWithRecordings, errors);
      if (wm && wr) {
        if (*wm == WithMeeting::kFail) {
          errors.push_back({"autoDeletionPolicy.withMeeting",
                            "FAIL policy is not allowed for withMeeting auto-deletion policy"});
        }
        if (*wr == WithRecordings::kFail) {
          errors.push_back({"autoDeletionPolicy.withRecordings",
                            "FAIL policy is not allowed for withRecordings auto-deletion policy"});
        }
        req.auto_deletion_policy = AutoDeletionPolicy{*wm, *wr};
      }
    }
  }

  if (auto it = body.find("config"); it != body.end()) {
    if (!it->is_object()) {
      errors.push_back({"config", ExpectedType("object", *it)});
    } else if (auto cfg = ParseApiConfig(*it, "config", errors)) {
      req.config = std::move(*cfg);
    }
  }

  if (errors.empty()) {
    out.value = std::move(req);
  }
  return out;
}

Validated<RoomConfig> ValidateUpdateConfigBody(const Json& body) {
  Validated<RoomConfig> out;
  if (!body.is_object()) {
    out.errors.push_back({"", ExpectedType("object", body)});
    return out;
  }
  if (const Json* cfg = ObjectMember(body, "config", "", out.errors)) {
    out.value = ParseApiConfig(*cfg, "config", out.errors);
  }
  return out;
}

// -------------------------------------------------------------------------------------------------

DeletionDecision DecideRoomDeletion(bool has_active_meeting, bool has_recordings,
                                    WithMeeting with_meeting, WithRecordings with_recordings) {
  using A = DeletionAction;
  using C = DeletionCode;
  if (!has_active_meeting && !has_recordings) {
    return {A::kDeleteRoom, C::kRoomDeleted};
  }
  // The meeting policy is checked first, then the recording policy (reference order).
  if (has_active_meeting && with_meeting == WithMeeting::kFail) {
    return {A::kRefuse,
            has_recordings ? C::kRoomWithRecordingsHasActiveMeeting : C::kRoomHasActiveMeeting};
  }
  if (has_recordings && with_recordings == WithRecordings::kFail) {
    if (!has_active_meeting) {
      return {A::kRefuse, C::kRoomHasRecordings};
    }
    return {A::kRefuse, with_meeting == WithMeeting::kWhenMeetingEnds
                            ? C::kRoomWithActiveMeetingHasRecordingsCannotScheduleDeletion
                            : C::kRoomWithActiveMeetingHasRecordings};
  }
  if (!has_active_meeting) {  // Recordings, policy force or close.
    if (with_recordings == WithRecordings::kForce) {
      return {A::kDeleteRoomAndRecordings, C::kRoomAndRecordingsDeleted};
    }
    return {A::kCloseRoom, C::kRoomClosed};
  }
  // Active meeting; with_meeting is force or when_meeting_ends.
  bool force = with_meeting == WithMeeting::kForce;
  if (!has_recordings) {
    return force ? DeletionDecision{A::kEndMeetingThenDelete, C::kRoomWithActiveMeetingDeleted}
                 : DeletionDecision{A::kScheduleDelete,
                                    C::kRoomWithActiveMeetingScheduledToBeDeleted};
  }
  if (with_recordings == WithRecordings::kForce) {
    return force ? DeletionDecision{A::kEndMeetingThenDelete,
                                    C::kRoomWithActiveMeetingAndRecordingsDeleted}
                 : DeletionDecision{A::kScheduleDelete,
                                    C::kRoomWithActiveMeetingAndRecordingsScheduledToBeDeleted};
  }
  return force ? DeletionDecision{A::kEndMeetingThenClose, C::kRoomWithActiveMeetingClosed}
               : DeletionDecision{A::kScheduleClose, C::kRoomWithActiveMeetingScheduledToBeClosed};
}

const char* WireName(DeletionCode code) {
  switch (code) {
    case DeletionCode::kRoomDeleted:
      return "room_deleted";
    case DeletionCode::kRoomWithActiveMeetingDeleted:
      return "room_with_active_meeting_deleted";
    case DeletionCode::kRoomWithActiveMeetingScheduledToBeDeleted:
      return "room_with_active_meeting_scheduled_to_be_deleted";
    case DeletionCode::kRoomAndRecordingsDeleted:
      return "room_and_recordings_deleted";
    case DeletionCode::kRoomClosed:
      return "room_closed";
    case DeletionCode::kRoomWithActiveMeetingAndRecordingsDeleted:
      return "room_with_active_meeting_and_recordings_deleted";
    case DeletionCode::kRoomWithActiveMeetingClosed:
      return "room_with_active_meeting_closed";
    case DeletionCode::kRoomWithActiveMeetingAndRecordingsScheduledToBeDeleted:
      return "room_with_active_meeting_and_recordings_scheduled_to_be_deleted";
    case DeletionCode::kRoomWithActiveMeetingScheduledToBeClosed:
      return "room_with_active_meeting_scheduled_to_be_closed";
    case DeletionCode::kRoomHasActiveMeeting:
      return "room_has_active_meeting";
    case DeletionCode::kRoomHasRecordings:
      return "room_has_recordings";
    case DeletionCode::kRoomWithActiveMeetingHasRecordings:
      return "room_with_active_meeting_has_recordings";
    case DeletionCode::kRoomWithActiveMeetingHasRecordingsCannotScheduleDeletion:
      return "room_with_active_meeting_has_recordings_cannot_schedule_deletion";
    case DeletionCode::kRoomWithRecordingsHasActiveMeeting:
      return "room_with_recordings_has_active_meeting";
  }
  return "room_deleted";
}

bool IsDeletionError(DeletionCode code) {
  switch (code) {
    case DeletionCode::kRoomHasActiveMeeting:
    case DeletionCode::kRoomHasRecordings:
    case DeletionCode::kRoomWithActiveMeetingHasRecordings:
    case DeletionCode::kRoomWithActiveMeetingHasRecordingsCannotScheduleDeletion:
    case DeletionCode::kRoomWithRecordingsHasActiveMeeting:
      return true;
    default:
      return false;
  }
}

bool IsDeletionScheduled(DeletionCode code) {
  return code == DeletionCode::kRoomWithActiveMeetingScheduledToBeDeleted ||
         code == DeletionCode::kRoomWithActiveMeetingScheduledToBeClosed ||
         code == DeletionCode::kRoomWithActiveMeetingAndRecordingsScheduledToBeDeleted;
}

bool DeletionReturnsRoom(DeletionCode code) {
  return IsDeletionScheduled(code) || code == DeletionCode::kRoomClosed ||
         code == DeletionCode::kRoomWithActiveMeetingClosed;
}

std::string DeletionMessage(DeletionCode code, std::string_view room_id) {
  const std::string base = "Room '" + std::string(room_id) + "'";
  switch (code) {
    case DeletionCode::kRoomDeleted:
      return base + " deleted successfully";
    case DeletionCode::kRoomWithActiveMeetingDeleted:
      return base + " with active meeting deleted successfully";
    case DeletionCode::kRoomWithActiveMeetingScheduledToBeDeleted:
      return base + " with active meeting scheduled to be deleted when the meeting ends";
    case DeletionCode::kRoomAndRecordingsDeleted:
      return base + " and its recordings deleted successfully";
    case DeletionCode::kRoomClosed:
      return base + " has been closed instead of deleted because it has recordings";
    case DeletionCode::kRoomWithActiveMeetingAndRecordingsDeleted:
      return base + " with active meeting and its recordings deleted successfully";
    case DeletionCode::kRoomWithActiveMeetingClosed:
      return base +
             " with active meeting has been closed instead of deleted because it has recordings";
    case DeletionCode::kRoomWithActiveMeetingAndRecordingsScheduledToBeDeleted:
      return base +
             " with active meeting and its recordings scheduled to be deleted when the meeting "
             "ends";
    case DeletionCode::kRoomWithActiveMeetingScheduledToBeClosed:
      return base +
             " with active meeting scheduled to be closed when the meeting ends because it has "
             "recordings";
    case DeletionCode::kRoomHasActiveMeeting:
      return base + " cannot be deleted because it has an active meeting.";
    case DeletionCode::kRoomHasRecordings:
      return base + " cannot be deleted because it has recordings.";
    case DeletionCode::kRoomWithActiveMeetingHasRecordings:
      return base + " with active meeting cannot be deleted because it has recordings.";
    case DeletionCode::kRoomWithActiveMeetingHasRecordingsCannotScheduleDeletion:
      return base +
             " with active meeting cannot be scheduled to be deleted because it has recordings.";
    case DeletionCode::kRoomWithRecordingsHasActiveMeeting:
      return base + " with recordings cannot be deleted because it has an active meeting.";
  }
  return base;
}

}  // namespace mr::rooms
