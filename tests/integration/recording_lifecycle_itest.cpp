// The recording lifecycle end to end: the real `meet-recorder serve` binary with its embedded
// LiveKit (lksim), driven over HTTP on 127.0.0.1 — start, stop, the app webhooks and room signals
// of a real ffmpeg recording, and the races and failures of reference §3 / scope.md Q3–Q5, Q15
// produced with lksim's faults. Every wait is a bounded poll.

#include <gtest/gtest.h>
#include <signal.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>

#include "common/clock.hpp"
#include "common/http/server.hpp"
#include "common/json.hpp"
#include "common/jwt.hpp"
#include "service_process.hpp"

namespace mr::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kApiKey = "lifecycle-itest-key";
constexpr const char* kLkKey = "lifecycle-lk-key";
constexpr const char* kLkSecret = "lifecycle-lk-secret-0123456789abcdef";

// Polls `pred` every 50 ms until it holds or `limit` passes.
bool WaitFor(const std::function<bool()>& pred, std::chrono::milliseconds limit = 15s) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) {
      return true;
    }
    std::this_thread::sleep_for(50ms);
  }
  return pred();
}

int64_t NowS() { return SystemClock().NowMs() / 1000; }

std::string ToHex(const std::string& raw) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xf]);
  }
  return out;
}

std::string EgressOf(const std::string& recording_id) {
  const size_t a = recording_id.find("--");
  const size_t b = recording_id.find("--", a + 2);
  return recording_id.substr(a + 2, b - a - 2);
}

// A LiveKit-style webhook token (Authorization header value, no "Bearer").
std::string WebhookToken(const std::string& body, const std::string& secret) {
  Json claims = Json::object();
  claims["iss"] = kLkKey;
  claims["exp"] = NowS() + 300;
  claims["nbf"] = NowS() - 1;
  claims["iat"] = NowS();
  claims["sha256"] = jwt::Base64Encode(jwt::Sha256(body));
  return jwt::SignHs256(claims, secret);
}

// The app webhook receiver: an http::Server on its own io thread, recording every request.
class HookReceiver {
 public:
  struct Hook {
    std::string timestamp;
    std::string signature;
    std::string body;
    Json json;
  };

  HookReceiver() : work_(asio::make_work_guard(ioc_)), state_(std::make_shared<State>()) {
    http::ServerOptions so;
    so.port = 0;
    server_ = std::make_unique<http::Server>(
        ioc_, so, [s = state_](http::Request& req) { return Handle(s, req); });
    if (!server_->Start().ok()) {
      throw std::runtime_error("webhook receiver cannot listen");
    }
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~HookReceiver() {
    server_->BeginShutdown();
    work_.reset();
    ioc_.stop();
    thread_.join();
  }
  std::string Url() const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + "/hook";
  }
  std::vector<Hook> All() const {
    std::lock_guard lock(state_->mu);
    return state_->hooks;
  }
  // The hooks about one recording, in arrival order.
  std::vector<Hook> ForRecording(const std::string& id) const {
    std::vector<Hook> out;
    for (auto& h : All()) {
      if (h.json.is_object() && h.json.contains("data") && h.json["data"].is_object() &&
          h.json["data"].value("recordingId", "") == id) {
        out.push_back(h);
      }
    }
    return out;
  }

 private:
  struct State {
    mutable std::mutex mu;
    std::vector<Hook> hooks;  // guarded by mu
  };
  static Task<http::Response> Handle(std::shared_ptr<State> s, http::Request& req) {
    Hook h;
    h.timestamp = std::string(req.Header("x-timestamp").value_or(""));
    h.signature = std::string(req.Header("x-signature").value_or(""));
    h.body = req.body;
    h.json = Json::parse(req.body, nullptr, false);
    {
      std::lock_guard lock(s->mu);
      s->hooks.push_back(std::move(h));
    }
    http::Response r;
    r.status = 200;
    co_return r;
  }

  asio::io_context ioc_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::shared_ptr<State> state_;
  std::unique_ptr<http::Server> server_;
  std::thread thread_;
};

