#include "lksim/lksim.hpp"

#include <algorithm>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fstream>
#include <mutex>
#include <optional>
#include <set>
#include <variant>

#include "common/beast_http_client.hpp"
#include "common/http/router.hpp"
#include "common/http/server.hpp"
#include "common/jwt.hpp"
#include "common/logging.hpp"
#include "common/random.hpp"
#include "lksim/ffmpeg_encoder.hpp"
#include "lksim/null_encoder.hpp"
#include "lksim/protocol.hpp"
#include "lksim/webhook_notifier.hpp"

namespace mr::lksim {
namespace {

constexpr std::string_view kIdAlphabet =
    "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
constexpr size_t kMaxMetadata = 512 * 1024;

using Timer = std::shared_ptr<asio::steady_timer>;

struct Reject {
  std::string method;
  std::string code;
  std::string msg;
};

struct Faults {
  int64_t egress_delay_active_ms = 0;
  bool egress_never_active = false;
  int64_t egress_fail_after_ms = 0;
  bool egress_stop_updates = false;
  int64_t start_reply_delay_ms = 0;
  std::vector<Reject> reject_next;

  Json ToJson() const {
    Json rejects = Json::array();
    for (const auto& r : reject_next) {
      rejects.push_back(Json{{"method", r.method}, {"code", r.code}, {"msg", r.msg}});
    }
    return Json{{"egress_delay_active_ms", egress_delay_active_ms},
                {"egress_never_active", egress_never_active},
                {"egress_fail_after_ms", egress_fail_after_ms},
                {"egress_stop_updates", egress_stop_updates},
                {"start_reply_delay_ms", start_reply_delay_ms},
                {"reject_next", rejects}};
  }
};

enum class EndReason { kNone, kStop, kSourceClosed, kLimit };

http::Response PlainText(int status, std::string body) {
  http::Response r;
  r.status = status;
  r.SetHeader("Content-Type", "text/plain; charset=utf-8");
  r.body = std::move(body);
  return r;
}

std::string CollapseSlashes(std::string_view p) {
  std::string out;
  for (char c : p) {
    if (c == '/' && !out.empty() && out.back() == '/') {
      continue;
    }
    out.push_back(c);
  }
  return out;
}

// golang-jwt's wording for the failures LiveKit's middleware reports (§1.3).
std::string GoJwtReason(const std::string& ours) {
  if (ours == "token expired") {
    return "token has invalid claims: token is expired";
  }
  if (ours == "token not valid yet") {
    return "token has invalid claims: token is not valid yet";
  }
  if (ours == "token has no expiry") {
    return "token has invalid claims: token is missing required claim: exp claim is required";
  }
  if (ours == "invalid signature") {
    return "token signature is invalid: signature is invalid";
  }
  if (ours == "unsupported token algorithm") {
    return "token signature is invalid: signing method is invalid";
  }
  return "token is malformed";
}

bool VideoGrant(const Json& claims, const char* grant) {
  if (!claims.is_object()) {
    return false;
  }
  auto v = claims.find("video");
  if (v == claims.end() || !v->is_object()) {
    return false;
  }
  auto g = v->find(grant);
  return g != v->end() && g->is_boolean() && g->get<bool>();
}

std::string VideoRoom(const Json& claims) {
  if (!claims.is_object()) {
    return "";
  }
  auto v = claims.find("video");
  if (v == claims.end() || !v->is_object()) {
    return "";
  }
  auto r = v->find("room");
  return r != v->end() && r->is_string() ? r->get<std::string>() : "";
}

const TwirpError kPermissionDenied{"unauthenticated", "permissions denied"};
const TwirpError kMalformed{"malformed", "the json request could not be decoded"};

std::optional<std::string> DecodeBytes(const std::string& s) {
  if (auto d = jwt::Base64Decode(s)) {
    return d;
  }
  std::string t = s;
  while (!t.empty() && t.back() == '=') {
    t.pop_back();
  }
  return jwt::Base64UrlDecode(t);
}

}  // namespace

Result<LkSimOptions> LkSimOptionsFromEnv(const std::map<std::string, std::string>& env) {
  LkSimOptions o;
  auto get = [&](const char* k) -> std::optional<std::string> {
    auto it = env.find(k);
    return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  if (auto v = get("MEET_EMBEDDED_LIVEKIT_PORT")) {
    int port = -1;
    if (!v->empty() && v->size() <= 5 &&
        std::all_of(v->begin(), v->end(), [](char c) { return c >= '0' && c <= '9'; })) {
      port = std::stoi(*v);
    }
    if (port < 0 || port > 65535) {
      return InvalidArgumentError("MEET_EMBEDDED_LIVEKIT_PORT must be a port number (0-65535)");
    }
    o.port = static_cast<uint16_t>(port);
  }
  if (auto v = get("LIVEKIT_API_KEY")) {
    o.api_key = *v;
  }
  if (auto v = get("LIVEKIT_API_SECRET")) {
    o.api_secret = *v;
  }
  if (auto v = get("MEET_STORAGE_DIR")) {
    o.storage_dir = *v;
  }
  if (auto v = get("LIVEKIT_WEBHOOK_URLS")) {
    size_t start = 0;
    while (start <= v->size()) {
      size_t end = v->find(',', start);
      if (end == std::string::npos) {
        end = v->size();
      }
      std::string item = v->substr(start, end - start);
      item.erase(0, item.find_first_not_of(" \t"));
      item.erase(item.find_last_not_of(" \t") + 1);
      if (!item.empty()) {
        o.webhook_urls.push_back(item);
      }
      start = end + 1;
    }
  }
  if (auto v = get("MEET_LKSIM_ENCODER")) {
    if (*v == "ffmpeg") {
      o.encoder = EncoderKind::kFfmpeg;
    } else if (*v == "none") {
      o.encoder = EncoderKind::kNone;
    } else {
      return InvalidArgumentError("MEET_LKSIM_ENCODER must be ffmpeg or none");
    }
  }
  return o;
}

namespace {
using SyncHandler = std::function<http::Response(LkSim::Impl&, const http::Request&)>;
Task<http::Response> RunSync(std::weak_ptr<LkSim::Impl> w, SyncHandler f, http::Request& req);
Task<http::Response> Dispatch(std::weak_ptr<LkSim::Impl> w, http::Request& req);
Task<http::Response> RunTwirp(std::weak_ptr<LkSim::Impl> w, http::Request& req);
Task<void> RunUpload(std::weak_ptr<LkSim::Impl> w, std::shared_ptr<EgressUploader> uploader,
                     std::string id, std::filesystem::path file, std::string key, int64_t size);

// LiveKit reports an upload error with the psrpc code's HTTP form (§5.5).
int32_t UploadErrorCode(const Status& st) {
  return st.code() == StatusCode::kUnavailable || st.code() == StatusCode::kTimeout ? 503 : 500;
}
}  // namespace

struct LkSim::Impl : std::enable_shared_from_this<LkSim::Impl> {
  struct Room {
    RoomState state;
    Timer close_timer;
  };

  struct Egress;

  // Forwards encoder callbacks to the Impl; held by the Egress, weakly by the encoder.
  struct Listener final : EncoderListener {
    std::weak_ptr<Impl> impl;
    std::string id;
    void OnEncoderStarted() override {
      if (auto i = impl.lock()) {
        i->OnEncoderStarted(id);
      }
    }
    void OnEncoderProgress(int64_t) override {}
    void OnEncoderEos(EncoderResult r) override {
      if (auto i = impl.lock()) {
        i->OnEncoderEnd(id, r, "");
      }
    }
    void OnEncoderError(std::string m) override {
      if (auto i = impl.lock()) {
        i->OnEncoderEnd(id, EncoderResult{}, m.empty() ? "encoder failed" : m);
      }
    }
  };

  struct Egress {
    EgressState info;
    std::filesystem::path path;  // Where the encoder writes (storage_dir / key).
    std::string key;             // The filename without a leading '/': the upload key.
    Json s3;                     // Normalized upload config or null.
    std::unique_ptr<Encoder> encoder;
    std::shared_ptr<Listener> listener;
    std::vector<Timer> timers;
    bool encoder_started = false;
    bool delay_passed = true;
    bool never_active = false;
    bool uploading = false;  // The encoder has ended and the file is being uploaded.
    EndReason end = EndReason::kNone;
  };

  // A finished file to hand to opts_.uploader (built under mu_, started after it is released).
  struct UploadJob {
    std::string id;
    std::filesystem::path file;
    std::string key;
    int64_t size = 0;
  };

  Impl(asio::io_context& ioc, const Clock& clock, LkSimOptions options)
      : ioc_(ioc), clock_(clock), opts_(std::move(options)) {
    WebhookOptions wo;
    wo.urls = opts_.webhook_urls;
    wo.api_key = opts_.api_key;
    wo.api_secret = opts_.api_secret;
    wo.backoff_base = opts_.webhook_backoff_base;
    notifier_ = std::make_shared<WebhookNotifier>(
        ioc.get_executor(), std::make_shared<BeastHttpClient>(ioc.get_executor()), clock_, wo);
  }

  // ---- helpers (REQUIRES mu_ held unless noted) ----

  int64_t NowNs() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(clock_.Now().time_since_epoch())
        .count();
  }
  std::string NewId(const char* prefix) {
    return prefix + random_.SecureString(12, std::string(kIdAlphabet));
  }
  std::chrono::milliseconds Seconds(int64_t s) const { return opts_.timeout_second * s; }

  Timer After(std::chrono::milliseconds d, std::function<void(Impl&)> fn) {
    auto t = std::make_shared<asio::steady_timer>(ioc_, d);
    t->async_wait([w = weak_from_this(), fn = std::move(fn)](boost::system::error_code ec) {
      if (ec) {
        return;
      }
      if (auto self = w.lock()) {
        std::lock_guard<std::mutex> lock(self->mu_);
        if (!self->stopped_) {
          fn(*self);
        }
      }
    });
    return t;
  }

  void Notify(const std::string& key, Json ev) {
    ev["id"] = NewId("EV_");
    ev["created_at"] = std::to_string(clock_.NowMs() / 1000);
    notifier_->Notify(key, ToWebhookForm(ev));
  }
  void NotifyRoom(const char* event, const RoomState& r) {
    Notify(r.name, Json{{"event", event}, {"room", RoomJson(r)}});
  }
  void NotifyParticipant(const char* event, const RoomState& r, const ParticipantState& p) {
    Notify(r.name,
           Json{{"event", event}, {"room", RoomJson(r)}, {"participant", ParticipantJson(p)}});
  }
  void NotifyEgress(const char* event, const EgressState& e) {
    Notify(e.egress_id, Json{{"event", event},
                             {"room", Json{{"sid", e.room_id}, {"name", e.room_name}}},
                             {"egress_info", EgressJson(e)}});
  }

  Room& CreateRoomLocked(const std::string& name) {
    Room& r = rooms_[name];
    r.state.sid = NewId("RM_");
    r.state.name = name;
    r.state.empty_timeout = opts_.empty_timeout_s;
    r.state.departure_timeout = opts_.departure_timeout_s;
    r.state.creation_time_ms = clock_.NowMs();
    r.state.turn_password = random_.SecureString(24, std::string(kIdAlphabet));
    data_[name] = Json::array();
    return r;
  }

  void ArmCloseTimer(Room& r, uint32_t seconds) {
    if (r.close_timer) {
      r.close_timer->cancel();
    }
    const std::string name = r.state.name;
    Timer t = After(Seconds(seconds), [name](Impl& self) {
      auto it = self.rooms_.find(name);
      if (it != self.rooms_.end() && it->second.state.NumParticipants() == 0) {
        self.CloseRoom(name);
      }
    });
    r.close_timer = t;
  }

  // Closes a room as LiveKit does on DeleteRoom or a timeout: egresses end with "Source closed",
  // everyone leaves, room_finished.
  void CloseRoom(const std::string& name) {
    auto it = rooms_.find(name);
    if (it == rooms_.end()) {
      return;
    }
    for (auto& [id, e] : egresses_) {
      if (e.info.room_name == name && !IsFinished(e.info.status)) {
        EndEgress(e, EndReason::kSourceClosed);
      }
    }
    it = rooms_.find(name);
    if (it == rooms_.end()) {
      return;
    }
    RoomState& rs = it->second.state;
    std::vector<ParticipantState> leaving = rs.participants;
    rs.participants.clear();
    for (auto& p : leaving) {
      NotifyParticipant("participant_left", rs, p);
    }
    if (it->second.close_timer) {
      it->second.close_timer->cancel();
    }
    NotifyRoom("room_finished", rs);
    rooms_.erase(it);
  }

  void RemoveParticipantLocked(Room& r, const std::string& identity) {
    auto& ps = r.state.participants;
    auto pit = std::find_if(ps.begin(), ps.end(),
                            [&](const ParticipantState& p) { return p.identity == identity; });
    if (pit == ps.end()) {
      return;
    }
    ParticipantState gone = *pit;
    const bool was_recorder = gone.recorder;
    ps.erase(pit);
    NotifyParticipant("participant_left", r.state, gone);
    if (!was_recorder && r.state.NumParticipants() == 0) {
      ArmCloseTimer(r, r.state.departure_timeout);
    }
  }

  // The one egress transition function: stamps, stores and announces a new status, and on a
  // final status releases the timers and the recorder participant. While the
  // egress_stop_updates fault is set nothing changes (a silent worker).
  bool Transition(Egress& e, EgressStatus to) {
    if (faults_.egress_stop_updates) {
      return false;
    }
    e.info.status = to;
    e.info.updated_at_ns = NowNs();
    if (IsFinished(to)) {
      e.info.ended_at_ns = e.info.updated_at_ns;
      for (auto& t : e.timers) {
        t->cancel();
      }
      e.timers.clear();
      NotifyEgress("egress_ended", e.info);
      auto rit = rooms_.find(e.info.room_name);
      if (rit != rooms_.end() && rit->second.state.sid == e.info.room_id) {
        RemoveParticipantLocked(rit->second, e.info.egress_id);
      }
    } else if (to == EgressStatus::kActive || to == EgressStatus::kEnding) {
      NotifyEgress("egress_updated", e.info);
    }
    return true;
  }

  void TryActivate(Egress& e) {
    if (e.info.status != EgressStatus::kStarting || !e.encoder_started || !e.delay_passed ||
        e.never_active) {
      return;
    }
    auto rit = rooms_.find(e.info.room_name);
    if (rit == rooms_.end() || rit->second.state.NumParticipants() == 0) {
      return;  // LiveKit's template waits for media: an empty room stays STARTING.
    }
    const int64_t before = e.info.file.started_at_ns;
    e.info.file.started_at_ns = NowNs();
    if (!Transition(e, EgressStatus::kActive)) {
      e.info.file.started_at_ns = before;
    }
  }

  // Ends a running egress for `why` (§5.2-§5.4). Returns the info to reply with.
  EgressState EndEgress(Egress& e, EndReason why) {
    const char* details = why == EndReason::kStop           ? "End reason: StopEgress API"
                          : why == EndReason::kSourceClosed ? "End reason: Source closed"
                                                            : "End reason: Session limit reached";
    if (e.info.status == EgressStatus::kStarting) {
      EgressState before = e.info;
      e.encoder.reset();
      e.info.error = why == EndReason::kLimit ? "Session limit reached before start signal"
                                              : "Stop called before pipeline could start";
      e.info.error_code = 412;
      e.info.details = details;
      if (!Transition(e, EgressStatus::kAborted)) {
        e.info = before;
        EgressState reply = e.info;
        reply.status = EgressStatus::kAborted;
        return reply;
      }
      return e.info;
    }
    if (e.info.status == EgressStatus::kActive && e.end == EndReason::kNone) {
      e.end = why;
      if (e.encoder) {
        e.encoder->Stop();
      }
      if (why == EndReason::kLimit) {
        return e.info;  // No ENDING update on this path (§5.4).
      }
      EgressState before = e.info;
      e.info.details = details;
      e.info.file.ended_at_ns = NowNs();
      e.info.file.duration_ns = e.info.file.ended_at_ns - e.info.file.started_at_ns;
      if (!Transition(e, EgressStatus::kEnding)) {
        EgressState reply = e.info;
        reply.status = EgressStatus::kEnding;
        e.info = before;
        return reply;
      }
    }
    return e.info;
  }

  // The file's `location` while it is where the request put it: the S3 URL form when the request
  // named an S3 upload, else the local path (LiveKit's local storage).
  std::string RequestedLocation(const Egress& e) const {
    return e.s3.is_null() ? e.path.string() : S3Location(e.s3, e.info.file.filename);
  }
  // The file's `location` once opts_.uploader has stored it.
  std::string UploadedLocation(const Egress& e) const {
    return e.s3.is_null() ? opts_.uploader->Location(e.key)
                          : S3Location(e.s3, e.info.file.filename);
  }

  void FillFileResult(Egress& e, int64_t size, std::string location) {
    if (e.info.file.ended_at_ns == 0) {
      e.info.file.ended_at_ns = NowNs();
      if (e.info.file.started_at_ns != 0) {
        e.info.file.duration_ns = e.info.file.ended_at_ns - e.info.file.started_at_ns;
      }
    }
    e.info.file.size = size;
    e.info.file.location = std::move(location);
    // The manifest is written locally (also with an uploader: only the media file is uploaded).
    if (!e.info.manifest_location.empty() && e.s3.is_null()) {
      std::ofstream m(e.info.manifest_location, std::ios::trunc);
      m << EgressJson(e.info).dump();
    }
  }

  void OnEncoderStarted(const std::string& id) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = egresses_.find(id);
    if (stopped_ || it == egresses_.end()) {
      return;
    }
    it->second.encoder_started = true;
    TryActivate(it->second);
  }

