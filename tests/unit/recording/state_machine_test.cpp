// The one transition function, tested exhaustively (STYLE rule 7).

#include <gtest/gtest.h>

#include "recording/state_machine.hpp"

namespace mr::recording {
namespace {

using R = RecordingStatus;

const R kAll[] = {R::kStarting, R::kActive,  R::kEnding,      R::kComplete,
                  R::kFailed,   R::kAborted, R::kLimitReached};

TEST(StateMachineTest, EveryPairOfStatuses) {
  // Expected: forward (by rank) or same; a terminal status only to itself.
  for (R from : kAll) {
    for (R to : kAll) {
      bool want;
      if (IsFinished(from)) {
        want = to == from;
      } else {
        want = StatusRank(to) >= StatusRank(from);
      }
      EXPECT_EQ(MayTransition(from, to), want)
          << RecordingStatusName(from) << " -> " << RecordingStatusName(to);
    }
    EXPECT_TRUE(MayTransition(std::nullopt, from)) << "first record: any status";
  }
}

TEST(StateMachineTest, ExplicitCases) {
  struct Case {
    R from;
    R to;
    bool allowed;
  } cases[] = {
      {R::kStarting, R::kActive, true},    {R::kStarting, R::kComplete, true},
      {R::kStarting, R::kAborted, true},   {R::kActive, R::kStarting, false},
      {R::kEnding, R::kActive, false},     {R::kComplete, R::kActive, false},
      {R::kComplete, R::kFailed, false},   {R::kFailed, R::kComplete, false},
      {R::kAborted, R::kComplete, false},  {R::kLimitReached, R::kEnding, false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(MayTransition(c.from, c.to), c.allowed)
        << RecordingStatusName(c.from) << " -> " << RecordingStatusName(c.to);
  }
}

RecordingInfo Record(R status) {
  RecordingInfo r;
  r.recording_id = "room--EG_a--uid";
  r.room_id = "room";
  r.room_name = "Room";
  r.status = status;
  r.filename = "room--uid.mp4";
  r.start_date = 1000;
  return r;
}

TEST(StateMachineTest, ApplyUpdateKeepsWhatTheUpdateDoesNotCarry) {
  RecordingInfo stored = Record(R::kActive);
  stored.error = "kept";
  RecordingInfo incoming = Record(R::kEnding);
  incoming.room_name = "room";  // Built without the Meet room (Q5): the stored name is kept.
  incoming.filename.reset();
  auto next = ApplyUpdate(stored, incoming);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->status, R::kEnding);
  EXPECT_EQ(next->room_name, "Room");
  EXPECT_EQ(next->filename, "room--uid.mp4");
  EXPECT_EQ(next->error, "kept");
}

TEST(StateMachineTest, ApplyUpdateIgnoresBackwardsAndIdenticalUpdates) {
  EXPECT_FALSE(ApplyUpdate(Record(R::kComplete), Record(R::kActive)).has_value());
  EXPECT_FALSE(ApplyUpdate(Record(R::kActive), Record(R::kActive)).has_value());
  EXPECT_TRUE(ApplyUpdate(std::nullopt, Record(R::kActive)).has_value());
}

TEST(StateMachineTest, ATerminalMarkKeepsItsStatusButLearnsTheFileFacts) {
  RecordingInfo failed = Record(R::kFailed);
  failed.error = "Recording timed out while starting";
  RecordingInfo complete = Record(R::kComplete);
  complete.end_date = 5000;
  complete.size = 100;
  complete.duration = 4.0;
  auto next = ApplyUpdate(failed, complete);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->status, R::kFailed);
  EXPECT_EQ(next->error, "Recording timed out while starting");
  EXPECT_EQ(next->size, 100u);
  EXPECT_EQ(next->end_date, 5000);
  EXPECT_FALSE(ApplyUpdate(*next, complete).has_value()) << "nothing new the second time";
}

TEST(StateMachineTest, MarkFinished) {
  auto aborted = MarkFinished(Record(R::kActive), R::kAborted, "Room deleted");
  ASSERT_TRUE(aborted.has_value());
  EXPECT_EQ(aborted->status, R::kAborted);
  EXPECT_EQ(aborted->error, "Room deleted");
  EXPECT_FALSE(MarkFinished(Record(R::kComplete), R::kAborted, "x").has_value())
      << "a finished recording is never re-labelled";
}

}  // namespace
}  // namespace mr::recording
