// Fleet mode end to end: several real `meet-recorder serve` instances sharing a real Redis and a
// real S3 server, with the embedded LiveKit-compatible server uploading to the bucket and sending
// each webhook to every instance. Each test asserts that nothing is lost and nothing duplicated.
// Every wait is a bounded poll; all traffic stays on 127.0.0.1.

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "fleet_support.hpp"

namespace mr::test {
namespace {

using namespace std::chrono_literals;

class FleetTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (fleet_ && (HasFailure() || std::getenv("MR_ITEST_SHOW_LOG") != nullptr)) {
      std::fprintf(stderr, "%s\n", fleet_->Logs().c_str());
    }
    fleet_.reset();
  }

  void StartFleet(int n, std::map<std::string, std::string> extra = {}) {
    fleet_ = std::make_unique<Fleet>(n, std::move(extra));
  }
  Fleet& F() { return *fleet_; }

  std::unique_ptr<Fleet> fleet_;
};

TEST_F(FleetTest, FiftyConcurrentStartsOnEachOfThreeInstancesGiveOneRecording) {
  StartFleet(3);
  const std::string room = F().ReadyRoom("Contended");
  constexpr int kPerInstance = 50;
  std::vector<TestHttpResponse> results(3 * kPerInstance);
  std::vector<std::thread> threads;
  std::atomic<bool> go{false};
  for (size_t k = 0; k < results.size(); ++k) {
    threads.emplace_back([&, k] {
      while (!go.load()) {
        std::this_thread::yield();
      }
      try {
        results[k] = F().Api(k % 3, "POST", "/api/v1/recordings", Json{{"roomId", room}}.dump());
      } catch (const std::exception& e) {
        results[k].status = -1;
        results[k].body = e.what();
      }
    });
  }
  go = true;
  for (auto& t : threads) {
    t.join();
  }
  int created = 0;
  std::string id;
  for (auto& r : results) {
    if (r.status == 201) {
      ++created;
      id = Json::parse(r.body)["recordingId"];
    } else {
      EXPECT_EQ(r.status, 409) << r.body;
    }
  }
  ASSERT_EQ(created, 1);
  // One egress in LiveKit, one record, seen alike by every instance.
  for (size_t i = 0; i < 3; ++i) {
    Json list = F().RoomRecordings(i, room);
    ASSERT_TRUE(list.is_array());
    EXPECT_EQ(list.size(), 1u) << "instance " << i;
  }
  ASSERT_EQ(F().Api(1, "POST", "/api/v1/recordings/" + id + "/stop").status, 202);
  F().ExpectStatusEverywhere(id, "complete");
}

TEST_F(FleetTest, StartOnAStopOnCCompletesOnceWithItsMediaInTheBucket) {
  StartFleet(3);
  const std::string room = F().ReadyRoom("Relay");
  const std::string id = F().StartRecording(0, room);
  ASSERT_FALSE(id.empty());
  F().ExpectStatusEverywhere(id, "active");
  auto stop = F().Api(2, "POST", "/api/v1/recordings/" + id + "/stop");
  ASSERT_EQ(stop.status, 202) << stop.body;
  F().ExpectStatusEverywhere(id, "complete");
  F().ExpectMediaServed(1, id);
  // Nothing duplicated: one record of the room, and a new start is possible at once.
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(F().RoomRecordings(i, room).size(), 1u);
  }
  const std::string next = F().StartRecording(1, room);
  EXPECT_FALSE(next.empty());
}