  void OnEncoderEnd(const std::string& id, EncoderResult r, const std::string& error) {
    std::unique_ptr<Encoder> done;  // Destroyed after the lock is released.
    std::optional<UploadJob> upload;
    {
      std::lock_guard<std::mutex> lock(mu_);
      upload = EndEncodingLocked(id, r, error, done);
    }
    if (upload) {
      // Spawned outside mu_: the upload's first steps may run on this thread.
      asio::co_spawn(ioc_,
                     RunUpload(weak_from_this(), opts_.uploader, std::move(upload->id),
                               std::move(upload->file), std::move(upload->key), upload->size),
                     asio::detached);
    }
  }

  // The encoder of egress `id` ended (`error` empty: cleanly). Moves the encoder to `done`, and
  // settles the egress, or returns the upload to run before it can settle.
  std::optional<UploadJob> EndEncodingLocked(const std::string& id, const EncoderResult& r,
                                             const std::string& error,
                                             std::unique_ptr<Encoder>& done) {
    auto it = egresses_.find(id);
    if (stopped_ || it == egresses_.end()) {
      return std::nullopt;
    }
    Egress& e = it->second;
    done = std::move(e.encoder);
    if (IsFinished(e.info.status)) {
      return std::nullopt;
    }
    if (!error.empty()) {
      // A failed encoder's partial file stays local: a real Egress fails without uploading.
      std::error_code ec;
      auto size = std::filesystem::file_size(e.path, ec);
      if (e.info.status == EgressStatus::kActive || e.info.status == EgressStatus::kEnding) {
        FillFileResult(e, ec ? 0 : static_cast<int64_t>(size), RequestedLocation(e));
      }
      e.info.error = error;
      e.info.error_code = 500;
      if (e.info.details.empty()) {
        e.info.details = "End reason: Failure";
      }
      Transition(e, EgressStatus::kFailed);
      return std::nullopt;
    }
    if (opts_.uploader) {
      // As a real Egress, the status stays ENDING (ACTIVE on the limit path) until the upload
      // is done; Stop waits for uploads_in_flight_ to drop to zero.
      e.uploading = true;
      ++uploads_in_flight_;
      return UploadJob{id, e.path, e.key, r.size};
    }
    SettleEncoded(e, r.size, RequestedLocation(e));
    return std::nullopt;
  }

