// The job loops over the planners: lock keeper, stale cleanup, reconciliation (issue 4 item 8).

#include <gtest/gtest.h>

#include "fakes/lifecycle_harness.hpp"
#include "recording/maintenance.hpp"

namespace mr::recording {
namespace {

using testing::Harness;
using S = EgressStatus;

struct Jobs {
  explicit Jobs(Harness& h, RecordingOptions o = {})
      : maintenance(MaintenanceDeps{&h.livekit, &h.catalogue, &h.locks, &h.lifecycle, &h.clock}, o),
        h_(h) {}
  Status Run(Task<Status> t) {
    auto slot = h_.Spawn(std::move(t));
    EXPECT_TRUE(slot->has_value());
    return slot->value_or(InternalError("did not finish"));
  }
  RecordingMaintenance maintenance;
  Harness& h_;
};

std::string StartActive(Harness& h) {
  auto s = h.Spawn(h.lifecycle.Start("room1"));
  const std::string egress = h.livekit.LastEgressId();
  h.Webhook("egress_started", *h.livekit.Egress(egress));
  h.Webhook("egress_updated", h.Set(egress, S::kActive));
  EXPECT_TRUE(s->has_value() && (*s)->ok());
  return egress;
}

// Loses a held room lock, as a restart does (in-process locks, or a Redis without persistence).
void DropRoomLock(Harness& h, const std::string& room) {
  h.Run([](coordination::LockService* l, std::string key) -> Task<void> {
    auto lock = co_await l->Get(key);
    co_await l->Release(key, (*lock)->owner);
  }(&h.locks, RoomLockKey(room)));
}

TEST(MaintenanceTest, LockKeeperRenewsWhileRecordingSoTheLockOutlivesItsTtl) {
  Harness h;  // Lock TTL 5 min.
  Jobs jobs(h);
  StartActive(h);
  for (int minute = 0; minute < 30; ++minute) {
    h.Advance(Millis(60'000));
    EXPECT_TRUE(jobs.Run(jobs.maintenance.RunLockKeeper()).ok());
    ASSERT_TRUE(h.RoomLock("room1").has_value()) << "lost after " << minute + 1 << " min (Q15)";
  }
}

TEST(MaintenanceTest, LockKeeperFreesAnOrphanedLockAfterTheGracePeriod) {
  Harness h;
  Jobs jobs(h);
  h.Run([](coordination::LockService* l) -> Task<void> {
    co_await l->Acquire(RoomLockKey("room1"), "crashed-start", Millis(5 * 60'000));
  }(&h.locks));
  h.Advance(Millis(30'000));
  EXPECT_TRUE(jobs.Run(jobs.maintenance.RunLockKeeper()).ok());
  EXPECT_TRUE(h.RoomLock("room1").has_value()) << "within the grace period";
  h.Advance(Millis(31'000));
  EXPECT_TRUE(jobs.Run(jobs.maintenance.RunLockKeeper()).ok());
  EXPECT_FALSE(h.RoomLock("room1").has_value());
}

TEST(MaintenanceTest, LockKeeperRestoresALostLockOfARunningRecording) {
  Harness h;
  Jobs jobs(h);
  StartActive(h);
  // A Redis restarted without persistence loses every lock.
  DropRoomLock(h, "room1");
  EXPECT_TRUE(jobs.Run(jobs.maintenance.RunLockKeeper()).ok());
  ASSERT_TRUE(h.RoomLock("room1").has_value());
  EXPECT_EQ(h.RoomLock("room1")->owner, kRestoredLockOwner);
  auto again = h.Spawn(h.lifecycle.Start("room1"));
  EXPECT_EQ((*again)->status().code(), StatusCode::kConflict);
}

TEST(MaintenanceTest, LockKeeperFailureIsReportedAndChangesNothing) {
  Harness h;
  Jobs jobs(h);
  StartActive(h);
  h.livekit.FailNext("ListEgress", UnavailableError("LiveKit down"));
  EXPECT_EQ(jobs.Run(jobs.maintenance.RunLockKeeper()).code(), StatusCode::kUnavailable);
  EXPECT_TRUE(h.RoomLock("room1").has_value());
}

TEST(MaintenanceTest, StaleEgressInAnEmptyRoomIsAbortedAndStopped) {
  Harness h;
  Jobs jobs(h);
  const std::string egress = StartActive(h);
  const std::string id = h.RecordingIdOf(egress);
  h.Advance(Millis(6 * 60'000));
  EXPECT_TRUE(jobs.Run(jobs.maintenance.RunStaleCleanup()).ok());
  EXPECT_EQ(h.livekit.Egress(egress)->status, S::kActive) << "people still publish";
  h.livekit.AddRoom("room1", 0, 0);
  EXPECT_TRUE(jobs.Run(jobs.maintenance.RunStaleCleanup()).ok());
  EXPECT_EQ(h.livekit.Egress(egress)->status, S::kEnding);
  EXPECT_EQ(h.Stored(id)->status, RecordingStatus::kAborted);
}

TEST(MaintenanceTest, ReconciliationSettlesRecordsWhoseEgressIsGoneOrFinished) {
  Harness h;
  Jobs jobs(h);
  h.rooms.rooms["room2"] = RoomFacts{"Room Two", true};
  h.livekit.AddRoom("room2", 1, 1);
  h.rooms.rooms["room3"] = RoomFacts{"Room Three", true};
  h.livekit.AddRoom("room3", 1, 1);
  auto start = [&](const std::string& room) {
    auto s = h.Spawn(h.lifecycle.Start(room));
    const std::string egress = h.livekit.LastEgressId();
    h.Webhook("egress_updated", h.Set(egress, S::kActive));
    EXPECT_TRUE(s->has_value() && (*s)->ok());
    return egress;
  };
  const std::string finished = start("room1");   // Its egress_ended webhook is lost.
  const std::string forgotten = start("room2");  // LiveKit restarted and forgot it.
  const std::string running = start("room3");    // Still recording.
  h.livekit.SetEgressStatus(finished, S::kEnding);
  h.Set(finished, S::kComplete);
  h.livekit.ForgetEgress(forgotten);

  EXPECT_TRUE(jobs.Run(jobs.maintenance.RunReconciliation()).ok());
  EXPECT_EQ(h.Stored(h.RecordingIdOf(finished))->status, RecordingStatus::kComplete)
      << "a finished egress is applied at any age";

  h.Advance(Millis(61'000));
  EXPECT_TRUE(jobs.Run(jobs.maintenance.RunReconciliation()).ok());
  auto list = h.Spawn(h.catalogue.List(RecordingListQuery{}));
  ASSERT_TRUE(list->has_value() && (*list)->ok());
  int aborted = 0;
  for (const auto& r : (*list)->value().recordings) {
    if (r.room_id == "room2") {
      EXPECT_EQ(r.status, RecordingStatus::kAborted);
      EXPECT_EQ(r.error, "Egress no longer exists in LiveKit");
      ++aborted;
    }
  }
  EXPECT_EQ(aborted, 1);
  EXPECT_EQ(h.Stored(h.RecordingIdOf(running))->status, RecordingStatus::kActive);
}

TEST(MaintenanceTest, ReconciliationRelocksRoomsWhoseEgressStillRecords) {
  Harness h;
  Jobs jobs(h);
  StartActive(h);
  // A restart loses in-process locks.
  DropRoomLock(h, "room1");
  h.Advance(Millis(61'000));
  EXPECT_TRUE(jobs.Run(jobs.maintenance.RunReconciliation()).ok());
  EXPECT_TRUE(h.RoomLock("room1").has_value());
  auto again = h.Spawn(h.lifecycle.Start("room1"));
  EXPECT_EQ((*again)->status().code(), StatusCode::kConflict);
}

}  // namespace
}  // namespace mr::recording