class RecordingLifecycleTest : public ::testing::Test {
 protected:
  void TearDown() override {
    // MR_ITEST_SHOW_LOG=1 shows the service's log for passing tests too.
    if (svc_ && (HasFailure() || std::getenv("MR_ITEST_SHOW_LOG") != nullptr)) {
      std::string log = svc_->Log();
      if (log.size() > 60000) {
        log = "...\n" + log.substr(log.size() - 60000);
      }
      std::fprintf(stderr, "---- service log (tail) ----\n%s\n", log.c_str());
    }
    svc_.reset();
  }

  std::map<std::string, std::string> BaseEnv() const {
    return {{"MEET_STORAGE_DIR", dir_.path().string()},
            {"MEET_INITIAL_API_KEY", kApiKey},
            {"LIVEKIT_API_KEY", kLkKey},
            {"LIVEKIT_API_SECRET", kLkSecret},
            {"MEET_LOG_LEVEL", "debug"}};
  }

  void StartService(std::map<std::string, std::string> extra = {},
                    std::vector<std::string> args = {"serve"}) {
    auto env = BaseEnv();
    for (auto& [k, v] : extra) {
      env[k] = v;
    }
    svc_ = std::make_unique<ServiceProcess>(env, args);
    lk_ = svc_->EmbeddedLiveKitPort();
  }