  // The final status of an egress whose file is complete where `location` says.
  void SettleEncoded(Egress& e, int64_t size, std::string location) {
    FillFileResult(e, size, std::move(location));
    if (e.end == EndReason::kLimit) {
      e.info.error = "Session limit reached";
      e.info.error_code = 413;
      e.info.details = "End reason: Session limit reached";
      Transition(e, EgressStatus::kLimitReached);
    } else {
      Transition(e, EgressStatus::kComplete);
    }
  }

  // An upload started by OnEncoderEnd ended with `st`: settles its egress. After Stop the egress
  // is left as it is.
  void OnUploadDoneLocked(const std::string& id, const Status& st, int64_t size) {
    auto it = egresses_.find(id);
    if (stopped_ || it == egresses_.end()) {
      return;
    }
    Egress& e = it->second;
    e.uploading = false;
    if (IsFinished(e.info.status)) {
      return;
    }
    if (st.ok()) {
      SettleEncoded(e, size, UploadedLocation(e));
      return;
    }
    // The file stays in staging, which is where the failed egress reports it.
    FillFileResult(e, size, RequestedLocation(e));
    e.info.error = "upload failed: " + st.message();
    e.info.error_code = UploadErrorCode(st);
    if (e.info.details.empty()) {
      e.info.details = "End reason: Failure";
    }
    Transition(e, EgressStatus::kFailed);
  }

