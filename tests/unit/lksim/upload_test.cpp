// The egress uploader port (LkSimOptions::uploader): a finished file is uploaded while the egress
// stays ENDING, then the egress completes (or fails) and the staging file goes; Stop waits for
// in-flight uploads, at most upload_stop_timeout.

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <future>

#include "lksim_test_support.hpp"

namespace mr::lksim::test {
namespace {

using namespace std::chrono_literals;

// Records calls; answers `result`; while held, each call waits (polling, bounded) for Release.
class FakeUploader : public EgressUploader {
 public:
  struct Call {
    std::filesystem::path file;
    std::string key;
    int64_t size_at_call = -1;  // -1: the file was missing when Upload was called.
  };

  Task<Status> Upload(std::filesystem::path local_file, std::string key) override {
    std::error_code ec;
    const auto size = std::filesystem::file_size(local_file, ec);
    {
      std::lock_guard<std::mutex> lock(mu_);
      calls_.push_back(Call{local_file, key, ec ? -1 : static_cast<int64_t>(size)});
    }
    auto executor = co_await asio::this_coro::executor;
    asio::steady_timer tick(executor);
    const auto limit = std::chrono::steady_clock::now() + 15s;  // Never hold a test forever.
    while (held() && std::chrono::steady_clock::now() < limit) {
      tick.expires_after(5ms);
      boost::system::error_code wait_ec;
      co_await tick.async_wait(asio::redirect_error(asio::use_awaitable, wait_ec));
    }
    std::lock_guard<std::mutex> lock(mu_);
    ++finished_;
    co_return result_;
  }

  std::string Location(const std::string& key) const override { return location_prefix_ + key; }

  void Hold() { Set(held_, true); }
  void Release() { Set(held_, false); }
  void FailWith(Status s) {
    std::lock_guard<std::mutex> lock(mu_);
    result_ = std::move(s);
  }
  void SetLocationPrefix(std::string p) { location_prefix_ = std::move(p); }
  std::vector<Call> calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }
  int finished() {
    std::lock_guard<std::mutex> lock(mu_);
    return finished_;
  }

 private:
  bool held() {
    std::lock_guard<std::mutex> lock(mu_);
    return held_;
  }
  void Set(bool& flag, bool v) {
    std::lock_guard<std::mutex> lock(mu_);
    flag = v;
  }

  std::mutex mu_;
  bool held_ = false;            // guarded by mu_
  Status result_;                // guarded by mu_
  std::vector<Call> calls_;      // guarded by mu_
  int finished_ = 0;             // guarded by mu_
  std::string location_prefix_;  // Set before the sim starts.
};

// A JSON int64 in either form (server form: string; webhook form: string as well, but be lenient).
int64_t Int64(const Json& v) {
  if (v.is_string()) {
    return std::stoll(v.get<std::string>());
  }
  return v.is_number() ? v.get<int64_t>() : 0;
}

class UploadTest : public SimFixture {
 protected:
  void SetUp() override {
    StartWith([](LkSimOptions&) {});
  }

  void StartWith(const std::function<void(LkSimOptions&)>& tweak) {
    StartSim([&](LkSimOptions& o) {
      o.uploader = uploader_;
      tweak(o);
    });
  }

  // Joins alice to `room`, starts an egress there and waits for ACTIVE. Returns its id.
  std::string ActiveEgress(const std::string& room, const std::string& filepath) {
    EXPECT_EQ(Join(room, "alice").status, 201);
    const std::string id = StartEgress(room, filepath)["egress_id"];
    EXPECT_TRUE(WaitFor([&] { return EgressStatus(id) == "EGRESS_ACTIVE"; }));
    return id;
  }
  Json Stop(const std::string& id) {
    return CallJson("Egress", "StopEgress", Json{{"egress_id", id}}, Json{{"roomRecord", true}});
  }
  std::vector<std::string> EgressEvents(const std::string& id) {
    std::vector<std::string> out;
    for (auto& d : receiver_->All()) {
      if (d.json.contains("egressInfo") && d.json["egressInfo"]["egressId"] == id) {
        out.push_back(d.json["event"].get<std::string>() + ":" +
                      d.json["egressInfo"].value("status", "EGRESS_STARTING"));
      }
    }
    return out;
  }
  // Stops lksim (bounded) and forgets it, so TearDown does not stop it again.
  void StopSim() {
    io_.Await(sim_->Stop());
    sim_.reset();
  }

