#pragma once
// Shared helpers for the lksim tests: an LkSim on 127.0.0.1 (port 0, temp storage, NullEncoder,
// shortened timeouts), a webhook receiver that records what it gets, signed service tokens, and
// bounded polling.

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.hpp"
#include "common/http/server.hpp"
#include "common/jwt.hpp"
#include "fakes/test_http.hpp"
#include "lksim/lksim.hpp"
#include "unit/common_http/test_support.hpp"

namespace mr::lksim::test {

using mr::test::IoThreads;
using mr::test::TestHttpRequest;
using mr::test::TestHttpResponse;

inline constexpr const char* kKey = "devkey";
inline constexpr const char* kSecret = "secret-for-tests-0123456789abcdef";

// Polls `pred` every 10 ms until it holds or `limit` passes.
inline bool WaitFor(const std::function<bool()>& pred,
                    std::chrono::milliseconds limit = std::chrono::milliseconds(10000)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

inline std::string Token(const Json& video, int64_t ttl_s = 600, const char* secret = kSecret,
                         const char* key = kKey) {
  const int64_t now = SystemClock().NowMs() / 1000;
  Json claims = Json::object();
  claims["video"] = video;
  claims["iss"] = key;
  claims["exp"] = now + ttl_s;
  claims["nbf"] = now - 1;
  return jwt::SignHs256(claims, secret);
}

// Records webhook deliveries; answers with the statuses queued by FailNext (then 200). Its state
// is shared with the request handlers, so a delivery racing with the receiver's destruction is
// safe.
class WebhookReceiver {
 public:
  struct Delivery {
    std::string authorization;
    std::string content_type;
    std::string user_agent;
    std::string body;
    Json json;
  };

  explicit WebhookReceiver(asio::io_context& ioc) : state_(std::make_shared<State>()) {
    http::ServerOptions so;
    so.port = 0;
    server_ = std::make_unique<http::Server>(
        ioc, so, [s = state_](http::Request& req) { return Handle(s, req); });
    if (!server_->Start().ok()) {
      throw std::runtime_error("receiver start failed");
    }
  }
  ~WebhookReceiver() { server_->BeginShutdown(); }

  std::string Url() const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + "/hook";
  }
  void FailNext(std::vector<int> statuses) {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->fail = std::move(statuses);
  }
  std::vector<Delivery> All() {
    std::lock_guard<std::mutex> lock(state_->mu);
    return state_->got;
  }
  int attempts() {
    std::lock_guard<std::mutex> lock(state_->mu);
    return state_->attempts;
  }
  // Deliveries whose event is `event` (and, if given, whose egress id is `egress_id`).
  std::vector<Delivery> Events(const std::string& event, const std::string& egress_id = "") {
    std::vector<Delivery> out;
    for (auto& d : All()) {
      if (d.json.value("event", "") == event &&
          (egress_id.empty() || (d.json.contains("egressInfo") &&
                                 d.json["egressInfo"].value("egressId", "") == egress_id))) {
        out.push_back(d);
      }
    }
    return out;
  }

 private:
  struct State {
    std::mutex mu;
    std::vector<int> fail;      // guarded by mu
    std::vector<Delivery> got;  // guarded by mu
    int attempts = 0;           // guarded by mu
  };

  static Task<http::Response> Handle(std::shared_ptr<State> s, http::Request& req) {
    std::lock_guard<std::mutex> lock(s->mu);
    ++s->attempts;
    http::Response r;
    if (!s->fail.empty()) {
      r.status = s->fail.front();
      s->fail.erase(s->fail.begin());
      co_return r;
    }
    Delivery d;
    d.authorization = std::string(req.Header("authorization").value_or(""));
    d.content_type = std::string(req.Header("content-type").value_or(""));
    d.user_agent = std::string(req.Header("user-agent").value_or(""));
    d.body = req.body;
    d.json = Json::parse(req.body, nullptr, false);
    s->got.push_back(std::move(d));
    r.status = 200;
    co_return r;
  }

  std::shared_ptr<State> state_;
  std::unique_ptr<http::Server> server_;
};

// An LkSim with a webhook receiver, run by two io threads.
class SimFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    StartSim([](LkSimOptions&) {});
  }

  void StartSim(const std::function<void(LkSimOptions&)>& tweak) {
    dir_ = std::filesystem::temp_directory_path() /
           ("lksim-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    receiver_ = std::make_unique<WebhookReceiver>(io_.ioc());
    LkSimOptions o;
    o.port = 0;
    o.api_key = kKey;
    o.api_secret = kSecret;
    o.storage_dir = dir_;
    o.webhook_urls = {receiver_->Url()};
    o.encoder = EncoderKind::kNone;
    o.timeout_second = std::chrono::milliseconds(20);
    o.webhook_backoff_base = std::chrono::milliseconds(5);
    tweak(o);
    sim_ = std::make_unique<LkSim>(io_.ioc(), clock_, o);
    ASSERT_TRUE(sim_->Start().ok());
  }

  void TearDown() override {
    if (sim_) {
      io_.Await(sim_->Stop());
      sim_.reset();
    }
    receiver_.reset();
    std::filesystem::remove_all(dir_);
  }

  // A Twirp call with a token carrying `video`; `service` is "RoomService" or "Egress".
  TestHttpResponse Call(const std::string& service, const std::string& method, const Json& body,
                        const Json& video) {
    return Raw(service, method, body.dump(),
               {{"Authorization", "Bearer " + Token(video)},
                {"Content-Type", "application/json;charset=UTF-8"}});
  }
  TestHttpResponse Raw(const std::string& service, const std::string& method,
                       const std::string& body, mr::http::HeaderList headers) {
    return TestHttpRequest(sim_->port(), "POST", "/twirp/livekit." + service + "/" + method,
                           std::move(headers), body);
  }
  Json CallJson(const std::string& service, const std::string& method, const Json& body,
                const Json& video, int want_status = 200) {
    auto r = Call(service, method, body, video);
    EXPECT_EQ(r.status, want_status) << method << ": " << r.body;
    return Json::parse(r.body, nullptr, false);
  }
  TestHttpResponse Join(const std::string& room, const std::string& identity,
                        const std::string& name = "") {
    return TestHttpRequest(sim_->port(), "POST", "/sim/rooms/" + room + "/participants",
                           {{"Content-Type", "application/json"}},
                           Json{{"identity", identity}, {"name", name}}.dump());
  }
  TestHttpResponse Leave(const std::string& room, const std::string& identity) {
    return TestHttpRequest(sim_->port(), "DELETE",
                           "/sim/rooms/" + room + "/participants/" + identity);
  }
  Json StartEgress(const std::string& room, const std::string& filepath = "rec/{room_name}") {
    Json out = Json{{"fileType", "MP4"}, {"filepath", filepath}};
    return CallJson(
        "Egress", "StartRoomCompositeEgress",
        Json{{"roomName", room}, {"layout", "grid"}, {"fileOutputs", Json::array({out})}},
        Json{{"roomRecord", true}});
  }
  std::string EgressStatus(const std::string& id) {
    Json r = CallJson("Egress", "ListEgress", Json{{"egressId", id}}, Json{{"roomRecord", true}});
    if (!r.contains("items") || r["items"].empty()) {
      return "";
    }
    return r["items"][0]["status"].get<std::string>();
  }
  Json Egress(const std::string& id) {
    return CallJson("Egress", "ListEgress", Json{{"egressId", id}},
                    Json{{"roomRecord", true}})["items"][0];
  }
  TestHttpResponse SetFaults(const Json& f) {
    return TestHttpRequest(sim_->port(), "POST", "/sim/faults",
                           {{"Content-Type", "application/json"}}, f.dump());
  }

  static inline int counter_ = 0;
  IoThreads io_{2};
  SystemClock clock_;
  std::filesystem::path dir_;
  std::unique_ptr<WebhookReceiver> receiver_;
  std::unique_ptr<LkSim> sim_;
};

}  // namespace mr::lksim::test
