#include <gtest/gtest.h>

#include "recording/jobs/lock_keeper.hpp"

namespace mr::recording::jobs {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;
constexpr int64_t kGrace = 60'000;

EgressInfo Egress(std::string room, EgressStatus status, size_t files = 1, size_t streams = 0) {
  EgressInfo e;
  e.egress_id = "EG_" + room;
  e.room_name = std::move(room);
  e.status = status;
  e.file_results.resize(files);
  e.stream_result_count = streams;
  return e;
}

TEST(LockKeeperTest, DecisionTable) {
  struct Case {
    const char* name;
    int64_t created_at_ms;
    bool egress_in_progress;
    LockAction want;
  };
  const std::vector<Case> cases = {
      {"young, no egress: a start may wait for LiveKit", kNow - kGrace + 1, false,
       LockAction::kKeep},
      {"exactly grace old, no egress", kNow - kGrace, false, LockAction::kRelease},
      {"old, no egress", kNow - 6 * 3600 * 1000, false, LockAction::kRelease},
      {"old, egress in progress", kNow - 7 * 3600 * 1000, true, LockAction::kRenew},
      {"exactly grace old, egress in progress", kNow - kGrace, true, LockAction::kRenew},
      {"young, egress in progress", kNow - 1, true, LockAction::kRenew},
      {"just created", kNow, false, LockAction::kKeep},
      {"created in the future (skew)", kNow + 5'000, false, LockAction::kKeep},
      {"unknown creation time", 0, false, LockAction::kRelease},
  };
  for (const auto& c : cases) {
    RoomLock lock{"room", c.created_at_ms, kNow - 1};  // Expiry does not matter.
    EXPECT_EQ(DecideRoomLock(kNow, kGrace, lock, c.egress_in_progress), c.want) << c.name;
  }
}

TEST(LockKeeperTest, PlanKeepsInputOrderAndMatchesRoomsExactly) {
  const std::vector<RoomLock> locks = {
      {"R2", kNow - kGrace, kNow + 1000},
      {"R", kNow - kGrace, kNow + 1000},
      {"young", kNow - 10, kNow + 1000},
  };
  const auto plan = PlanRoomLocks(kNow, kGrace, locks, {"R"});
  ASSERT_EQ(plan.size(), 3u);
  EXPECT_EQ(plan[0].room_id, "R2");
  EXPECT_EQ(plan[0].action, LockAction::kRelease);
  EXPECT_EQ(plan[1].room_id, "R");
  EXPECT_EQ(plan[1].action, LockAction::kRenew);
  EXPECT_EQ(plan[2].room_id, "young");
  EXPECT_EQ(plan[2].action, LockAction::kKeep);
  EXPECT_TRUE(PlanRoomLocks(kNow, kGrace, {}, {"R"}).empty());
}

TEST(LockKeeperTest, IsInProgressTable) {
  const std::vector<std::pair<EgressStatus, bool>> cases = {
      {EgressStatus::kStarting, true},      {EgressStatus::kActive, true},
      {EgressStatus::kEnding, true},        {EgressStatus::kComplete, false},
      {EgressStatus::kFailed, false},       {EgressStatus::kAborted, false},
      {EgressStatus::kLimitReached, false},
  };
  for (const auto& [status, want] : cases) {
    EXPECT_EQ(IsInProgress(status), want) << EgressStatusName(status);
  }
}

TEST(LockKeeperTest, IsRecordingEgressTable) {
  struct Case {
    size_t files;
    size_t streams;
    bool want;
  };
  const std::vector<Case> cases = {
      {1, 0, true}, {2, 0, true}, {0, 0, false}, {1, 1, false}, {0, 1, false}};
  for (const auto& c : cases) {
    EXPECT_EQ(IsRecordingEgress(Egress("r", EgressStatus::kActive, c.files, c.streams)), c.want)
        << c.files << " files, " << c.streams << " streams";
  }
}

TEST(LockKeeperTest, RoomsWithEgressInProgress) {
  const std::vector<EgressInfo> egresses = {
      Egress("starting", EgressStatus::kStarting),
      Egress("active", EgressStatus::kActive),
      Egress("ending", EgressStatus::kEnding),
      Egress("complete", EgressStatus::kComplete),
      Egress("failed", EgressStatus::kFailed),
      Egress("aborted", EgressStatus::kAborted),
      Egress("limit", EgressStatus::kLimitReached),
      Egress("stream", EgressStatus::kActive, 0, 1),       // Not a recording.
      Egress("file+stream", EgressStatus::kActive, 1, 1),  // Not a recording.
      Egress("active", EgressStatus::kComplete),           // A finished one does not undo it.
  };
  EXPECT_EQ(RoomsWithEgressInProgress(egresses),
            (std::set<std::string>{"active", "ending", "starting"}));
  EXPECT_TRUE(RoomsWithEgressInProgress({}).empty());
}

TEST(LockKeeperTest, RoomsToRelockAreTheRecordingRoomsWithoutALock) {
  const std::vector<RoomLock> locks = {{"held", 1, 2}, {"idle", 1, 2}};
  EXPECT_EQ(RoomsToRelock(locks, {"held", "lost", "R"}), (std::vector<std::string>{"R", "lost"}));
  EXPECT_TRUE(RoomsToRelock(locks, {"held"}).empty());
  EXPECT_EQ(RoomsToRelock({}, {"R2"}), (std::vector<std::string>{"R2"}));
  // Exact room match: a lock of "R" does not cover "R2".
  EXPECT_EQ(RoomsToRelock({{"R", 1, 2}}, {"R2"}), (std::vector<std::string>{"R2"}));
}

}  // namespace
}  // namespace mr::recording::jobs