  // ---- the service's API ----
  TestHttpResponse Api(const std::string& method, const std::string& target,
                       const std::string& body = "", HeaderList extra = {}) const {
    HeaderList h = {{"x-api-key", kApiKey}};
    if (!body.empty()) {
      h.emplace_back("content-type", "application/json");
    }
    for (auto& e : extra) {
      h.push_back(e);
    }
    return svc_->Request(method, target, h, body);
  }
  std::string CreateRoom(const std::string& name) {
    auto r = Api("POST", "/api/v1/rooms", Json{{"roomName", name}}.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    return Json::parse(r.body)["roomId"].get<std::string>();
  }
  TestHttpResponse StartRecording(const std::string& room_id) const {
    return Api("POST", "/api/v1/recordings", Json{{"roomId", room_id}}.dump());
  }
  TestHttpResponse StopRecording(const std::string& id) const {
    return Api("POST", "/api/v1/recordings/" + id + "/stop");
  }
  // The stored record, or null when absent (404).
  Json Record(const std::string& id) const {
    auto r = Api("GET", "/api/v1/recordings/" + id);
    if (r.status == 404) {
      return Json();
    }
    EXPECT_EQ(r.status, 200) << r.body;
    return Json::parse(r.body, nullptr, false);
  }
  std::string RecordStatus(const std::string& id) const {
    Json j = Record(id);
    return j.is_object() ? j.value("status", "") : "";
  }
  Json RoomRecordings(const std::string& room_id) const {
    auto r = Api("GET", "/api/v1/recordings?roomId=" + room_id + "&maxItems=100");
    EXPECT_EQ(r.status, 200) << r.body;
    return Json::parse(r.body)["recordings"];
  }
  // Starts until 201, accepting only 409 meanwhile (the previous egress still holds the lock).
  TestHttpResponse StartWhenFree(const std::string& room_id) {
    TestHttpResponse last;
    WaitFor([&] {
      last = StartRecording(room_id);
      EXPECT_TRUE(last.status == 201 || last.status == 409) << last.status << " " << last.body;
      return last.status != 409;
    });
    return last;
  }

  // ---- lksim ----
  TestHttpResponse Sim(const std::string& method, const std::string& target,
                       const std::string& body = "") const {
    HeaderList h;
    if (!body.empty()) {
      h.emplace_back("content-type", "application/json");
    }
    return TestHttpRequest(lk_, method, target, h, body);
  }
  void Join(const std::string& room, const std::string& identity, const std::string& name) {
    auto r = Sim("POST", "/sim/rooms/" + room + "/participants",
                 Json{{"identity", identity}, {"name", name}}.dump());
    ASSERT_EQ(r.status, 201) << r.body;
  }
  void SetFaults(const Json& faults) {
    auto r = Sim("POST", "/sim/faults", faults.dump());
    ASSERT_EQ(r.status, 200) << r.body;
  }
  void ClearFaults() { ASSERT_EQ(Sim("DELETE", "/sim/faults").status, 200); }
  Json Twirp(const std::string& service, const std::string& method, const Json& body) const {
    Json claims = Json::object();
    claims["iss"] = kLkKey;
    claims["exp"] = NowS() + 600;
    claims["nbf"] = NowS() - 1;
    claims["video"] = Json{{"roomRecord", true}, {"roomList", true}};
    auto r = TestHttpRequest(lk_, "POST", "/twirp/livekit." + service + "/" + method,
                             {{"Authorization", "Bearer " + jwt::SignHs256(claims, kLkSecret)},
                              {"Content-Type", "application/json"}},
                             body.dump());
    EXPECT_EQ(r.status, 200) << method << ": " << r.body;
    return Json::parse(r.body, nullptr, false);
  }
  // lksim's egresses of a room (server form: snake_case, enum names).
  Json Egresses(const std::string& room) const {
    Json r = Twirp("Egress", "ListEgress", Json{{"room_name", room}});
    return r.is_object() && r.contains("items") ? r["items"] : Json::array();
  }
  Json Egress(const std::string& egress_id) const {
    Json r = Twirp("Egress", "ListEgress", Json{{"egress_id", egress_id}});
    return r.is_object() && r.contains("items") && !r["items"].empty() ? r["items"][0] : Json();
  }
  std::string EgressStatus(const std::string& egress_id) const {
    Json e = Egress(egress_id);
    return e.is_object() ? e.value("status", "") : "";
  }
  static bool InProgress(const std::string& egress_status) {
    return egress_status == "EGRESS_STARTING" || egress_status == "EGRESS_ACTIVE" ||
           egress_status == "EGRESS_ENDING";
  }
  // Data packets lksim recorded for the room: (topic, payload JSON), recording topics only.
  std::vector<std::pair<std::string, Json>> RecordingSignals(const std::string& room) const {
    auto r = Sim("GET", "/sim/rooms/" + room + "/data");
    EXPECT_EQ(r.status, 200) << r.body;
    std::vector<std::pair<std::string, Json>> out;
    const Json data = Json::parse(r.body, nullptr, false);
    if (!data.is_object() || !data.contains("packets")) {
      return out;
    }
    for (auto& p : data["packets"]) {
      if (!p["topic"].is_string()) {
        continue;
      }
      const std::string topic = p["topic"];
      if (topic.rfind("recording", 0) == 0) {
        out.emplace_back(topic, p["payload"].is_string()
                                    ? Json::parse(p["payload"].get<std::string>(), nullptr, false)
                                    : Json());
      }
    }
    return out;
  }

  // A room with two simulated participants.
  std::string ReadyRoom(const std::string& name) {
    const std::string room = CreateRoom(name);
    Join(room, "alice", "Alice");
    Join(room, "bob", "Bob");
    return room;
  }
  // The id of the (first) stored record of the room, polled.
  std::string WaitForRecordOf(const std::string& room) {
    std::string id;
    WaitFor([&] {
      Json list = RoomRecordings(room);
      if (!list.empty()) {
        id = list[0]["recordingId"];
      }
      return !id.empty();
    });
    return id;
  }

  TempDir dir_;
  std::unique_ptr<ServiceProcess> svc_;
  uint16_t lk_ = 0;
};

// ---- a. The whole path with the real encoder (issue item 9) ----

TEST_F(RecordingLifecycleTest, EndToEndWithFfmpeg) {
  ASSERT_EQ(std::system("command -v ffprobe >/dev/null 2>&1"), 0)
      << "ffprobe is not installed: run scripts/install-deps.sh (the ffmpeg package provides it)";
  HookReceiver hooks;
  StartService({{"MEET_INITIAL_WEBHOOK_ENABLED", "true"}, {"MEET_INITIAL_WEBHOOK_URL", hooks.Url()}},
               {"serve", "--encoder", "ffmpeg"});
  const std::string room = ReadyRoom("End to end");

  auto started = StartRecording(room);
  ASSERT_EQ(started.status, 201) << started.body;
  Json rec = Json::parse(started.body);
  EXPECT_EQ(rec["status"], "active");
  EXPECT_EQ(rec["roomId"], room);
  const std::string id = rec["recordingId"];
  EXPECT_EQ(started.Header("location"), "http://127.0.0.1:" + std::to_string(svc_->port()) +
                                            "/api/v1/recordings/" + id);

  std::this_thread::sleep_for(3s);
  auto stopped = StopRecording(id);
  ASSERT_EQ(stopped.status, 202) << stopped.body;
  EXPECT_EQ(Json::parse(stopped.body)["status"], "ending");

  ASSERT_TRUE(WaitFor([&] { return RecordStatus(id) == "complete"; }, 20s))
      << Record(id).dump();
  Json done = Record(id);
  EXPECT_GT(done.value("size", 0), 0) << done.dump();
  EXPECT_GT(done.value("duration", 0.0), 1.0) << done.dump();

  auto part = Api("GET", "/api/v1/recordings/" + id + "/media", "", {{"range", "bytes=0-99"}});
  EXPECT_EQ(part.status, 206);
  EXPECT_EQ(part.body.size(), 100u);

  auto whole = Api("GET", "/api/v1/recordings/" + id + "/media");
  ASSERT_EQ(whole.status, 200);
  EXPECT_EQ(static_cast<int64_t>(whole.body.size()), done.value("size", int64_t{0}));
  const auto mp4 = dir_.path() / "e2e-download.mp4";
  std::ofstream(mp4, std::ios::binary) << whole.body;
  const std::string cmd = "ffprobe -v error -show_streams -of json '" + mp4.string() + "' 2>&1";
  std::string probe;
  if (FILE* f = ::popen(cmd.c_str(), "r")) {
    std::array<char, 4096> buf{};
    size_t n = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) {
      probe.append(buf.data(), n);
    }
    ::pclose(f);
  }
  Json streams = Json::parse(probe, nullptr, false);
  ASSERT_TRUE(streams.is_object() && streams.contains("streams")) << probe;
  int h264 = 0, aac = 0, other = 0;
  for (auto& s : streams["streams"]) {
    const std::string type = s.value("codec_type", "");
    const std::string codec = s.value("codec_name", "");
    if (type == "video" && codec == "h264") {
      ++h264;
    } else if (type == "audio" && codec == "aac") {
      ++aac;
    } else {
      ++other;
    }
  }
  EXPECT_EQ(h264, 1) << probe;
  EXPECT_EQ(aac, 1) << probe;
  EXPECT_EQ(other, 0) << probe;