TEST_F(FleetTest, EachJobRunsOncePerTickAcrossTheFleet) {
  // The lock keeper every 2 s: three instances must not run it more often than one would.
  StartFleet(3, {{"MEET_RECORDING_LOCK_GC_INTERVAL", "2s"}});
  std::this_thread::sleep_for(9s);
  // Run times of the job, from every instance's log ("ts" is the wall time in ms).
  std::vector<int64_t> runs;
  std::set<std::string> runners;
  const std::regex line(R"re(\{"ts":(\d+),"level":"debug","msg":"periodic task running","task":"recordingLockKeeper","instance":"([0-9a-f]+)"\})re");
  for (size_t i = 0; i < 3; ++i) {
    std::istringstream log(F().instance(i).Log());
    std::string l;
    while (std::getline(log, l)) {
      std::smatch m;
      if (std::regex_search(l, m, line)) {
        runs.push_back(std::stoll(m[1]));
        runners.insert(m[2]);
      }
    }
  }
  std::sort(runs.begin(), runs.end());
  // About one run per 2 s tick in 9 s (each instance alone would run it 4 or 5 times).
  EXPECT_GE(runs.size(), 3u);
  EXPECT_LE(runs.size(), 6u);
  for (size_t k = 1; k < runs.size(); ++k) {
    EXPECT_GE(runs[k] - runs[k - 1], 1700) << "two runs in one tick";
  }
}

TEST_F(FleetTest, AKilledInstanceLosesNothing) {
  StartFleet(3);
  // Killed while a start waits for LiveKit's answer: the egress still becomes active and the
  // other instances finish the recording.
  const std::string room = F().ReadyRoom("Crash");
  F().SetFaults(Json{{"start_reply_delay_ms", 1500}});
  std::thread starter([&] {
    try {
      F().Api(0, "POST", "/api/v1/recordings", Json{{"roomId", room}}.dump());
    } catch (const std::exception&) {
      // The connection dies with the instance.
    }
  });
  std::this_thread::sleep_for(500ms);
  F().KillInstance(0);
  starter.join();
  F().SetFaults(Json::object());
  std::string id;
  ASSERT_TRUE(PollUntil([&] {
    Json list = F().RoomRecordings(1, room);
    if (list.is_array() && !list.empty() && list[0].value("status", "") == "active") {
      id = list[0]["recordingId"];
    }
    return !id.empty();
  }));
  // Killed during a recording: instance 1 dies too; instance 2 stops it.
  F().KillInstance(1);
  ASSERT_EQ(F().Api(2, "POST", "/api/v1/recordings/" + id + "/stop").status, 202);
  F().ExpectStatusEverywhere(id, "complete");
  F().ExpectMediaServed(2, id);
  // The room lock was freed: the room can be recorded again.
  EXPECT_FALSE(F().StartRecording(2, room).empty());
}

TEST_F(FleetTest, RedisRestartedMidRecordingLosesNothing) {
  StartFleet(2, {{"MEET_CATALOGUE_INDEX_CHECK_INTERVAL", "1s"},
                 {"MEET_RECORDING_LOCK_GC_INTERVAL", "1s"}});
  const std::string room = F().ReadyRoom("Outage");
  const std::string id = F().StartRecording(0, room);
  ASSERT_FALSE(id.empty());
  F().ExpectStatusEverywhere(id, "active");
  const size_t log0 = F().instance(0).Log().size();
  const size_t log1 = F().instance(1).Log().size();
  F().redis().Restart();  // Without persistence: every lock and the index are gone.
  // The shared index comes back (rebuilt from the bucket by one instance).
  ASSERT_TRUE(PollUntil([&] {
    Json list = F().RoomRecordings(1, room);
    return list.is_array() && list.size() == 1;
  }, 30s));
  auto stop = F().Api(1, "POST", "/api/v1/recordings/" + id + "/stop");
  ASSERT_EQ(stop.status, 202) << stop.body;
  F().ExpectStatusEverywhere(id, "complete");
  F().ExpectMediaServed(0, id);
  EXPECT_EQ(F().RoomRecordings(0, room).size(), 1u);
  // Jobs resume after the restart (the lock keeper runs every second somewhere in the fleet).
  EXPECT_TRUE(PollUntil([&] {
    const std::string marker = R"("msg":"periodic task running","task":"recordingLockKeeper")";
    return F().instance(0).Log().find(marker, log0) != std::string::npos ||
           F().instance(1).Log().find(marker, log1) != std::string::npos;
  }, 10s));
  EXPECT_FALSE(F().StartRecording(0, room).empty());
}

