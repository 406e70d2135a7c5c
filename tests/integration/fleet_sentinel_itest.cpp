// Fleet mode behind Redis Sentinel, end to end: real `meet-recorder serve` instances find the
// master through a real sentinel (tests/peers/redis_sentinel_peer.hpp), and a recording started
// before a failover is stopped and completed after it, once, with its media served. The fleet's
// standalone Redis is started by the Fleet fixture but unused: Sentinel mode ignores
// MEET_REDIS_HOST. Every wait is a bounded poll; all traffic stays on 127.0.0.1.

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "fleet_support.hpp"
#include "peers/redis_sentinel_peer.hpp"

namespace mr::test {
namespace {

using namespace std::chrono_literals;

class FleetSentinelTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (fleet_ && (HasFailure() || std::getenv("MR_ITEST_SHOW_LOG") != nullptr)) {
      std::fprintf(stderr, "%s\n", fleet_->Logs().c_str());
    }
    fleet_.reset();
  }

  static RedisSentinelPeer::Options SentinelOptions() {
    RedisSentinelPeer::Options o;
    o.master_name = "meet-master";
    o.password = "data-secret";
    o.sentinel_password = "sentinel-secret";
    return o;
  }

  // Declared before the fleet: the instances stop before their Redis does.
  RedisSentinelPeer sentinel_{SentinelOptions()};
  std::unique_ptr<Fleet> fleet_;
};

TEST_F(FleetSentinelTest, ARecordingStartedBeforeAFailoverCompletesAfterIt) {
  const RedisSentinelPeer::Options o = SentinelOptions();
  fleet_ = std::make_unique<Fleet>(
      2, std::map<std::string, std::string>{
             {"MEET_REDIS_SENTINEL_HOST_LIST", "127.0.0.1:" + std::to_string(sentinel_.sentinel_port())},
             {"MEET_REDIS_SENTINEL_PASSWORD", o.sentinel_password},
             {"MEET_REDIS_SENTINEL_MASTER_NAME", o.master_name},
             {"MEET_REDIS_PASSWORD", *o.password},
             {"MEET_CATALOGUE_INDEX_CHECK_INTERVAL", "1s"},
             {"MEET_RECORDING_LOCK_GC_INTERVAL", "1s"}});
  Fleet& f = *fleet_;
  const uint16_t first_master = sentinel_.master_port();
  const std::string resolved = R"("msg":"Redis master resolved by Sentinel")";
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_NE(f.instance(i).Log().find(resolved), std::string::npos) << "instance " << i;
  }
  // The fleet's state is on the sentinel's master: a room lock appears there during a start.
  const std::string room = f.ReadyRoom("Failover");
  const std::string id = f.StartRecording(0, room);
  ASSERT_FALSE(id.empty());
  f.ExpectStatusEverywhere(id, "active");
  EXPECT_FALSE(sentinel_.QueryData(first_master, {"KEYS", "*" + room + "*"}).empty());

  // Fail over, and wait until the sentinel has demoted the old master (it then closes its
  // clients, and the instances look the master up again).
  sentinel_.Failover();
  const uint16_t new_master = sentinel_.master_port();
  ASSERT_NE(new_master, first_master);
  ASSERT_TRUE(PollUntil([&] { return sentinel_.Role(first_master) == "slave"; }, 30s));

  // Stop on the other instance; a 503 while it reconnects is retried, as a client would.
  int stop_status = 0;
  ASSERT_TRUE(PollUntil([&] {
    stop_status = f.Api(1, "POST", "/api/v1/recordings/" + id + "/stop").status;
    return stop_status != 503;
  }, 30s));
  ASSERT_EQ(stop_status, 202);
  f.ExpectStatusEverywhere(id, "complete");
  f.ExpectMediaServed(0, id);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_TRUE(PollUntil([&] {
      Json list = f.RoomRecordings(i, room);
      return list.is_array() && list.size() == 1 && list[0]["status"] == "complete";
    }, 20s)) << "instance " << i;
    EXPECT_NE(f.instance(i).Log().find("\"master\":\"127.0.0.1:" + std::to_string(new_master)),
              std::string::npos)
        << "instance " << i << " never used the new master";
  }
  // The room is free again, and its next start takes its lock on the new master.
  EXPECT_FALSE(f.StartRecording(1, room).empty());
  EXPECT_FALSE(sentinel_.QueryData(new_master, {"KEYS", "*" + room + "*"}).empty());
}

}  // namespace
}  // namespace mr::test