  std::shared_ptr<FakeUploader> uploader_ = std::make_shared<FakeUploader>();
};

TEST_F(UploadTest, StoppedEgressStaysEndingUntilUploadedThenCompletes) {
  uploader_->Hold();
  const std::string id = ActiveEgress("room1", "openvidu-meet/recordings/{room_name}/x");
  const std::filesystem::path staged = dir_ / "openvidu-meet/recordings/room1/x.mp4";
  EXPECT_EQ(Stop(id)["status"], "EGRESS_ENDING");

  ASSERT_TRUE(WaitFor([&] { return uploader_->calls().size() == 1; }));
  const auto call = uploader_->calls()[0];
  EXPECT_EQ(call.key, "openvidu-meet/recordings/room1/x.mp4");  // The filename, relative.
  EXPECT_EQ(call.file, staged);
  EXPECT_GT(call.size_at_call, 0);  // The encoder had finished the file.

  // Held: the egress stays ENDING and nothing ends.
  std::this_thread::sleep_for(150ms);
  EXPECT_EQ(EgressStatus(id), "EGRESS_ENDING");
  EXPECT_TRUE(receiver_->Events("egress_ended", id).empty());
  EXPECT_EQ(Egress(id)["file_results"][0]["size"], "0");  // Size and location wait for COMPLETE.

  uploader_->Release();
  ASSERT_TRUE(WaitFor([&] { return EgressStatus(id) == "EGRESS_COMPLETE"; }));
  Json done = Egress(id);
  const Json& f = done["file_results"][0];
  EXPECT_EQ(Int64(f["size"]), call.size_at_call);
  EXPECT_EQ(f["filename"], "openvidu-meet/recordings/room1/x.mp4");
  EXPECT_EQ(f["location"], "openvidu-meet/recordings/room1/x.mp4");  // The uploader's Location.
  EXPECT_GT(Int64(f["duration"]), 0);
  EXPECT_EQ(done["error"], "");
  EXPECT_EQ(done["error_code"], 0);
  EXPECT_FALSE(std::filesystem::exists(staged));  // Staging copy removed after the upload.

  ASSERT_TRUE(WaitFor([&] { return EgressEvents(id).size() == 4; }));
  std::this_thread::sleep_for(100ms);  // No second egress_ended follows.
  EXPECT_EQ(EgressEvents(id), (std::vector<std::string>{
                                  "egress_started:EGRESS_STARTING", "egress_updated:EGRESS_ACTIVE",
                                  "egress_updated:EGRESS_ENDING", "egress_ended:EGRESS_COMPLETE"}));
  const Json ended = receiver_->Events("egress_ended", id)[0].json["egressInfo"];
  EXPECT_EQ(Int64(ended["fileResults"][0]["size"]), call.size_at_call);
  EXPECT_EQ(ended["fileResults"][0]["location"], "openvidu-meet/recordings/room1/x.mp4");
  EXPECT_EQ(uploader_->calls().size(), 1u);
}

class UploadLocationTest : public UploadTest {
 protected:
  void SetUp() override {
    uploader_->SetLocationPrefix("https://bucket.example/");  // Before lksim shares it.
    StartWith([](LkSimOptions&) {});
  }
};

TEST_F(UploadLocationTest, KeyDropsLeadingSlashAndLocationComesFromTheUploader) {
  const std::string id = ActiveEgress("room2", "/abs/{room_name}.mp4");
  Stop(id);
  ASSERT_TRUE(WaitFor([&] { return EgressStatus(id) == "EGRESS_COMPLETE"; }));
  ASSERT_EQ(uploader_->calls().size(), 1u);
  EXPECT_EQ(uploader_->calls()[0].key, "abs/room2.mp4");
  EXPECT_EQ(Egress(id)["file_results"][0]["location"], "https://bucket.example/abs/room2.mp4");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "abs/room2.mp4"));
}