  // ---- Twirp ----

  using Reply = std::variant<Json, TwirpError>;

  Reply CreateRoom(const Json& req, const Json& claims) {
    auto name = GetString(req, "name");
    auto empty = GetInt(req, "empty_timeout");
    auto departure = GetInt(req, "departure_timeout");
    auto maxp = GetInt(req, "max_participants");
    auto metadata = GetString(req, "metadata");
    if (!name || !empty || !departure || !maxp || !metadata) {
      return kMalformed;
    }
    if (!VideoGrant(claims, "roomCreate")) {
      return kPermissionDenied;
    }
    if (name->empty()) {
      return TwirpError{"invalid_argument", "room name is required"};
    }
    if (name->size() > 256) {
      return TwirpError{"invalid_argument", "name length exceeds limits 256",
                        Json{{"argument", "name length exceeds limits"}}};
    }
    if (metadata->size() > kMaxMetadata) {
      return TwirpError{"invalid_argument", "metadata size exceeds limits 524288",
                        Json{{"argument", "metadata size exceeds limits"}}};
    }
    std::lock_guard<std::mutex> lock(mu_);
    auto it = rooms_.find(*name);
    const bool created = it == rooms_.end();
    Impl::Room& r = created ? CreateRoomLocked(*name) : it->second;
    if (*empty > 0) {
      r.state.empty_timeout = static_cast<uint32_t>(*empty);
    }
    if (*departure > 0) {
      r.state.departure_timeout = static_cast<uint32_t>(*departure);
    }
    if (*maxp > 0) {
      r.state.max_participants = static_cast<uint32_t>(*maxp);
    }
    if (!metadata->empty()) {
      r.state.metadata = *metadata;
    }
    if (created) {
      NotifyRoom("room_started", r.state);
      ArmCloseTimer(r, r.state.empty_timeout);
    }
    return RoomJson(r.state);
  }

  Reply ListRooms(const Json& req, const Json& claims) {
    auto names = GetStringList(req, "names");
    if (!names) {
      return kMalformed;
    }
    if (!VideoGrant(claims, "roomList")) {
      return kPermissionDenied;
    }
    std::lock_guard<std::mutex> lock(mu_);
    Json rooms = Json::array();
    for (const auto& [n, r] : rooms_) {
      if (names->empty() || std::find(names->begin(), names->end(), n) != names->end()) {
        rooms.push_back(RoomJson(r.state));
      }
    }
    return Json{{"rooms", rooms}};
  }