  // App webhooks, in order, each signed with the API key.
  std::vector<HookReceiver::Hook> got;
  ASSERT_TRUE(WaitFor([&] {
    got = hooks.ForRecording(id);
    return got.size() >= 4;
  })) << got.size() << " app webhooks";
  std::vector<std::string> seq;
  for (auto& h : got) {
    std::string s = h.json.value("event", "");
    if (s == "recordingUpdated") {
      s += ":" + h.json["data"].value("status", "");
    }
    seq.push_back(s);
    EXPECT_EQ(h.signature, ToHex(jwt::HmacSha256(kApiKey, h.timestamp + "." + h.body)))
        << "bad X-Signature on " << h.body;
    EXPECT_EQ(std::to_string(h.json.value("creationDate", int64_t{0})), h.timestamp);
  }
  EXPECT_EQ(seq, (std::vector<std::string>{"recordingStarted", "recordingUpdated:active",
                                           "recordingUpdated:ending", "recordingEnded"}));
  EXPECT_EQ(got.back().json["data"]["status"], "complete");

  // Room signals.
  auto signals = RecordingSignals(room);
  std::vector<std::string> topics;
  for (auto& [topic, payload] : signals) {
    topics.push_back(topic + ":" + (payload.is_object() ? payload.value("status", "") : "?"));
  }
  EXPECT_EQ(topics, (std::vector<std::string>{"recordingStarting:STARTING", "recordingStarted:STARTED",
                                              "recordingStopping:STOPPING", "recordingStopped:READY"}))
      << Sim("GET", "/sim/rooms/" + room + "/data").body;
  if (signals.size() == 4) {
    EXPECT_EQ(signals[0].second["roomId"], room);
    EXPECT_EQ(signals[3].second["id"], id);
  }
}

// ---- b. One recording per room ----

