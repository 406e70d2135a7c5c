// Start, stop and webhook interleavings of RecordingLifecycle (issue 4, item 10), driven step by
// step with a FakeClock and a scripted FakeLiveKit.

#include <gtest/gtest.h>

#include "fakes/lifecycle_harness.hpp"
#include "recording/signals.hpp"

namespace mr::recording {
namespace {

using testing::Harness;
using S = EgressStatus;

// Starts a recording in room1 and returns the pending result slot and the egress id.
struct Started {
  std::shared_ptr<std::optional<Result<RecordingInfo>>> result;
  std::string egress_id;
};

Started BeginStart(Harness& h, const std::string& room = "room1") {
  Started s;
  s.result = h.Spawn(h.lifecycle.Start(room));
  s.egress_id = h.livekit.LastEgressId();
  return s;
}

// A complete start: egress_started, then ACTIVE.
std::string StartActive(Harness& h) {
  auto s = BeginStart(h);
  h.Webhook("egress_started", *h.livekit.Egress(s.egress_id));
  h.Webhook("egress_updated", h.Set(s.egress_id, S::kActive));
  EXPECT_TRUE(s.result->has_value());
  EXPECT_TRUE((*s.result)->ok());
  return s.egress_id;
}

TEST(LifecycleTest, NormalRecordingFromStartToComplete) {
  Harness h;
  auto s = BeginStart(h);
  ASSERT_FALSE(s.result->has_value()) << "the start waits for ACTIVE";
  ASSERT_FALSE(s.egress_id.empty());
  const std::string id = h.RecordingIdOf(s.egress_id);

  h.Webhook("egress_started", *h.livekit.Egress(s.egress_id));
  EXPECT_EQ(h.Stored(id)->status, RecordingStatus::kStarting);
  EXPECT_EQ(h.Stored(id)->room_name, "Room One");
  EXPECT_EQ(h.rooms.archived, 1);
  ASSERT_FALSE(s.result->has_value());

  h.Webhook("egress_updated", h.Set(s.egress_id, S::kActive));
  ASSERT_TRUE(s.result->has_value());
  ASSERT_TRUE((*s.result)->ok()) << (*s.result)->status().ToString();
  EXPECT_EQ((**s.result)->status, RecordingStatus::kActive);
  EXPECT_EQ((**s.result)->recording_id, id);
  ASSERT_TRUE(h.RoomLock("room1").has_value());

  auto stopped = h.Spawn(h.lifecycle.Stop(id));
  ASSERT_TRUE(stopped->has_value());
  ASSERT_TRUE((*stopped)->ok()) << (*stopped)->status().ToString();
  EXPECT_EQ((**stopped)->status, RecordingStatus::kEnding);
  h.Webhook("egress_updated", *h.livekit.Egress(s.egress_id));
  EXPECT_TRUE(h.RoomLock("room1").has_value()) << "an ENDING egress keeps the room lock (Q16)";

  h.Webhook("egress_ended", h.Set(s.egress_id, S::kComplete));
  auto done = h.Stored(id);
  EXPECT_EQ(done->status, RecordingStatus::kComplete);
  EXPECT_EQ(done->size, 4096u);
  EXPECT_TRUE(done->end_date.has_value());
  EXPECT_FALSE(h.RoomLock("room1").has_value()) << "released once no egress is in progress";

  EXPECT_EQ(h.webhooks.Names(id),
            (std::vector<std::string>{"recordingStarted:starting", "recordingUpdated:active",
                                      "recordingUpdated:ending", "recordingEnded:complete"}));
  EXPECT_EQ(h.livekit.SentTopics("room1"),
            (std::vector<std::string>{"recordingStarting", "recordingStarted",
                                      "recordingStopping", "recordingStopped"}));
}

TEST(LifecycleTest, ActiveBeforeLiveKitsReplyIsNotLost) {
  Harness h;
  h.livekit.HoldStartReplies(true);
  auto s = BeginStart(h);
  h.Webhook("egress_started", *h.livekit.Egress(s.egress_id));
  h.Webhook("egress_updated", h.Set(s.egress_id, S::kActive));
  ASSERT_FALSE(s.result->has_value()) << "cannot match the event before the reply";
  h.livekit.ReleaseStartReplies();
  h.Poll();
  ASSERT_TRUE(s.result->has_value());
  ASSERT_TRUE((*s.result)->ok()) << (*s.result)->status().ToString();
  EXPECT_EQ((**s.result)->status, RecordingStatus::kActive);
}

TEST(LifecycleTest, ReplyAfterTimeoutStopsTheEgressAndKeepsTheLockUntilItEnds) {
  Harness h;
  h.livekit.HoldStartReplies(true);
  auto s = BeginStart(h);
  h.Advance(Millis(20000));
  ASSERT_TRUE(s.result->has_value());
  EXPECT_EQ((*s.result)->status().code(), StatusCode::kTimeout);
  EXPECT_EQ((*s.result)->status().message(), "Recording in room 'room1' timed out while starting");
  EXPECT_EQ(h.livekit.SentTopics("room1").back(), "recordingFailed");
  ASSERT_TRUE(h.RoomLock("room1").has_value()) << "LiveKit may still create the egress";

  // The egress went ACTIVE meanwhile; LiveKit's reply only now arrives.
  h.Set(s.egress_id, S::kActive);
  h.livekit.ReleaseStartReplies();
  h.Poll();
  EXPECT_EQ(h.livekit.Egress(s.egress_id)->status, S::kEnding) << "the late egress is stopped (Q3)";
  const std::string id = h.RecordingIdOf(s.egress_id);
  EXPECT_EQ(h.Stored(id)->status, RecordingStatus::kFailed);
  EXPECT_TRUE(h.RoomLock("room1").has_value()) << "no egress runs without its room lock";
  auto again = h.Spawn(h.lifecycle.Start("room1"));
  ASSERT_TRUE(again->has_value());
  EXPECT_EQ((*again)->status().code(), StatusCode::kConflict);

  // Late webhooks do not move the failed record, but the end releases the lock.
  h.Webhook("egress_started", *h.livekit.Egress(s.egress_id));
  h.Webhook("egress_updated", *h.livekit.Egress(s.egress_id));
  h.Webhook("egress_ended", h.Set(s.egress_id, S::kComplete));
  auto rec = h.Stored(id);
  EXPECT_EQ(rec->status, RecordingStatus::kFailed);
  EXPECT_EQ(rec->size, 4096u) << "the file facts are kept";
  EXPECT_FALSE(h.RoomLock("room1").has_value());
}

TEST(LifecycleTest, TimeoutWithEgressStillStartingStopsAndFailsIt) {
  Harness h;
  auto s = BeginStart(h);
  h.Advance(Millis(20000));
  ASSERT_TRUE(s.result->has_value());
  EXPECT_EQ((*s.result)->status().code(), StatusCode::kTimeout);
  h.Poll();
  EXPECT_EQ(h.livekit.Egress(s.egress_id)->status, S::kAborted);
  EXPECT_EQ(h.Stored(h.RecordingIdOf(s.egress_id))->status, RecordingStatus::kFailed);
  EXPECT_FALSE(h.RoomLock("room1").has_value()) << "the aborted egress no longer needs it";
  // A late ACTIVE (the worker raced the stop) changes nothing and confirms nothing.
  h.Webhook("egress_updated", *h.livekit.Egress(s.egress_id));
  EXPECT_EQ(h.Stored(h.RecordingIdOf(s.egress_id))->status, RecordingStatus::kFailed);
  StartActive(h);
}

TEST(LifecycleTest, TimeoutWithoutAnyReplyReleasesWhenLiveKitFinallyRefuses) {
  Harness h;
  h.livekit.HoldStartReplies(true);
  h.livekit.FailNext("StartRoomCompositeEgress", UnavailableError("no response from servers"));
  auto s = h.Spawn(h.lifecycle.Start("room1"));
  ASSERT_TRUE(s->has_value()) << "the refusal came before the timeout";
  EXPECT_EQ((*s)->status().code(), StatusCode::kInternal);
  EXPECT_EQ((*s)->status().message(),
            "Unexpected error while starting Room Composite Egress for room 'room1'");
  EXPECT_FALSE(h.RoomLock("room1").has_value());
}

TEST(LifecycleTest, ConcurrentStartsGiveExactlyOneRecording) {
  Harness h;
  std::vector<std::shared_ptr<std::optional<Result<RecordingInfo>>>> results;
  for (int i = 0; i < 100; ++i) {
    results.push_back(h.Spawn(h.lifecycle.Start("room1")));
  }
  EXPECT_EQ(h.livekit.StartCalls(), 1);
  const std::string egress = h.livekit.LastEgressId();
  h.Webhook("egress_updated", h.Set(egress, S::kActive));
  int created = 0;
  int conflicts = 0;
  for (auto& r : results) {
    ASSERT_TRUE(r->has_value());
    if ((*r)->ok()) {
      ++created;
    } else if ((*r)->status().code() == StatusCode::kConflict) {
      EXPECT_EQ((*r)->status().message(), "Room 'room1' is already being recorded");
      ++conflicts;
    }
  }
  EXPECT_EQ(created, 1);
  EXPECT_EQ(conflicts, 99);
}

TEST(LifecycleTest, ValidationOrderAndLockRelease) {
  Harness h;
  auto missing = h.Spawn(h.lifecycle.Start("nope"));
  EXPECT_EQ((*missing)->status().message(), "Room 'nope' does not exist");

  h.rooms.rooms["off"] = RoomFacts{"Off", false};
  auto disabled = h.Spawn(h.lifecycle.Start("off"));
  EXPECT_EQ((*disabled)->status().code(), StatusCode::kForbidden);
  EXPECT_EQ((*disabled)->status().message(), "Recording is disabled for room 'off'");

  h.rooms.rooms["nolk"] = RoomFacts{"No LiveKit room", true};
  auto nolk = h.Spawn(h.lifecycle.Start("nolk"));
  EXPECT_EQ((*nolk)->status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(h.RoomLock("nolk").has_value());

  h.rooms.rooms["empty"] = RoomFacts{"Empty", true};
  h.livekit.AddRoom("empty", 0, 0);
  h.livekit.AddEgressParticipant("empty");
  auto empty = h.Spawn(h.lifecycle.Start("empty"));
  EXPECT_EQ((*empty)->status().code(), StatusCode::kConflict);
  EXPECT_EQ((*empty)->status().message(), "Room 'empty' has no participants");
  EXPECT_FALSE(h.RoomLock("empty").has_value());
  EXPECT_EQ(h.livekit.StartCalls(), 0);
  EXPECT_TRUE(h.livekit.Sent().empty()) << "no STARTING signal before validation passed";
}

TEST(LifecycleTest, OutOfOrderAndDuplicateWebhooksNeverMoveARecordBackwards) {
  Harness h;
  const std::string egress = StartActive(h);
  const std::string id = h.RecordingIdOf(egress);
  auto secrets = [&] {
    std::optional<AccessSecrets> out;
    h.Run([](RecordingCatalogue* c, std::string id, std::optional<AccessSecrets>* o) -> Task<void> {
      auto r = co_await c->GetSecrets(id);
      if (r.ok()) {
        *o = *r;
      }
    }(&h.catalogue, id, &out));
    return out;
  };
  const auto first_secrets = secrets();
  ASSERT_TRUE(first_secrets.has_value());

  const EgressInfo active = *h.livekit.Egress(egress);
  h.livekit.SetEgressStatus(egress, S::kEnding);
  const EgressInfo ended = h.Set(egress, S::kComplete);
  h.Webhook("egress_ended", ended);
  h.Webhook("egress_updated", active);    // Late.
  h.Webhook("egress_started", active);    // Retried long after.
  h.Webhook("egress_ended", ended);       // Duplicate.
  EXPECT_EQ(h.Stored(id)->status, RecordingStatus::kComplete);
  EXPECT_EQ(secrets()->public_access_secret, first_secrets->public_access_secret)
      << "secrets are created once (Q13)";
  auto names = h.webhooks.Names(id);
  EXPECT_EQ(std::count(names.begin(), names.end(), "recordingEnded:complete"), 1);
}

TEST(LifecycleTest, StopCases) {
  Harness h;
  auto unknown = h.Spawn(h.lifecycle.Stop("room1--EG_unknown--abc"));
  EXPECT_EQ((*unknown)->status().code(), StatusCode::kNotFound);
  EXPECT_EQ((*unknown)->status().message(), "Recording 'EG_unknown' not found");

  auto gone = h.Spawn(h.lifecycle.Stop("ghost--EG_x--abc"));
  EXPECT_EQ((*gone)->status().message(), "Room 'ghost' does not exist");

  auto s = BeginStart(h);  // Egress STARTING, start request waiting.
  const std::string id = h.RecordingIdOf(s.egress_id);
  auto while_starting = h.Spawn(h.lifecycle.Stop(id));
  EXPECT_EQ((*while_starting)->status().code(), StatusCode::kConflict);
  EXPECT_EQ((*while_starting)->status().message(),
            "Recording '" + id + "' cannot be stopped while starting");
  EXPECT_EQ(h.livekit.Egress(s.egress_id)->status, S::kAborted) << "stopped anyway";
  h.Webhook("egress_ended", *h.livekit.Egress(s.egress_id));
  EXPECT_EQ(h.Stored(id)->status, RecordingStatus::kAborted);

  // The pending start learns at once that its egress ended without ever recording.
  ASSERT_TRUE(s.result->has_value());
  EXPECT_EQ((*s.result)->status().code(), StatusCode::kInternal);
  EXPECT_EQ((*s.result)->status().message(),
            "Unexpected error while starting recording in room 'room1'");
  EXPECT_FALSE(h.RoomLock("room1").has_value());
  auto again = h.Spawn(h.lifecycle.Stop(id));
  EXPECT_EQ((*again)->status().message(), "Recording '" + id + "' is already stopped");
}

TEST(LifecycleTest, EgressWebhooksOfADeletedRoomAreStillProcessed) {
  Harness h;
  const std::string egress = StartActive(h);
  const std::string id = h.RecordingIdOf(egress);
  h.rooms.rooms.erase("room1");  // Meet room deleted (Q5).
  h.Webhook("egress_ended", h.Set(egress, S::kComplete));
  auto rec = h.Stored(id);
  EXPECT_EQ(rec->status, RecordingStatus::kComplete);
  EXPECT_EQ(rec->room_name, "Room One") << "the stored name is kept";
  EXPECT_FALSE(h.RoomLock("room1").has_value());
}

TEST(LifecycleTest, DeletedRecordingIsNotResurrectedByLateWebhooks) {
  Harness h;
  const std::string egress = StartActive(h);
  const std::string id = h.RecordingIdOf(egress);
  const EgressInfo ended = h.Set(egress, S::kComplete);
  h.Webhook("egress_ended", ended);
  h.Run([](RecordingCatalogue* c, std::string id) -> Task<void> {
    std::vector<std::string> ids;
    ids.push_back(id);
    EXPECT_TRUE((co_await c->Delete(ids)).ok());
  }(&h.catalogue, id));
  h.Webhook("egress_ended", ended);
  EXPECT_FALSE(h.Stored(id).has_value());
}

TEST(LifecycleTest, EgressFailingMidwayEndsFailedAndFreesTheRoom) {
  Harness h;
  const std::string egress = StartActive(h);
  const std::string id = h.RecordingIdOf(egress);
  h.Webhook("egress_ended", h.Set(egress, S::kFailed));
  EXPECT_EQ(h.Stored(id)->status, RecordingStatus::kFailed);
  EXPECT_EQ(h.livekit.SentTopics("room1").back(), "recordingFailed");
  EXPECT_FALSE(h.RoomLock("room1").has_value());
  StartActive(h);
}

TEST(LifecycleTest, LateEndOfAnOlderEgressDoesNotFreeANewStartsLock) {
  Harness h;
  const std::string old_egress = StartActive(h);
  const EgressInfo old_end = [&] {
    h.livekit.SetEgressStatus(old_egress, S::kEnding);
    return h.Set(old_egress, S::kComplete);
  }();
  // The lock keeper freed the room (the old end webhook is delayed); a new start is waiting.
  h.Advance(Millis(1000));
  h.Run([](coordination::LockService* l, std::string key) -> Task<void> {
    auto lock = co_await l->Get(key);
    co_await l->Release(key, (*lock)->owner);
  }(&h.locks, RoomLockKey("room1")));
  auto s = BeginStart(h);
  h.Webhook("egress_ended", old_end);
  EXPECT_TRUE(h.RoomLock("room1").has_value()) << "the new start's lock is newer than that end";
  h.Webhook("egress_updated", h.Set(s.egress_id, S::kActive));
  ASSERT_TRUE((*s.result)->ok());
}

TEST(LifecycleTest, EgressEndedBeforeTheReplyFailsTheStartAtOnce) {
  Harness h;
  h.livekit.HoldStartReplies(true);
  auto s = BeginStart(h);
  h.Webhook("egress_ended", h.Set(s.egress_id, S::kFailed));
  ASSERT_FALSE(s.result->has_value());
  h.livekit.ReleaseStartReplies();
  h.Poll();
  ASSERT_TRUE(s.result->has_value());
  EXPECT_EQ((*s.result)->status().code(), StatusCode::kInternal);
  EXPECT_FALSE(h.RoomLock("room1").has_value());
}

TEST(LifecycleTest, ATimedOutStartNeverFreesANewerStartsLock) {
  Harness h;
  h.livekit.HoldStartReplies(true);
  auto first = BeginStart(h);
  h.Advance(Millis(20000));  // 503; LiveKit has not answered.
  // The first egress ends on its own and frees the lock; a second start takes it.
  h.Webhook("egress_ended", h.Set(first.egress_id, S::kAborted));
  ASSERT_FALSE(h.RoomLock("room1").has_value());
  h.livekit.HoldStartReplies(false);
  auto second = BeginStart(h);
  const auto lock = h.RoomLock("room1");
  ASSERT_TRUE(lock.has_value());
  // As if LiveKit did not list the second egress yet: only the owner check protects the lock.
  const EgressInfo second_egress = *h.livekit.Egress(second.egress_id);
  h.livekit.ForgetEgress(second.egress_id);
  h.livekit.ReleaseStartReplies();  // The first start's late reply: settled without touching it.
  h.Poll();
  ASSERT_TRUE(h.RoomLock("room1").has_value());
  EXPECT_EQ(h.RoomLock("room1")->owner, lock->owner);
  (void)second_egress;
  // Let the second start finish (its egress is unknown now, so it times out): no coroutine is
  // left waiting when the test ends.
  h.Advance(Millis(20000));
  ASSERT_TRUE(second.result->has_value());
  EXPECT_EQ((*second.result)->status().code(), StatusCode::kTimeout);
}

TEST(LifecycleTest, RoomStatusSignalGoesToTheJoiningParticipantOnly) {
  Harness h;
  StartActive(h);
  h.Run(h.lifecycle.SendRoomStatus("room1", "carol"));
  auto sent = h.livekit.Sent().back();
  EXPECT_EQ(sent.message.topic, "roomStatus");
  EXPECT_EQ(sent.message.destination_identities, std::vector<std::string>{"carol"});
  Json payload = Json::parse(sent.message.payload);
  EXPECT_TRUE(payload["isRecordingStarted"].get<bool>());
  EXPECT_EQ(payload["recordingList"].size(), 1u);
}

}  // namespace
}  // namespace mr::recording