  Reply DeleteRoom(const Json& req, const Json& claims) {
    auto room = GetString(req, "room");
    if (!room) {
      return kMalformed;
    }
    if (!VideoGrant(claims, "roomCreate")) {
      return kPermissionDenied;
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (rooms_.count(*room) == 0) {
      return TwirpError{"not_found", PsrpcMsg("requested room does not exist")};
    }
    CloseRoom(*room);
    return Json::object();
  }

  // Room-admin methods: roomAdmin and video.room == request.room (§2.4).
  static bool RoomAdmin(const Json& claims, const std::string& room) {
    return VideoGrant(claims, "roomAdmin") && VideoRoom(claims) == room;
  }

  Reply ListParticipants(const Json& req, const Json& claims) {
    auto room = GetString(req, "room");
    if (!room) {
      return kMalformed;
    }
    if (!RoomAdmin(claims, *room)) {
      return kPermissionDenied;
    }
    std::lock_guard<std::mutex> lock(mu_);
    Json ps = Json::array();
    if (auto it = rooms_.find(*room); it != rooms_.end()) {
      for (const auto& p : it->second.state.participants) {
        ps.push_back(ParticipantJson(p));
      }
    }
    return Json{{"participants", ps}};
  }

  Reply GetOrRemoveParticipant(const Json& req, const Json& claims, bool remove) {
    auto room = GetString(req, "room");
    auto identity = GetString(req, "identity");
    if (!room || !identity || !GetInt(req, "revoke_token_ts")) {
      return kMalformed;
    }
    if (!RoomAdmin(claims, *room)) {
      return kPermissionDenied;
    }
    std::lock_guard<std::mutex> lock(mu_);
    auto it = rooms_.find(*room);
    const TwirpError absent{"not_found", PsrpcMsg("participant does not exist")};
    if (it == rooms_.end()) {
      return absent;
    }
    for (const auto& p : it->second.state.participants) {
      if (p.identity == *identity) {
        if (!remove) {
          return ParticipantJson(p);
        }
        RemoveParticipantLocked(it->second, *identity);
        return Json::object();
      }
    }
    return absent;
  }

  Reply SendData(const Json& req, const Json& claims) {
    auto room = GetString(req, "room");
    auto data = GetString(req, "data");
    auto nonce = GetString(req, "nonce");
    auto dests = GetStringList(req, "destination_identities");
    auto topic = GetString(req, "topic");
    if (!room || !data || !nonce || !dests || !topic) {
      return kMalformed;
    }
    auto payload = DecodeBytes(*data);
    auto nonce_bytes = DecodeBytes(*nonce);
    if (!payload || !nonce_bytes) {
      return kMalformed;
    }
    std::string kind = "RELIABLE";
    if (auto k = req.find("kind"); k != req.end() && !k->is_null()) {
      if ((k->is_string() && *k == "LOSSY") || (k->is_number_integer() && *k == 1)) {
        kind = "LOSSY";
      } else if (!((k->is_string() && *k == "RELIABLE") || (k->is_number_integer() && *k == 0))) {
        return kMalformed;
      }
    }
    if (!RoomAdmin(claims, *room)) {
      return kPermissionDenied;
    }
    if (!nonce_bytes->empty() && nonce_bytes->size() != 16) {
      return TwirpError{"invalid_argument", "nonce should be 16-bytes or not present, got: " +
                                                std::to_string(nonce_bytes->size()) + " bytes"};
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (rooms_.count(*room) == 0) {
      return TwirpError{"not_found", PsrpcMsg("requested room does not exist")};
    }
    Json packet = Json::object();
    packet["topic"] = req.contains("topic") && !req["topic"].is_null() ? Json(*topic) : Json();
    packet["payload_base64"] = jwt::Base64Encode(*payload);
    // The payload as text too, when it is valid UTF-8 (what chat/signal messages are).
    Json text = Json(*payload);
    try {
      (void)text.dump();
      packet["payload"] = text;
    } catch (const Json::exception&) {
      packet["payload"] = nullptr;
    }
    packet["destination_identities"] = *dests;
    packet["kind"] = kind;
    packet["time_ms"] = clock_.NowMs();
    data_[*room].push_back(packet);
    return Json::object();
  }

  Reply UpdateRoomMetadata(const Json& req, const Json& claims) {
    auto room = GetString(req, "room");
    auto metadata = GetString(req, "metadata");
    if (!room || !metadata) {
      return kMalformed;
    }
    if (metadata->size() > kMaxMetadata) {
      return TwirpError{"invalid_argument", "metadata size exceeds limits 524288",
                        Json{{"argument", "metadata size exceeds limits"}}};
    }
    if (!RoomAdmin(claims, *room)) {
      return kPermissionDenied;
    }
    std::lock_guard<std::mutex> lock(mu_);
    auto it = rooms_.find(*room);
    if (it == rooms_.end()) {
      return TwirpError{"not_found", PsrpcMsg("requested room does not exist")};
    }
    it->second.state.metadata = *metadata;
    return RoomJson(it->second.state);
  }

  Reply StartRoomCompositeEgress(const Json& req, const Json& claims) {
    auto parsed = ParseRoomComposite(req);
    if (auto* err = std::get_if<TwirpError>(&parsed); err && err->code == "malformed") {
      return *err;
    }
    if (!VideoGrant(claims, "roomRecord")) {
      return kPermissionDenied;
    }
    if (auto* err = std::get_if<TwirpError>(&parsed)) {
      return *err;
    }
    auto& rc = std::get<RoomCompositeRequest>(parsed);
    std::lock_guard<std::mutex> lock(mu_);
    auto rit = rooms_.find(rc.room_name);
    if (rit == rooms_.end()) {
      return TwirpError{"not_found", PsrpcMsg("requested room does not exist")};
    }
    RoomState& room = rit->second.state;
    const std::string id = NewId("EG_");
    Egress& e = egresses_[id];
    e.info.egress_id = id;
    e.info.room_id = room.sid;
    e.info.room_name = room.name;
    e.info.started_at_ns = NowNs();
    e.info.updated_at_ns = e.info.started_at_ns;
    e.info.room_composite = rc.echo;
    e.info.file.filename =
        FinalFilename(rc.filepath, rc.file_type, room.name, room.sid, clock_.NowMs());
    std::string rel = e.info.file.filename;
    rel.erase(0, rel.find_first_not_of('/'));
    e.path = opts_.storage_dir / rel;
    e.key = rel;
    e.s3 = rc.s3;
    if (!rc.disable_manifest) {
      const std::string manifest_key =
          (std::filesystem::path(rel).parent_path() / (id + ".json")).string();
      e.info.manifest_location = e.s3.is_null() ? (opts_.storage_dir / manifest_key).string()
                                                : S3Location(e.s3, manifest_key);
    }
    e.never_active = faults_.egress_never_active;
    e.delay_passed = faults_.egress_delay_active_ms <= 0;
    NotifyEgress("egress_started", e.info);
    const EgressState reply = e.info;

    // The hidden recorder joins the room (§5.1 step 2).
    ParticipantState rec;
    rec.sid = NewId("PA_");
    rec.identity = id;
    rec.joined_at_ms = clock_.NowMs();
    rec.recorder = true;
    room.participants.push_back(rec);
    NotifyParticipant("participant_joined", room, rec);

    EncoderJob job;
    job.output = e.path;
    job.file_type = rc.file_type;
    job.audio_only = rc.audio_only;
    job.video_only = rc.video_only;
    for (const auto& p : room.participants) {
      if (!p.recorder) {
        job.tile_names.push_back(p.name.empty() ? p.identity : p.name);
      }
    }
    if (opts_.encoder == EncoderKind::kNone) {
      e.encoder = std::make_unique<NullEncoder>(ioc_.get_executor(), clock_);
    } else {
      FfmpegOptions fo;
      fo.ffmpeg = opts_.ffmpeg;
      fo.log_file = opts_.storage_dir / ".lksim" / (id + ".ffmpeg.log");
      e.encoder = std::make_unique<FfmpegEncoder>(ioc_.get_executor(), clock_, fo);
    }
    e.listener = std::make_shared<Listener>();
    e.listener->impl = weak_from_this();
    e.listener->id = id;
    Status st = e.encoder->Start(job, e.listener);
    if (!st.ok()) {
      e.encoder.reset();
      // Reported like a worker failure after acceptance: the reply is STARTING, then FAILED.
      e.timers.push_back(After(std::chrono::milliseconds(0), [id, msg = st.message()](Impl& s) {
        auto it = s.egresses_.find(id);
        if (it != s.egresses_.end() && !IsFinished(it->second.info.status)) {
          it->second.info.error = msg;
          it->second.info.error_code = 500;
          it->second.info.details = "End reason: Failure";
          s.Transition(it->second, EgressStatus::kFailed);
        }
      }));
      return EgressJson(reply);
    }
    if (!e.delay_passed) {
      e.timers.push_back(
          After(std::chrono::milliseconds(faults_.egress_delay_active_ms), [id](Impl& s) {
            auto it = s.egresses_.find(id);
            if (it != s.egresses_.end()) {
              it->second.delay_passed = true;
              s.TryActivate(it->second);
            }
          }));
    }
    if (faults_.egress_fail_after_ms > 0) {
      e.timers.push_back(
          After(std::chrono::milliseconds(faults_.egress_fail_after_ms), [id](Impl& s) {
            auto it = s.egresses_.find(id);
            if (it == s.egresses_.end() || IsFinished(it->second.info.status)) {
              return;
            }
            Egress& eg = it->second;
            if (eg.uploading) {
              return;  // The encoder has already ended well.
            }
            eg.encoder.reset();  // Simulates an encoder crash: the child is killed.
            std::error_code ec;
            auto size = std::filesystem::file_size(eg.path, ec);
            if (eg.info.status != EgressStatus::kStarting) {
              s.FillFileResult(eg, ec ? 0 : static_cast<int64_t>(size), s.RequestedLocation(eg));
            }
            eg.info.error = "lksim fault: encoder failure";
            eg.info.error_code = 500;
            if (eg.info.details.empty()) {
              eg.info.details = "End reason: Failure";
            }
            s.Transition(eg, EgressStatus::kFailed);
          }));
    }
    if (opts_.max_egress_duration_s > 0) {
      e.timers.push_back(After(Seconds(opts_.max_egress_duration_s), [id](Impl& s) {
        auto it = s.egresses_.find(id);
        if (it != s.egresses_.end() && !IsFinished(it->second.info.status)) {
          s.EndEgress(it->second, EndReason::kLimit);
        }
      }));
    }
    return EgressJson(reply);
  }

  Reply StopEgress(const Json& req, const Json& claims) {
    auto id = GetString(req, "egress_id");
    if (!id) {
      return kMalformed;
    }
    if (!VideoGrant(claims, "roomRecord")) {
      return kPermissionDenied;
    }
    std::lock_guard<std::mutex> lock(mu_);
    auto it = egresses_.find(*id);
    if (it == egresses_.end()) {
      return TwirpError{"not_found", PsrpcMsg("egress does not exist")};
    }
    Egress& e = it->second;
    if (IsFinished(e.info.status)) {
      return TwirpError{"failed_precondition", std::string("egress with status ") +
                                                   EgressStatusName(e.info.status) +
                                                   " cannot be stopped"};
    }
    return EgressJson(EndEgress(e, EndReason::kStop));
  }

  Reply ListEgress(const Json& req, const Json& claims) {
    auto room = GetString(req, "room_name");
    auto id = GetString(req, "egress_id");
    auto active = GetBool(req, "active");
    if (!room || !id || !active) {
      return kMalformed;
    }
    if (!VideoGrant(claims, "roomRecord")) {
      return kPermissionDenied;
    }
    std::lock_guard<std::mutex> lock(mu_);
    Json items = Json::array();
    if (!id->empty()) {
      auto it = egresses_.find(*id);
      if (it == egresses_.end()) {
        return TwirpError{"not_found", PsrpcMsg("egress does not exist")};
      }
      items.push_back(EgressJson(it->second.info));
    } else {
      for (const auto& [eid, e] : egresses_) {
        if ((!room->empty() && e.info.room_name != *room) ||
            (*active && IsFinished(e.info.status))) {
          continue;
        }
        items.push_back(EgressJson(e.info));
      }
    }
    return Json{{"items", items}, {"next_page_token", nullptr}};
  }

  // Auth middleware (§1.3, §2): returns the claims (null when no token was sent) or a plain-text
  // 401 response.
  std::variant<Json, http::Response> Authenticate(const http::Request& req) {
    std::string token;
    if (auto h = req.Header("authorization")) {
      if (h->substr(0, 7) != "Bearer ") {
        return PlainText(401, "invalid authorization header. Must start with Bearer ");
      }
      token = std::string(h->substr(7));
    } else if (auto q = req.Query("access_token")) {
      token = std::string(*q);
    } else {
      return Json();
    }
    auto unverified = jwt::DecodeUnverified(token);
    if (!unverified.ok()) {
      return PlainText(401, "invalid authorization token");
    }
    auto iss = unverified->find("iss");
    if (iss == unverified->end() || !iss->is_string() || *iss != opts_.api_key) {
      return PlainText(401, "invalid API key");
    }
    jwt::VerifyOptions vo;
    vo.now_s = clock_.NowMs() / 1000;
    vo.leeway_s = 60;
    vo.require_exp = true;
    vo.issuer = opts_.api_key;
    auto verified = jwt::VerifyHs256(token, opts_.api_secret, vo);
    if (!verified.ok()) {
      return PlainText(401,
                       "invalid authorization token: " + GoJwtReason(verified.status().message()));
    }
    return std::move(*verified);
  }

  // `reply_delay_ms` (optional) receives how long the reply must be held back (fault
  // start_reply_delay_ms); the call itself has already taken effect.
  http::Response HandleTwirp(const http::Request& req, int64_t* reply_delay_ms = nullptr) {
    const std::string path = CollapseSlashes(req.path);
    if (path == "/" && (req.method == "GET" || req.method == "HEAD")) {
      return PlainText(200, "OK");
    }
    auto auth = Authenticate(req);
    if (auto* r = std::get_if<http::Response>(&auth)) {
      return *r;
    }
    const Json claims = std::get<Json>(auth);
    std::string service;
    for (const char* s : {"RoomService", "Egress"}) {
      const std::string prefix = std::string("/twirp/livekit.") + s + "/";
      if (path.rfind(prefix, 0) == 0) {
        service = s;
      }
    }
    if (service.empty()) {
      return PlainText(404, "404 page not found\n");
    }
    const std::string method =
        path.substr(std::string("/twirp/livekit.").size() + service.size() + 1);
    const Json route{{"twirp_invalid_route", req.method + " " + path}};
    if (req.method != "POST") {
      return TwirpErrorResponse(TwirpError{
          "bad_route", "unsupported method \"" + req.method + "\" (only POST is allowed)", route});
    }
    using Fn = Reply (Impl::*)(const Json&, const Json&);
    static const std::map<std::string, Fn> kRoom = {
        {"CreateRoom", &Impl::CreateRoom},
        {"ListRooms", &Impl::ListRooms},
        {"DeleteRoom", &Impl::DeleteRoom},
        {"ListParticipants", &Impl::ListParticipants},
        {"GetParticipant", &Impl::GetParticipant},
        {"RemoveParticipant", &Impl::RemoveParticipant},
        {"SendData", &Impl::SendData},
        {"UpdateRoomMetadata", &Impl::UpdateRoomMetadata}};
    static const std::map<std::string, Fn> kEgress = {
        {"StartRoomCompositeEgress", &Impl::StartRoomCompositeEgress},
        {"StopEgress", &Impl::StopEgress},
        {"ListEgress", &Impl::ListEgress}};
    const auto& table = service == "RoomService" ? kRoom : kEgress;
    auto fn = table.find(method);
    if (fn == table.end()) {
      return TwirpErrorResponse(
          TwirpError{"bad_route", "no handler for path \"" + path + "\"", route});
    }
    std::string ctype(req.Header("content-type").value_or(""));
    ctype = ctype.substr(0, ctype.find(';'));
    ctype.erase(ctype.find_last_not_of(" \t") + 1);
    std::transform(ctype.begin(), ctype.end(), ctype.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (ctype != "application/json") {
      // Protobuf is a valid LiveKit encoding, but lksim speaks JSON only.
      return TwirpErrorResponse(
          TwirpError{"bad_route",
                     "unexpected Content-Type: \"" +
                         std::string(req.Header("content-type").value_or("")) + "\"",
                     route});
    }
    Json body = Json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      return TwirpErrorResponse(kMalformed);
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (reply_delay_ms != nullptr && method == "StartRoomCompositeEgress") {
        *reply_delay_ms = faults_.start_reply_delay_ms;
      }
      auto& rj = faults_.reject_next;
      auto rit =
          std::find_if(rj.begin(), rj.end(), [&](const Reject& r) { return r.method == method; });
      if (rit != rj.end()) {
        TwirpError e{rit->code, rit->msg};
        rj.erase(rit);
        return TwirpErrorResponse(e);
      }
    }
    Reply reply = (this->*(fn->second))(NormalizeRequest(body), claims);
    if (auto* err = std::get_if<TwirpError>(&reply)) {
      return TwirpErrorResponse(*err);
    }
    return TwirpOkResponse(std::get<Json>(reply));
  }

  Reply GetParticipant(const Json& req, const Json& claims) {
    return GetOrRemoveParticipant(req, claims, false);
  }
  Reply RemoveParticipant(const Json& req, const Json& claims) {
    return GetOrRemoveParticipant(req, claims, true);
  }

  // ---- Control API (/sim, see README.md) ----

  http::Response SimJoin(const http::Request& req) {
    const std::string room(req.Param("room"));
    Json body = Json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      return http::Response::MakeError(400, "Bad Request", "Body must be a JSON object");
    }
    auto identity = GetString(body, "identity");
    auto name = GetString(body, "name");
    auto metadata = GetString(body, "metadata");
    if (!identity || identity->empty() || !name || !metadata) {
      return http::Response::MakeError(400, "Bad Request",
                                       "identity (non-empty string) is required");
    }
    std::lock_guard<std::mutex> lock(mu_);
    auto it = rooms_.find(room);
    const bool created = it == rooms_.end();
    Impl::Room& r = created ? CreateRoomLocked(room) : it->second;
    if (created) {
      NotifyRoom("room_started", r.state);
    }
    for (const auto& p : r.state.participants) {
      if (p.identity == *identity) {
        return http::Response::MakeError(409, "Conflict", "identity already in the room");
      }
    }
    if (r.state.max_participants > 0 && r.state.NumParticipants() >= r.state.max_participants) {
      return http::Response::MakeError(409, "Conflict", "room is full");
    }
    ParticipantState p;
    p.sid = NewId("PA_");
    p.identity = *identity;
    p.name = *name;
    p.metadata = *metadata;
    p.joined_at_ms = clock_.NowMs();
    r.state.participants.push_back(p);
    if (r.close_timer) {
      r.close_timer->cancel();
      r.close_timer.reset();
    }
    NotifyParticipant("participant_joined", r.state, p);
    for (auto& [id, e] : egresses_) {
      if (e.info.room_name == room) {
        TryActivate(e);
      }
    }
    return http::Response::MakeJson(
        201, Json{{"room", RoomJson(r.state)}, {"participant", ParticipantJson(p)}});
  }

  http::Response SimLeave(const http::Request& req) {
    const std::string room(req.Param("room"));
    const std::string identity(req.Param("identity"));
    std::lock_guard<std::mutex> lock(mu_);
    auto it = rooms_.find(room);
    if (it != rooms_.end()) {
      for (const auto& p : it->second.state.participants) {
        if (p.identity == identity && !p.recorder) {
          RemoveParticipantLocked(it->second, identity);
          http::Response r;
          r.status = 204;
          return r;
        }
      }
    }
    return http::Response::MakeError(404, "Not Found", "participant not in room");
  }

  http::Response SimData(const http::Request& req) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = data_.find(std::string(req.Param("room")));
    return http::Response::MakeJson(
        200, Json{{"packets", it == data_.end() ? Json::array() : it->second}});
  }

