#include <gtest/gtest.h>

#include "recording/jobs/room_auto_deletion.hpp"

namespace mr::recording::jobs {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

TEST(RoomAutoDeletionTest, DueRoomsTable) {
  const DeletionRule force{MeetingRule::kForce, RecordingsRule::kForce};
  const DeletionRule mixed{MeetingRule::kWhenMeetingEnds, RecordingsRule::kForce};
  struct Case {
    RoomDeletionInput room;
    bool due;
    DeletionRule policy;  // When due.
  };
  const std::vector<Case> cases = {
      {{"past, own policy", kNow - 1, force}, true, force},
      {{"exactly now", kNow, mixed}, true, mixed},
      {{"past, no policy: default", kNow - 3'600'000, std::nullopt}, true, DeletionRule{}},
      {{"1 ms in the future", kNow + 1, force}, false, {}},
      {{"no date", std::nullopt, force}, false, {}},
      {{"no date, no policy", std::nullopt, std::nullopt}, false, {}},
      {{"epoch", 0, std::nullopt}, true, DeletionRule{}},
  };
  std::vector<RoomDeletionInput> rooms;
  std::vector<RoomDue> want;
  for (const auto& c : cases) {
    rooms.push_back(c.room);
    const auto got = RoomsDueForDeletion(kNow, {c.room});
    ASSERT_EQ(got.size(), c.due ? 1u : 0u) << c.room.room_id;
    if (c.due) {
      want.push_back({c.room.room_id, c.policy});
      EXPECT_EQ(got[0].room_id, c.room.room_id);
      EXPECT_EQ(got[0].policy.with_meeting, c.policy.with_meeting) << c.room.room_id;
      EXPECT_EQ(got[0].policy.with_recordings, c.policy.with_recordings) << c.room.room_id;
    }
  }
  // All at once: the due rooms, in input order.
  const auto all = RoomsDueForDeletion(kNow, rooms);
  ASSERT_EQ(all.size(), want.size());
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].room_id, want[i].room_id);
  }
  EXPECT_TRUE(RoomsDueForDeletion(kNow, {}).empty());
}

TEST(RoomAutoDeletionTest, DefaultIsWhenMeetingEndsAndClose) {
  const DeletionRule d;
  EXPECT_EQ(d.with_meeting, MeetingRule::kWhenMeetingEnds);
  EXPECT_EQ(d.with_recordings, RecordingsRule::kClose);
}

}  // namespace
}  // namespace mr::recording::jobs
