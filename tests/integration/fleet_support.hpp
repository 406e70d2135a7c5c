#pragma once
// A fleet on one machine, on free 127.0.0.1 ports: a real redis-server, a real S3 server that
// verifies Signature V4 (s3rver), the embedded LiveKit-compatible server run alone (`meet-recorder
// lksim`) uploading its recordings to the bucket and sending its webhooks to every instance (as
// LiveKit does with several webhook URLs), and N `meet-recorder serve` instances sharing Redis and
// the bucket. Everything is stopped when the Fleet is destroyed, whatever happened (and killed
// with the test process should it die: see peers/child_process.hpp).

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/json.hpp"
#include "peers/redis_peer.hpp"
#include "peers/s3_peer.hpp"
#include "service_process.hpp"

namespace mr::test {

inline constexpr const char* kFleetApiKey = "fleet-itest-key";
inline constexpr const char* kFleetLkKey = "fleet-lk-key";
inline constexpr const char* kFleetLkSecret = "fleet-lk-secret-0123456789abcdef";

// Polls `pred` every 50 ms until it holds or `limit` passes.
inline bool PollUntil(const std::function<bool()>& pred,
                      std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return pred();
}

class Fleet {
 public:
  // Starts the peers and `instances` instances with `extra` added to each instance's environment.
  // With `start_instances` false, only the peers start (ports are reserved for `instances`): the
  // caller configures the fleet (e.g. SetInstanceS3Endpoint) and calls StartInstance itself.
  explicit Fleet(int instances, std::map<std::string, std::string> extra = {},
                 bool start_instances = true)
      : extra_(std::move(extra)) {
    lk_port_ = FreeLoopbackPort();
    for (int i = 0; i < instances; ++i) {
      ports_.push_back(FreeLoopbackPort());
    }
    StartLiveKit();
    for (int i = 0; start_instances && i < instances; ++i) {
      StartInstance(i);
    }
  }

  ~Fleet() {
    for (auto& i : instances_) {
      i.reset();
    }
    livekit_.reset();
  }

  RedisPeer& redis() { return redis_; }
  S3Peer& s3() { return s3_; }
  size_t size() const { return instances_.size(); }
  ServiceProcess& instance(size_t i) const { return *instances_.at(i); }
  bool running(size_t i) const { return instances_.at(i) != nullptr; }
  uint16_t port(size_t i) const { return ports_.at(i); }
  // Instances started from now on reach S3 at `endpoint` (e.g. a fault-injecting proxy in front
  // of the S3 server) instead of the S3 server itself; lksim keeps uploading to it directly.
  void SetInstanceS3Endpoint(std::string endpoint) { instance_s3_endpoint_ = std::move(endpoint); }
  uint16_t livekit_port() const { return lk_port_; }

  // The environment every instance shares (storage and coordination).
  std::map<std::string, std::string> InstanceEnv(size_t i) const {
    std::map<std::string, std::string> env = {
        {"SERVER_PORT", std::to_string(ports_.at(i))},
        {"MEET_INITIAL_API_KEY", kFleetApiKey},
        {"LIVEKIT_URL", "ws://127.0.0.1:" + std::to_string(lk_port_)},
        {"LIVEKIT_API_KEY", kFleetLkKey},
        {"LIVEKIT_API_SECRET", kFleetLkSecret},
        {"MEET_BLOB_STORAGE_MODE", "s3"},
        {"MEET_S3_SERVICE_ENDPOINT",
         instance_s3_endpoint_.empty() ? s3_.endpoint() : instance_s3_endpoint_},
        {"MEET_S3_BUCKET", s3_.bucket()},
        {"MEET_S3_ACCESS_KEY", S3Peer::kAccessKey},
        {"MEET_S3_SECRET_KEY", S3Peer::kSecretKey},
        {"MEET_AWS_REGION", S3Peer::kRegion},
        {"MEET_REDIS_HOST", redis_.host()},
        {"MEET_REDIS_PORT", std::to_string(redis_.port())},
        {"MEET_STORAGE_DIR", (dir_.path() / ("instance-" + std::to_string(i))).string()},
        {"MEET_LOG_LEVEL", "debug"},
    };
    for (const auto& [k, v] : extra_) {
      env[k] = v;
    }
    return env;
  }

  void StartInstance(size_t i) {
    if (instances_.size() <= i) {
      instances_.resize(i + 1);
    }
    instances_[i] = std::make_unique<ServiceProcess>(InstanceEnv(i), std::vector<std::string>{"serve"},
                                                     ports_.at(i));
  }
  // kill -9: no drain, nothing saved.
  void KillInstance(size_t i) {
    instances_.at(i)->Kill();
    instances_[i].reset();
  }
  // SIGTERM; returns the exit status.
  int StopInstance(size_t i) {
    int rc = instances_.at(i)->Stop();
    instances_[i].reset();
    return rc;
  }

  // ---- the service's API, on instance i ----
  TestHttpResponse Api(size_t i, const std::string& method, const std::string& target,
                       const std::string& body = "") const {
    HeaderList h = {{"x-api-key", kFleetApiKey}};
    if (!body.empty()) {
      h.emplace_back("content-type", "application/json");
    }
    return instances_.at(i)->Request(method, target, h, body);
  }
  std::string CreateRoom(size_t i, const std::string& name) const {
    auto r = Api(i, "POST", "/api/v1/rooms", Json{{"roomName", name}}.dump());
    if (r.status != 201) {
      throw std::runtime_error("room not created: " + r.body);
    }
    return Json::parse(r.body)["roomId"].get<std::string>();
  }
  // The record as instance i serves it; null when absent (404) or unreadable.
  Json Record(size_t i, const std::string& id) const {
    auto r = Api(i, "GET", "/api/v1/recordings/" + id);
    return r.status == 200 ? Json::parse(r.body, nullptr, false) : Json();
  }
  std::string RecordStatus(size_t i, const std::string& id) const {
    Json j = Record(i, id);
    return j.is_object() ? j.value("status", "") : "";
  }
  // Lists the room's recordings on instance i (null when the answer is not 200).
  Json RoomRecordings(size_t i, const std::string& room_id) const {
    auto r = Api(i, "GET", "/api/v1/recordings?roomId=" + room_id + "&maxItems=100");
    return r.status == 200 ? Json::parse(r.body)["recordings"] : Json();
  }