TEST_F(RecordingLifecycleTest, ConcurrentStartsOneWins) {
  StartService();
  const std::string room = ReadyRoom("Concurrent");
  constexpr int kN = 100;
  std::vector<TestHttpResponse> results(kN);
  std::vector<std::thread> threads;
  std::atomic<bool> go{false};
  for (int i = 0; i < kN; ++i) {
    threads.emplace_back([&, i] {
      while (!go.load()) {
        std::this_thread::yield();
      }
      try {
        results[i] = StartRecording(room);
      } catch (const std::exception& e) {
        results[i].status = -1;
        results[i].body = e.what();
      }
    });
  }
  go = true;
  for (auto& t : threads) {
    t.join();
  }
  int created = 0, conflict = 0;
  for (auto& r : results) {
    if (r.status == 201) {
      ++created;
      EXPECT_EQ(Json::parse(r.body)["status"], "active");
    } else if (r.status == 409) {
      ++conflict;
      EXPECT_EQ(Json::parse(r.body)["message"], "Room '" + room + "' is already being recorded");
    } else {
      ADD_FAILURE() << r.status << " " << r.body;
    }
  }
  EXPECT_EQ(created, 1);
  EXPECT_EQ(conflict, kN - 1);
  int running = 0;
  for (auto& e : Egresses(room)) {
    running += InProgress(e.value("status", "")) ? 1 : 0;
  }
  EXPECT_EQ(running, 1);
  EXPECT_EQ(RoomRecordings(room).size(), 1u);
}

// ---- c–g. Start races and failures (Q3, Q4, Q15) ----

TEST_F(RecordingLifecycleTest, ActiveBeforeReply) {
  StartService();
  const std::string room = ReadyRoom("Early active");
  SetFaults(Json{{"start_reply_delay_ms", 1500}});
  const auto t0 = std::chrono::steady_clock::now();
  auto r = StartRecording(room);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 1500ms);
  ASSERT_EQ(r.status, 201) << r.body;
  Json rec = Json::parse(r.body);
  EXPECT_EQ(rec["status"], "active");
  EXPECT_EQ(RecordStatus(rec["recordingId"]), "active");
}

TEST_F(RecordingLifecycleTest, ReplyAfterTimeout) {
  StartService({{"MEET_RECORDING_STARTED_TIMEOUT", "1s"}});
  const std::string room = ReadyRoom("Late reply");
  SetFaults(Json{{"start_reply_delay_ms", 3000}});
  auto r = StartRecording(room);
  ASSERT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(Json::parse(r.body)["message"],
            "Recording in room '" + room + "' timed out while starting");
  ClearFaults();

  // The egress runs on (its reply is still held back): the room stays locked.
  Json egresses = Egresses(room);
  ASSERT_EQ(egresses.size(), 1u) << egresses.dump();
  const std::string egress_id = egresses[0]["egress_id"];
  ASSERT_TRUE(InProgress(EgressStatus(egress_id)));
  auto again = StartRecording(room);
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_EQ(Json::parse(again.body)["message"], "Room '" + room + "' is already being recorded");

  // Once the late reply is in, the egress is stopped and the record settles as failed.
  EXPECT_TRUE(WaitFor([&] { return !InProgress(EgressStatus(egress_id)); }))
      << Egress(egress_id).dump();
  const std::string id = WaitForRecordOf(room);
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(EgressOf(id), egress_id);
  EXPECT_TRUE(WaitFor([&] { return RecordStatus(id) == "failed"; })) << Record(id).dump();
  std::this_thread::sleep_for(500ms);  // The egress's last webhooks must not revive it.
  EXPECT_EQ(RecordStatus(id), "failed") << Record(id).dump();

  auto next = StartWhenFree(room);
  ASSERT_EQ(next.status, 201) << next.body;
  EXPECT_NE(Json::parse(next.body)["recordingId"], id);
}

TEST_F(RecordingLifecycleTest, EgressNeverActive) {
  StartService({{"MEET_RECORDING_STARTED_TIMEOUT", "1s"}});
  const std::string room = ReadyRoom("Never active");
  SetFaults(Json{{"egress_never_active", true}});
  const auto t0 = std::chrono::steady_clock::now();
  auto r = StartRecording(room);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 1s);
  ASSERT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(Json::parse(r.body)["message"],
            "Recording in room '" + room + "' timed out while starting");
  ClearFaults();

  Json egresses = Egresses(room);
  ASSERT_EQ(egresses.size(), 1u) << egresses.dump();
  const std::string egress_id = egresses[0]["egress_id"];
  EXPECT_TRUE(WaitFor([&] { return EgressStatus(egress_id) == "EGRESS_ABORTED"; }))
      << Egress(egress_id).dump();
  const std::string id = WaitForRecordOf(room);
  ASSERT_FALSE(id.empty());
  EXPECT_TRUE(WaitFor([&] { return RecordStatus(id) == "failed"; })) << Record(id).dump();

  auto next = StartWhenFree(room);
  ASSERT_EQ(next.status, 201) << next.body;
  EXPECT_EQ(Json::parse(next.body)["status"], "active");
}