  http::Response SimSetFaults(const http::Request& req) {
    Json body = Json::parse(req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      return http::Response::MakeError(400, "Bad Request", "Body must be a JSON object");
    }
    Faults f;
    {
      std::lock_guard<std::mutex> lock(mu_);
      f = faults_;
    }
    for (auto& [k, v] : body.items()) {
      if (k == "egress_delay_active_ms" && v.is_number_integer()) {
        f.egress_delay_active_ms = v.get<int64_t>();
      } else if (k == "egress_never_active" && v.is_boolean()) {
        f.egress_never_active = v.get<bool>();
      } else if (k == "egress_fail_after_ms" && v.is_number_integer()) {
        f.egress_fail_after_ms = v.get<int64_t>();
      } else if (k == "egress_stop_updates" && v.is_boolean()) {
        f.egress_stop_updates = v.get<bool>();
      } else if (k == "start_reply_delay_ms" && v.is_number_integer()) {
        f.start_reply_delay_ms = v.get<int64_t>();
      } else if (k == "reject_next" && v.is_object()) {
        auto method = GetString(v, "method");
        auto code = GetString(v, "code");
        auto msg = GetString(v, "msg");
        if (!method || method->empty() || !code || !IsTwirpCode(*code) || !msg) {
          return http::Response::MakeError(400, "Bad Request",
                                           "reject_next needs method, a Twirp code and msg");
        }
        f.reject_next.push_back(Reject{*method, *code, *msg});
      } else {
        return http::Response::MakeError(400, "Bad Request", "Unknown or mistyped fault: " + k);
      }
    }
    std::lock_guard<std::mutex> lock(mu_);
    faults_ = f;
    return http::Response::MakeJson(200, faults_.ToJson());
  }