TEST_F(FleetTest, ReindexRebuildsTheSharedIndexWhileTheFleetServes) {
  StartFleet(2);
  const std::string room = F().ReadyRoom("Reindexed");
  const std::string id = F().StartRecording(0, room);
  ASSERT_FALSE(id.empty());
  ASSERT_EQ(F().Api(1, "POST", "/api/v1/recordings/" + id + "/stop").status, 202);
  F().ExpectStatusEverywhere(id, "complete");
  // The index is lost (as after a restart of Redis without persistence) and rebuilt by the
  // command, from the bucket, while both instances keep running.
  F().redis().Query({"FLUSHALL"});
  auto env = F().InstanceEnv(0);
  env.erase("SERVER_PORT");
  CommandResult r = RunBinary(env, {"reindex"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("indexed 1 recordings"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("shared index in Redis"), std::string::npos) << r.output;
  for (size_t i = 0; i < 2; ++i) {
    Json list = F().RoomRecordings(i, room);
    ASSERT_TRUE(list.is_array()) << "instance " << i;
    EXPECT_EQ(list.size(), 1u);
  }
}

// Runs a command, returning its exit code and output (stdout and stderr).
std::pair<int, std::string> Shell(const std::string& cmd) {
  std::string out;
  FILE* pipe = ::popen((cmd + " 2>&1").c_str(), "r");
  if (pipe == nullptr) {
    return {-1, "popen failed"};
  }
  char buf[4096];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) {
    out.append(buf, n);
  }
  return {::pclose(pipe), out};
}

TEST_F(FleetTest, ABucketWrittenByOpenViduMeetIsServedAsIs) {
  fleet_ = std::make_unique<Fleet>(1, std::map<std::string, std::string>{}, /*start_instances=*/false);
  // The objects of one recording, written with boto3 exactly as the reference writes them.
  auto [rc, out] = Shell("timeout 60 /usr/bin/python3 " + std::string(MR_SOURCE_DIR) +
                         "/tests/peers/write_meet_bucket.py " + F().s3().endpoint() + " " +
                         F().s3().bucket() + " " + S3Peer::kAccessKey + " " + S3Peer::kSecretKey);
  ASSERT_EQ(rc, 0) << out;
  F().StartInstance(0);
  const std::string id = "R-abc--EG_x1--0123456789";
  auto list = F().Api(0, "GET", "/api/v1/recordings?maxItems=10");
  ASSERT_EQ(list.status, 200) << list.body;
  Json recordings = Json::parse(list.body)["recordings"];
  ASSERT_EQ(recordings.size(), 1u) << list.body;
  EXPECT_EQ(recordings[0]["recordingId"], id);
  Json record = F().Record(0, id);
  EXPECT_EQ(record.value("roomName", ""), "Daily");
  EXPECT_EQ(record.value("status", ""), "complete");
  // The public secret opens the record without the API key (reference §2.2.4).
  EXPECT_EQ(F().instance(0).Get("/api/v1/recordings/" + id + "?secret=pub").status, 200);
  HeaderList h = {{"x-api-key", kFleetApiKey}, {"range", "bytes=1000-1999"}};
  auto part = F().instance(0).Get("/api/v1/recordings/" + id + "/media", h);
  ASSERT_EQ(part.status, 206);
  ASSERT_EQ(part.body.size(), 1000u);
  for (size_t k = 0; k < part.body.size(); ++k) {
    ASSERT_EQ(static_cast<unsigned char>(part.body[k]), ((1000 + k) * 7) % 251) << "byte " << k;
  }
  // Deleted through meet-recorder: record, secrets and media leave the bucket.
  EXPECT_EQ(F().Api(0, "DELETE", "/api/v1/recordings/" + id).status, 200);  // Reference §2.3.8.
  EXPECT_EQ(F().Api(0, "GET", "/api/v1/recordings/" + id).status, 404);
  EXPECT_EQ(F().Api(0, "GET", "/api/v1/recordings/" + id + "/media").status, 404);
  EXPECT_EQ(Json::parse(F().Api(0, "GET", "/api/v1/recordings").body)["recordings"].size(), 0u);
}

}  // namespace
}  // namespace mr::test