TEST_F(RecordingLifecycleTest, EgressFailsMidway) {
  StartService();
  const std::string room = ReadyRoom("Fails midway");
  SetFaults(Json{{"egress_fail_after_ms", 1000}});
  auto r = StartRecording(room);
  ASSERT_EQ(r.status, 201) << r.body;
  ClearFaults();
  const std::string id = Json::parse(r.body)["recordingId"];
  ASSERT_TRUE(WaitFor([&] { return RecordStatus(id) == "failed"; })) << Record(id).dump();
  Json rec = Record(id);
  EXPECT_TRUE(rec.contains("error") && rec["error"].is_string() &&
              !rec["error"].get<std::string>().empty())
      << rec.dump();

  auto next = StartWhenFree(room);
  ASSERT_EQ(next.status, 201) << next.body;
  EXPECT_NE(Json::parse(next.body)["recordingId"], id);
}

TEST_F(RecordingLifecycleTest, StopWhileStarting) {
  StartService({{"MEET_RECORDING_STARTED_TIMEOUT", "6s"}});
  const std::string room = ReadyRoom("Stop while starting");
  SetFaults(Json{{"egress_never_active", true}});
  auto pending = std::async(std::launch::async, [&] { return StartRecording(room); });

  const std::string id = WaitForRecordOf(room);
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(pending.wait_for(0s), std::future_status::timeout) << "the start answered already";
  auto stop = StopRecording(id);
  EXPECT_EQ(stop.status, 409) << stop.body;
  EXPECT_EQ(Json::parse(stop.body)["message"],
            "Recording '" + id + "' cannot be stopped while starting");
  // Stopped anyway (reference §3.4): no orphan egress.
  EXPECT_TRUE(WaitFor([&] { return EgressStatus(EgressOf(id)) == "EGRESS_ABORTED"; }))
      << Egress(EgressOf(id)).dump();

  auto answer = pending.get();
  EXPECT_TRUE(answer.status == 503 || answer.status == 500) << answer.status << " " << answer.body;
  ClearFaults();
  EXPECT_TRUE(WaitFor([&] {
    const std::string s = RecordStatus(id);
    return s == "failed" || s == "aborted";
  })) << Record(id).dump();

  auto next = StartWhenFree(room);
  ASSERT_EQ(next.status, 201) << next.body;
}

// ---- h. LiveKit webhooks replayed, reordered and forged ----

TEST_F(RecordingLifecycleTest, DuplicateAndOutOfOrderWebhooks) {
  StartService();
  const std::string room = ReadyRoom("Replays");
  auto r = StartRecording(room);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string id = Json::parse(r.body)["recordingId"];
  std::this_thread::sleep_for(300ms);
  ASSERT_EQ(StopRecording(id).status, 202);
  ASSERT_TRUE(WaitFor([&] { return RecordStatus(id) == "complete"; })) << Record(id).dump();
  const Json final_record = Record(id);

  Json egress = Egress(EgressOf(id));
  ASSERT_TRUE(egress.is_object());
  auto post = [&](const std::string& event, Json info, const std::string& event_id,
                  const std::string& secret) {
    Json body = {{"event", event},
                 {"id", event_id},
                 {"createdAt", std::to_string(NowS())},
                 {"room", Json{{"sid", info["room_id"]}, {"name", info["room_name"]}}},
                 {"egressInfo", info}};
    const std::string text = body.dump();
    return svc_->Request("POST", "/livekit/webhook",
                         {{"Authorization", WebhookToken(text, secret)},
                          {"Content-Type", "application/webhook+json"}},
                         text);
  };

  // A stale ACTIVE update (new event id, so not deduplicated) after the end.
  Json active = egress;
  active["status"] = "EGRESS_ACTIVE";
  active["ended_at"] = "0";
  auto replay = post("egress_updated", active, "EV_itest_replay_active", kLkSecret);
  EXPECT_EQ(replay.status, 200) << replay.body;
  // A repeated egress_started and egress_ended.
  Json starting = egress;
  starting["status"] = "EGRESS_STARTING";
  EXPECT_EQ(post("egress_started", starting, "EV_itest_replay_started", kLkSecret).status, 200);
  EXPECT_EQ(post("egress_ended", egress, "EV_itest_replay_ended", kLkSecret).status, 200);
  // The same event id twice: answered 200, applied at most once.
  EXPECT_EQ(post("egress_updated", active, "EV_itest_replay_active", kLkSecret).status, 200);

  // A forged FAILED end: refused, nothing changes.
  Json failed = egress;
  failed["status"] = "EGRESS_FAILED";
  failed["error"] = "forged";
  auto forged = post("egress_ended", failed, "EV_itest_forged", "not-the-secret-0123456789abcdef");
  EXPECT_EQ(forged.status, 401) << forged.body;

  std::this_thread::sleep_for(1s);
  Json now = Record(id);
  EXPECT_EQ(now["status"], "complete") << now.dump();
  EXPECT_EQ(now, final_record);
  // The room is free: nothing above took the lock.
  auto next = StartRecording(room);
  EXPECT_EQ(next.status, 201) << next.body;
}