  http::Response SimFaults(bool clear) {
    std::lock_guard<std::mutex> lock(mu_);
    if (clear) {
      faults_ = Faults{};
    }
    return http::Response::MakeJson(200, faults_.ToJson());
  }

  void BuildRouter() {
    auto w = weak_from_this();
    auto wrap = [w](SyncHandler f) -> http::Handler {
      return [w, f](http::Request& req) { return RunSync(w, f, req); };
    };
    router_.Add("POST", "/sim/rooms/:room/participants",
                wrap([](Impl& s, const http::Request& r) { return s.SimJoin(r); }));
    router_.Add("DELETE", "/sim/rooms/:room/participants/:identity",
                wrap([](Impl& s, const http::Request& r) { return s.SimLeave(r); }));
    router_.Add("GET", "/sim/rooms/:room/data",
                wrap([](Impl& s, const http::Request& r) { return s.SimData(r); }));
    router_.Add("GET", "/sim/faults",
                wrap([](Impl& s, const http::Request&) { return s.SimFaults(false); }));
    router_.Add("POST", "/sim/faults",
                wrap([](Impl& s, const http::Request& r) { return s.SimSetFaults(r); }));
    router_.Add("DELETE", "/sim/faults",
                wrap([](Impl& s, const http::Request&) { return s.SimFaults(true); }));
    router_.SetFallback([w](http::Request& req) { return RunTwirp(w, req); });
  }

