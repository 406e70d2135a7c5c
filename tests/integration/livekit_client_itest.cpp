// The C++ LiveKit client (livekit/TwirpLiveKitClient) against the embedded LiveKit-compatible
// server (`meet-recorder lksim`, a real process on loopback), every method the recorder uses.
// lksim itself is checked against the official SDK in tests/sdk/, so both ends meet a peer we did
// not write.

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "common/beast_http_client.hpp"
#include "common/clock.hpp"
#include "livekit/twirp_client.hpp"
#include "service_process.hpp"

namespace mr::test {
namespace {

using recording::EgressStatus;

class LiveKitClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = FreePort();
    sim_ = std::make_unique<ServiceProcess>(
        std::map<std::string, std::string>{{"MEET_EMBEDDED_LIVEKIT_PORT", std::to_string(port_)},
                                           {"LIVEKIT_API_KEY", "itest-key"},
                                           {"LIVEKIT_API_SECRET", "itest-secret"},
                                           {"MEET_STORAGE_DIR", dir_.path().string()},
                                           {"MEET_LKSIM_ENCODER", "none"}},
        std::vector<std::string>{"lksim"}, port_, "/sim/faults");
    livekit::LiveKitOptions o;
    o.private_url = "http://127.0.0.1:" + std::to_string(port_);
    o.api_key = "itest-key";
    o.api_secret = "itest-secret";
    client_ = std::make_unique<livekit::TwirpLiveKitClient>(http_, o, clock_);
  }

  template <typename T>
  T Run(Task<T> t) {
    return RunTask(ioc_, std::move(t));
  }

  TempDir dir_;
  uint16_t port_ = 0;
  std::unique_ptr<ServiceProcess> sim_;
  asio::io_context ioc_;
  BeastHttpClient http_{ioc_.get_executor()};
  SystemClock clock_;
  std::unique_ptr<livekit::TwirpLiveKitClient> client_;
};

TEST_F(LiveKitClientTest, RoomServiceMethods) {
  recording::CreateRoomOptions opts;
  opts.empty_timeout_s = 60;
  auto room = Run(client_->CreateRoom("cpp-room", opts));
  ASSERT_TRUE(room.ok()) << room.status().ToString();
  EXPECT_EQ(room->name, "cpp-room");
  auto rooms = Run(client_->ListRooms({"cpp-room"}));
  ASSERT_TRUE(rooms.ok());
  ASSERT_EQ(rooms->size(), 1u);
  auto updated = Run(client_->UpdateRoomMetadata("cpp-room", "{\"a\":1}"));
  ASSERT_TRUE(updated.ok()) << updated.status().ToString();
  EXPECT_EQ(updated->metadata, "{\"a\":1}");

  ASSERT_EQ(TestHttpRequest(port_, "POST", "/sim/rooms/cpp-room/participants", {},
                            R"({"identity":"alice","name":"Alice"})").status, 201);
  auto parts = Run(client_->ListParticipants("cpp-room"));
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  ASSERT_EQ(parts->size(), 1u);
  EXPECT_EQ((*parts)[0].identity, "alice");
  auto alice = Run(client_->GetParticipant("cpp-room", "alice"));
  ASSERT_TRUE(alice.ok());
  EXPECT_EQ(alice->name, "Alice");
  auto missing = Run(client_->GetParticipant("cpp-room", "nobody"));
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);

  recording::DataMessage msg;
  msg.payload = R"({"status":"started"})";
  msg.topic = "recordingStarted";
  ASSERT_TRUE(Run(client_->SendData("cpp-room", msg)).ok());
  auto data = TestHttpRequest(port_, "GET", "/sim/rooms/cpp-room/data");
  EXPECT_NE(data.body.find("recordingStarted"), std::string::npos) << data.body;

  ASSERT_TRUE(Run(client_->RemoveParticipant("cpp-room", "alice")).ok());
  ASSERT_TRUE(Run(client_->DeleteRoom("cpp-room")).ok());
  rooms = Run(client_->ListRooms({"cpp-room"}));
  ASSERT_TRUE(rooms.ok());
  EXPECT_TRUE(rooms->empty());
}

TEST_F(LiveKitClientTest, EgressLifecycle) {
  ASSERT_EQ(TestHttpRequest(port_, "POST", "/sim/rooms/rec-room/participants", {},
                            R"({"identity":"bob"})").status, 201);
  recording::RoomCompositeRequest req;
  req.room_name = "rec-room";
  req.layout = "grid";
  req.file.filepath = "openvidu-meet/recordings/rec-room/rec-room--abcdef0123";
  req.file.disable_manifest = true;
  auto started = Run(client_->StartRoomCompositeEgress(req));
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  EXPECT_EQ(started->status, EgressStatus::kStarting);
  const std::string id = started->egress_id;

  auto status_of = [&]() {
    recording::ListEgressFilter f;
    f.egress_id = id;
    auto list = Run(client_->ListEgress(f));
    return list.ok() && !list->empty() ? (*list)[0] : recording::EgressInfo{};
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (status_of().status != EgressStatus::kActive && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(status_of().status, EgressStatus::kActive);

  auto stopped = Run(client_->StopEgress(id));
  ASSERT_TRUE(stopped.ok()) << stopped.status().ToString();
  EXPECT_EQ(stopped->status, EgressStatus::kEnding);
  while (status_of().status != EgressStatus::kComplete && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto done = status_of();
  ASSERT_EQ(done.status, EgressStatus::kComplete);
  ASSERT_EQ(done.file_results.size(), 1u);
  EXPECT_EQ(done.file_results[0].filename, "openvidu-meet/recordings/rec-room/rec-room--abcdef0123.mp4");
  EXPECT_GT(done.file_results[0].size_bytes, 0);
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / done.file_results[0].filename));

  auto again = Run(client_->StopEgress(id));
  EXPECT_EQ(again.status().code(), StatusCode::kPreconditionFailed);
}

TEST_F(LiveKitClientTest, TwirpErrorsAndBadCredentials) {
  ASSERT_EQ(TestHttpRequest(port_, "POST", "/sim/faults", {},
                            R"({"reject_next":{"method":"StartRoomCompositeEgress","code":"unavailable","msg":"twirp error unknown: no response from servers"}})").status, 200);
  recording::RoomCompositeRequest req;
  req.room_name = "x";
  req.file.filepath = "a/b";
  auto r = Run(client_->StartRoomCompositeEgress(req));
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(r.status().message(), "no response from servers");

  livekit::LiveKitOptions wrong;
  wrong.private_url = "http://127.0.0.1:" + std::to_string(port_);
  wrong.api_key = "itest-key";
  wrong.api_secret = "not-the-secret";
  livekit::TwirpLiveKitClient bad(http_, wrong, clock_);
  auto rooms = Run(bad.ListRooms({}));
  EXPECT_EQ(rooms.status().code(), StatusCode::kUnauthorized);
}

}  // namespace
}  // namespace mr::test
