#include "livekit/twirp_client.hpp"

#include <cctype>
#include <utility>

#include "common/logging.hpp"
#include "livekit/livekit_json.hpp"

namespace mr::livekit {
namespace {

using recording::EgressInfo;
using recording::LiveKitRoom;
using recording::ParticipantInfo;

constexpr std::string_view kRoomService = "RoomService";
constexpr std::string_view kEgress = "Egress";

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// The media type of a Content-Type value, lower-cased and without parameters.
std::string MediaType(const HttpClientResponse& r) {
  auto ct = r.Header("content-type");
  if (!ct) {
    return {};
  }
  std::string_view v = *ct;
  v = v.substr(0, v.find(';'));
  while (!v.empty() && v.back() == ' ') {
    v.remove_suffix(1);
  }
  return Lower(v);
}

// The first line of a short plain-text body, for error messages (the server's 401 texts).
std::string FirstLine(std::string_view body) {
  body = body.substr(0, body.find('\n'));
  while (!body.empty() && (body.back() == '\r' || body.back() == ' ')) {
    body.remove_suffix(1);
  }
  if (body.size() > 200) {
    body = body.substr(0, 200);
  }
  std::string out;
  for (char c : body) {
    out += std::isprint(static_cast<unsigned char>(c)) ? c : '?';
  }
  return out;
}

// Turns a decoder failure of a 200 reply into kInternal: the server sent something we cannot read.
template <typename T>
Result<T> FromReply(Result<T> decoded, std::string_view method) {
  if (!decoded.ok()) {
    return InternalError("LiveKit " + std::string(method) +
                         ": unexpected reply: " + decoded.status().message());
  }
  return decoded;
}

}  // namespace

Status TwirpReplyError(const HttpClientResponse& response) {
  const std::string media = MediaType(response);
  const bool looks_json =
      media == "application/json" || (!response.body.empty() && response.body.front() == '{');
  if (looks_json) {
    Json j = Json::parse(response.body, nullptr, false);
    if (!j.is_discarded() && j.is_object()) {
      auto code = j.find("code");
      if (code != j.end() && code->is_string()) {
        auto msg = j.find("msg");
        std::string text = msg != j.end() && msg->is_string() ? msg->get<std::string>() : "";
        return recording::LiveKitErrorStatus(code->get_ref<const std::string&>(), text);
      }
    }
  }
  // Not a Twirp error: the auth middleware's plain text, or a proxy's page.
  const int s = response.status;
  std::string message = "LiveKit answered HTTP " + std::to_string(s);
  if (media == "text/plain" && !response.body.empty()) {
    message = FirstLine(response.body);
  } else if (!media.empty()) {
    message += " (" + media + ")";
  }
  StatusCode code = StatusCode::kInternal;
  if (s == 401) {
    code = StatusCode::kUnauthorized;
  } else if (s == 403) {
    code = StatusCode::kForbidden;
  } else if (s == 404) {
    code = StatusCode::kNotFound;
  } else if (s == 408) {
    code = StatusCode::kTimeout;
  } else if (s == 429 || (s >= 500 && s <= 599)) {
    code = StatusCode::kUnavailable;
  }
  return Status(code, std::move(message));
}

TwirpLiveKitClient::TwirpLiveKitClient(HttpClient& http, LiveKitOptions options, const Clock& clock)
    : http_(http),
      options_(std::move(options)),
      signer_(options_.api_key, options_.api_secret, clock) {}

Task<Result<Json>> TwirpLiveKitClient::Call(std::string_view service, std::string_view method,
                                            VideoGrant grant, Json body) {
  HttpClientRequest req;
  req.method = "POST";
  req.url =
      options_.private_url + "/twirp/livekit." + std::string(service) + "/" + std::string(method);
  req.headers.emplace_back("Authorization", "Bearer " + signer_.Sign(grant));
  req.headers.emplace_back("Content-Type", "application/json");
  req.body = body.dump();
  req.timeout = options_.request_timeout;
  Result<HttpClientResponse> sent = co_await http_.Send(std::move(req));
  Json log_fields = Json::object();
  log_fields["method"] = std::string(service) + "." + std::string(method);
  if (!sent.ok()) {
    log_fields["error"] = sent.status().ToString();
    log::Debug("livekit call failed", log_fields);
    Status st = sent.status();
    if (st.code() != StatusCode::kTimeout && st.code() != StatusCode::kInvalidArgument) {
      st = Status(StatusCode::kUnavailable, st.message());
    }
    co_return Status(st.code(), "LiveKit " + std::string(method) + ": " + st.message());
  }
  log_fields["status"] = sent->status;
  log::Debug("livekit call", log_fields);
  if (sent->status != 200) {
    co_return TwirpReplyError(*sent);
  }
  if (sent->body.empty()) {
    co_return Json::object();
  }
  Json reply = Json::parse(sent->body, nullptr, false);
  if (reply.is_discarded() || !reply.is_object()) {
    co_return InternalError("LiveKit " + std::string(method) + ": reply is not a JSON object");
  }
  co_return reply;
}

Task<Result<LiveKitRoom>> TwirpLiveKitClient::CreateRoom(std::string name,
                                                         recording::CreateRoomOptions options) {
  Json body = CreateRoomRequestJson(name, options);
  auto reply = co_await Call(kRoomService, "CreateRoom", VideoGrant::RoomCreate(), std::move(body));
  if (!reply.ok()) {
    co_return reply.status();
  }
  co_return FromReply(RoomFromJson(*reply), "CreateRoom");
}

Task<Result<std::vector<LiveKitRoom>>> TwirpLiveKitClient::ListRooms(
    std::vector<std::string> names) {
  Json body = ListRoomsRequestJson(names);
  auto reply = co_await Call(kRoomService, "ListRooms", VideoGrant::RoomList(), std::move(body));
  if (!reply.ok()) {
    co_return reply.status();
  }
  co_return FromReply(ListRoomsResponseFromJson(*reply), "ListRooms");
}

Task<Status> TwirpLiveKitClient::DeleteRoom(std::string name) {
  Json body = RoomRequestJson(name);
  auto reply = co_await Call(kRoomService, "DeleteRoom", VideoGrant::RoomCreate(), std::move(body));
  co_return reply.status();
}

Task<Result<std::vector<ParticipantInfo>>> TwirpLiveKitClient::ListParticipants(std::string room) {
  Json body = RoomRequestJson(room);
  auto reply =
      co_await Call(kRoomService, "ListParticipants", VideoGrant::RoomAdmin(room), std::move(body));
  if (!reply.ok()) {
    co_return reply.status();
  }
  co_return FromReply(ListParticipantsResponseFromJson(*reply), "ListParticipants");
}

Task<Result<ParticipantInfo>> TwirpLiveKitClient::GetParticipant(std::string room,
                                                                 std::string identity) {
  Json body = RoomParticipantIdentityJson(room, identity);
  auto reply =
      co_await Call(kRoomService, "GetParticipant", VideoGrant::RoomAdmin(room), std::move(body));
  if (!reply.ok()) {
    co_return reply.status();
  }
  co_return FromReply(ParticipantInfoFromJson(*reply), "GetParticipant");
}

Task<Status> TwirpLiveKitClient::RemoveParticipant(std::string room, std::string identity) {
  Json body = RoomParticipantIdentityJson(room, identity);
  auto reply = co_await Call(kRoomService, "RemoveParticipant", VideoGrant::RoomAdmin(room),
                             std::move(body));
  co_return reply.status();
}

Task<Status> TwirpLiveKitClient::SendData(std::string room, recording::DataMessage message) {
  Json body = SendDataRequestJson(room, message);
  auto reply =
      co_await Call(kRoomService, "SendData", VideoGrant::RoomAdmin(room), std::move(body));
  co_return reply.status();
}

Task<Result<LiveKitRoom>> TwirpLiveKitClient::UpdateRoomMetadata(std::string room,
                                                                 std::string metadata) {
  Json body = UpdateRoomMetadataRequestJson(room, metadata);
  auto reply = co_await Call(kRoomService, "UpdateRoomMetadata", VideoGrant::RoomAdmin(room),
                             std::move(body));
  if (!reply.ok()) {
    co_return reply.status();
  }
  co_return FromReply(RoomFromJson(*reply), "UpdateRoomMetadata");
}

Task<Result<EgressInfo>> TwirpLiveKitClient::StartRoomCompositeEgress(
    recording::RoomCompositeRequest request) {
  Json body = RoomCompositeEgressRequestJson(request);
  auto reply =
      co_await Call(kEgress, "StartRoomCompositeEgress", VideoGrant::RoomRecord(), std::move(body));
  if (!reply.ok()) {
    co_return reply.status();
  }
  co_return FromReply(EgressInfoFromJson(*reply), "StartRoomCompositeEgress");
}

Task<Result<EgressInfo>> TwirpLiveKitClient::StopEgress(std::string egress_id) {
  Json body = StopEgressRequestJson(egress_id);
  auto reply = co_await Call(kEgress, "StopEgress", VideoGrant::RoomRecord(), std::move(body));
  if (!reply.ok()) {
    co_return reply.status();
  }
  co_return FromReply(EgressInfoFromJson(*reply), "StopEgress");
}

Task<Result<std::vector<EgressInfo>>> TwirpLiveKitClient::ListEgress(
    recording::ListEgressFilter filter) {
  Json body = ListEgressRequestJson(filter);
  auto reply = co_await Call(kEgress, "ListEgress", VideoGrant::RoomRecord(), std::move(body));
  if (!reply.ok()) {
    co_return reply.status();
  }
  co_return FromReply(ListEgressResponseFromJson(*reply), "ListEgress");
}

}  // namespace mr::livekit