  // A Meet room (created on instance 0) with a simulated participant in LiveKit.
  std::string ReadyRoom(const std::string& name) const {
    const std::string room = CreateRoom(0, name);
    Join(room, "alice");
    return room;
  }
  // Starts a recording of `room` on instance i; its id, or "" (a test failure) without a 201.
  std::string StartRecording(size_t i, const std::string& room) const {
    auto r = Api(i, "POST", "/api/v1/recordings", Json{{"roomId", room}}.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    return r.status == 201 ? Json::parse(r.body)["recordingId"].get<std::string>() : "";
  }
  // Waits until every running instance serves the record with `status`.
  void ExpectStatusEverywhere(const std::string& id, const std::string& status,
                              std::chrono::milliseconds limit = std::chrono::seconds(20)) const {
    for (size_t i = 0; i < size(); ++i) {
      if (!running(i)) {
        continue;
      }
      EXPECT_TRUE(PollUntil([&] { return RecordStatus(i, id) == status; }, limit))
          << "instance " << i << " shows '" << RecordStatus(i, id) << "', want " << status;
    }
  }
  // The media through instance i: whole, then a range.
  void ExpectMediaServed(size_t i, const std::string& id) const {
    HeaderList h = {{"x-api-key", kFleetApiKey}};
    auto whole = instance(i).Get("/api/v1/recordings/" + id + "/media", h);
    EXPECT_EQ(whole.status, 200) << whole.body.substr(0, 200);
    EXPECT_GT(whole.body.size(), 100u);
    h.emplace_back("range", "bytes=0-9");
    auto part = instance(i).Get("/api/v1/recordings/" + id + "/media", h);
    EXPECT_EQ(part.status, 206);
    EXPECT_EQ(part.body, whole.body.substr(0, 10));
  }

  // ---- the embedded LiveKit ----
  TestHttpResponse Sim(const std::string& method, const std::string& target,
                       const std::string& body = "") const {
    HeaderList h;
    if (!body.empty()) {
      h.emplace_back("content-type", "application/json");
    }
    return TestHttpRequest(lk_port_, method, target, h, body);
  }
  void Join(const std::string& room, const std::string& identity) const {
    auto r = Sim("POST", "/sim/rooms/" + room + "/participants", Json{{"identity", identity}}.dump());
    if (r.status != 201) {
      throw std::runtime_error("participant not joined: " + r.body);
    }
  }
  void SetFaults(const Json& faults) const { Sim("POST", "/sim/faults", faults.dump()); }

  std::string Logs() const {
    std::string all;
    for (size_t i = 0; i < instances_.size(); ++i) {
      if (instances_[i]) {
        all += "---- instance " + std::to_string(i) + " ----\n" + Tail(instances_[i]->Log());
      }
    }
    if (livekit_) {
      all += "---- lksim ----\n" + Tail(livekit_->Log());
    }
    return all;
  }

 private:
  static std::string Tail(std::string log) {
    return log.size() > 20000 ? "...\n" + log.substr(log.size() - 20000) : log;
  }

  void StartLiveKit() {
    std::string urls;
    for (uint16_t p : ports_) {
      // Appended piecewise: g++ 12 warns falsely (-Wrestrict) on a chain of string +.
      if (!urls.empty()) {
        urls += ',';
      }
      urls += "http://127.0.0.1:";
      urls += std::to_string(p);
      urls += "/livekit/webhook";
    }
    std::map<std::string, std::string> env = {
        {"MEET_EMBEDDED_LIVEKIT_PORT", std::to_string(lk_port_)},
        {"LIVEKIT_API_KEY", kFleetLkKey},
        {"LIVEKIT_API_SECRET", kFleetLkSecret},
        {"LIVEKIT_WEBHOOK_URLS", urls},
        {"MEET_LKSIM_ENCODER", "none"},
        {"MEET_BLOB_STORAGE_MODE", "s3"},
        {"MEET_S3_SERVICE_ENDPOINT", s3_.endpoint()},
        {"MEET_S3_BUCKET", s3_.bucket()},
        {"MEET_S3_ACCESS_KEY", S3Peer::kAccessKey},
        {"MEET_S3_SECRET_KEY", S3Peer::kSecretKey},
        {"MEET_AWS_REGION", S3Peer::kRegion},
        {"MEET_STORAGE_DIR", (dir_.path() / "lksim").string()},
        {"MEET_LOG_LEVEL", "debug"},
    };
    livekit_ = std::make_unique<ServiceProcess>(env, std::vector<std::string>{"lksim"}, lk_port_,
                                                "/sim/faults");
  }

  std::map<std::string, std::string> extra_;
  std::string instance_s3_endpoint_;  // Empty: the S3 server's own.
  TempDir dir_;
  RedisPeer redis_;
  S3Peer s3_;
  uint16_t lk_port_ = 0;
  std::vector<uint16_t> ports_;
  std::unique_ptr<ServiceProcess> livekit_;
  std::vector<std::unique_ptr<ServiceProcess>> instances_;
};

}  // namespace mr::test