TEST_F(UploadTest, FailedUploadFailsTheEgressAndKeepsTheFile) {
  uploader_->FailWith(UnavailableError("bucket unreachable after 5 attempts"));
  const std::string id = ActiveEgress("room1", "rec/{room_name}");
  EXPECT_EQ(Stop(id)["status"], "EGRESS_ENDING");
  ASSERT_TRUE(WaitFor([&] { return EgressStatus(id) == "EGRESS_FAILED"; }));
  Json failed = Egress(id);
  EXPECT_EQ(failed["error"], "upload failed: bucket unreachable after 5 attempts");
  EXPECT_EQ(failed["error_code"], 503);
  EXPECT_EQ(failed["details"], "End reason: StopEgress API");  // Kept: set before the failure.
  EXPECT_NE(failed["ended_at"], "0");
  // The file stays in staging, where the failed egress reports it.
  EXPECT_TRUE(std::filesystem::exists(dir_ / "rec/room1.mp4"));
  EXPECT_EQ(failed["file_results"][0]["location"], (dir_ / "rec/room1.mp4").string());

  ASSERT_TRUE(WaitFor([&] { return EgressEvents(id).size() == 4; }));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(EgressEvents(id).back(), "egress_ended:EGRESS_FAILED");
  EXPECT_EQ(receiver_->Events("egress_ended", id).size(), 1u);
  EXPECT_EQ(receiver_->Events("egress_ended", id)[0].json["egressInfo"]["error"],
            "upload failed: bucket unreachable after 5 attempts");
}

TEST_F(UploadTest, RoomCloseUploadsToo) {
  const std::string id = ActiveEgress("room1", "rec/{room_name}");
  EXPECT_EQ(Leave("room1", "alice").status, 204);  // departure_timeout, then Source closed.
  ASSERT_TRUE(WaitFor([&] { return EgressStatus(id) == "EGRESS_COMPLETE"; }));
  EXPECT_EQ(Egress(id)["details"], "End reason: Source closed");
  EXPECT_EQ(uploader_->calls().size(), 1u);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "rec/room1.mp4"));
}

TEST_F(UploadTest, StopWaitsForAnInFlightUpload) {
  uploader_->Hold();
  const std::string id = ActiveEgress("room1", "rec/{room_name}");
  Stop(id);
  ASSERT_TRUE(WaitFor([&] { return uploader_->calls().size() == 1; }));

  auto stopped = asio::co_spawn(io_.ioc(), sim_->Stop(), asio::use_future);
  EXPECT_EQ(stopped.wait_for(200ms), std::future_status::timeout);  // Waiting for the upload.
  uploader_->Release();
  ASSERT_EQ(stopped.wait_for(5s), std::future_status::ready);
  stopped.get();
  sim_.reset();
  EXPECT_EQ(uploader_->finished(), 1);
  // The upload succeeded: the staging copy goes, but a stopped lksim changes no egress.
  EXPECT_FALSE(std::filesystem::exists(dir_ / "rec/room1.mp4"));
  EXPECT_TRUE(receiver_->Events("egress_ended", id).empty());
}

class UploadStopTimeoutTest : public UploadTest {
 protected:
  void SetUp() override {
    StartWith([](LkSimOptions& o) { o.upload_stop_timeout = 100ms; });
  }
};

TEST_F(UploadStopTimeoutTest, StopAbandonsAnUploadAfterTheTimeout) {
  uploader_->Hold();
  const std::string id = ActiveEgress("room1", "rec/{room_name}");
  Stop(id);
  ASSERT_TRUE(WaitFor([&] { return uploader_->calls().size() == 1; }));

  const auto t0 = std::chrono::steady_clock::now();
  StopSim();  // Bounded by upload_stop_timeout plus the request drain.
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
  EXPECT_EQ(uploader_->finished(), 0);
  // The abandoned upload ends when the uploader lets it (no coroutine is left behind); lksim being
  // gone, it settles no egress, but the uploaded file's staging copy still goes.
  uploader_->Release();
  EXPECT_TRUE(WaitFor([&] { return uploader_->finished() == 1; }));
  EXPECT_TRUE(WaitFor([&] { return !std::filesystem::exists(dir_ / "rec/room1.mp4"); }));
  EXPECT_TRUE(receiver_->Events("egress_ended", id).empty());
}

class UploadLimitTest : public UploadTest {
 protected:
  void SetUp() override {
    StartWith([](LkSimOptions& o) { o.max_egress_duration_s = 5; });  // 5 x 20 ms.
  }
};

TEST_F(UploadLimitTest, LimitReachedAfterTheUpload) {
  const std::string id = ActiveEgress("room1", "rec/{room_name}");
  ASSERT_TRUE(WaitFor([&] { return EgressStatus(id) == "EGRESS_LIMIT_REACHED"; }));
  EXPECT_EQ(uploader_->calls().size(), 1u);
  EXPECT_EQ(Egress(id)["file_results"][0]["location"], "rec/room1.mp4");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "rec/room1.mp4"));
}

}  // namespace
}  // namespace mr::lksim::test