  // Ends everything owned; the encoders are destroyed outside the lock (their destructors may
  // wait for ffmpeg to exit).
  void Shutdown() {
    std::vector<std::unique_ptr<Encoder>> encoders;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopped_) {
        return;
      }
      stopped_ = true;
      for (auto& [id, e] : egresses_) {
        for (auto& t : e.timers) {
          t->cancel();
        }
        e.timers.clear();
        if (e.encoder) {
          encoders.push_back(std::move(e.encoder));
        }
      }
      for (auto& [n, r] : rooms_) {
        if (r.close_timer) {
          r.close_timer->cancel();
        }
      }
      // Held-back replies are sent at once.
      for (auto& t : reply_timers_) {
        t->cancel();
      }
      reply_timers_.clear();
    }
    encoders.clear();
    notifier_->Stop();
  }

  asio::io_context& ioc_;
  const Clock& clock_;
  const LkSimOptions opts_;
  SystemRandom random_;
  std::shared_ptr<WebhookNotifier> notifier_;
  http::Router router_;
  std::unique_ptr<http::Server> server_;

  std::mutex mu_;
  std::map<std::string, Impl::Room> rooms_;  // guarded by mu_; by name.
  std::map<std::string, Egress> egresses_;   // guarded by mu_; by id, ended ones kept.
  std::map<std::string, Json> data_;         // guarded by mu_; SendData packets by room name.
  Faults faults_;                            // guarded by mu_
  std::set<Timer> reply_timers_;             // guarded by mu_; replies held back by a fault.
  int uploads_in_flight_ = 0;                // guarded by mu_; RunUpload coroutines running.
  bool stopped_ = false;                     // guarded by mu_
};

namespace {
// Free coroutines (not capturing lambdas) so no coroutine frame refers to a lambda object, and
// the weak_ptr keeps a request that races with destruction from touching a dead Impl.
Task<http::Response> RunSync(std::weak_ptr<LkSim::Impl> w, SyncHandler f, http::Request& req) {
  auto self = w.lock();
  if (!self) {
    co_return PlainText(503, "shutting down");
  }
  co_return f(*self, req);
}

// A Twirp call; with the start_reply_delay_ms fault, the reply of StartRoomCompositeEgress waits
// on a timer of the io_context (the egress meanwhile proceeds, webhooks included). The Impl is
// not held during the wait; Shutdown cancels the timer, which sends the reply at once.
Task<http::Response> RunTwirp(std::weak_ptr<LkSim::Impl> w, http::Request& req) {
  int64_t delay_ms = 0;
  http::Response res;
  Timer timer;
  {
    auto self = w.lock();
    if (!self) {
      co_return PlainText(503, "shutting down");
    }
    res = self->HandleTwirp(req, &delay_ms);
    if (delay_ms > 0) {
      timer = std::make_shared<asio::steady_timer>(self->ioc_, std::chrono::milliseconds(delay_ms));
      std::lock_guard<std::mutex> lock(self->mu_);
      if (self->stopped_) {
        timer.reset();
      } else {
        self->reply_timers_.insert(timer);
      }
    }
  }
  if (timer) {
    boost::system::error_code ec;
    co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (auto self = w.lock()) {
      std::lock_guard<std::mutex> lock(self->mu_);
      self->reply_timers_.erase(timer);
    }
  }
  co_return res;
}

// Uploads one finished file, then settles its egress. A free coroutine whose parameters live in
// its frame; it holds the Impl only weakly, so an upload outliving lksim changes nothing.
Task<void> RunUpload(std::weak_ptr<LkSim::Impl> w, std::shared_ptr<EgressUploader> uploader,
                     std::string id, std::filesystem::path file, std::string key, int64_t size) {
  Status st;
  try {
    st = co_await uploader->Upload(file, key);
  } catch (const std::exception& ex) {  // A broken uploader must not leave the count behind.
    st = InternalError(std::string("uploader threw: ") + ex.what());
  }
  auto self = w.lock();  // Null when lksim is gone: the upload then settles nothing.
  if (self) {
    std::lock_guard<std::mutex> lock(self->mu_);
    self->OnUploadDoneLocked(id, st, size);
  }
  if (st.ok()) {
    // The file is in the bucket, so the staging copy goes (also after Stop). Outside mu_: file
    // system calls may be slow.
    std::error_code ec;
    std::filesystem::remove(file, ec);
    if (ec) {
      log::Warn("lksim cannot remove staged file",
                {{"path", file.string()}, {"error", ec.message()}});
    }
  } else {
    log::Warn("lksim egress upload failed",
              {{"egress_id", id}, {"key", key}, {"error", st.ToString()}});
  }
  if (self) {
    // Counted down last, so Stop's wait also covers the removal above.
    std::lock_guard<std::mutex> lock(self->mu_);
    --self->uploads_in_flight_;
  }
}

// Waits, polling, until no upload is in flight or `limit` passes. Polling keeps the wait free of
// cross-thread timer cancellation (uploads end on any io thread); it only runs during Stop.
Task<void> WaitForUploads(std::shared_ptr<LkSim::Impl> self, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  asio::steady_timer tick(self->ioc_);
  while (true) {
    int left = 0;
    {
      std::lock_guard<std::mutex> lock(self->mu_);
      left = self->uploads_in_flight_;
    }
    if (left == 0) {
      co_return;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      log::Warn("lksim stopped with uploads still running; their egresses stay ENDING",
                {{"uploads", left}});
      co_return;
    }
    tick.expires_after(std::chrono::milliseconds(10));
    boost::system::error_code ec;
    co_await tick.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

Task<http::Response> Dispatch(std::weak_ptr<LkSim::Impl> w, http::Request& req) {
  auto self = w.lock();
  if (!self) {
    co_return PlainText(503, "shutting down");
  }
  co_return co_await self->router_.Dispatch(req);
}
}  // namespace

LkSim::LkSim(asio::io_context& ioc, const Clock& clock, LkSimOptions options)
    : impl_(std::make_shared<Impl>(ioc, clock, std::move(options))) {
  impl_->BuildRouter();
}

LkSim::~LkSim() { impl_->Shutdown(); }

Status LkSim::Start() {
  http::ServerOptions so;
  so.bind_address = impl_->opts_.bind_address;
  so.port = impl_->opts_.port;
  so.max_body_bytes = 10 << 20;
  std::weak_ptr<Impl> w = impl_;
  impl_->server_ = std::make_unique<http::Server>(
      impl_->ioc_, so, [w](http::Request& req) { return Dispatch(w, req); });
  return impl_->server_->Start();
}

uint16_t LkSim::port() const { return impl_->server_ ? impl_->server_->port() : 0; }

Task<void> LkSim::Stop() {
  auto impl = impl_;
  if (impl->server_) {
    impl->server_->BeginShutdown();
  }
  impl->Shutdown();
  co_await WaitForUploads(impl, impl->opts_.upload_stop_timeout);
  if (impl->server_) {
    co_await impl->server_->Drain(std::chrono::milliseconds(1000));
  }
}

}  // namespace mr::lksim