// ---- i. Room deletion while recording (reference §3.7, Q5) ----

TEST_F(RecordingLifecycleTest, RoomDeletedDuringRecording) {
  StartService();
  const std::string room = ReadyRoom("Deleted while recording");
  auto r = StartRecording(room);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string id = Json::parse(r.body)["recordingId"];
  const std::string egress_id = EgressOf(id);

  // With an active meeting the deletion is carried out when LiveKit reports room_finished
  // (reference §2.3 decision table, §5.6): the recordings (3.7) and then the room.
  auto del = Api("DELETE", "/api/v1/rooms/" + room + "?withMeeting=force&withRecordings=force");
  EXPECT_EQ(del.status, 200) << del.body;
  EXPECT_EQ(Json::parse(del.body)["successCode"], "room_with_active_meeting_and_recordings_deleted");
  EXPECT_TRUE(WaitFor([&] { return !InProgress(EgressStatus(egress_id)); }))
      << Egress(egress_id).dump();
  EXPECT_TRUE(WaitFor([&] { return Record(id).is_null() && RoomRecordings(room).empty(); }))
      << Record(id).dump();
  EXPECT_TRUE(WaitFor([&] { return Api("GET", "/api/v1/rooms/" + room).status == 404; }));

  // The egress's late webhooks do not bring the record back.
  const auto until = std::chrono::steady_clock::now() + 2s;
  while (std::chrono::steady_clock::now() < until) {
    ASSERT_TRUE(RoomRecordings(room).empty());
    ASSERT_TRUE(Record(id).is_null()) << Record(id).dump();
    std::this_thread::sleep_for(100ms);
  }
  auto all = Api("GET", "/api/v1/recordings?maxItems=100");
  EXPECT_EQ(all.body.find(id), std::string::npos) << all.body;
}

// ---- j. A crash while recording (reconciliation) ----

TEST_F(RecordingLifecycleTest, RestartDuringRecording) {
  // The reconciliation (at start-up, then with the stale cleanup) leaves records younger than
  // MEET_RECORDING_RECONCILE_MIN_AGE (default 1 min) alone; 1 s here, so the crashed recording
  // is settled at once.
  const std::map<std::string, std::string> env = {
      {"MEET_RECORDING_STALE_CLEANUP_INTERVAL", "1s"},
      {"MEET_RECORDING_RECONCILE_MIN_AGE", "1s"}};
  StartService(env);
  const std::string room = ReadyRoom("Crash");
  auto r = StartRecording(room);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string id = Json::parse(r.body)["recordingId"];
  ASSERT_EQ(RecordStatus(id), "active");

  svc_->Kill();
  StartService(env);  // Same storage; the embedded LiveKit restarts empty: the egress is gone.
  EXPECT_TRUE(Egresses(room).empty());
  EXPECT_TRUE(WaitFor([&] { return RecordStatus(id) == "aborted"; })) << Record(id).dump();

  Join(room, "alice", "Alice");
  auto next = StartWhenFree(room);
  ASSERT_EQ(next.status, 201) << next.body;
  EXPECT_NE(Json::parse(next.body)["recordingId"], id);
}

}  // namespace
}  // namespace mr::test
